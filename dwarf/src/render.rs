//! From views to text: bounded memory reads, one-line summaries (like
//! `{:?}`), a node's children, and walking a path into a value.

use std::cell::Cell;

use crate::model::{Kind, Ty};
use crate::view::{view, Item, Items, Style, Val, View, MAX_ITEMS, MAX_STR};
use crate::{Memory, Node, Program, TypeRef};

/// Bytes one render may read in all: a corrupt length can't make it crawl.
const READ_BUDGET: u64 = 4 << 20;
/// A summary is cut (with `…`) past this many bytes.
const SUMMARY_MAX: usize = 200;
/// Nesting shown in one summary; deeper parts print as `…`.
const SUMMARY_DEPTH: usize = 4;
/// References followed in a row before giving up (cycles through `Rc`).
const DEREF_MAX: usize = 16;

pub(crate) struct Cx<'a> {
    pub prog: &'a Program,
    mem: &'a dyn Memory,
    read: Cell<u64>,
}

impl<'a> Cx<'a> {
    pub fn new(prog: &'a Program, mem: &'a dyn Memory) -> Cx<'a> {
        Cx {
            prog,
            mem,
            read: Cell::new(0),
        }
    }

    /// `len` bytes at `addr`, or the text to show instead.
    pub fn read(&self, addr: u64, len: u64) -> Result<Vec<u8>, String> {
        let total = self.read.get().saturating_add(len);
        if total > READ_BUDGET {
            return Err("<read limit reached>".into());
        }
        self.read.set(total);
        let mut buf = vec![0u8; len as usize];
        match self.mem.read(addr, &mut buf) {
            Ok(()) => Ok(buf),
            Err(_) => Err(format!("<unreadable {addr:#x}>")),
        }
    }

    /// A little-endian unsigned integer of `size` (1..=8) bytes.
    pub fn read_uint(&self, addr: u64, size: u64) -> Result<u64, String> {
        let b = self.read(addr, size.min(8))?;
        let mut raw = [0u8; 8];
        raw[..b.len()].copy_from_slice(&b);
        Ok(u64::from_le_bytes(raw))
    }

    /// `len` bytes of UTF-8 at `ptr` as a quoted, escaped string, cut
    /// after `MAX_STR` bytes.
    pub fn string(&self, ptr: u64, len: u64) -> String {
        let n = len.min(MAX_STR);
        let bytes = match self.read(ptr, n) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(s) => s.to_string(),
            // A cut inside a character: drop the partial one.
            Err(e) if e.error_len().is_none() && n < len => {
                String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned()
            }
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        let mut q = format!("{text:?}");
        if n < len {
            q.pop();
            q.push_str("…\"");
        }
        q
    }

    /// Follows `Deref` views to the value that has a view of its own.
    fn resolve(&self, mut t: TypeRef, mut addr: u64) -> View {
        for _ in 0..DEREF_MAX {
            match view(self, t, addr) {
                View::Deref(t2, a2) => (t, addr) = (t2, a2),
                v => return v,
            }
        }
        View::Leaf("<too many references>".into())
    }

    fn summarize(&self, out: &mut String, t: TypeRef, addr: u64, depth: usize) {
        match self.resolve(t, addr) {
            View::Leaf(s) => out.push_str(&s),
            View::Deref(..) => out.push_str("<…>"),
            View::Items(items) => self.summarize_items(out, &items, depth),
        }
    }

    fn summarize_items(&self, out: &mut String, it: &Items, depth: usize) {
        let (open, close) = match it.style {
            Style::Struct => (" { ", " }"),
            Style::Tuple => ("(", ")"),
            Style::List => ("[", "]"),
            Style::Map | Style::Set => ("{", "}"),
        };
        out.push_str(&it.head);
        if it.style == Style::Struct && it.items.is_empty() {
            return;
        }
        out.push_str(open);
        if depth >= SUMMARY_DEPTH && !it.items.is_empty() {
            out.push('…');
            out.push_str(close);
            return;
        }
        for (i, item) in it.items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if out.len() >= SUMMARY_MAX {
                out.push('…');
                out.push_str(close);
                return;
            }
            if it.style == Style::Struct {
                out.push_str(&item.label);
                out.push_str(": ");
            }
            if let Some((kt, ka)) = item.key {
                self.summarize(out, kt, ka, depth + 1);
                out.push_str(": ");
            }
            self.summarize_val(out, &item.val, depth + 1);
        }
        if (it.items.len() as u64) < it.total {
            out.push_str(", …");
        }
        // `(5,)`: a one-element tuple keeps its comma.
        if it.style == Style::Tuple && it.head.is_empty() && it.items.len() == 1 {
            out.push(',');
        }
        out.push_str(close);
    }

    fn summarize_val(&self, out: &mut String, val: &Val, depth: usize) {
        let Val::At(t, a) = val;
        self.summarize(out, *t, *a, depth);
    }

    fn summary_of(&self, val: &Val) -> String {
        let mut s = String::new();
        self.summarize_val(&mut s, val, 0);
        cut(s)
    }

    fn label_of(&self, item: &Item) -> String {
        match item.key {
            Some((t, a)) => {
                let mut s = String::new();
                self.summarize(&mut s, t, a, 1);
                cut(s)
            }
            None => item.label.clone(),
        }
    }

    pub fn node(&self, mut t: TypeRef, mut addr: u64, path: &[String]) -> Result<Node, String> {
        for seg in path {
            let View::Items(items) = self.resolve(t, addr) else {
                return Err(format!("`{}` has no part `{seg}`", self.prog.type_name(t)));
            };
            match self.find(&items, seg) {
                Some(Val::At(t2, a2)) => (t, addr) = (t2, a2),
                None if seg == &items.head => {} // naming the variant it holds
                None => return Err(format!("`{}` has no part `{seg}`", self.prog.type_name(t))),
            }
        }
        let type_name = self.prog.type_name(t);
        let mut summary = String::new();
        let v = self.resolve(t, addr);
        let (children, truncated) = match &v {
            View::Items(items) => {
                self.summarize_items(&mut summary, items, 0);
                let children = items
                    .items
                    .iter()
                    .map(|i| (self.label_of(i), self.summary_of(&i.val)))
                    .collect::<Vec<_>>();
                let truncated = (children.len() as u64) < items.total;
                (children, truncated)
            }
            View::Leaf(s) => {
                summary.push_str(s);
                (Vec::new(), false)
            }
            View::Deref(..) => (Vec::new(), false),
        };
        Ok(Node {
            type_name,
            summary: cut(summary),
            children,
            truncated,
        })
    }

    /// The part a path segment names: a label, `0` for `__0` and back,
    /// `[i]` or `i` for elements.
    fn find(&self, items: &Items, seg: &str) -> Option<Val> {
        let bare = seg.strip_prefix("__").unwrap_or(seg);
        let index = seg
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(seg);
        let bracketed = format!("[{index}]");
        for item in &items.items {
            let hit = if item.key.is_some() {
                self.label_of(item) == seg
            } else {
                item.label == seg || item.label == bare || item.label == bracketed
            };
            if hit {
                let Val::At(t, a) = item.val;
                return Some(Val::At(t, a));
            }
        }
        // Elements past the listed ones, in contiguous storage.
        let (elem, base, stride) = items.nth?;
        let i: u64 = index.parse().ok()?;
        (i < items.total && i >= MAX_ITEMS)
            .then(|| Val::At(elem, base.wrapping_add(i.wrapping_mul(stride))))
    }
}

/// Cuts a summary to `SUMMARY_MAX` bytes (on a character boundary) with `…`.
fn cut(mut s: String) -> String {
    if s.len() > SUMMARY_MAX + 8 {
        let mut end = SUMMARY_MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// A type's name for people: DWARF's (qualified, defaults dropped), or
/// one made up for the unnamed kinds.
pub(crate) fn display_name(prog: &Program, ty: &Ty) -> String {
    if !ty.name.is_empty() {
        return ty.name.clone();
    }
    match &ty.kind {
        Kind::Array { elem, count } => {
            let e = elem
                .map(|e| prog.type_name(e))
                .unwrap_or_else(|| "?".into());
            format!("[{e}; {}]", count.unwrap_or(0))
        }
        Kind::Function => "fn(..)".into(),
        _ => "<anonymous>".into(),
    }
}
