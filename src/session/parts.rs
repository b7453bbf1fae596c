//! A value's parts, one level at a time, for front ends that expand values
//! lazily (the editor adapter's `variables`). A value's parts come from
//! `print PATH` (`Out::Value::fields`), rendered by the runtime from
//! `Debug` or from debug info; this names the path that expands each part
//! further and says whether it has parts at all, so that a front end
//! offers expansion only where there is something to expand.

use super::command::parse_path;

/// One part of a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// A field name, `0`.. for tuple fields, `[i]` for elements, a key.
    pub label: String,
    /// Its one-line value, without the label.
    pub value: String,
    /// The expression `print` expands it with, when it has parts and a
    /// path reaches it (a map's key does not).
    pub path: Option<String>,
}

/// The parts of the value `parent` names, from its `fields`. `parent`:
/// the expression the value was printed with (`None`: no path reaches it
/// again, as for an evaluated temporary).
pub fn parts(parent: Option<&str>, fields: &[(String, String)]) -> Vec<Part> {
    fields
        .iter()
        .map(|(label, text)| {
            let value = text.strip_prefix(&format!("{label}: ")).unwrap_or(text).to_string();
            let path = match parent {
                Some(p) if has_parts(&value) => child_path(p, label),
                _ => None,
            };
            Part { label: label.clone(), value, path }
        })
        .collect()
}

/// `parent.field`, `parent.0` or `parent[i]`, when `parent` is a path of
/// fields (what `print` answers from the value itself, without compiling).
pub fn child_path(parent: &str, label: &str) -> Option<String> {
    parse_path(parent).ok()?;
    let index = label.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
    let path = match index {
        Some(i) if !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()) => format!("{parent}{label}"),
        Some(_) => return None,
        None if !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '_') => format!("{parent}.{label}"),
        None => return None,
    };
    parse_path(&path).ok().map(|_| path)
}

/// Whether a one-line value shows parts: a bracket that is not empty,
/// outside string and char literals (`Point { x: 1 }`, `[1, 2]`,
/// `Some(3)`; not `"a{b"`, `[]`, `None`, `<optimized out>`).
pub fn has_parts(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
            }
            // A char literal: `'a'` or `'\n'`.
            '\'' if chars.get(i + 2) == Some(&'\'') => i += 2,
            '\'' if chars.get(i + 1) == Some(&'\\') => {
                while i + 1 < chars.len() && chars[i + 1] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            open @ ('{' | '[' | '(') => {
                let close = match open {
                    '{' => '}',
                    '[' => ']',
                    _ => ')',
                };
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                if next.is_some_and(|c| *c != close) {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_with_something_inside_have_parts() {
        assert!(has_parts("Reading { step: 1, origin: Point { x: 1, y: -1 } }"));
        assert!(has_parts("[\"t1\"]"));
        assert!(has_parts("Some(3)"));
        assert!(!has_parts("\"a{b[c\""));
        assert!(!has_parts("[]"));
        assert!(!has_parts("Empty {}"));
        assert!(!has_parts("None"));
        assert!(!has_parts("'{'"));
        assert!(!has_parts("-7"));
    }

    #[test]
    fn parts_name_the_path_that_expands_them() {
        let fields = vec![
            ("origin".to_string(), "origin: Point { x: 1, y: -1 }".to_string()),
            ("step".to_string(), "step: 1".to_string()),
            ("[0]".to_string(), "[1, 2]".to_string()),
            ("\"k\"".to_string(), "\"k\": [3]".to_string()),
            ("0".to_string(), "(1, 2)".to_string()),
        ];
        let got = parts(Some("reading"), &fields);
        assert_eq!(got[0], Part { label: "origin".into(), value: "Point { x: 1, y: -1 }".into(), path: Some("reading.origin".into()) });
        assert_eq!((got[1].value.as_str(), got[1].path.as_deref()), ("1", None));
        assert_eq!(got[2].path.as_deref(), Some("reading[0]"));
        assert_eq!((got[3].value.as_str(), got[3].path.as_deref()), ("[3]", None));
        assert_eq!(got[4].path.as_deref(), Some("reading.0"));
        // An evaluated temporary: no path reaches its parts again.
        assert_eq!(parts(None, &fields)[0].path, None);
        assert_eq!(child_path("a.len()", "x"), None);
    }
}
