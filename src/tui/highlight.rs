//! Rust syntax colouring for the source pane: a small lexer that carries
//! block comments and strings across lines. Colour only — never parsing.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carry {
    Code,
    /// Inside `/* */`, nested this deep.
    Comment(u32),
    String,
}

/// Styled spans for every line of `text`.
pub fn highlight(text: &str) -> Vec<Vec<Span<'static>>> {
    let mut carry = Carry::Code;
    text.lines().map(|line| highlight_line(line, &mut carry)).collect()
}

fn style_of(kind: Kind) -> Style {
    match kind {
        Kind::Plain => Style::default(),
        Kind::Keyword => Style::default().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        Kind::Comment => Style::default().fg(Color::DarkGray),
        Kind::String => Style::default().fg(Color::Green),
        Kind::Number => Style::default().fg(Color::Yellow),
        Kind::Type => Style::default().fg(Color::Cyan),
        Kind::Macro => Style::default().fg(Color::Blue),
        Kind::Attribute => Style::default().fg(Color::DarkGray).add_modifier(Modifier::ITALIC),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Keyword,
    Comment,
    String,
    Number,
    Type,
    Macro,
    Attribute,
}

fn highlight_line(line: &str, carry: &mut Carry) -> Vec<Span<'static>> {
    let chars: Vec<char> = line.chars().collect();
    let mut spans: Vec<(Kind, String)> = Vec::new();
    let mut push = |kind: Kind, s: String| match spans.last_mut() {
        Some((k, text)) if *k == kind => text.push_str(&s),
        _ => spans.push((kind, s)),
    };
    let mut i = 0;
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let start = i;
        match *carry {
            Carry::Comment(depth) => {
                while i < chars.len() {
                    if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        i += 2;
                        *carry = if depth > 1 { Carry::Comment(depth - 1) } else { Carry::Code };
                        if *carry == Carry::Code {
                            break;
                        }
                    } else if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        i += 2;
                        *carry = Carry::Comment(depth + 1);
                    } else {
                        i += 1;
                    }
                }
                push(Kind::Comment, text(start, i));
                continue;
            }
            Carry::String => {
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 2,
                        '"' => {
                            i += 1;
                            *carry = Carry::Code;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let end = i.min(chars.len());
                push(Kind::String, text(start, end));
                i = end;
                continue;
            }
            Carry::Code => {}
        }
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            push(Kind::Comment, text(i, chars.len()));
            break;
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            *carry = Carry::Comment(1);
            i += 2;
            push(Kind::Comment, text(start, i));
        } else if c == '"' {
            *carry = Carry::String;
            i += 1;
            push(Kind::String, text(start, i));
        } else if c == '\'' {
            // A char literal ('a', '\n') or a lifetime ('a).
            let close = if chars.get(i + 1) == Some(&'\\') {
                chars[i + 2..].iter().position(|&c| c == '\'').map(|p| i + 3 + p)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match close {
                Some(end) => {
                    push(Kind::String, text(i, end));
                    i = end;
                }
                None => {
                    i += 1;
                    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                        i += 1;
                    }
                    push(Kind::Type, text(start, i));
                }
            }
        } else if c == '#' && matches!(chars.get(i + 1), Some('[') | Some('!')) {
            push(Kind::Attribute, text(i, chars.len()));
            break;
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
                i += 1;
            }
            push(Kind::Number, text(start, i));
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word = text(start, i);
            let kind = if chars.get(i) == Some(&'!') && chars.get(i + 1) != Some(&'=') {
                i += 1;
                Kind::Macro
            } else if KEYWORDS.contains(&word.as_str()) {
                Kind::Keyword
            } else if word.starts_with(char::is_uppercase) {
                Kind::Type
            } else {
                Kind::Plain
            };
            push(kind, text(start, i));
        } else {
            i += 1;
            push(Kind::Plain, text(start, i));
        }
    }
    spans.into_iter().map(|(kind, s)| Span::styled(s, style_of(kind))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Vec<(String, Style)>> {
        highlight(text).into_iter().map(|l| l.into_iter().map(|s| (s.content.to_string(), s.style)).collect()).collect()
    }

    #[test]
    fn keywords_strings_comments_and_their_carry_over() {
        let lines = kinds("let s = \"a // b\"; // c\n/* x\ny */ fn f<'a>(c: char) { 'z' }\nprintln!(\"{}\", 1_000);");
        let first: Vec<&str> = lines[0].iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(first, ["let", " s = ", "\"a // b\"", "; ", "// c"]);
        assert_eq!(lines[0][4].1, style_of(Kind::Comment));
        assert_eq!(lines[1][0], ("/* x".to_string(), style_of(Kind::Comment)));
        assert_eq!(lines[2][0], ("y */".to_string(), style_of(Kind::Comment)));
        assert!(lines[2].contains(&("'a".to_string(), style_of(Kind::Type))));
        assert!(lines[2].contains(&("'z'".to_string(), style_of(Kind::String))));
        assert_eq!(lines[3][0], ("println!".to_string(), style_of(Kind::Macro)));
        assert!(lines[3].contains(&("1_000".to_string(), style_of(Kind::Number))));
    }
}
