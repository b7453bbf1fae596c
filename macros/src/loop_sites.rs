//! Loop sites for running frames (issue 19, `hotbreak::osr`): a site at the
//! top of each loop body that a statement path reaches from the function's
//! body (through blocks, loop bodies, the branches of an `if` or `if let`
//! and the arms of a `match` only, never into closures, async blocks,
//! conditions or macro arguments), and a door at the body's top.
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
/// `key`: the path of the native body the sites belong to.
pub fn insert(stmts: &TokenStream, key: &TokenStream) -> Option<TokenStream> {
    let block: Block = syn::parse2(quote!({ #stmts })).ok()?;
    let mut stmts = block.stmts;
    if !visit(&mut stmts, key) {
        return None;
    }
    Some(quote!(#(#stmts)*))
}

fn visit(stmts: &mut [Stmt], key: &TokenStream) -> bool {
    let mut any = false;
    for stmt in stmts {
        if let Stmt::Expr(e, _) = stmt {
            any |= visit_expr(e, key);
        }
    }
    any
}

fn visit_expr(e: &mut Expr, key: &TokenStream) -> bool {
    let body = match e {
        Expr::ForLoop(l) => &mut l.body,
        Expr::While(l) => &mut l.body,
        Expr::Loop(l) => &mut l.body,
        Expr::Block(b) if b.label.is_none() => return visit(&mut b.block.stmts, key),
        Expr::Unsafe(b) => return visit(&mut b.block.stmts, key),
        Expr::Match(m) => {
            let mut any = false;
            for arm in &mut m.arms {
                any |= visit_expr(&mut arm.body, key);
            }
            return any;
        }
        // An `if` or `if let` (not a let chain) and its `else` branches.
        Expr::If(i) if matches!(*i.cond, Expr::Let(_)) || !has_let(&i.cond) => {
            let mut any = visit(&mut i.then_branch.stmts, key);
            if let Some((_, other)) = &mut i.else_branch {
                any |= visit_expr(other, key);
            }
            return any;
        }
        _ => return false,
    };
    visit(&mut body.stmts, key);
    let site: Stmt = syn::parse2(quote_spanned!(body.brace_token.span.open() => ::hotbreak::__loop_site!(#key);)).expect("a statement");
    body.stmts.insert(0, site);
    true
}

fn has_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => has_let(&b.left) || has_let(&b.right),
        Expr::Paren(p) => has_let(&p.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(src: &str) -> Option<String> {
        insert(&src.parse().unwrap(), &quote!(__hotbreak_native)).map(|t| t.to_string())
    }

    #[test]
    fn loops_on_statement_paths_get_a_site_and_nothing_else_changes() {
        let out = sites("let mut t = 0; for i in 0..3 { t += i; 'a: loop { while t > 0 { t -= 1; } break 'a; } } t").unwrap();
        assert_eq!(out.matches("__loop_site").count(), 3, "{out}");
        assert!(out.starts_with("let mut t = 0 ; for i in 0 .. 3 { :: hotbreak :: __loop_site ! (__hotbreak_native) ; t += i ;"), "{out}");
        assert!(out.ends_with("break 'a ; } } t"), "{out}");
    }

    #[test]
    fn loops_in_the_branches_of_an_if_and_the_arms_of_a_match_get_a_site() {
        let out = sites("if x > 0 { for i in v {} } else if let Some(y) = y { loop {} } else { while z {} }").unwrap();
        assert_eq!(out.matches("__loop_site").count(), 3, "{out}");
        let out = sites("match x { Some(v) => { for i in v {} } None => loop {} }").unwrap();
        assert_eq!(out.matches("__loop_site").count(), 2, "{out}");
    }

    #[test]
    fn loops_in_closures_conditions_matches_and_lets_get_none() {
        assert_eq!(sites("let f = || loop {}; if let Some(x) = y && z { for i in v {} } let y = loop { break 1 }; m!(loop {});"), None);
        assert_eq!(sites("let = ;"), None);
    }
}
