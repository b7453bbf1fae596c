//! rustc's errors on an eval library, said about the user's expression.

use hotbreak_hotreload::Diagnostic;
use hotbreak_rewriter::Instrumented;

/// The message for an expression that did not compile: rustc's words,
/// pointing into the expression where rustc points into it.
pub fn explain(inst: &Instrumented, file: &str, expr: &str, diagnostics: &[Diagnostic]) -> anyhow::Error {
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.level == "error" && !d.message.starts_with("aborting due to")).collect();
    let Some(place) = inst.eval_expr else {
        return anyhow::anyhow!("{}", errors.first().map_or("the expression does not compile", |d| d.message.as_str()));
    };
    // The expression as compiled: `self` became `__hb_self`.
    let compiled = hotbreak_rewriter::eval_expr_as_compiled(expr);
    let mut out = Vec::new();
    for error in &errors {
        let in_expr = error
            .spans
            .iter()
            .filter(|s| s.file == file && s.line_start == place.line && place.overlaps(s.line_start, s.col_start, s.line_end, s.col_end))
            .min_by_key(|s| !s.primary);
        if error.message.contains("NotAvailableHere") {
            let name = in_expr.map(|s| slice(&compiled, s.col_start - place.col_start, s.col_end.min(place.col_end) - place.col_start));
            let name = name.map(|n| n.replace("__hb_self", "self")).unwrap_or_else(|| "a local".into());
            out.push(format!("`{name}` is not available at this stop (moved, borrowed mutably or not set yet at this line)"));
            continue;
        }
        if error.message.contains("not available at this stop") {
            out.push("the expression uses a local of the function that is not in scope at this stop (a closure's stop sees only the closure's own locals)".into());
            continue;
        }
        if let Some(moved) = error.message.strip_prefix("use of moved value: ") {
            out.push(format!(
                "the expression moves {} out of the stopped frame, which still owns it: borrow it (`&`) or `.clone()` it",
                moved.replace("__hb_self", "self")
            ));
            continue;
        }
        let message = error.message.replace("__hb_self", "self");
        match in_expr {
            Some(span) => {
                let start = span.col_start.saturating_sub(place.col_start) as usize;
                let end = (span.col_end.min(place.col_end).saturating_sub(place.col_start) as usize).max(start + 1);
                let (start, end) = (user_column(&compiled, start), user_column(&compiled, end));
                let label = span.label.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
                out.push(format!("{message}\n  {expr}\n  {}{}{label}", " ".repeat(start), "^".repeat(end - start)));
            }
            // Not about the expression's text: rustc's own words.
            None => out.push(message),
        }
    }
    if out.is_empty() {
        out.push("the expression does not compile".into());
    }
    out.dedup();
    anyhow::anyhow!("the expression does not compile: {}", out.join("\n"))
}

/// Chars `start..end` of `text`.
fn slice(text: &str, start: u32, end: u32) -> String {
    text.chars().skip(start as usize).take(end.saturating_sub(start) as usize).collect()
}

/// A char column of the compiled expression, in the user's (each
/// `__hb_self` before it was `self`, 5 chars shorter).
fn user_column(compiled: &str, col: usize) -> usize {
    let before: String = compiled.chars().take(col).collect();
    col - before.matches("__hb_self").count() * ("__hb_self".len() - "self".len())
}

#[cfg(test)]
mod tests {
    use super::user_column;

    #[test]
    fn columns_map_back_over_renamed_self() {
        assert_eq!(user_column("__hb_self.a + x", 14), 9);
        assert_eq!(user_column("a + x", 4), 4);
    }
}
