//! Whether an async fn's body can wait. The attribute (`hotbreak-macros`,
//! `signature::suspends`) gives a body without `.await` an armed path that
//! runs the patch's future to its end at once; an edit adding an `.await`
//! to such a fn cannot run there, so the tool reads bodies the same way.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;

use crate::locate::{find_function_in, parse};

/// For the async fn holding `line` of `source`: its name and whether its
/// body can wait. `None` for any other function (or none there).
pub fn async_body_suspends(source: &str, line: u32) -> Option<(String, bool)> {
    let file = parse(source).ok()?;
    let site = find_function_in(&file, line).ok()?;
    site.async_arity?;
    let body = body_tokens(&file, site.fn_line)?;
    Some((site.name, suspends(&body)))
}

/// The body of the fn whose `fn` keyword is on `fn_line`.
fn body_tokens(file: &syn::File, fn_line: u32) -> Option<TokenStream> {
    struct Find {
        line: u32,
        found: Option<TokenStream>,
    }
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
            if f.sig.fn_token.span.start().line as u32 == self.line {
                self.found = Some(f.block.to_token_stream());
            }
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
            if f.sig.fn_token.span.start().line as u32 == self.line {
                self.found = Some(f.block.to_token_stream());
            }
            syn::visit::visit_impl_item_fn(self, f);
        }
        fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
            if let Some(block) = f.default.as_ref().filter(|_| f.sig.fn_token.span.start().line as u32 == self.line) {
                self.found = Some(block.to_token_stream());
            }
            syn::visit::visit_trait_item_fn(self, f);
        }
    }
    let mut find = Find { line: fn_line, found: None };
    syn::visit::visit_file(&mut find, file);
    find.found
}

/// An `await` of the body's own, outside the async blocks it makes; any
/// macro but the std and logging ones that cannot await counts
/// (`select!` awaits inside).
fn suspends(body: &TokenStream) -> bool {
    let tokens: Vec<TokenTree> = body.clone().into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Ident(id) if id == "await" => return true,
            TokenTree::Ident(id) if id == "async" => {
                let mut j = i + 1;
                if matches!(tokens.get(j), Some(TokenTree::Ident(m)) if m == "move") {
                    j += 1;
                }
                if matches!(tokens.get(j), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace) {
                    i = j + 1;
                    continue;
                }
            }
            // A macro may expand to an `.await` (`select!`, `join!`): only
            // those known not to keep the body from counting as one that
            // never waits.
            TokenTree::Punct(p) if p.as_char() == '!' && i > 0 => {
                if let TokenTree::Ident(name) = &tokens[i - 1] {
                    if matches!(tokens.get(i + 1), Some(TokenTree::Group(_))) && !NEVER_WAITS.contains(&name.to_string().as_str()) {
                        return true;
                    }
                }
            }
            TokenTree::Group(g) if suspends(&g.stream()) => return true,
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
    fn only_the_bodys_own_awaits_count() {
        let src = "async fn a(x: u64) -> u64 {\n    let f = async move { g().await };\n    x\n}\nasync fn b() {\n    h().await;\n}\nasync fn c() {\n    tokio::select! { _ = h() => {} }\n}\nasync fn d() {\n    m!(h().await);\n}\nfn e() {}\nasync fn f(x: u64) {\n    println!(\"{x}\");\n    assert!(x > 0);\n}\n";
        assert_eq!(async_body_suspends(src, 3), Some(("a".to_string(), false)));
        assert_eq!(async_body_suspends(src, 6), Some(("b".to_string(), true)));
        assert_eq!(async_body_suspends(src, 9), Some(("c".to_string(), true)));
        assert_eq!(async_body_suspends(src, 12), Some(("d".to_string(), true)));
        assert_eq!(async_body_suspends(src, 14), None);
        assert_eq!(async_body_suspends(src, 16), Some(("f".to_string(), false)));
    }
}

/// Macros whose expansion cannot hold an `.await` of the body's own.
const NEVER_WAITS: &[&str] = &[
    "println", "print", "eprintln", "eprint", "format", "format_args", "write", "writeln", "vec", "assert", "assert_eq",
    "assert_ne", "debug_assert", "debug_assert_eq", "debug_assert_ne", "panic", "unreachable", "todo", "unimplemented",
    "matches", "dbg", "concat", "stringify", "line", "file", "column", "cfg", "env", "trace", "debug", "info", "warn", "error",
];
