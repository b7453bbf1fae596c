//! Which symbols are instances of a generic function, a method of a
//! generic impl, or a trait's provided method, and which hold its code.
//!
//! A patch of such a function returns an anchor static nested in the
//! function (`krate::f::__HB_HERE`, `krate::Tr::m::__HB_PROVIDED`), whose
//! demangled path tells the function. Instances are then paired between
//! the program and the patch by demangled name; a provided method's
//! instance demangles exactly like an implementor's override of it
//! (`<krate::Cat as krate::Tr>::m`), so for those the mangled form decides:
//! a trait-item path (`_RNvY..`) is the provided body, an impl path
//! (`_RNvX..`) an override.

use crate::patch::GenericPatch;
use anyhow::anyhow;
use object::{Object, ObjectSymbol, SymbolKind};
use std::path::Path;

/// Suffix of the anchor static a generic fn's getter returns (the
/// rewriter's `GENERIC_ANCHOR`, nested in the function).
const GENERIC_ANCHOR_SUFFIX: &str = "::__HB_HERE";
/// The same for a trait's provided method (`PROVIDED_ANCHOR`).
const PROVIDED_ANCHOR_SUFFIX: &str = "::__HB_PROVIDED";
/// The same for a generic async fn (`ASYNC_ANCHOR`): the program's slot
/// calls each instance's adapter, not the instance.
const ASYNC_ANCHOR_SUFFIX: &str = "::__HB_ASYNC";
/// The same for a trait's async provided method.
const ASYNC_PROVIDED_ANCHOR_SUFFIX: &str = "::__HB_ASYNC_PROVIDED";

/// The instances of one function, as the patch's anchor names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePattern {
    /// The demangled anchor (`krate::f::__HB_HERE`).
    pub anchor: String,
    /// The function's path as its instances demangle, `_` for a generic
    /// impl's parameters (`krate::f`, `<krate::W<_>>::m`), or for a
    /// provided method `<_ as krate::Tr<..>>::m`.
    pub path: String,
    /// A trait's provided method: only trait-item symbols are its instances.
    pub provided: bool,
    /// An async fn: the patch's entries are the runtime's adapters of its
    /// instances (`hotbreak::futures::adapterN::<krate::f<T>, ..>`).
    pub adapters: bool,
}

impl InstancePattern {
    /// The pattern an anchor's demangled name gives, if it is one.
    pub fn from_anchor(demangled: &str) -> Option<InstancePattern> {
        let anchor = demangled.to_string();
        if let Some(path) = demangled.strip_suffix(GENERIC_ANCHOR_SUFFIX) {
            return Some(InstancePattern { anchor, path: path.to_string(), provided: false, adapters: false });
        }
        if let Some(path) = demangled.strip_suffix(ASYNC_ANCHOR_SUFFIX) {
            // An async fn's body is a closure of it: items declared there
            // (the anchor) sit under `{closure#0}`.
            let path = path.strip_suffix("::{closure#0}").unwrap_or(path);
            return Some(InstancePattern { anchor, path: path.to_string(), provided: false, adapters: true });
        }
        let (item, adapters) = match demangled.strip_suffix(ASYNC_PROVIDED_ANCHOR_SUFFIX) {
            Some(item) => (item.strip_suffix("::{closure#0}").unwrap_or(item), true),
            None => (demangled.strip_suffix(PROVIDED_ANCHOR_SUFFIX)?, false),
        };
        let (trait_path, method) = item.rsplit_once("::")?;
        Some(InstancePattern { anchor, path: format!("<_ as {trait_path}<..>>::{method}"), provided: true, adapters })
    }

    /// Whether the patch's symbol is what the program's instance calls,
    /// and which instance: the instance itself (its demangled name), or
    /// for an async fn an adapter of it, named for the instance it adapts.
    pub fn patch_entry(&self, mangled: &str, demangled: &str) -> Option<String> {
        match self.adapters {
            false => self.instance(mangled, demangled).then(|| demangled.to_string()),
            true => fn_argument(demangled, "hotbreak::futures::adapter").filter(|f| instance_of(f, &self.path)),
        }
    }

    /// Whether the program's symbol is what an instance looks itself up
    /// by, and which instance: the instance itself, or for an async fn its
    /// marker (`hotbreak::futures::instance_marker::<k::f<u8>>`, whose
    /// address no other instance shares; runtime `futures.rs`).
    pub fn host_entry(&self, mangled: &str, demangled: &str) -> Option<String> {
        match self.adapters {
            false => self.instance(mangled, demangled).then(|| demangled.to_string()),
            true => fn_argument(demangled, "hotbreak::futures::instance_marker").filter(|f| instance_of(f, &self.path)),
        }
    }

    /// Whether the symbol `mangled` (demangled `demangled`) is an instance.
    pub fn instance(&self, mangled: &str, demangled: &str) -> bool {
        instance_of(demangled, &self.path) && (!self.provided || root_tag(mangled) == Some(b'Y'))
    }

    /// Whether the symbol is the function's code: an instance, or inside
    /// one (closures), or an instance of something over those. An
    /// override of a provided method is another function.
    pub fn holds(&self, mangled: &str, demangled: &str) -> bool {
        names_path(demangled, &self.path) && !(self.provided && root_tag(mangled) == Some(b'X'))
    }
}

/// A symbol without the `.llvm.<hash>` suffix LLVM gives a local symbol
/// it promotes across codegen units (which differs between builds).
pub fn symbol_key(mangled: &str) -> &str {
    mangled.find(".llvm.").map_or(mangled, |at| &mangled[..at])
}

/// A symbol's v0 name as instances are named: without crate hashes.
pub fn demangled(symbol: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(symbol))
}

/// The tag of the innermost root of a v0 symbol's own path, past the
/// nesting (`Nv` value, `NC` closure ...): `Y` a trait item (`<T as
/// Tr>::m` as the trait provides it), `X` a trait impl's item, `C` a
/// crate, `M` an inherent impl.
fn root_tag(mangled: &str) -> Option<u8> {
    let rest = mangled.strip_prefix("_R")?;
    let mut b = rest.strip_prefix('I').unwrap_or(rest).as_bytes();
    while b.first() == Some(&b'N') {
        b = b.get(2..)?;
    }
    b.first().copied()
}


/// The instance the first (fn item) argument of an instance of the
/// runtime's generic fn `prefix` names, as the instance's own symbol
/// demangles: `hotbreak::futures::adapter1::<k::f<u8>, u8, ..>` gives
/// `k::f::<u8>` (a fn item type prints its arguments without `::`).
fn fn_argument(demangled: &str, prefix: &str) -> Option<String> {
    let rest = demangled.strip_prefix(prefix)?;
    let args = rest.trim_start_matches(|c: char| c.is_ascii_digit()).strip_prefix("::<")?;
    let f = &args[..balanced_arg_end(args.as_bytes(), 0)];
    // The last path segment's generic arguments: its final `<..>`, unless
    // the type ends in a qualified path's segment (`<k::W<u8>>::m`).
    if !f.ends_with('>') {
        return Some(f.to_string());
    }
    let t = f.as_bytes();
    let mut depth = 0usize;
    for i in (0..t.len()).rev() {
        match t[i] {
            b'>' if i > 0 && t[i - 1] == b'-' => {}
            b'>' => depth += 1,
            b'<' => {
                depth -= 1;
                if depth == 0 {
                    // `<k::W<u8>>` alone (a qualified self) is no argument list.
                    return Some(match i {
                        0 => f.to_string(),
                        _ => format!("{}::{}", &f[..i], &f[i..]),
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a demangled symbol is an instance of the function `path`:
/// `path` itself or `path::<..>` with its generic arguments, nothing
/// inside it (`path::<u8>::{closure#0}` is a closure of the instance).
///
/// A method of a generic impl has a path with `_` for the impl's
/// parameters (`<krate::W<_>>::m`, `<_ as krate::Tr>::m`): each `_`
/// standing for a whole generic argument matches one balanced argument.
pub fn instance_of(demangled: &str, path: &str) -> bool {
    let Some(matched) = match_prefix(demangled, path) else { return false };
    let rest = &demangled[matched..];
    if rest.is_empty() {
        return true;
    }
    let Some(args) = rest.strip_prefix("::<") else { return false };
    // One or more arguments, then the `>` that ends the name.
    let t = args.as_bytes();
    let mut from = 0;
    loop {
        let end = balanced_arg_end(t, from);
        match t.get(end) {
            Some(b',') => from = end + 1,
            Some(b'>') => return end + 1 == t.len(),
            _ => return false,
        }
    }
}

/// Where the generic argument starting at `from` ends: the index of the
/// `,` or closing bracket after it at depth 0 (`->` is not a bracket).
fn balanced_arg_end(t: &[u8], from: usize) -> usize {
    arg_end(t, from, false)
}

/// [`balanced_arg_end`], or at a space at depth 0 when `at_space` (the
/// self type of `<T as Tr>`).
fn arg_end(t: &[u8], from: usize, at_space: bool) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while i < t.len() {
        match t[i] {
            b' ' if at_space && depth == 0 => return i,
            b'-' if t.get(i + 1) == Some(&b'>') => i += 1,
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' if depth == 0 => return i,
            b'>' | b')' | b']' => depth -= 1,
            b',' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    t.len()
}

/// The length of `text`'s prefix that `pattern` matches, `_` standing
/// alone as a generic argument (after `<`, `(` or `, `; before `>`, `,`,
/// `)` or ` as`) matching one balanced argument, and `<..>` matching an
/// optional balanced argument list (a trait's, whose parameters the
/// anchor's path does not show).
fn match_prefix(text: &str, pattern: &str) -> Option<usize> {
    let (t, p) = (text.as_bytes(), pattern.as_bytes());
    let (mut i, mut j) = (0, 0);
    while j < p.len() {
        if p[j..].starts_with(b"<..>") {
            if t.get(i) == Some(&b'<') {
                i = arg_end(t, i + 1, false);
                if t.get(i) != Some(&b'>') {
                    return None;
                }
                i += 1;
            }
            j += 4;
            continue;
        }
        let wild = p[j] == b'_'
            && j > 0
            && matches!(p[j - 1], b'<' | b'(' | b' ')
            && matches!(p.get(j + 1), Some(b'>' | b',' | b')' | b' '));
        if wild {
            let end = arg_end(t, i, p.get(j + 1) == Some(&b' '));
            if end == i {
                return None;
            }
            i = end;
        } else {
            if t.get(i) != Some(&p[j]) {
                return None;
            }
            i += 1;
        }
        j += 1;
    }
    Some(i)
}

/// The instances and anchor of a generic function's linked patch.
pub(crate) fn generic_patch(library: &Path, pattern: &InstancePattern) -> anyhow::Result<GenericPatch> {
    let data = std::fs::read(library)?;
    let file = object::File::parse(&*data)?;
    let anchor_name = &pattern.anchor;
    let mut anchor = None;
    let mut instances = Vec::new();
    let mut symbols = Vec::new();
    for sym in file.symbols() {
        let Ok(name) = sym.name() else { continue };
        if sym.is_undefined() || !name.starts_with("_R") {
            continue;
        }
        let demangled = format!("{:#}", rustc_demangle::demangle(name));
        if demangled == *anchor_name {
            anchor = Some(sym.address());
        } else if sym.kind() == SymbolKind::Text {
            if let Some(n) = pattern.patch_entry(name, &demangled) {
                instances.push((n, sym.address()));
                symbols.push((symbol_key(name).to_string(), sym.address()));
            }
        }
    }
    instances.sort();
    instances.dedup();
    symbols.sort();
    symbols.dedup();
    let anchor = anchor.ok_or_else(|| anyhow!("{}: no {anchor_name}", library.display()))?;
    Ok(GenericPatch { pattern: pattern.clone(), anchor, instances, symbols })
}

/// Whether a demangled symbol names `path` itself or something inside it
/// (`path::{closure#0}`, `f::<path::{closure#0}>`), not merely a longer name.
/// A generic impl's `_` matches any one argument (see [`instance_of`]).
pub(crate) fn names_path(demangled: &str, path: &str) -> bool {
    let Some(first) = path.chars().next() else { return false };
    demangled.match_indices(first).any(|(at, _)| {
        let Some(len) = match_prefix(&demangled[at..], path) else { return false };
        let before = demangled[..at].chars().next_back();
        let after = demangled[at + len..].chars().next();
        let boundary_before = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
        let boundary_after = after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary_before && boundary_after
    })
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_path_matches_the_function_and_what_it_contains() {
        let p = "fixture::logic::step";
        assert!(names_path("fixture::logic::step", p));
        assert!(names_path("fixture::logic::step::{closure#0}", p));
        assert!(names_path("<std::thread::LocalKey<u8>>::with::<fixture::logic::step::{closure#0}, ()>", p));
        assert!(!names_path("fixture::logic::step_two", p));
        assert!(!names_path("myfixture::logic::step", p));
        assert!(!names_path("other::fixture::logic::step", p));
    }

    #[test]
    fn instance_of_matches_instances_not_what_they_contain() {
        let p = "fixture::logic::gen";
        assert!(instance_of("fixture::logic::gen::<alloc::vec::Vec<u8>>", p));
        assert!(instance_of("fixture::logic::gen::<alloc::string::String, 3>", p));
        assert!(instance_of("fixture::logic::gen::<<u8 as core::ops::Add>::Output>", p));
        assert!(instance_of(p, p));
        assert!(!instance_of("fixture::logic::gen::<u8>::{closure#0}", p));
        assert!(!instance_of("fixture::logic::gen_two::<u8>", p));
        assert!(!instance_of("fixture::logic::gen::__HB_HERE", p));
        assert!(!instance_of("<std::thread::LocalKey<u8>>::with::<fixture::logic::gen<u8>::{closure#0}, ()>", p));
        assert!(instance_of("fixture::logic::gen::<fn(u8) -> u8>", p));
        // Methods of generic impls: `_` is one whole argument.
        let m = "<k::W<_>>::m";
        assert!(instance_of("<k::W<u8>>::m", m));
        assert!(instance_of("<k::W<alloc::vec::Vec<(u8, fn() -> u8)>>>::m::<u16>", m));
        assert!(!instance_of("<k::W<u8, u16>>::m", m));
        assert!(!instance_of("<k::W<u8>>::m2", m));
        assert!(instance_of("<u8 as k::Tr<i8>>::p", "<_ as k::Tr<_>>::p"));
        assert!(instance_of("<k::my_W<u8>>::m", "<k::my_W<_>>::m"));
        assert!(names_path("<std::thread::LocalKey<u8>>::with::<<k::W<u8>>::m::{closure#0}, ()>", m));
        assert!(!names_path("<k::W<u8>>::mm", m));
    }

    #[test]
    fn a_provided_method_s_instances_are_trait_items_never_overrides() {
        let p = InstancePattern::from_anchor("k::m::Named::greet::__HB_PROVIDED").unwrap();
        assert_eq!(p.path, "<_ as k::m::Named<..>>::greet");
        // <k::Cat as k::Named>::greet as the trait provides it, and Dog's override.
        let provided = "_RNvYNtCs1_1k3CatNtB2_5Named5greet";
        let overridden = "_RNvXs_Cs1_1kNtB4_3DogNtB4_5Named5greet";
        assert!(p.instance(provided, "<k::m::Cat as k::m::Named>::greet"));
        assert!(!p.instance(overridden, "<k::m::Dog as k::m::Named>::greet"));
        assert!(p.holds("_RNCNvYNtCs1_1k3CatNtB2_5Named5greet0B2_", "<k::m::Cat as k::m::Named>::greet::{closure#0}"));
        assert!(!p.holds(overridden, "<k::m::Dog as k::m::Named>::greet"));
        assert!(p.instance("_RINvYNtCs1_1k3CatINtB2_5NamedhE5greetE", "<k::m::Cat as k::m::Named<u8>>::greet::<u16>"));
        assert!(!p.instance("_RNvYNtCs1_1k3CatNtB2_5Named6greets", "<k::m::Cat as k::m::Named>::greets"));
        let g = InstancePattern::from_anchor("k::f::__HB_HERE").unwrap();
        assert!(!g.adapters);
        assert_eq!((g.path.as_str(), g.provided), ("k::f", false));
        assert!(InstancePattern::from_anchor("k::f::OTHER").is_none());
    }

    #[test]
    fn an_async_fn_s_patch_entries_are_its_instances_adapters() {
        let p = InstancePattern::from_anchor("k::f::{closure#0}::__HB_ASYNC").unwrap();
        assert_eq!((p.path.as_str(), p.adapters), ("k::f", true));
        let adapter = "hotbreak::futures::adapter1::<k::f<alloc::vec::Vec<u8>>, alloc::vec::Vec<u8>, k::f<alloc::vec::Vec<u8>>::{closure#0}>";
        assert_eq!(p.patch_entry("_R", adapter).as_deref(), Some("k::f::<alloc::vec::Vec<u8>>"));
        // The instance itself is native code the slot never calls.
        assert_eq!(p.patch_entry("_RINvCs1_1k1fhE", "k::f::<u8>"), None);
        // The program's instances look themselves up by their markers.
        assert_eq!(p.host_entry("_RINvCs1_1k1fhE", "k::f::<u8>"), None);
        let marker = "hotbreak::futures::instance_marker::<k::f<alloc::string::String>>";
        assert_eq!(p.host_entry("_R", marker).as_deref(), Some("k::f::<alloc::string::String>"));
        assert_eq!(p.patch_entry("_R", marker), None);
        assert_eq!(p.patch_entry("_R", "hotbreak::futures::adapter1::<k::g<u8>, u8, k::g<u8>::{closure#0}>"), None);
        // Methods of generic impls, with generic methods; trait impls.
        let m = InstancePattern::from_anchor("<k::W<_>>::m::{closure#0}::__HB_ASYNC").unwrap();
        let adapter = "hotbreak::futures::adapter2::<<k::W<u16>>::m<char>, &k::W<u16>, char, <k::W<u16>>::m<char>::{closure#0}>";
        assert_eq!(m.patch_entry("_R", adapter).as_deref(), Some("<k::W<u16>>::m::<char>"));
        let adapter = "hotbreak::futures::adapter1::<<k::W<u16>>::m, &k::W<u16>, <k::W<u16>>::m::{closure#0}>";
        assert_eq!(m.patch_entry("_R", adapter).as_deref(), Some("<k::W<u16>>::m"));
        let t = InstancePattern::from_anchor("<k::W<_> as k::Tr>::p::{closure#0}::__HB_ASYNC").unwrap();
        let adapter = "hotbreak::futures::adapter1::<<k::W<u16> as k::Tr>::p, &k::W<u16>, <k::W<u16> as k::Tr>::p::{closure#0}>";
        assert_eq!(t.patch_entry("_R", adapter).as_deref(), Some("<k::W<u16> as k::Tr>::p"));
        assert!(t.holds("_R", adapter), "the adapter stays in the patch");
        // A provided method's: the trait item's instance per implementor.
        let p = InstancePattern::from_anchor("k::Tr::p::{closure#0}::__HB_ASYNC_PROVIDED").unwrap();
        assert_eq!((p.path.as_str(), p.provided, p.adapters), ("<_ as k::Tr<..>>::p", true, true));
        let adapter = "hotbreak::futures::adapter1::<<u32 as k::Tr>::p, &u32, <u32 as k::Tr>::p::{closure#0}>";
        assert_eq!(p.patch_entry("_R", adapter).as_deref(), Some("<u32 as k::Tr>::p"));
    }
}
