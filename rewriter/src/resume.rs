//! Resume mode for a patch (issue 19; the runtime's `osr.rs`): the patched
//! function can continue a native frame that was running one of its loops.
//!
//! The loops are those the attribute gave a site (`loop_sites.rs` in the
//! macros: reached from the body through blocks and loop bodies only), each
//! named by the line of its body's `{`. In the rewritten function:
//!
//! - the first statement asks `resuming()`;
//! - each parameter and each `let` before a resumable loop (in a block on
//!   its path) is *resident*: `let __hb_vN: &mut T = match .. { resumed =>
//!   the frame's slot, fresh => __hb_sN.write(init) }` with an `Own` guard
//!   that drops it at the end of its scope; every use of it becomes
//!   `(*__hb_vN)`, a move (found by rustc: E0507) `__hb_gN.take()`, an
//!   assignment `__hb_gN.put(e)`;
//! - other statements before a resumable loop run only when not resuming
//!   into a later one (`entering`);
//! - a `for` or `while let` on the path becomes a `loop` whose iterator and
//!   pattern bindings come from the frame (by value) when resuming, and
//!   each loop body starts with `arrive(line)`.
//!
//! All of it is inserted within existing lines. A function this cannot
//! handle gets an `Err` with the reason: it is patched without resume, and
//! its running frames keep the old code (the tool says so).

use crate::locate::{function_node, parse};
use crate::text::LineIndex;
use proc_macro2::{Delimiter, LineColumn, Spacing, TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Block, Expr, FnArg, Pat, Stmt};

/// How the patch gets a local of the running frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Where the frame keeps it (a resident local).
    Place,
    /// Moved out of the frame (a loop's iterator or pattern binding).
    Take,
}

/// A local of the native frame the patch asks for: as DWARF names it, by
/// name and the line of its declaration (a `for` loop's iterator is `iter`,
/// declared on the `for` line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub name: String,
    pub line: u32,
    pub kind: Kind,
    /// The tokens that declare it (its `let`, the signature, the loop's
    /// head): an edit may resume the program's frame only if they are
    /// unchanged (same types, same places).
    pub decl: String,
}

/// A loop the patch can resume: its body's `{` line, and the locals (indices
/// into `Resumed::locals`) the frame must have for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeSite {
    pub line: u32,
    pub needs: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Resumed {
    pub text: String,
    pub locals: Vec<Wanted>,
    pub sites: Vec<ResumeSite>,
    /// Each rewritten use of a resident local: (line, first column, column
    /// after it) in `text` (1-based chars, as rustc reports spans), and the
    /// (line, column) of the use in the input, for `moves`.
    pub uses: Vec<(u32, u32, u32, (u32, u32))>,
}

/// For an edit: keeps only the loops whose locals are declared exactly as in
/// `host` (the program's build of the function), since the running frame
/// holds the host's locals; says why each other one cannot resume.
pub fn keep_unchanged(edit: &mut Resumed, host: &Resumed) -> Vec<String> {
    let mut refused = Vec::new();
    let wanted = |locals: &[Wanted], site: &ResumeSite| site.needs.iter().map(|&k| locals[k].clone()).collect::<Vec<_>>();
    let locals = edit.locals.clone();
    edit.sites.retain(|site| {
        let same = host.sites.iter().find(|h| h.line == site.line).is_some_and(|h| wanted(&host.locals, h) == wanted(&locals, site));
        if !same {
            refused.push(format!("the edit changed what is declared before the loop at line {}, or moved it", site.line));
        }
        same
    });
    refused
}

/// Rewrites the function at `fn_line` of `text` (a patch source) for resume.
/// `moves`: positions (line, column) of uses rustc said move out of a
/// resident local.
pub fn resume(text: &str, fn_line: u32, moves: &[(u32, u32)]) -> Result<Resumed, String> {
    let file = parse(text).map_err(|e| e.to_string())?;
    let (sig, block) = function_node(&file.items, fn_line).ok_or("function not found")?;
    if sig.asyncness.is_some() {
        return Err("an async fn's frame is its future".into());
    }
    if !sig.generics.params.is_empty() {
        return Err("a generic fn (not yet)".into());
    }
    let mut plan = Plan { index: LineIndex::new(text), edits: Vec::new(), locals: Vec::new(), sites: Vec::new(), resident: HashMap::new(), decl: sig.to_token_stream().to_string() };
    let mut params = Vec::new();
    for arg in &sig.inputs {
        let t = match arg {
            FnArg::Typed(t) => t,
            // `&self` / `&mut self`: the door passes the same reference.
            FnArg::Receiver(r) if r.reference.is_some() && r.colon_token.is_none() => continue,
            FnArg::Receiver(_) => return Err("a method taking `self` by value (not yet)".into()),
        };
        let Pat::Ident(id) = &*t.pat else { return Err("a parameter that is a pattern (not yet)".into()) };
        if id.by_ref.is_some() || id.subpat.is_some() || t.ty.to_token_stream().to_string().contains("impl") {
            return Err("a parameter that is a pattern (not yet)".into());
        }
        params.push((id.ident.clone(), t.ty.to_token_stream().to_string()));
    }
    let mut held = Vec::new();
    let mut prologue = String::from("let mut __hb_rs = ::hotbreak::osr::resuming(); ");
    for (ident, ty) in &params {
        let n = plan.resident_at(ident, Kind::Place);
        held.push(n);
        let k = n;
        prologue.push_str(&format!(
            "let mut __hb_s{n} = ::core::mem::MaybeUninit::uninit(); let __hb_v{n}: &mut {ty} = match &__hb_rs {{ Some(__hb_r) => {{ ::core::mem::forget({ident}); __hb_r.place({k}) }} None => __hb_s{n}.write({ident}) }}; let mut __hb_g{n} = ::hotbreak::osr::Own::new(&mut *__hb_v{n}); "
        ));
    }
    plan.path_block(block, &held)?;
    if plan.sites.is_empty() {
        return Err("no loop on a statement path".into());
    }
    // After the `{` and inner attributes.
    let inner_end = block.stmts.first().map(|s| s.span().start()).unwrap_or(block.brace_token.span.close().start());
    let at = first_stmt_start(&plan.index, block, inner_end);
    plan.insert(at, prologue);
    let mut uses = Uses { plan: &mut plan, scopes: vec![HashMap::new()], moves };
    for (ident, _) in &params {
        let n = uses.plan.resident[&key(ident.span().start())];
        uses.scopes[0].insert(ident.to_string(), Some(n));
    }
    uses.visit_block(block);
    let Plan { index, mut edits, locals, sites, .. } = plan;
    edits.sort_by_key(|e| (e.start, e.end != e.start, e.order));
    let mut out = String::with_capacity(text.len() * 2);
    let mut uses = Vec::new();
    let mut at = 0;
    for e in &edits {
        if e.start < at {
            return Err("overlapping rewrites (not yet)".into());
        }
        out.push_str(&index.text()[at..e.start]);
        if let Some(origin) = e.origin {
            let line = out.matches('\n').count() as u32 + 1;
            let col = out[out.rfind('\n').map_or(0, |i| i + 1)..].chars().count() as u32 + 1;
            uses.push((line, col, col + e.text.chars().count() as u32, origin));
        }
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&text[at..]);
    Ok(Resumed { text: out, locals, sites, uses })
}

fn first_stmt_start(index: &LineIndex, block: &Block, first: LineColumn) -> usize {
    let open = index.offset(block.brace_token.span.open().end());
    let first = index.offset(first);
    // Inner attributes (`#![allow(..)]`) stay first: insert after them.
    let between = &index.text()[open..first];
    if between.contains("#!") { first } else { open }
}

fn key(at: LineColumn) -> (usize, usize) {
    (at.line, at.column)
}

struct Edit {
    start: usize,
    end: usize,
    text: String,
    order: usize,
    /// A use of a resident local: where it was in the input.
    origin: Option<(u32, u32)>,
}

struct Plan<'a> {
    index: LineIndex<'a>,
    edits: Vec<Edit>,
    locals: Vec<Wanted>,
    sites: Vec<ResumeSite>,
    /// Resident bindings by the position of their ident: their number.
    resident: HashMap<(usize, usize), usize>,
    /// The declaration the locals being added come from.
    decl: String,
}

impl Plan<'_> {
    fn insert(&mut self, at: usize, text: String) {
        self.replace(at, at, text);
    }

    fn replace(&mut self, start: usize, end: usize, text: String) {
        let order = self.edits.len();
        self.edits.push(Edit { start, end, text, order, origin: None });
    }

    fn replace_use(&mut self, start: usize, end: usize, text: String, origin: LineColumn) {
        self.replace(start, end, text);
        self.edits.last_mut().expect("pushed").origin = Some((origin.line as u32, origin.column as u32));
    }

    fn off(&self, at: LineColumn) -> usize {
        self.index.offset(at)
    }

    fn want(&mut self, name: &str, line: u32, kind: Kind) -> usize {
        self.locals.push(Wanted { name: name.to_string(), line, kind, decl: self.decl.clone() });
        self.locals.len() - 1
    }

    fn resident_at(&mut self, ident: &syn::Ident, kind: Kind) -> usize {
        let n = self.want(&ident.to_string(), ident.span().start().line as u32, kind);
        self.resident.insert(key(ident.span().start()), n);
        n
    }

    /// A block on a path to resumable loops; `held`: locals the frame has
    /// at its top. Returns whether it holds any resumable loop.
    fn path_block(&mut self, block: &Block, held: &[usize]) -> Result<Vec<u32>, String> {
        let mut held = held.to_vec();
        let last = block.stmts.iter().rposition(holds_path_loop);
        let mut lines_in: Vec<Vec<u32>> = Vec::new();
        for (i, stmt) in block.stmts.iter().enumerate() {
            let before_loop = last.is_some_and(|last| i < last);
            lines_in.push(match stmt {
                Stmt::Expr(e, _) => self.path_expr(e, &held)?,
                Stmt::Local(local) if before_loop => {
                    let first = self.locals.len();
                    if self.make_resident(local)?.is_some() {
                        held.extend(first..self.locals.len());
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            });
        }
        // Statements before the last one holding a loop: skipped when
        // resuming into a later one.
        let Some(last) = last else { return Ok(Vec::new()) };
        for (stmt, lines) in block.stmts.iter().zip(&lines_in).take(last) {
            match stmt {
                Stmt::Item(_) => continue,
                Stmt::Local(l) if !matches!(l.pat, Pat::Wild(_)) => continue,
                _ if is_own(stmt) => continue,
                _ => {}
            }
            let list = lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
            let (start, end) = (self.off(stmt.span().start()), self.off(stmt.span().end()));
            self.insert(start, format!("if ::hotbreak::osr::entering(&__hb_rs, &[{list}]) {{ "));
            self.insert(end, " }".into());
        }
        Ok(lines_in.concat())
    }

    /// A `let` before a resumable loop of its block: its value lives in the
    /// frame's slot when resuming. `None` for our own locals and `let _`.
    fn make_resident(&mut self, local: &syn::Local) -> Result<Option<usize>, String> {
        let (pat, ty) = match &local.pat {
            Pat::Type(t) => (&*t.pat, Some(t.ty.to_token_stream().to_string())),
            other => (other, None),
        };
        let ident = match pat {
            Pat::Wild(_) => return Ok(None),
            Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => &id.ident,
            _ => return self.make_resident_pattern(local).map(Some),
        };
        if ident.to_string().starts_with("__hb") {
            return Ok(None);
        }
        let Some(init) = local.init.as_ref().filter(|i| i.diverge.is_none()) else {
            return Err(format!("line {}: `let {ident}` without a value, or with `else`, before the loop (not yet)", local.span().start().line));
        };
        self.decl = local.to_token_stream().to_string();
        let n = self.resident_at(ident, Kind::Place);
        let ty = ty.map(|t| format!(": &mut {t}")).unwrap_or_default();
        let start = self.off(local.let_token.span.start());
        let init_start = self.off(init.expr.span().start());
        let init_end = self.off(init.expr.span().end());
        let end = self.off(local.semi_token.span.end());
        self.replace(
            start,
            init_start,
            format!("let mut __hb_s{n} = ::core::mem::MaybeUninit::uninit(); let __hb_v{n}{ty} = match &__hb_rs {{ Some(__hb_r) => __hb_r.place({n}), None => __hb_s{n}.write("),
        );
        self.replace(init_end, end, format!(") }}; let mut __hb_g{n} = ::hotbreak::osr::Own::new(&mut *__hb_v{n});"));
        Ok(Some(n))
    }

    /// `let (a, b) = init;` before a resumable loop: each binding resident.
    /// Returns the first binding's number; the others follow it.
    fn make_resident_pattern(&mut self, local: &syn::Local) -> Result<usize, String> {
        let line = local.span().start().line;
        let mut names = Vec::new();
        collect_bindings(&local.pat, &mut names).map_err(|e| format!("line {line}: {e}"))?;
        let Some(init) = local.init.as_ref().filter(|i| i.diverge.is_none()) else {
            return Err(format!("line {line}: a `let` pattern without a value, or with `else`, before the loop (not yet)"));
        };
        if names.is_empty() {
            return Err(format!("line {line}: a `let` pattern that binds nothing before the loop (not yet)"));
        }
        self.decl = local.to_token_stream().to_string();
        let ns: Vec<usize> = names.iter().map(|(ident, _)| self.resident_at(ident, Kind::Place)).collect();
        let list = |f: &dyn Fn(usize, &syn::Ident) -> String| ns.iter().zip(&names).map(|(n, (i, _))| f(*n, i)).collect::<Vec<_>>().join(", ");
        let slots = list(&|n, _| format!("mut __hb_s{n}"));
        let uninit = list(&|_, _| "::core::mem::MaybeUninit::uninit()".into());
        let vs = list(&|n, _| format!("__hb_v{n}"));
        let places = list(&|n, _| format!("__hb_r.place({n})"));
        let writes = list(&|n, i| format!("__hb_s{n}.write(__hb_b_{i})"));
        let guards: String = ns.iter().map(|n| format!(" let mut __hb_g{n} = ::hotbreak::osr::Own::new(&mut *__hb_v{n});")).collect();
        let start = self.off(local.let_token.span.start());
        let init_start = self.off(init.expr.span().start());
        let init_end = self.off(init.expr.span().end());
        let end = self.off(local.semi_token.span.end());
        self.replace(
            start,
            init_start,
            format!("let ({slots}) = ({uninit}); let ({vs}) = match &__hb_rs {{ Some(__hb_r) => ({places}), None => {{ let {} = ", renamed(&local.pat)),
        );
        self.replace(init_end, end, format!("; ({writes}) }} }};{guards}"));
        Ok(ns[0])
    }

    fn path_expr(&mut self, e: &Expr, held: &[usize]) -> Result<Vec<u32>, String> {
        match e {
            Expr::Block(b) if b.label.is_none() => self.path_block(&b.block, held),
            Expr::Unsafe(b) => self.path_block(&b.block, held),
            Expr::Loop(l) => self.path_loop(LoopKind::Loop, &l.body, held, l.label.as_ref(), l.span()),
            Expr::While(w) => match &*w.cond {
                Expr::Let(lt) => self.path_loop(LoopKind::WhileLet(&lt.pat, &lt.expr), &w.body, held, w.label.as_ref(), w.span()),
                cond => self.path_loop(LoopKind::While(cond), &w.body, held, w.label.as_ref(), w.span()),
            },
            Expr::ForLoop(f) => self.path_loop(LoopKind::For(&f.pat, &f.expr, f.for_token.span), &f.body, held, f.label.as_ref(), f.span()),
            Expr::Match(m) if returned_inner(e).is_none() => self.path_match(m, held),
            Expr::If(i) => match &*i.cond {
                Expr::Let(lt) => self.path_if_let(i, lt, held),
                cond if !has_let(cond) => self.path_if(i, held),
                _ => Ok(Vec::new()),
            },
            // The body's tail, wrapped by the instrumentation to report the
            // returned value: the loop inside is still where the frame is.
            e => match returned_inner(e) {
                Some(inner) => self.path_expr(inner, held),
                None => Ok(Vec::new()),
            },
        }
    }

    /// A plain `if` with a loop in a branch: resuming takes the branch
    /// holding the loop without evaluating the condition (it ran in the
    /// program already); a fresh call evaluates it as written.
    fn path_if(&mut self, i: &syn::ExprIf, held: &[usize]) -> Result<Vec<u32>, String> {
        let then_lines = self.path_block(&i.then_branch, held)?;
        let else_lines = match &i.else_branch {
            Some((_, other)) => self.path_expr(other, held)?,
            None => Vec::new(),
        };
        if then_lines.is_empty() && else_lines.is_empty() {
            return Ok(Vec::new());
        }
        let list = then_lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
        let (start, end) = (self.off(i.cond.span().start()), self.off(i.cond.span().end()));
        self.insert(start, format!("(match ::hotbreak::osr::branch(&__hb_rs, &[{list}]) {{ Some(__hb_b) => __hb_b, None => "));
        self.insert(end, " })".into());
        Ok(then_lines.into_iter().chain(else_lines).collect())
    }

    /// `if let PAT = EXPR` with a loop in a branch: the condition becomes
    /// `if let Some((a, b)) = (..)`, the bindings taken from the frame when
    /// resuming into the `then` branch, `None` when resuming into the
    /// `else` branch, EXPR matched as written in a fresh call.
    fn path_if_let(&mut self, i: &syn::ExprIf, lt: &syn::ExprLet, held: &[usize]) -> Result<Vec<u32>, String> {
        let then_has = i.then_branch.stmts.iter().any(holds_path_loop);
        let else_has = i.else_branch.as_ref().is_some_and(|(_, e)| expr_holds_path_loop(e));
        if !then_has && !else_has {
            return Ok(Vec::new());
        }
        let mut held_then = held.to_vec();
        let taken = self.taken_bindings(&lt.pat, &mut held_then, then_has)?;
        let then_lines = self.path_block(&i.then_branch, &held_then)?;
        let else_lines = match &i.else_branch {
            Some((_, other)) => self.path_expr(other, held)?,
            None => Vec::new(),
        };
        let resumed_then = match then_has {
            true => format!("{{ let __hb_r = __hb_rs.as_ref().expect(\"resuming\"); Some({}) }}", tuple(&taken.takes)),
            false => "None".into(),
        };
        let list = then_lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
        let (let_start, e_start, e_end) = (self.off(lt.let_token.span.start()), self.off(lt.expr.span().start()), self.off(lt.expr.span().end()));
        self.decl = format!("if let {} = {}", lt.pat.to_token_stream(), lt.expr.to_token_stream());
        self.replace(
            let_start,
            e_start,
            format!("let Some({}) = (match ::hotbreak::osr::branch(&__hb_rs, &[{list}]) {{ Some(true) => {resumed_then}, Some(false) => None, None => match ", tuple(&taken.pattern)),
        );
        self.insert(e_end, format!(" {{ {} => Some({}), _ => None }} }})", renamed(&lt.pat), tuple(&taken.fresh)));
        Ok(then_lines.into_iter().chain(else_lines).collect())
    }

    /// A `match` with loops in one arm: the scrutinee becomes
    /// `Arm::Resumed((a, b))` (the arm's bindings, taken from the frame)
    /// when resuming into that arm, else `Arm::Fresh(EXPR)`; each pattern
    /// `P` becomes `Arm::Fresh(P)`, that arm's `Arm::Fresh(P) |
    /// Arm::Resumed((a, b))`, and its guard is skipped when resuming.
    /// Loops in more than one arm are not resumed (said at arming).
    fn path_match(&mut self, m: &syn::ExprMatch, held: &[usize]) -> Result<Vec<u32>, String> {
        let holding: Vec<usize> = (0..m.arms.len()).filter(|&k| expr_holds_path_loop(&m.arms[k].body)).collect();
        let [k] = holding.as_slice() else { return Ok(Vec::new()) };
        let arm = &m.arms[*k];
        let mut held_arm = held.to_vec();
        let taken = self.taken_bindings(&arm.pat, &mut held_arm, true)?;
        let lines = self.path_expr(&arm.body, &held_arm)?;
        if lines.is_empty() {
            return Ok(lines);
        }
        let list = lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
        let rt = "::hotbreak::osr::Arm";
        let (e_start, e_end) = (self.off(m.expr.span().start()), self.off(m.expr.span().end()));
        self.insert(
            e_start,
            format!("(match ::hotbreak::osr::branch(&__hb_rs, &[{list}]) {{ Some(true) => {{ let __hb_r = __hb_rs.as_ref().expect(\"resuming\"); {rt}::Resumed({}) }} _ => {rt}::Fresh(", tuple(&taken.takes)),
        );
        self.insert(e_end, ") })".into());
        for (i, a) in m.arms.iter().enumerate() {
            let first = match &a.pat {
                Pat::Or(o) if o.leading_vert.is_some() => o.cases.first().map(|c| c.span().start()).unwrap_or(a.pat.span().start()),
                p => p.span().start(),
            };
            let (p_start, p_end) = (self.off(first), self.off(a.pat.span().end()));
            self.insert(p_start, format!("{rt}::Fresh("));
            let tail = match i == *k {
                true => format!(") | {rt}::Resumed({})", tuple(&taken.pattern)),
                false => ")".into(),
            };
            self.insert(p_end, tail);
            if let (true, Some((_, guard))) = (i == *k, &a.guard) {
                let (g_start, g_end) = (self.off(guard.span().start()), self.off(guard.span().end()));
                self.insert(g_start, "__hb_rs.is_some() || (".into());
                self.insert(g_end, ")".into());
                // A guarded arm does not count as covering `Resumed`.
                let last = m.arms.last().expect("an arm holds the loop");
                let close = self.off(m.brace_token.span.close().start());
                let comma = if last.comma.is_some() { "" } else { "," };
                self.insert(close, format!("{comma} {rt}::Resumed(_) => ::core::unreachable!(), "));
            }
        }
        Ok(lines)
    }

    /// The bindings of a branch's or arm's pattern, as a tuple pattern,
    /// the frame's takes of them (wanted, and `held`, only when `resumable`)
    /// and the renamed pattern's names.
    fn taken_bindings(&mut self, pat: &Pat, held: &mut Vec<usize>, resumable: bool) -> Result<Taken, String> {
        let mut names = Vec::new();
        collect_bindings(pat, &mut names)?;
        let mut taken = Taken::default();
        for (ident, mutable) in &names {
            taken.pattern.push(format!("{}{ident}", if *mutable { "mut " } else { "" }));
            taken.fresh.push(format!("__hb_b_{ident}"));
            if resumable {
                let n = self.want(&ident.to_string(), ident.span().start().line as u32, Kind::Take);
                held.push(n);
                taken.takes.push(format!("__hb_r.take({n})"));
            }
        }
        Ok(taken)
    }

    fn path_loop(&mut self, kind: LoopKind, body: &Block, held: &[usize], label: Option<&syn::Label>, whole: proc_macro2::Span) -> Result<Vec<u32>, String> {
        let line = body.brace_token.span.open().start().line as u32;
        let mut held = held.to_vec();
        let body_open = self.off(body.brace_token.span.open().end());
        let body_close = self.off(body.brace_token.span.close().start());
        let label_text = label.map(|l| format!("{}: ", l.name)).unwrap_or_default();
        let start = self.off(whole.start());
        match kind {
            LoopKind::Loop => {}
            LoopKind::While(cond) => {
                let c = self.off(cond.span().start());
                self.insert(c, "__hb_rs.is_some() || (".into());
                let c_end = self.off(cond.span().end());
                self.insert(c_end, ")".into());
            }
            LoopKind::WhileLet(pat, expr) => {
                self.decl = format!("while let {} = {}", pat.to_token_stream(), expr.to_token_stream());
                let (decl, taking, assign, renamed) = self.bindings(pat, &mut held)?;
                let e_start = self.off(expr.span().start());
                let e_end = self.off(expr.span().end());
                self.replace(start, e_start, format!("{label_text}loop {{ {decl} if let Some(__hb_r) = &__hb_rs {{ {taking} }} else {{ match "));
                self.replace(e_end, body_open, format!(" {{ {renamed} => {{ {assign} }} _ => break }} }} ::hotbreak::osr::arrive(&mut __hb_rs, {line}); {{"));
                self.replace(body_close, body_close + 1, "} }".into());
            }
            LoopKind::For(pat, expr, for_span) => {
                let for_line = for_span.start().line as u32;
                self.decl = format!("for {} in {}", pat.to_token_stream(), expr.to_token_stream());
                let it = self.want("iter", for_line, Kind::Take);
                held.push(it);
                let n = it;
                let (decl, taking, assign, renamed) = self.bindings(pat, &mut held)?;
                let e_start = self.off(expr.span().start());
                let e_end = self.off(expr.span().end());
                self.replace(start, e_start, format!("{{ let mut __hb_i{n} = match &__hb_rs {{ Some(__hb_r) => __hb_r.take({n}), None => ::core::iter::IntoIterator::into_iter("));
                self.replace(
                    e_end,
                    body_open,
                    format!(") }}; {label_text}loop {{ {decl} if let Some(__hb_r) = &__hb_rs {{ {taking} }} else {{ match ::core::iter::Iterator::next(&mut __hb_i{n}) {{ Some({renamed}) => {{ {assign} }} None => break }} }} ::hotbreak::osr::arrive(&mut __hb_rs, {line}); {{"),
                );
                self.replace(body_close, body_close + 1, "} } }".into());
            }
        }
        if matches!(kind, LoopKind::Loop | LoopKind::While(_)) {
            self.insert(body_open, format!(" ::hotbreak::osr::arrive(&mut __hb_rs, {line});"));
        }
        let inner = self.path_block(body, &held)?;
        self.sites.push(ResumeSite { line, needs: held.clone() });
        let mut lines = vec![line];
        lines.extend(inner);
        Ok(lines)
    }

    /// A loop pattern's bindings: their declaration, their takes from the
    /// frame, their assignment from the renamed pattern, and that pattern.
    fn bindings(&mut self, pat: &Pat, held: &mut Vec<usize>) -> Result<(String, String, String, String), String> {
        let mut names = Vec::new();
        collect_bindings(pat, &mut names)?;
        let mut decl = Vec::new();
        let mut taking = String::new();
        let mut assign = String::new();
        for (ident, mutable) in &names {
            let n = self.want(&ident.to_string(), ident.span().start().line as u32, Kind::Take);
            held.push(n);
            decl.push(format!("{}{ident}", if *mutable { "mut " } else { "" }));
            taking.push_str(&format!("{ident} = __hb_r.take({n}); "));
            assign.push_str(&format!("{ident} = __hb_b_{ident}; "));
        }
        let decl = match decl.len() {
            0 => String::new(),
            1 => format!("let {}; ", decl[0]),
            _ => format!("let ({}); ", decl.join(", ")),
        };
        Ok((decl, taking, assign, renamed(pat)))
    }
}

/// The value the instrumentation reports as returned, when `e` is its
/// wrapper: `match returned_as::<R>(VALUE) { __hb_ret => .. }` or
/// `match (VALUE) { __hb_ret => .. }`.
fn returned_inner(e: &Expr) -> Option<&Expr> {
    let Expr::Match(m) = e else { return None };
    let [arm] = m.arms.as_slice() else { return None };
    if !matches!(&arm.pat, Pat::Ident(id) if id.ident == "__hb_ret") {
        return None;
    }
    match &*m.expr {
        Expr::Paren(p) => Some(&p.expr),
        Expr::Call(c) if c.args.len() == 1 && c.func.to_token_stream().to_string().contains("returned_as") => c.args.first(),
        _ => None,
    }
}

/// Whether a condition holds a `let` (a let chain).
fn has_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => has_let(&b.left) || has_let(&b.right),
        Expr::Paren(p) => has_let(&p.expr),
        _ => false,
    }
}

/// A pattern's bindings as [`Plan::taken_bindings`] writes them.
#[derive(Default)]
struct Taken {
    pattern: Vec<String>,
    takes: Vec<String>,
    fresh: Vec<String>,
}

/// `(a, b)`, `(a,)`, `()`.
fn tuple(items: &[String]) -> String {
    format!("({}{})", items.join(", "), if items.len() == 1 { "," } else { "" })
}

/// Whether a statement is, or holds on a statement path, a loop.
fn holds_path_loop(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Expr(e, _) if expr_holds_path_loop(e))
}

/// Whether an expression is, or holds on a statement path, a loop.
fn expr_holds_path_loop(e: &Expr) -> bool {
    match e {
        Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => true,
        Expr::Block(b) if b.label.is_none() => b.block.stmts.iter().any(holds_path_loop),
        Expr::Unsafe(b) => b.block.stmts.iter().any(holds_path_loop),
        Expr::If(i) if matches!(*i.cond, Expr::Let(_)) || !has_let(&i.cond) => {
            i.then_branch.stmts.iter().any(holds_path_loop) || i.else_branch.as_ref().is_some_and(|(_, e)| expr_holds_path_loop(e))
        }
        Expr::Match(m) if returned_inner(e).is_none() => m.arms.iter().any(|a| expr_holds_path_loop(&a.body)),
        e => returned_inner(e).is_some_and(expr_holds_path_loop),
    }
}

enum LoopKind<'a> {
    Loop,
    While(&'a Expr),
    WhileLet(&'a Pat, &'a Expr),
    For(&'a Pat, &'a Expr, proc_macro2::Span),
}

/// Statements the instrumentation inserted that must run when resuming too
/// (`__hb_frame.enter();`).
fn is_own(stmt: &Stmt) -> bool {
    let text = stmt.to_token_stream().to_string();
    text.starts_with("__hb_frame")
}

fn collect_bindings(pat: &Pat, out: &mut Vec<(syn::Ident, bool)>) -> Result<(), String> {
    match pat {
        Pat::Ident(id) => {
            if id.by_ref.is_some() || id.subpat.is_some() {
                return Err("a loop pattern with `ref` or `@` (not yet)".into());
            }
            if !is_constant_like(&id.ident) {
                out.push((id.ident.clone(), id.mutability.is_some()));
            }
        }
        Pat::Tuple(t) => t.elems.iter().try_for_each(|p| collect_bindings(p, out))?,
        Pat::TupleStruct(t) => t.elems.iter().try_for_each(|p| collect_bindings(p, out))?,
        Pat::Struct(s) => s.fields.iter().try_for_each(|f| collect_bindings(&f.pat, out))?,
        Pat::Reference(r) => collect_bindings(&r.pat, out)?,
        Pat::Paren(p) => collect_bindings(&p.pat, out)?,
        Pat::Slice(s) => s.elems.iter().try_for_each(|p| collect_bindings(p, out))?,
        Pat::Type(t) => collect_bindings(&t.pat, out)?,
        Pat::Wild(_) | Pat::Rest(_) | Pat::Lit(_) | Pat::Path(_) | Pat::Range(_) => {}
        _ => return Err("a loop pattern this cannot take apart (not yet)".into()),
    }
    Ok(())
}

/// `None`, `MAX`: a path, not a binding.
fn is_constant_like(ident: &syn::Ident) -> bool {
    ident.to_string().chars().next().is_some_and(|c| c.is_uppercase())
}

/// The pattern with each binding `x` renamed `__hb_b_x` (and no `mut`).
fn renamed(pat: &Pat) -> String {
    fn walk(tokens: TokenStream) -> String {
        let mut out = String::new();
        for t in tokens {
            match t {
                TokenTree::Ident(i) if i == "mut" => {}
                TokenTree::Ident(i) if !is_constant_like(&syn::Ident::new(&i.to_string(), i.span())) && !["ref", "_"].contains(&i.to_string().as_str()) => {
                    out.push_str(&format!("__hb_b_{i} "))
                }
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::None => ("", ""),
                    };
                    out.push_str(&format!("{open}{}{close} ", walk(g.stream())));
                }
                other => out.push_str(&format!("{other} ")),
            }
        }
        out
    }
    walk(pat.to_token_stream())
}

/// The second pass: every use of a resident local, by scope.
struct Uses<'p, 'a> {
    plan: &'p mut Plan<'a>,
    /// Innermost last: name -> resident number (None: a plain local).
    scopes: Vec<HashMap<String, Option<usize>>>,
    moves: &'p [(u32, u32)],
}

impl Uses<'_, '_> {
    fn lookup(&self, name: &str) -> Option<usize> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied()).flatten()
    }

    fn bind_pat(&mut self, pat: &Pat) {
        let mut names = Vec::new();
        let _ = collect_bindings(pat, &mut names);
        let resident: Vec<(String, Option<usize>)> =
            names.iter().map(|(i, _)| (i.to_string(), self.plan.resident.get(&key(i.span().start())).copied())).collect();
        let scope = self.scopes.last_mut().expect("a scope");
        for (name, n) in resident {
            scope.insert(name, n);
        }
    }

    fn with_scope(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashMap::new());
        f(self);
        self.scopes.pop();
    }

    fn use_text(&self, n: usize, at: LineColumn) -> String {
        if self.moves.contains(&(at.line as u32, at.column as u32)) {
            format!("__hb_g{n}.take(&mut *__hb_v{n})")
        } else {
            format!("(*__hb_v{n})")
        }
    }
}

impl<'ast> Visit<'ast> for Uses<'_, '_> {
    fn visit_block(&mut self, b: &'ast Block) {
        self.with_scope(|s| visit::visit_block(s, b));
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.bind_pat(&local.pat);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        if c.capture.is_some() {
            // A `move` closure takes resident locals by value: bound just
            // before it, so it captures a value, not the frame's slot.
            let mut named = Vec::new();
            free_idents(&c.body.to_token_stream(), &mut named);
            let mut binds = String::new();
            let mut shadow = HashMap::new();
            for name in named {
                if let Some(n) = self.lookup(&name) {
                    if !shadow.contains_key(&name) {
                        binds.push_str(&format!("let {name} = __hb_g{n}.moved(&mut *__hb_v{n}); "));
                        shadow.insert(name, None);
                    }
                }
            }
            if !binds.is_empty() {
                let start = self.plan.off(c.span().start());
                let end = self.plan.off(c.span().end());
                self.plan.insert(start, format!("{{ {binds}"));
                self.plan.insert(end, " }".into());
                self.scopes.push(shadow);
            }
            let pushed = !binds.is_empty();
            self.with_scope(|s| {
                for p in &c.inputs {
                    s.bind_pat(p);
                }
                s.visit_expr(&c.body);
            });
            if pushed {
                self.scopes.pop();
            }
            return;
        }
        self.with_scope(|s| {
            for p in &c.inputs {
                s.bind_pat(p);
            }
            s.visit_expr(&c.body);
        });
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.with_scope(|s| {
            s.bind_pat(&arm.pat);
            if let Some((_, g)) = &arm.guard {
                s.visit_expr(g);
            }
            s.visit_expr(&arm.body);
        });
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.with_scope(|s| {
            s.bind_pat(&f.pat);
            s.visit_block(&f.body);
        });
    }

    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.with_scope(|s| {
            s.visit_expr(&w.cond);
            s.visit_block(&w.body);
        });
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        self.with_scope(|s| {
            s.visit_expr(&i.cond);
            s.visit_block(&i.then_branch);
        });
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        }
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        self.visit_expr(&l.expr);
        self.bind_pat(&l.pat);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        if let Some(n) = plain_ident(&a.left).and_then(|i| self.lookup(&i.to_string())) {
            let start = self.plan.off(a.left.span().start());
            let right = self.plan.off(a.right.span().start());
            self.plan.replace(start, right, format!("__hb_g{n}.put("));
            self.visit_expr(&a.right);
            let end = self.plan.off(a.right.span().end());
            self.plan.insert(end, format!(", &mut *__hb_v{n})"));
            return;
        }
        visit::visit_expr_assign(self, a);
    }

    fn visit_field_value(&mut self, f: &'ast syn::FieldValue) {
        if f.colon_token.is_none() {
            if let Some(ident) = plain_ident(&f.expr) {
                if let Some(n) = self.lookup(&ident.to_string()) {
                    let at = ident.span().start();
                    let (s, e) = (self.plan.off(at), self.plan.off(ident.span().end()));
                    let text = format!("{ident}: {}", self.use_text(n, at));
                    self.plan.replace_use(s, e, text, at);
                    return;
                }
            }
        }
        visit::visit_field_value(self, f);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        let Some(ident) = p.path.get_ident().filter(|_| p.qself.is_none()) else { return };
        if let Some(n) = self.lookup(&ident.to_string()) {
            let at = ident.span().start();
            let (s, e) = (self.plan.off(at), self.plan.off(ident.span().end()));
            let text = self.use_text(n, at);
            self.plan.replace_use(s, e, text, at);
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.macro_tokens(m.tokens.clone());
        // Inline format arguments (`{total}`) name locals inside a literal:
        // pass each resident one explicitly.
        let Some(TokenTree::Literal(lit)) = m.tokens.clone().into_iter().find(|t| matches!(t, TokenTree::Literal(l) if l.to_string().starts_with('"'))) else { return };
        let text = lit.to_string();
        let mut named = Vec::new();
        for piece in text.split('{').skip(1) {
            let name: String = piece.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if name.is_empty() || name.chars().next().is_some_and(|c| c.is_ascii_digit()) || named.contains(&name) {
                continue;
            }
            if let Some(n) = self.lookup(&name) {
                if !mentions_named(&m.tokens, &name) {
                    named.push(name.clone());
                    let close = self.plan.off(m.delimiter.span().close().start());
                    let trailing_comma = matches!(m.tokens.clone().into_iter().last(), Some(TokenTree::Punct(p)) if p.as_char() == ',');
                    self.plan.insert(close, format!("{}{name} = (*__hb_v{n})", if trailing_comma { " " } else { ", " }));
                }
            }
        }
    }
}

impl Uses<'_, '_> {
    /// Idents in a macro's tokens that name a resident local (not a field,
    /// a path segment, a macro or a named argument).
    fn macro_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, t) in trees.iter().enumerate() {
            match t {
                TokenTree::Group(g) => self.macro_tokens(g.stream()),
                TokenTree::Ident(ident) => {
                    let prev = i.checked_sub(1).and_then(|p| trees.get(p));
                    let next = trees.get(i + 1);
                    let after_dot = matches!(prev, Some(TokenTree::Punct(p)) if p.as_char() == '.' || p.as_char() == ':');
                    let before = match next {
                        Some(TokenTree::Punct(p)) => p.as_char() == '!' || p.as_char() == ':' || (p.as_char() == '=' && p.spacing() == Spacing::Alone),
                        _ => false,
                    };
                    if after_dot || before {
                        continue;
                    }
                    if let Some(n) = self.lookup(&ident.to_string()) {
                        let at = ident.span().start();
                        let (s, e) = (self.plan.off(at), self.plan.off(ident.span().end()));
                        let text = self.use_text(n, at);
                        self.plan.replace_use(s, e, text, at);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Every ident in `tokens` (a superset of the locals a closure names).
fn free_idents(tokens: &TokenStream, out: &mut Vec<String>) {
    for t in tokens.clone() {
        match t {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Group(g) => free_idents(&g.stream(), out),
            _ => {}
        }
    }
}

fn mentions_named(tokens: &TokenStream, name: &str) -> bool {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    trees.windows(2).any(|w| matches!((&w[0], &w[1]), (TokenTree::Ident(i), TokenTree::Punct(p)) if i == name && p.as_char() == '=' && p.spacing() == Spacing::Alone))
}

fn plain_ident(e: &Expr) -> Option<&syn::Ident> {
    match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_with_a_borrowed_local_resumes_in_place() {
        let src = "fn main() {\n    let mut total = 0u64;\n    let mut seen: Vec<u64> = Vec::new();\n    let tally = &mut seen;\n    println!(\"start\");\n    for i in 0..3 {\n        total += i;\n        tally.push(i);\n        println!(\"i={i} total={total}\");\n    }\n    println!(\"{} {}\", total, seen.len());\n}\n";
        let r = resume(src, 1, &[]).unwrap();
        assert_eq!(r.text.lines().count(), src.lines().count(), "{}", r.text);
        let names: Vec<(&str, u32, Kind)> = r.locals.iter().map(|w| (w.name.as_str(), w.line, w.kind)).collect();
        assert_eq!(names, [("total", 2, Kind::Place), ("seen", 3, Kind::Place), ("tally", 4, Kind::Place), ("iter", 6, Kind::Take), ("i", 6, Kind::Take)]);
        assert_eq!(r.sites, [ResumeSite { line: 6, needs: vec![0, 1, 2, 3, 4] }]);
        std::fs::write(std::env::temp_dir().join("hb_resume_test.rs"), &r.text).unwrap();
    }

    #[test]
    fn a_loop_in_an_ifs_branch_resumes_through_the_branch_without_its_condition() {
        let src = "fn watch(rounds: u64) -> u64 {\n    let mut ticks = 0;\n    if rounds > 0 {\n        let label = String::from(\"w\");\n        for t in 0..rounds {\n            ticks += t;\n            println!(\"{label} {t}\");\n        }\n    } else {\n        loop {\n            break;\n        }\n    }\n    ticks\n}\n";
        let r = resume(src, 1, &[]).unwrap();
        assert_eq!(r.text.lines().count(), src.lines().count(), "{}", r.text);
        let lines: Vec<u32> = r.sites.iter().map(|s| s.line).collect();
        assert_eq!(lines, [5, 10], "{}", r.text);
        let names: Vec<(&str, u32)> = r.locals.iter().map(|w| (w.name.as_str(), w.line)).collect();
        assert!(names.contains(&("label", 4)) && names.contains(&("ticks", 2)), "{names:?}");
        // Resuming picks the branch by the loop's line; a fresh call runs the condition.
        assert!(r.text.contains("if (match ::hotbreak::osr::branch(&__hb_rs, &[5]) { Some(__hb_b) => __hb_b, None => "), "{}", r.text);
    }

    #[test]
    fn a_loop_in_a_match_arm_takes_the_arms_bindings_from_the_frame() {
        let src = "fn f(plan: Option<u64>) -> u64 {\n    match plan {\n        Some(limit) if limit > 0 => {\n            let mut hops = 0;\n            while hops < limit {\n                hops += 1;\n            }\n            hops\n        }\n        Some(_) => 0,\n        | None => 1,\n    }\n}\n";
        let r = resume(src, 1, &[]).unwrap();
        assert_eq!(r.text.lines().count(), src.lines().count(), "{}", r.text);
        assert_eq!(r.sites.iter().map(|s| s.line).collect::<Vec<_>>(), [5], "{}", r.text);
        assert!(r.locals.iter().any(|w| w.name == "limit" && w.line == 3 && w.kind == Kind::Take), "{:?}", r.locals);
        assert!(r.locals.iter().any(|w| w.name == "hops" && w.line == 4), "{:?}", r.locals);
        assert!(r.text.contains("::hotbreak::osr::Arm::Fresh(Some(limit)) | ::hotbreak::osr::Arm::Resumed((limit,)) if __hb_rs.is_some() || ("), "{}", r.text);
        assert!(r.text.contains("::hotbreak::osr::Arm::Fresh(Some(_))"), "{}", r.text);
        assert!(r.text.contains("| ::hotbreak::osr::Arm::Fresh(None)"), "{}", r.text);
        assert!(r.text.contains("::hotbreak::osr::Arm::Resumed(_) => ::core::unreachable!(), }"), "{}", r.text);
    }

    #[test]
    fn a_loop_in_an_if_let_takes_its_bindings_from_the_frame() {
        let src = "fn f(v: Option<u64>) -> u64 {\n    let mut n = 0;\n    if let Some(mut k) = v {\n        while k > 0 {\n            k -= 1;\n            n += 1;\n        }\n    }\n    n\n}\n";
        let r = resume(src, 1, &[]).unwrap();
        assert_eq!(r.text.lines().count(), src.lines().count(), "{}", r.text);
        assert_eq!(r.sites.iter().map(|s| s.line).collect::<Vec<_>>(), [4], "{}", r.text);
        assert!(r.locals.iter().any(|w| w.name == "k" && w.line == 3 && w.kind == Kind::Take), "{:?}", r.locals);
        assert!(r.text.contains("if let Some((mut k,)) = (match ::hotbreak::osr::branch(&__hb_rs, &[4]) { Some(true) => { let __hb_r = __hb_rs.as_ref().expect(\"resuming\"); Some((__hb_r.take("), "{}", r.text);
        assert!(r.text.contains("{ Some (__hb_b_k )  => Some((__hb_b_k,)), _ => None } })"), "{}", r.text);
    }
}
