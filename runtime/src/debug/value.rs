//! Values at a stop: `Debug` when the type has it (autoref specialization at
//! the instrumented site), the type name otherwise; rendering is lazy and
//! bounded, so a million-element Vec costs what its first lines cost.

use std::fmt::{self, Debug, Write};

/// One local variable as a step point hands it over.
#[derive(Clone, Copy)]
pub struct Local<'a> {
    pub name: &'static str,
    pub type_name: &'static str,
    pub value: Option<&'a dyn Debug>,
    /// Where the value lives: for evaluation and for rendering from debug
    /// info.
    pub addr: usize,
    /// The address of `type_marker::<T>`, whose debug info names `T`.
    pub marker: usize,
}

/// One instance per type `T`; the debugger finds `T`'s debug info through
/// the instance's (its template parameter). The body differs per type, so
/// identical code folding cannot merge two instances.
#[inline(never)]
pub fn type_marker<T: ?Sized>() -> &'static str {
    std::any::type_name::<T>()
}

/// Wraps a reference for the probe traits below.
pub struct Probe<'a, T: ?Sized>(pub &'static str, pub &'a T);

/// Picked by method resolution when `T: Debug` (one autoref less than
/// [`ProbeName`], so it wins when it applies).
pub trait ProbeDebug<'a> {
    fn local(&self) -> Local<'a>;
}

impl<'a, T: Debug> ProbeDebug<'a> for &Probe<'a, T> {
    fn local(&self) -> Local<'a> {
        let (addr, marker) = (self.1 as *const T as *const () as usize, type_marker::<T> as fn() -> &'static str as usize);
        Local { name: self.0, type_name: std::any::type_name::<T>(), value: Some(self.1 as &dyn Debug), addr, marker }
    }
}

/// The fallback for types without `Debug`: only the type name is shown.
pub trait ProbeName<'a> {
    fn local(&self) -> Local<'a>;
}

impl<'a, T: ?Sized> ProbeName<'a> for Probe<'a, T> {
    fn local(&self) -> Local<'a> {
        let (addr, marker) = (self.1 as *const T as *const () as usize, type_marker::<T> as fn() -> &'static str as usize);
        Local { name: self.0, type_name: std::any::type_name::<T>(), value: None, addr, marker }
    }
}

/// A `fmt::Write` that stops the formatter once `limit` bytes are written.
struct Bounded {
    out: String,
    limit: usize,
    truncated: bool,
}

impl Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.limit.saturating_sub(self.out.len());
        if s.len() <= room {
            self.out.push_str(s);
            return Ok(());
        }
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.out.push_str(&s[..cut]);
        self.truncated = true;
        Err(fmt::Error)
    }
}

/// Formats `value` with `{:?}` (or `{:#?}`), at most `limit` bytes.
pub fn render(value: &dyn Debug, pretty: bool, limit: usize) -> (String, bool) {
    let mut w = Bounded { out: String::new(), limit, truncated: false };
    let _ = if pretty { write!(w, "{value:#?}") } else { write!(w, "{value:?}") };
    (w.out, w.truncated)
}

/// Longest one-line summary of a value.
pub const SUMMARY_LIMIT: usize = 200;
/// Most bytes of pretty output parsed to expand a value.
pub const EXPAND_LIMIT: usize = 256 * 1024;
/// Most children listed for one node.
pub const CHILDREN_LIMIT: usize = 200;

pub fn summary(local: &Local<'_>) -> String {
    match local.value {
        Some(v) => {
            let (mut s, truncated) = render(v, false, SUMMARY_LIMIT);
            if truncated {
                s.push('…');
            }
            s
        }
        None => format!("<{}>", local.type_name),
    }
}

/// One node of a value's structure, as `{:#?}` lays it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node's one-line text (e.g. `Token {` collapsed to `Token { id: 5, .. }`).
    pub summary: String,
    /// Labels of the children: field names, `[i]` for sequence items, map keys.
    pub children: Vec<(String, String)>,
    pub truncated: bool,
}

/// Expands the part of `value` reached by `path` (field names, `[i]`, keys).
pub fn expand(value: &dyn Debug, path: &[String]) -> Result<Node, String> {
    let (text, truncated) = render(value, true, EXPAND_LIMIT);
    expand_text(&text, truncated, path)
}

/// [`expand`] on a value's `{:#?}` text, already rendered.
pub fn expand_text(text: &str, truncated: bool, path: &[String]) -> Result<Node, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut span = (0, lines.len());
    for step in path {
        let kids = children(&lines, span);
        span = kids
            .iter()
            .find(|(label, _)| label == step || label.trim_matches('"') == step)
            .map(|(_, s)| *s)
            .ok_or_else(|| format!("no field `{step}` (have: {})", kids.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>().join(", ")))?;
    }
    let kids = children(&lines, span);
    let listed = kids
        .iter()
        .take(CHILDREN_LIMIT)
        .map(|(label, s)| (label.clone(), one_line(&lines[s.0..s.1], SUMMARY_LIMIT)))
        .collect();
    Ok(Node {
        summary: strip_label(&one_line(&lines[span.0..span.1], SUMMARY_LIMIT)),
        children: listed,
        truncated: truncated || kids.len() > CHILDREN_LIMIT,
    })
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Children of the node spanning `lines[span]`: (label, their line span).
fn children(lines: &[&str], span: (usize, usize)) -> Vec<(String, (usize, usize))> {
    let (start, end) = span;
    if end <= start + 1 {
        return Vec::new();
    }
    let depth = indent(lines[start]) + 4;
    let mut out = Vec::new();
    let mut i = start + 1;
    let mut index = 0;
    while i < end {
        let line = lines[i];
        if indent(line) != depth {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < end && indent(lines[j]) > depth {
            j += 1;
        }
        // Include the closing line of a multi-line child.
        if j < end && j > i + 1 && indent(lines[j]) == depth && is_closer(lines[j]) {
            j += 1;
        }
        let label = label_of(line.trim_start()).unwrap_or_else(|| format!("[{index}]"));
        out.push((label, (i, j)));
        index += 1;
        i = j;
    }
    out
}

fn is_closer(line: &str) -> bool {
    matches!(line.trim().trim_end_matches(','), "}" | "]" | ")")
}

/// `name: value` -> `name`, for struct fields and map entries.
fn label_of(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix('"') {
        // A map key that is a string: `"k": v`.
        let end = rest.find("\": ")? + 1;
        return Some(line[..=end].to_string());
    }
    let colon = line.find(": ")?;
    let name = &line[..colon];
    name.chars().all(|c| c.is_alphanumeric() || c == '_').then(|| name.to_string())
}

fn strip_label(s: &str) -> String {
    match label_of(s) {
        Some(l) => s[l.len() + 2..].to_string(),
        None => s.to_string(),
    }
}

/// Joins pretty lines back into one compact line.
fn one_line(lines: &[&str], limit: usize) -> String {
    let mut out = String::new();
    for (n, l) in lines.iter().enumerate() {
        let t = l.trim();
        if n > 0 && !(out.ends_with('(') || out.ends_with('[') || t.starts_with(')') || t.starts_with(']')) {
            out.push(' ');
        }
        out.push_str(t);
        if out.len() > limit {
            let mut cut = limit;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            return out;
        }
    }
    out.replace(",)", ")").replace(",]", "]").replace(", }", " }").trim_end_matches(',').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Inner {
        id: u32,
        tags: Vec<&'static str>,
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
        pair: (u8, u8),
    }

    struct Opaque;

    fn sample() -> Outer {
        Outer { name: "x".into(), inner: Inner { id: 7, tags: vec!["a", "b"] }, pair: (1, 2) }
    }

    #[test]
    fn probes_pick_debug_or_the_type_name() {
        let n = 5u8;
        let local = (&&Probe("n", &n)).local();
        assert_eq!(summary(&local), "5");
        let o = Opaque;
        let local = (&&Probe("o", &o)).local();
        assert_eq!(summary(&local), format!("<{}>", std::any::type_name::<Opaque>()));
    }

    #[test]
    fn expands_nested_fields_lazily() {
        let v = sample();
        let root = expand(&v, &[]).unwrap();
        assert_eq!(root.summary, "Outer { name: \"x\", inner: Inner { id: 7, tags: [\"a\", \"b\"] }, pair: (1, 2) }");
        let labels: Vec<&str> = root.children.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["name", "inner", "pair"]);
        let inner = expand(&v, &["inner".into()]).unwrap();
        assert_eq!(inner.children, [("id".to_string(), "id: 7".to_string()), ("tags".into(), "tags: [\"a\", \"b\"]".into())]);
        let tags = expand(&v, &["inner".into(), "tags".into()]).unwrap();
        assert_eq!(tags.children.iter().map(|(l, s)| format!("{l}={s}")).collect::<Vec<_>>(), ["[0]=\"a\"", "[1]=\"b\""]);
        assert!(expand(&v, &["nope".into()]).unwrap_err().contains("have: name, inner, pair"));
    }

    #[test]
    fn huge_values_render_quickly_and_truncated() {
        let big: Vec<u64> = (0..1_000_000).collect();
        let local = (&&Probe("big", &big)).local();
        let s = summary(&local);
        assert!(s.len() <= SUMMARY_LIMIT + 3 && s.ends_with('…'), "{s}");
        let node = expand(&big, &[]).unwrap();
        assert!(node.truncated);
        assert_eq!(node.children.len(), CHILDREN_LIMIT);
    }
}
