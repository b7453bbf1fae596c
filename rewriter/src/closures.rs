//! Lines of a function that belong to its closures' bodies. A function
//! returning `impl Trait` may return a closure (or an adapter holding
//! one): the caller then calls the closure through its own, native code,
//! so a breakpoint on such a line stops only in calls made before the
//! function returns, and the tool says so.

use crate::locate::{find_function_in, function_node, parse, LocateError};
use syn::visit::Visit;

/// The lines strictly inside a block-bodied closure (after the line of
/// its `{`, up to its `}`) of the function containing `line`.
pub fn closure_body_lines(source: &str, line: u32) -> Result<Vec<u32>, LocateError> {
    let file = parse(source)?;
    let site = find_function_in(&file, line)?;
    let Some((_, body)) = function_node(&file.items, site.fn_line) else { return Ok(Vec::new()) };
    struct Closures(Vec<u32>);
    impl<'a> Visit<'a> for Closures {
        fn visit_expr_closure(&mut self, c: &'a syn::ExprClosure) {
            if let syn::Expr::Block(b) = &*c.body {
                let (open, close) = (b.block.brace_token.span.open().start().line as u32, b.block.brace_token.span.close().start().line as u32);
                self.0.extend(open + 1..=close);
            }
            syn::visit::visit_expr_closure(self, c);
        }
        // Items nested in the body are other functions.
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut closures = Closures(Vec::new());
    closures.visit_block(body);
    closures.0.sort_unstable();
    closures.0.dedup();
    Ok(closures.0)
}

#[cfg(test)]
mod tests {
    use super::closure_body_lines;

    #[test]
    fn lines_of_block_closures_not_of_one_line_closures() {
        let src = "fn f(k: u32) -> impl Fn(u32) -> u32 {\n    let base = k;\n    let one = |x: u32| x + 1;\n    move |x| {\n        let y = x + base;\n        one(y)\n    }\n}\n";
        assert_eq!(closure_body_lines(src, 2).unwrap(), [5, 6, 7]);
    }
}
