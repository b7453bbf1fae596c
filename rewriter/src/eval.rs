//! An expression evaluated at a stop: the eval site.
//!
//! A stopped frame runs a patch that cannot change. To evaluate a new
//! expression there, the function is compiled once more with an *eval
//! site* at the stop's step point: dead code (`if black_box(false)`) that
//! hands references to the locals in scope, and a closure over them, to
//! `eval_site`. The closure's parameters get the locals' real types from
//! that call (inference in the function itself: private types, closures,
//! `impl Trait`), and the closure sees the function's items, `use`s,
//! generics and `Self`. `eval_site` publishes a trampoline that calls the
//! closure with the stopped frame's locals, from their addresses.
//!
//! Inside the closure each local is a bitwise copy bound by its own name
//! and mutability, so the expression is written as in the function
//! (`x + 1`, `v.len()`, `format!("{x}")`, `x = 5` for a `let mut x`; an
//! immutable one is refused by rustc as in the function). The expression
//! runs under `catch_unwind`; then copies that changed are written back
//! and all are forgotten (the frame still owns them). `self` is a keyword
//! and cannot be rebound: it becomes `__hb_self`.

use crate::scope::Binding;

/// An expression to compile in at the step point of `line`.
#[derive(Debug, Clone)]
pub struct Eval {
    pub line: u32,
    pub expr: String,
}

/// What a local in scope at the eval site is.
pub struct SiteLocal<'a> {
    pub binding: &'a Binding,
    /// The stopped frame took its address (its capture was not pruned).
    pub available: bool,
}

/// Name of a local inside the eval closure.
fn inner_name(name: &str) -> String {
    if name == "self" {
        "__hb_self".to_string()
    } else {
        name.to_string()
    }
}

/// The eval site's text, and the byte range of the user's expression in it.
pub fn site_text(locals: &[SiteLocal<'_>], expr: &str) -> (String, std::ops::Range<usize>) {
    let available: Vec<&Binding> = locals.iter().filter(|l| l.available).map(|l| l.binding).collect();
    let mut args = String::new();
    let mut params = String::new();
    for (i, b) in available.iter().enumerate() {
        args.push_str(&format!("(&{}, ", b.name));
        params.push_str(&format!("(__hb_e{i}, "));
    }
    args.push_str("()");
    params.push_str("()");
    for _ in &available {
        args.push(')');
        params.push(')');
    }
    let mut text = format!("if ::core::hint::black_box(false) {{ ::hotbreak::__rt::eval_site({args}, |{params}| {{ ");
    for (i, b) in available.iter().enumerate() {
        let mutable = if b.mutable { "mut " } else { "" };
        text.push_str(&format!("#[allow(unused_mut)] let {mutable}{} = unsafe {{ ::hotbreak::__rt::eval_take(__hb_e{i}) }}; ", inner_name(&b.name)));
    }
    // A local in scope whose address the frame could not take: naming it
    // in the expression reaches this, which rustc reports by its type.
    for l in locals.iter().filter(|l| !l.available) {
        text.push_str(&format!("let {} = ::hotbreak::__rt::NotAvailableHere; ", inner_name(&l.binding.name)));
    }
    text.push_str("let __hb_copies = [");
    for (i, b) in available.iter().enumerate() {
        text.push_str(&format!("::hotbreak::__rt::eval_copy(__hb_e{i}, &{}), ", inner_name(&b.name)));
    }
    text.push_str("]; let __hb_out = ::hotbreak::__rt::eval_run(|| { let __hb_v = &(");
    let start = text.len();
    text.push_str(&without_self(expr));
    let range = start..text.len();
    text.push_str("); ::hotbreak::__rt::eval_outcome((&&::hotbreak::__rt::Probe(\"\", __hb_v)).local(), &__hb_copies) }); ");
    for (i, b) in available.iter().enumerate() {
        text.push_str(&format!("unsafe {{ ::hotbreak::__rt::eval_put_back(__hb_e{i}, {}) }}; ", inner_name(&b.name)));
    }
    text.push_str("__hb_out }); } ");
    (text, range)
}

/// `expr` with the receiver `self` (not `self::path`) renamed
/// `__hb_self`, leaving everything else byte for byte.
pub fn without_self(expr: &str) -> String {
    let Ok(tokens) = expr.parse::<proc_macro2::TokenStream>() else { return expr.to_string() };
    let mut spots = Vec::new();
    find_self(tokens, &mut spots);
    let index = crate::text::LineIndex::new(expr);
    let mut out = expr.to_string();
    for at in spots.into_iter().rev() {
        let offset = index.offset(at);
        out.replace_range(offset..offset + "self".len(), "__hb_self");
    }
    out
}

fn find_self(tokens: proc_macro2::TokenStream, out: &mut Vec<proc_macro2::LineColumn>) {
    use proc_macro2::TokenTree;
    let list: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in list.iter().enumerate() {
        match t {
            TokenTree::Group(g) => find_self(g.stream(), out),
            TokenTree::Ident(id) if id == "self" => {
                let path_follows = matches!((list.get(i + 1), list.get(i + 2)), (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) if a.as_char() == ':' && b.as_char() == ':');
                let path_before = i >= 1 && matches!(&list[i - 1], TokenTree::Punct(p) if p.as_char() == ':');
                if !path_follows && !path_before {
                    out.push(id.span().start());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_is_renamed_but_not_in_paths() {
        assert_eq!(without_self("self.items.len() + self::K"), "__hb_self.items.len() + self::K");
        assert_eq!(without_self("format!(\"{}\", self.a)"), "format!(\"{}\", __hb_self.a)");
        assert_eq!(without_self("Self::new(myself)"), "Self::new(myself)");
    }

    #[test]
    fn the_site_copies_available_locals_and_poisons_the_others() {
        let a = Binding { name: "a".into(), mutable: false };
        let b = Binding { name: "b".into(), mutable: true };
        let s = Binding { name: "self".into(), mutable: false };
        let locals = [SiteLocal { binding: &s, available: true }, SiteLocal { binding: &a, available: false }, SiteLocal { binding: &b, available: true }];
        let (text, range) = site_text(&locals, "self.x + b");
        assert_eq!(&text[range], "__hb_self.x + b");
        assert!(text.contains("eval_site((&self, (&b, ())), |(__hb_e0, (__hb_e1, ()))|"), "{text}");
        assert!(text.contains("let __hb_self = unsafe"), "{text}");
        assert!(text.contains("let mut b = unsafe"), "{text}");
        assert!(text.contains("let a = ::hotbreak::__rt::NotAvailableHere;"), "{text}");
        assert!(syn::parse_str::<syn::Expr>(&text.replace("if ::core::hint::black_box(false)", "if x")).is_ok(), "{text}");
    }
}
