//! Loop sites for running frames (issue 19, `hotbreak::osr`): a site at the
//! top of each loop body that a statement path reaches from the function's
//! body (through blocks and loop bodies only, never into closures, async
//! blocks, conditions or macro arguments), and a door at the body's top.
//!
//! The rewriter (`hotbreak_rewriter::resume`) finds the same loops by the
//! same rule and names each by the line of its body's `{`, which is also
//! the line the site's code has in the debug info.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Block, Expr, Stmt};

/// Whether this rustc builds a crate at opt-level 0, where a frame can
/// switch (the wrapper says so; nowhere else is it sound).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("HOTBREAK_OSR").is_some())
}

/// `stmts` with a site at the top of each such loop body, or `None` when
/// there is none (or syn cannot read them: the body stays as written).
pub fn insert(stmts: &TokenStream) -> Option<TokenStream> {
    let block: Block = syn::parse2(quote!({ #stmts })).ok()?;
    let mut stmts = block.stmts;
    if !visit(&mut stmts) {
        return None;
    }
    Some(quote!(#(#stmts)*))
}

fn visit(stmts: &mut [Stmt]) -> bool {
    let mut any = false;
    for stmt in stmts {
        if let Stmt::Expr(e, _) = stmt {
            any |= visit_expr(e);
        }
    }
    any
}

fn visit_expr(e: &mut Expr) -> bool {
    let body = match e {
        Expr::ForLoop(l) => &mut l.body,
        Expr::While(l) => &mut l.body,
        Expr::Loop(l) => &mut l.body,
        Expr::Block(b) if b.label.is_none() => return visit(&mut b.block.stmts),
        Expr::Unsafe(b) => return visit(&mut b.block.stmts),
        _ => return false,
    };
    visit(&mut body.stmts);
    let site: Stmt = syn::parse2(quote_spanned!(body.brace_token.span.open() => ::hotbreak::__loop_site!(__HOTBREAK_SLOT);)).expect("a statement");
    body.stmts.insert(0, site);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(src: &str) -> Option<String> {
        insert(&src.parse().unwrap()).map(|t| t.to_string())
    }

    #[test]
    fn loops_on_statement_paths_get_a_site_and_nothing_else_changes() {
        let out = sites("let mut t = 0; for i in 0..3 { t += i; 'a: loop { while t > 0 { t -= 1; } break 'a; } } t").unwrap();
        assert_eq!(out.matches("__loop_site").count(), 3, "{out}");
        assert!(out.starts_with("let mut t = 0 ; for i in 0 .. 3 { :: hotbreak :: __loop_site ! (__HOTBREAK_SLOT) ; t += i ;"), "{out}");
        assert!(out.ends_with("break 'a ; } } t"), "{out}");
    }

    #[test]
    fn loops_in_closures_conditions_and_lets_get_none() {
        assert_eq!(sites("let f = || loop {}; if x { for i in v {} } let y = loop { break 1 }; m!(loop {});"), None);
        assert_eq!(sites("let = ;"), None);
    }
}
