//! Zero-annotation builds: `#[::hotbreak::debuggable]` put on every `fn`
//! and `impl` of a file that has none, without moving any line, and the
//! file's out-of-line module declarations, so that the caller can follow
//! the crate's module tree.

use crate::text::LineIndex;
use proc_macro2::LineColumn;
use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, Item, TraitItem};

/// What the build inserts in front of each item.
pub const ATTRIBUTE: &str = "#[::hotbreak::debuggable]";

/// The attribute for a crate of `edition`: in 2015 a path starting with
/// `::` names the crate's own root, and the extern prelude is reached
/// without it.
pub fn attribute_for_edition(edition: &str) -> &'static str {
    if edition == "2015" {
        "#[hotbreak::debuggable]"
    } else {
        ATTRIBUTE
    }
}

/// A file with the attribute applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotated {
    pub text: String,
    /// How many items got the attribute.
    pub items: usize,
    /// `mod name;` declarations, in source order.
    pub modules: Vec<ModDecl>,
}

/// A `mod name;` whose body lives in another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModDecl {
    pub name: String,
    /// Its `#[path = "..."]`, if any.
    pub path: Option<String>,
    /// The inline modules it sits in (`mod a { mod b; }`: `["a"]`), each as
    /// its `#[path]` or its name: they are directories of the lookup.
    pub inline_parents: Vec<String>,
}

/// Applies `attribute` to every top-level `fn` and `impl` (with at least
/// one method) of `source`, also inside inline modules, leaving items that
/// already carry it. Every line stays where it is; see [`insertion_point`]
/// for where on a line the text goes.
pub fn annotate(source: &str, attribute: &str) -> Result<Annotated, String> {
    let file = syn::parse_file(source).map_err(|e| format!("line {}: {e}", e.span().start().line))?;
    let mut found = Found::default();
    visit(&file.items, &mut Vec::new(), &mut found);
    let index = LineIndex::new(source);
    let mut offsets: Vec<usize> = found.items.iter().map(|&(attr_end, first)| insertion_point(source, &index, attr_end, first)).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let mut text = String::with_capacity(source.len() + offsets.len() * (attribute.len() + 1));
    let mut done = 0;
    for &at in &offsets {
        text.push_str(&source[done..at]);
        text.push_str(attribute);
        if !source[at..].starts_with(['\n', '\r']) {
            text.push(' ');
        }
        done = at;
    }
    text.push_str(&source[done..]);
    Ok(Annotated { text, items: offsets.len(), modules: found.modules })
}

/// What a 2015 crate's root gets: there `use` paths start at the crate
/// root, where a crate passed by `--extern` is not, so the code hotbreak
/// inserts (`use ::hotbreak::..`) needs it declared.
pub const EXTERN_CRATE: &str = "extern crate hotbreak;";

/// `source` (a crate root) with [`EXTERN_CRATE`] after its inner attributes
/// (which must come first), on the same line: no line moves.
pub fn declare_extern_crate(source: &str) -> Result<String, String> {
    let file = syn::parse_file(source).map_err(|e| format!("line {}: {e}", e.span().start().line))?;
    let index = LineIndex::new(source);
    let at = match file.attrs.last() {
        Some(inner) => index.offset(inner.bracket_token.span.close().end()),
        None => match file.items.first() {
            Some(item) => {
                let attrs_start = item_attrs(item).first().map(|a| a.pound_token.span.start());
                index.offset(attrs_start.unwrap_or_else(|| item.span().start()))
            }
            None => source.len(),
        },
    };
    // An inner doc comment (`//! ...`) ends its line: go after the newline.
    let at = if source[..at].rsplit('\n').next().is_some_and(|l| l.trim_start().starts_with("//")) {
        source[at..].find('\n').map_or(source.len(), |i| at + i + 1)
    } else {
        at
    };
    Ok(format!("{}{EXTERN_CRATE} {}", &source[..at], &source[at..]))
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

#[derive(Default)]
struct Found {
    /// Per item: the end of its last attribute that is not a doc comment,
    /// and the start of its first token (attributes included).
    items: Vec<(Option<LineColumn>, LineColumn)>,
    modules: Vec<ModDecl>,
}

fn visit(items: &[Item], parents: &mut Vec<String>, found: &mut Found) {
    for item in items {
        // A fn nested in a body is a function of its own: under the
        // outer function's expansion its body is opaque tokens, so it needs
        // its own attribute.
        nested_fns(item, found);
        match item {
            Item::Fn(f) if !marked(&f.attrs) => found.items.push(place(&f.attrs, item)),
            Item::Impl(imp) if !marked(&imp.attrs) && imp.items.iter().any(|i| matches!(i, ImplItem::Fn(_))) => {
                found.items.push(place(&imp.attrs, item))
            }
            // Its provided methods have an instance per implementor.
            Item::Trait(t) if !marked(&t.attrs) && t.items.iter().any(|i| matches!(i, TraitItem::Fn(f) if f.default.is_some())) => {
                found.items.push(place(&t.attrs, item))
            }
            Item::Mod(m) if marked(&m.attrs) => {}
            Item::Mod(m) => match &m.content {
                Some((_, inner)) => {
                    parents.push(path_attr(&m.attrs).unwrap_or_else(|| m.ident.unraw_string()));
                    visit(inner, parents, found);
                    parents.pop();
                }
                None => found.modules.push(ModDecl { name: m.ident.unraw_string(), path: path_attr(&m.attrs), inline_parents: parents.clone() }),
            },
            _ => {}
        }
    }
}

trait Unraw {
    fn unraw_string(&self) -> String;
}

impl Unraw for syn::Ident {
    fn unraw_string(&self) -> String {
        syn::ext::IdentExt::unraw(self).to_string()
    }
}

/// `#[debuggable]` by any path, or under `cfg_attr`: the user's own choice.
/// The fns nested (at any depth) in the bodies of `item`'s functions.
fn nested_fns(item: &Item, found: &mut Found) {
    struct Nested<'f>(&'f mut Found);
    impl<'a> syn::visit::Visit<'a> for Nested<'_> {
        fn visit_block(&mut self, block: &'a syn::Block) {
            for stmt in &block.stmts {
                if let syn::Stmt::Item(Item::Fn(f)) = stmt {
                    if !marked(&f.attrs) {
                        self.0.items.push(place(&f.attrs, &Item::Fn(f.clone())));
                    }
                }
            }
            syn::visit::visit_block(self, block);
        }
    }
    let mut nested = Nested(found);
    match item {
        Item::Fn(f) => syn::visit::Visit::visit_block(&mut nested, &f.block),
        Item::Impl(imp) => {
            for it in &imp.items {
                if let ImplItem::Fn(f) = it {
                    syn::visit::Visit::visit_block(&mut nested, &f.block);
                }
            }
        }
        Item::Trait(t) => {
            for it in &t.items {
                if let TraitItem::Fn(syn::TraitItemFn { default: Some(block), .. }) = it {
                    syn::visit::Visit::visit_block(&mut nested, block);
                }
            }
        }
        _ => {}
    }
}

fn marked(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().segments.last().is_some_and(|s| s.ident == "debuggable")
            || (a.path().is_ident("cfg_attr") && quote::ToTokens::to_token_stream(&a.meta).to_string().contains("debuggable"))
    })
}

fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
        syn::Meta::NameValue(syn::MetaNameValue { value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }), .. }) => Some(s.value()),
        _ => None,
    })
}

fn place(attrs: &[Attribute], item: &Item) -> (Option<LineColumn>, LineColumn) {
    let last_active = attrs.iter().filter(|a| !a.path().is_ident("doc")).map(|a| a.bracket_token.span.close().end()).max();
    let first = attrs.iter().map(|a| a.pound_token.span.start()).chain([item.span().start()]).min().expect("not empty");
    (last_active, first)
}

/// Where the attribute goes, so that no line moves and, as far as possible,
/// no code changes column (`column!()`, panic locations):
/// - after the item's last attribute that is not a doc comment, so that
///   attribute macros before it (`#[test]`, `#[tokio::main]`) expand first
///   and it sees their output (`cfg` is evaluated first wherever it is);
/// - else in front of the item, at the end of the line before when that
///   line surely holds no comment or literal the text would land in.
fn insertion_point(source: &str, index: &LineIndex, last_active: Option<LineColumn>, first: LineColumn) -> usize {
    if let Some(end) = last_active {
        return index.offset(end);
    }
    let at = index.offset(first);
    crate::text::end_of_line_before(source, at).map_or(at, |(end, _)| end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn every_fn_and_impl_is_marked_and_no_line_moves() {
        let src = "use std::fmt;\n\nfn a() {}\n\n/// Doc.\npub fn b() -> u8 {\n    1\n}\nstruct S;\nimpl S {\n    fn m(&self) {}\n}\nimpl Copy for S {}\ntrait P {\n    fn p(&self) {}\n}\ntrait R {\n    fn r(&self);\n}\n";
        let out = annotate(src, ATTRIBUTE).unwrap();
        assert_eq!(out.items, 4);
        assert_eq!(
            lines(&out.text),
            [
                "use std::fmt;",
                "#[::hotbreak::debuggable]",
                "fn a() {}",
                "#[::hotbreak::debuggable]",
                "/// Doc.",
                "pub fn b() -> u8 {",
                "    1",
                "}",
                "struct S;#[::hotbreak::debuggable]",
                "impl S {",
                "    fn m(&self) {}",
                "}",
                "impl Copy for S {}#[::hotbreak::debuggable]",
                "trait P {",
                "    fn p(&self) {}",
                "}",
                "trait R {",
                "    fn r(&self);",
                "}",
            ]
        );
    }

    #[test]
    fn fns_nested_in_bodies_get_their_own_attribute() {
        let src = "fn outer() -> u8 {\n    fn inner() -> u8 {\n        fn deeper() -> u8 { 1 }\n        deeper()\n    }\n    if true {\n        fn in_block() {}\n    }\n    inner()\n}\n";
        let out = annotate(src, ATTRIBUTE).unwrap();
        assert_eq!(out.items, 4);
        assert_eq!(
            lines(&out.text),
            [
                "#[::hotbreak::debuggable] fn outer() -> u8 {#[::hotbreak::debuggable]",
                "    fn inner() -> u8 {#[::hotbreak::debuggable]",
                "        fn deeper() -> u8 { 1 }",
                "        deeper()",
                "    }",
                "    if true {#[::hotbreak::debuggable]",
                "        fn in_block() {}",
                "    }",
                "    inner()",
                "}",
            ]
        );
    }

    #[test]
    fn the_attribute_follows_other_attributes_and_avoids_comments() {
        let src = "#[test]\n#[should_panic]\n/// after\nfn t() {}\nconst X: &str = \"x\"; // note\nfn f() {}\nfn g() {} fn h() {}\n";
        let out = annotate(src, ATTRIBUTE).unwrap();
        assert_eq!(
            lines(&out.text),
            [
                "#[test]",
                "#[should_panic]#[::hotbreak::debuggable]",
                "/// after",
                "fn t() {}",
                "const X: &str = \"x\"; // note",
                "#[::hotbreak::debuggable] fn f() {}#[::hotbreak::debuggable]",
                "fn g() {} #[::hotbreak::debuggable] fn h() {}",
            ]
        );
    }

    #[test]
    fn marked_items_and_their_modules_are_left_alone() {
        let src = "#[hotbreak::debuggable]\nfn a() {}\n#[hotbreak::debuggable]\nmod m {\n    fn b() {}\n}\n";
        let out = annotate(src, ATTRIBUTE).unwrap();
        assert_eq!((out.items, out.text.as_str()), (0, src));
    }

    #[test]
    fn module_declarations_are_listed_with_their_paths_and_inline_parents() {
        let src = "mod a;\n#[path = \"x/y.rs\"]\nmod b;\nmod r#async;\nmod outer {\n    mod inner;\n    fn f() {}\n}\n#[cfg(windows)]\nmod win;\n";
        let out = annotate(src, ATTRIBUTE).unwrap();
        let decl = |name: &str, path: Option<&str>, parents: &[&str]| ModDecl {
            name: name.into(),
            path: path.map(str::to_owned),
            inline_parents: parents.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            out.modules,
            [decl("a", None, &[]), decl("b", Some("x/y.rs"), &[]), decl("async", None, &[]), decl("inner", None, &["outer"]), decl("win", None, &[])]
        );
        assert!(out.text.contains("    mod inner;#[::hotbreak::debuggable]\n    fn f() {}"), "{}", out.text);
        assert_eq!(out.text.lines().count(), src.lines().count());
    }

    #[test]
    fn a_2015_root_declares_the_runtime_after_its_inner_attributes() {
        let src = "//! Doc.\n#![allow(x)]\n\n/// Item doc.\npub fn f() {}\n";
        assert_eq!(declare_extern_crate(src).unwrap(), "//! Doc.\n#![allow(x)]extern crate hotbreak; \n\n/// Item doc.\npub fn f() {}\n");
        let src = "//! Only docs.\nuse std::fmt;\n";
        assert_eq!(declare_extern_crate(src).unwrap(), "//! Only docs.\nextern crate hotbreak; use std::fmt;\n");
        let src = "#[macro_use]\nextern crate a;\n";
        assert_eq!(declare_extern_crate(src).unwrap(), "extern crate hotbreak; #[macro_use]\nextern crate a;\n");
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        assert!(annotate("fn (", ATTRIBUTE).unwrap_err().starts_with("line 1:"));
    }
}
