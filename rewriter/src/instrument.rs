//! Splicing the debug-mode region into one function.
//!
//! For breakpoints at lines of function `f`, the region runs from the
//! top-level statement of `f`'s body that contains the first breakpoint to
//! the end of the body. The patched `f` gets:
//!
//! - after its opening brace: the probe traits in scope, a `static` naming
//!   the function for the runtime, one hit counter per breakpoint;
//! - before the region: `let __hb_frame = Frame::new(..); __hb_frame.enter();`
//!   (not a closure, so `return`, `?`, `break` and borrows mean what they
//!   meant; not a guard, so calls in the region stay plain calls);
//! - before every statement of the region, at any depth (blocks, loop bodies,
//!   if/else, match arms, block closures): a step point with its line and
//!   references to the locals in scope there; breakpoints' conditions, hit
//!   counts and log points are compiled into the step point of their line;
//! - around every returned value (`return e`, the body's tail): a `match`
//!   that reports the value when stepping out.
//!
//! All of it is inserted within existing lines: no user line moves.

use crate::locate::{find_function_in, function_node, parse, FnSite, LocateError};
use crate::eval::{site_text, Eval, SiteLocal};
use crate::scope::{bindings, parameters, Binding};
use crate::text::LineIndex;
use proc_macro2::LineColumn;
use std::collections::BTreeSet;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Block, Expr, ReturnType, Stmt, Type};

/// When a breakpoint with a hit count pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitCount {
    /// Only on the Nth hit.
    Equal(u64),
    /// On the Nth hit and after.
    AtLeast(u64),
    /// On every Nth hit.
    Every(u64),
}

/// One breakpoint to compile in.
#[derive(Debug, Clone, Default)]
pub struct Breakpoint {
    pub id: u32,
    pub line: u32,
    /// A Rust `bool` expression over the locals in scope.
    pub condition: Option<String>,
    pub hits: Option<HitCount>,
    /// Log text with `{expr}` interpolation: print, don't pause.
    pub log: Option<String>,
}

/// A reference to a local that one step point takes: what pruning removes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaptureId {
    /// Byte offset, in the original source, of the point's statement.
    pub at: usize,
    pub name: String,
}

/// Where something inserted ended up in the patched text: 1-based line and
/// char columns, end exclusive (as rustc's JSON spans count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: u32,
    pub col_start: u32,
    pub col_end: u32,
}

impl Place {
    /// Whether a rustc span (1-based, end exclusive) overlaps this place.
    pub fn overlaps(&self, line_start: u32, col_start: u32, line_end: u32, col_end: u32) -> bool {
        let before = (line_end, col_end) <= (self.line, self.col_start);
        let after = (line_start, col_start) >= (self.line, self.col_end);
        !(before || after)
    }
}

#[derive(Debug, Clone)]
pub struct Capture {
    pub id: CaptureId,
    pub place: Place,
}

/// A condition or log expression the user wrote, as placed in the patch.
#[derive(Debug, Clone)]
pub struct UserCode {
    pub breakpoint: u32,
    pub place: Place,
}

#[derive(Debug, Clone)]
pub struct Instrumented {
    pub text: String,
    pub site: FnSite,
    pub captures: Vec<Capture>,
    pub user_code: Vec<UserCode>,
    /// Lines of the step points, in order.
    pub step_lines: Vec<u32>,
    /// Where the evaluated expression went, if there is one.
    pub eval_expr: Option<Place>,
    /// The locals the eval site takes, in order (`self` included): the
    /// stopped frame hands their addresses over in this order.
    pub eval_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstrumentError {
    Locate(LocateError),
    NotDebuggable { name: String, fn_line: u32 },
    Unpatchable { name: String, fn_line: u32, why: &'static str },
    /// No statement starts on the line; `nearest` does.
    NoStatement { line: u32, nearest: Option<u32> },
    /// Breakpoints of one patch must be in one function.
    OtherFunction { line: u32, name: String },
    BadLog { line: u32, message: String },
}

impl std::fmt::Display for InstrumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstrumentError::Locate(e) => write!(f, "{e}"),
            InstrumentError::NotDebuggable { name, fn_line } => write!(
                f,
                "`{name}` (line {fn_line}) is not debuggable: add #[hotbreak::debuggable] to it, its impl block or its module"
            ),
            InstrumentError::Unpatchable { name, fn_line, why } => {
                write!(f, "`{name}` (line {fn_line}) cannot be debugged yet: {why}")
            }
            InstrumentError::NoStatement { line, nearest: Some(n) } => {
                write!(f, "no statement starts at line {line}; the nearest line with one is {n}")
            }
            InstrumentError::NoStatement { line, nearest: None } => write!(f, "no statement starts at line {line}"),
            InstrumentError::OtherFunction { line, name } => write!(f, "line {line} is not in `{name}`"),
            InstrumentError::BadLog { line, message } => write!(f, "log text of the breakpoint at line {line}: {message}"),
        }
    }
}

impl std::error::Error for InstrumentError {}

/// What to instrument and how to name it.
pub struct Request<'a> {
    pub source: &'a str,
    /// The registry key and file (as rustc names it) the runtime reports.
    pub key: &'a str,
    pub file: &'a str,
    /// A line inside the function to instrument.
    pub function_line: u32,
    /// All in that function. None: step points everywhere, for stepping in.
    pub breakpoints: &'a [Breakpoint],
    /// Name of the `#[no_mangle]` entry getter to emit.
    pub getter: &'a str,
    /// Captures rustc rejected in an earlier round.
    pub pruned: &'a BTreeSet<CaptureId>,
    /// Rust expressions evaluated at each stop and shown beside the locals;
    /// pruned like captures where they do not compile.
    pub watches: &'a [String],
    /// Instrument the function even without `#[debuggable]` (for fuzzing
    /// the rewriter over code that has none).
    pub any_function: bool,
    /// An expression to compile in at a stop's line (see `eval.rs`).
    pub eval: Option<&'a Eval>,
}

/// The lines of `source` where a step point (and so a breakpoint) can go,
/// in the function containing `line`.
pub fn statement_lines(source: &str, line: u32) -> Result<Vec<u32>, InstrumentError> {
    let file = parse(source).map_err(InstrumentError::Locate)?;
    let site = find_function_in(&file, line).map_err(InstrumentError::Locate)?;
    Ok(lines_of(&file, &site, &LineIndex::new(source)))
}

fn lines_of(file: &syn::File, site: &FnSite, index: &LineIndex<'_>) -> Vec<u32> {
    let (sig, body) = function_node(&file.items, site.fn_line).expect("a located function");
    let mut walker = Walker::new(index, parameters(sig), &[], &[]);
    walker.body(body, 0, false);
    let mut lines: Vec<u32> = walker.points.iter().map(|p| p.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

pub fn instrument(req: &Request<'_>) -> Result<Instrumented, InstrumentError> {
    let file = parse(req.source).map_err(InstrumentError::Locate)?;
    instrument_parsed(&file, req)
}

/// [`instrument`] on `req.source` already parsed as `file` (callers that
/// rewrite one file many times parse it once).
pub fn instrument_parsed(file: &syn::File, req: &Request<'_>) -> Result<Instrumented, InstrumentError> {
    let site = find_function_in(file, req.function_line).map_err(InstrumentError::Locate)?;
    if !site.debuggable && !req.any_function {
        return Err(InstrumentError::NotDebuggable { name: site.name, fn_line: site.fn_line });
    }
    if let Some(why) = site.unpatchable {
        return Err(InstrumentError::Unpatchable { name: site.name, fn_line: site.fn_line, why });
    }
    let index = LineIndex::new(req.source);
    let lines = lines_of(file, &site, &index);
    if let Some(eval) = req.eval.filter(|e| !lines.contains(&e.line)) {
        return Err(InstrumentError::NoStatement { line: eval.line, nearest: None });
    }
    for bp in req.breakpoints {
        if !(site.fn_line..=site.last_line).contains(&bp.line) {
            return Err(InstrumentError::OtherFunction { line: bp.line, name: site.name.clone() });
        }
        if !lines.contains(&bp.line) {
            let nearest = lines.iter().copied().min_by_key(|&l| (l.abs_diff(bp.line), l < bp.line));
            return Err(InstrumentError::NoStatement { line: bp.line, nearest });
        }
    }

    let (sig, body) = function_node(&file.items, site.fn_line).expect("found above");
    let region_start = match req.breakpoints.iter().map(|b| b.line).min() {
        Some(first) => body
            .stmts
            .iter()
            .position(|s| (s.span().start().line as u32..=s.span().end().line as u32).contains(&first))
            .unwrap_or(0),
        None => 0,
    };
    let never_returns = matches!(&sig.output, ReturnType::Type(_, t) if matches!(**t, Type::Never(_)));
    let mut walker = Walker::new(&index, parameters(sig), req.breakpoints, req.watches);
    walker.eval = req.eval;
    walker.eval_only = req.eval.is_some();
    walker.return_type = spelled_return_type(sig);
    walker.asynchronous = sig.asyncness.is_some();
    // An eval site may go at any statement: the region is the whole body.
    let region_start = if req.eval.is_some() { 0 } else { region_start };
    walker.body(body, region_start, !never_returns && req.eval.is_none());
    if let Some(eval) = walker.eval {
        return Err(InstrumentError::NoStatement { line: eval.line, nearest: None });
    }

    let mut inserts = walker.inserts;
    let mut seq = inserts.len();
    let mut push = |at: usize, pieces: Vec<Piece>| {
        seq += 1;
        inserts.push(Insert { at, close: false, seq, pieces });
    };
    push(index.offset(site.sig_start), vec![Piece::Text("#[hotbreak::__patch] ".into())]);
    let mut prelude = prelude(req);
    let getter = site.getter_item(req.getter);
    if site.getter_inside() {
        prelude.push(Piece::Text(getter));
    } else {
        push(index.offset(site.container_end), vec![Piece::Text(getter)]);
    }
    push(index.offset(body.brace_token.span.open().end()), prelude);
    for bp in req.breakpoints {
        if let Some(log) = &bp.log {
            log_format(log).map_err(|message| InstrumentError::BadLog { line: bp.line, message })?;
        }
    }
    Ok(assemble(req, site, inserts, walker.points.iter().map(|p| p.line).collect()))
}

fn prelude(req: &Request<'_>) -> Vec<Piece> {
    let mut text = format!(
        "#[allow(unused_imports)] use ::hotbreak::__rt::{{ProbeDebug as _, ProbeName as _}}; \
         static __HB_FN: ::hotbreak::__rt::FnMeta = ::hotbreak::__rt::FnMeta {{ key: {:?}, name: {:?}, file: {:?} }}; ",
        req.key,
        req.key.rsplit("::").next().unwrap_or(req.key),
        req.file
    );
    for bp in req.breakpoints {
        text.push_str(&format!("static __HB_HITS_{}: ::hotbreak::__rt::Hits = ::hotbreak::__rt::Hits::new(); ", bp.id));
    }
    vec![Piece::Text(text)]
}

/// Text to insert, with the parts whose place in the result matters.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// One local of a step point at `at`: `(&&Probe("name", &name)).local(), `.
    Capture { at: usize, name: String },
    /// A watch expression at a step point: `(&&Probe("expr", &(expr))).local(), `.
    Watch { at: usize, expr: String },
    /// A breakpoint's condition or log argument, as the user wrote it.
    User { breakpoint: u32, text: String },
    /// The eval site at a step point at `at`, over the locals in scope.
    Eval { at: usize, locals: Vec<Binding>, expr: String },
}

#[derive(Debug)]
struct Insert {
    at: usize,
    /// Closing text goes before opening text at the same offset, inner first.
    close: bool,
    seq: usize,
    pieces: Vec<Piece>,
}

/// A step point, as found by the walk.
#[derive(Debug)]
struct Point {
    line: u32,
}

/// The line of a statement's first token after its outer attributes.
fn code_line(stmt: &Stmt) -> u32 {
    let tokens: Vec<proc_macro2::TokenTree> = quote::ToTokens::to_token_stream(stmt).into_iter().collect();
    let mut i = 0;
    while let [proc_macro2::TokenTree::Punct(p), proc_macro2::TokenTree::Group(g), ..] = &tokens[i..] {
        if p.as_char() != '#' || g.delimiter() != proc_macro2::Delimiter::Bracket {
            break;
        }
        i += 2;
    }
    tokens.get(i).map_or(stmt.span().start().line, |t| t.span().start().line) as u32
}

/// The output type, when a turbofish in the body can name it: not `-> !`
/// (unstable as a type argument) nor `impl Trait` (not a type there);
/// elided lifetimes are fine in an expression.
fn spelled_return_type(sig: &syn::Signature) -> Option<String> {
    let ReturnType::Type(_, ty) = &sig.output else { return None };
    let text = quote::ToTokens::to_token_stream(&**ty).to_string();
    let unnameable = matches!(**ty, Type::Never(_)) || text.split_whitespace().any(|t| t == "impl");
    (!unnameable).then_some(text)
}

struct Walker<'a> {
    index: &'a LineIndex<'a>,
    breakpoints: &'a [Breakpoint],
    watches: &'a [String],
    /// Names in scope, innermost scope last.
    scopes: Vec<Vec<Binding>>,
    eval: Option<&'a Eval>,
    /// An eval library: the eval site and nothing else (see `eval.rs`).
    eval_only: bool,
    in_region: bool,
    /// Inside a closure, `return` is the closure's.
    closures: usize,
    /// An async fn: its frame lives in its future, and its `.await`s tell
    /// the futures they poll who awaits them (runtime `debug/tasks.rs`).
    asynchronous: bool,
    wrap_returns: bool,
    /// The function's return type as written, when it can be named in the
    /// body: returned values are passed through `returned_as::<T>` so that
    /// the wrapping keeps the type they are expected to have.
    return_type: Option<String>,
    points: Vec<Point>,
    inserts: Vec<Insert>,
    /// Breakpoints already placed (the first point of a line takes it).
    placed: BTreeSet<u32>,
}

impl<'a> Walker<'a> {
    fn new(index: &'a LineIndex<'a>, params: Vec<Binding>, breakpoints: &'a [Breakpoint], watches: &'a [String]) -> Self {
        Walker {
            index,
            breakpoints,
            watches,
            scopes: vec![params],
            eval: None,
            eval_only: false,
            in_region: false,
            closures: 0,
            asynchronous: false,
            wrap_returns: false,
            return_type: None,
            points: Vec::new(),
            inserts: Vec::new(),
            placed: BTreeSet::new(),
        }
    }

    fn body(&mut self, body: &Block, region_start: usize, wrap_returns: bool) {
        self.wrap_returns = wrap_returns;
        self.scopes.push(Vec::new());
        let last = body.stmts.len().saturating_sub(1);
        for (i, stmt) in body.stmts.iter().enumerate() {
            self.in_region = i >= region_start;
            if i == region_start && !self.eval_only {
                let at = self.before_statement(stmt.span().start());
                let new = if self.asynchronous { "new_async" } else { "new" };
                self.insert(at, false, vec![Piece::Text(format!("let __hb_frame = ::hotbreak::__rt::Frame::{new}(&__HB_FN); __hb_frame.enter(); "))]);
            }
            match stmt {
                Stmt::Expr(tail, None) if i == last && self.in_region && wrap_returns => {
                    self.point(stmt.span().start(), None);
                    self.returned(tail);
                }
                _ => self.statement(stmt),
            }
        }
        self.scopes.pop();
    }

    fn offset(&self, at: LineColumn) -> usize {
        self.index.offset(at)
    }

    fn insert(&mut self, at: usize, close: bool, pieces: Vec<Piece>) {
        let seq = self.inserts.len();
        self.inserts.push(Insert { at, close, seq, pieces });
    }

    /// Names visible here, outermost first, each once (shadowing: the inner).
    fn visible(&self) -> Vec<Binding> {
        let mut out: Vec<Binding> = Vec::new();
        for b in self.scopes.iter().flatten() {
            out.retain(|n| n.name != b.name);
            out.push(b.clone());
        }
        out
    }

    fn captures(&self, at: usize) -> Vec<Piece> {
        let mut pieces = vec![Piece::Text("&[".into())];
        for b in self.visible() {
            pieces.push(Piece::Capture { at, name: b.name });
        }
        for expr in self.watches {
            pieces.push(Piece::Watch { at, expr: expr.clone() });
        }
        pieces.push(Piece::Text("]".into()));
        pieces
    }

    /// A step point before the statement starting at `start`. With `arm`,
    /// it opens a block around a match arm's expression body.
    fn point(&mut self, start: LineColumn, arm: Option<LineColumn>) {
        self.point_on(start, start.line as u32, arm)
    }

    /// Where code inserted before the statement starting at `start` goes:
    /// at the end of the line before, when only whitespace separates them
    /// from the end of the previous statement or a block's `{` and that
    /// line cannot end inside a comment or literal; else at `start`. Then
    /// nothing on the statement's line moves: `column!()`, `dbg!` and panic
    /// locations stay as in the program.
    fn before_statement(&self, start: LineColumn) -> usize {
        let at = self.offset(start);
        match crate::text::end_of_line_before(self.index.text(), at) {
            Some((end, before)) if before.trim_end().ends_with([';', '{', '}']) => end,
            _ => at,
        }
    }

    /// A step point inserted at `start` for code on `line` (a statement's
    /// attributes come before its code: `#[cfg(..)]` above `unsafe {`).
    fn point_on(&mut self, start: LineColumn, line: u32, arm: Option<LineColumn>) {
        if !self.in_region {
            return;
        }
        self.points.push(Point { line });
        let at = if arm.is_some() { self.offset(start) } else { self.before_statement(start) };
        if self.eval_only {
            // Built to be loaded, never run: only the eval site, at its line.
            let Some(eval) = self.eval.filter(|e| e.line == line) else { return };
            self.eval = None;
            let mut pieces = if arm.is_some() { vec![Piece::Text("{ ".into())] } else { Vec::new() };
            pieces.push(Piece::Eval { at, locals: self.visible(), expr: eval.expr.clone() });
            self.insert(at, false, pieces);
            if let Some(end) = arm {
                let end = self.offset(end);
                self.insert(end, true, vec![Piece::Text(" }".into())]);
            }
            return;
        }
        let mut pieces = Vec::new();
        if arm.is_some() {
            pieces.push(Piece::Text("{ ".into()));
        }
        if let Some(eval) = self.eval.filter(|e| e.line == line) {
            self.eval = None;
            pieces.push(Piece::Eval { at, locals: self.visible(), expr: eval.expr.clone() });
        }
        // Every breakpoint of this line lives in its first point: log points
        // first, then pausing ones chained with `else` (one pause per pass).
        let mut here: Vec<Breakpoint> = self.breakpoints.iter().filter(|b| b.line == line && !self.placed.contains(&b.id)).cloned().collect();
        here.sort_by_key(|b| b.log.is_none());
        for bp in &here {
            self.placed.insert(bp.id);
            pieces.extend(self.breakpoint_check(bp, at));
        }
        pieces.push(Piece::Text(format!("if ::hotbreak::__load_flag!(::hotbreak::__rt::STEPPING) != 0 {{ {}", self.frame_call("step"))));
        pieces.push(Piece::Text(format!("{line}, ")));
        pieces.extend(self.captures(at));
        pieces.push(Piece::Text("); } ".into()));
        self.insert(at, false, pieces);
        if let Some(end) = arm {
            let end = self.offset(end);
            self.insert(end, true, vec![Piece::Text(" }".into())]);
        }
    }

    /// How a step point or breakpoint names its frame: the function's own
    /// lines go through `__hb_frame`, which tells the runtime where the frame
    /// lives; a closure's lines cannot (a `move` closure would take it), so
    /// they call the runtime with the function's name only.
    fn frame_call(&self, entry: &str) -> String {
        if self.closures == 0 {
            format!("__hb_frame.{entry}(")
        } else {
            format!("::hotbreak::__rt::{entry}(&__HB_FN, ")
        }
    }

    /// `if COND && hits { pause or log }` for a breakpoint on this line.
    fn breakpoint_check(&self, bp: &Breakpoint, at: usize) -> Vec<Piece> {
        let mut pieces = vec![Piece::Text("if (".into())];
        match &bp.condition {
            Some(cond) => pieces.push(Piece::User { breakpoint: bp.id, text: cond.clone() }),
            None => pieces.push(Piece::Text("true".into())),
        }
        let (kind, n) = match bp.hits {
            None => (0, 0),
            Some(HitCount::Equal(n)) => (1, n),
            Some(HitCount::AtLeast(n)) => (2, n),
            Some(HitCount::Every(n)) => (3, n),
        };
        pieces.push(Piece::Text(format!(") && __HB_HITS_{}.hit({}, {kind}, {n}) {{ ", bp.id, bp.id)));
        match &bp.log {
            Some(text) => {
                // Validated by the caller; a bad one logs nothing.
                let (fmt, args) = log_format(text).unwrap_or_default();
                pieces.push(Piece::Text(format!("::hotbreak::__rt::log(&__HB_FN, {}, {}, ::std::format!({fmt:?}", bp.line, bp.id)));
                for arg in args {
                    pieces.push(Piece::Text(", (".into()));
                    pieces.push(Piece::User { breakpoint: bp.id, text: arg });
                    pieces.push(Piece::Text(")".into()));
                }
                pieces.push(Piece::Text(")); } ".into()));
            }
            None => {
                pieces.push(Piece::Text(format!("{}{}, {}, ", self.frame_call("breakpoint"), bp.line, bp.id)));
                pieces.extend(self.captures(at));
                // A pause here also serves as this statement's step point.
                pieces.push(Piece::Text("); } else ".into()));
            }
        }
        pieces
    }

    /// Wraps a returned expression so stepping out reports its value.
    fn returned(&mut self, expr: &Expr) {
        let (start, end) = (self.offset(expr.span().start()), self.offset(expr.span().end()));
        // Parenthesised: a struct literal cannot be a bare `match` scrutinee.
        // A scrutinee has no expected type, so closures in it would lose
        // theirs (`match self { A => |c| c.is_ascii_digit() }` for a
        // `fn(char) -> bool`, in toml_parser): the function's type is passed on.
        let open = match &self.return_type {
            Some(ty) => format!("match ::hotbreak::__rt::returned_as::<{ty}>("),
            None => "match (".to_string(),
        };
        self.insert(start, false, vec![Piece::Text(open)]);
        self.visit_expr(expr);
        let line = expr.span().end().line;
        let mut pieces = vec![Piece::Text(format!(
            ") {{ __hb_ret => {{ __hb_frame.returned({line}, (&&::hotbreak::__rt::Probe(\"return\", &__hb_ret)).local(), "
        ))];
        pieces.extend(self.captures(start));
        pieces.push(Piece::Text("); __hb_ret } }".into()));
        self.insert(end, true, pieces);
    }

    fn statement(&mut self, stmt: &Stmt) {
        if matches!(stmt, Stmt::Item(_)) {
            return;
        }
        self.point_on(stmt.span().start(), code_line(stmt), None);
        match stmt {
            Stmt::Local(local) => {
                if let Some(init) = &local.init {
                    self.visit_expr(&init.expr);
                    if let Some((_, diverge)) = &init.diverge {
                        self.visit_expr(diverge);
                    }
                }
                let mut names = Vec::new();
                bindings(&local.pat, &mut names);
                self.scopes.last_mut().expect("a scope").extend(names);
            }
            Stmt::Expr(expr, _) => self.visit_expr(expr),
            Stmt::Macro(_) | Stmt::Item(_) => {}
        }
    }

    fn scoped(&mut self, names: Vec<Binding>, f: impl FnOnce(&mut Self)) {
        self.scopes.push(names);
        f(self);
        self.scopes.pop();
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_block(&mut self, block: &'ast Block) {
        self.scoped(Vec::new(), |w| {
            for stmt in &block.stmts {
                w.statement(stmt);
            }
        });
    }

    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.visit_expr(&e.expr);
        let mut names = Vec::new();
        bindings(&e.pat, &mut names);
        self.scoped(names, |w| w.visit_block(&e.body));
    }

    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.scoped(Vec::new(), |w| {
            w.visit_expr(&e.cond);
            w.visit_block(&e.body);
        });
    }

    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.scoped(Vec::new(), |w| {
            w.visit_expr(&e.cond);
            w.visit_block(&e.then_branch);
        });
        if let Some((_, other)) = &e.else_branch {
            self.visit_expr(other);
        }
    }

    fn visit_expr_let(&mut self, e: &'ast syn::ExprLet) {
        self.visit_expr(&e.expr);
        let mut names = Vec::new();
        bindings(&e.pat, &mut names);
        self.scopes.last_mut().expect("a scope").extend(names);
    }

    fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
        self.visit_expr(&e.expr);
        for arm in &e.arms {
            let mut names = Vec::new();
            bindings(&arm.pat, &mut names);
            self.scoped(names, |w| {
                if let Some((_, guard)) = &arm.guard {
                    w.visit_expr(guard);
                }
                if matches!(*arm.body, Expr::Block(_)) {
                    w.visit_expr(&arm.body);
                } else {
                    w.point(arm.body.span().start(), Some(arm.body.span().end()));
                    w.visit_expr(&arm.body);
                }
            });
        }
    }

    fn visit_expr_closure(&mut self, e: &'ast syn::ExprClosure) {
        // A closure sees only its own parameters and locals: naming an outer
        // local could change what a `move` closure captures.
        let mut names = Vec::new();
        for p in &e.inputs {
            bindings(p, &mut names);
        }
        let outer = std::mem::replace(&mut self.scopes, vec![names]);
        self.closures += 1;
        self.visit_expr(&e.body);
        self.closures -= 1;
        self.scopes = outer;
    }

    fn visit_expr_return(&mut self, e: &'ast syn::ExprReturn) {
        match &e.expr {
            Some(value) if self.in_region && self.closures == 0 && self.wrap_returns => self.returned(value),
            _ => visit::visit_expr_return(self, e),
        }
    }

    fn visit_expr_await(&mut self, e: &'ast syn::ExprAwait) {
        if self.asynchronous && self.in_region && self.closures == 0 && !self.eval_only {
            let (start, end) = (self.offset(e.base.span().start()), self.offset(e.base.span().end()));
            self.insert(start, false, vec![Piece::Text("::hotbreak::__rt::awaiting(__hb_frame.id(), ".into())]);
            self.visit_expr(&e.base);
            self.insert(end, true, vec![Piece::Text(")".into())]);
        } else {
            visit::visit_expr_await(self, e);
        }
    }

    /// An async block's lines are like a closure's: its own locals only
    /// (naming an outer one could change what an `async move` captures).
    fn visit_expr_async(&mut self, e: &'ast syn::ExprAsync) {
        let outer = std::mem::replace(&mut self.scopes, vec![Vec::new()]);
        self.closures += 1;
        self.visit_block(&e.block);
        self.closures -= 1;
        self.scopes = outer;
    }

    // Not descended: their statements are not this frame's.
    fn visit_expr_const(&mut self, _: &'ast syn::ExprConst) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn assemble(req: &Request<'_>, site: FnSite, mut inserts: Vec<Insert>, step_lines: Vec<u32>) -> Instrumented {
    inserts.sort_by(|a, b| {
        a.at.cmp(&b.at).then(b.close.cmp(&a.close)).then(if a.close { b.seq.cmp(&a.seq) } else { a.seq.cmp(&b.seq) })
    });
    let source = req.source;
    let mut text = String::with_capacity(source.len() * 2);
    let mut spans_captures = Vec::new();
    let mut spans_user = Vec::new();
    let mut eval_span = None;
    let mut eval_names = Vec::new();
    let mut copied = 0;
    for ins in &inserts {
        text.push_str(&source[copied..ins.at]);
        copied = ins.at;
        for piece in &ins.pieces {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Capture { at, name } => {
                    let id = CaptureId { at: *at, name: name.clone() };
                    if !req.pruned.contains(&id) {
                        text.push_str(&format!("(&&::hotbreak::__rt::Probe({name:?}, "));
                        let start = text.len();
                        text.push('&');
                        text.push_str(name);
                        spans_captures.push((id, start, text.len()));
                        text.push_str(")).local(), ");
                    }
                }
                Piece::Watch { at, expr } => {
                    let id = CaptureId { at: *at, name: format!("watch:{expr}") };
                    if !req.pruned.contains(&id) {
                        text.push_str(&format!("(&&::hotbreak::__rt::Probe({expr:?}, "));
                        let start = text.len();
                        text.push_str(&format!("&({expr})"));
                        spans_captures.push((id, start, text.len()));
                        text.push_str(")).local(), ");
                    }
                }
                Piece::User { breakpoint, text: code } => {
                    let start = text.len();
                    text.push_str(code);
                    spans_user.push((*breakpoint, start, text.len()));
                }
                Piece::Eval { at, locals, expr } => {
                    let available = |b: &Binding| !req.pruned.contains(&CaptureId { at: *at, name: b.name.clone() });
                    let locals: Vec<SiteLocal<'_>> = locals.iter().map(|b| SiteLocal { binding: b, available: available(b) }).collect();
                    let (site, range) = site_text(&locals, expr);
                    eval_names = locals.iter().filter(|l| l.available).map(|l| l.binding.name.clone()).collect();
                    eval_span = Some((text.len() + range.start, text.len() + range.end));
                    text.push_str(&site);
                }
            }
        }
    }
    text.push_str(&source[copied..]);
    let place = |start: usize, end: usize| {
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..start].chars().count() as u32 + 1;
        Place {
            line: text[..start].matches('\n').count() as u32 + 1,
            col_start: col,
            col_end: col + text[start..end].chars().count() as u32,
        }
    };
    let captures = spans_captures.into_iter().map(|(id, s, e)| Capture { id, place: place(s, e) }).collect();
    let user_code = spans_user.into_iter().map(|(breakpoint, s, e)| UserCode { breakpoint, place: place(s, e) }).collect();
    let eval_expr = eval_span.map(|(s, e)| place(s, e));
    Instrumented { text, site, captures, user_code, step_lines, eval_expr, eval_names }
}

/// Splits log text with `{expr}` / `{expr:spec}` holes into a format string
/// and its arguments. `{{` and `}}` are literal braces.
pub fn log_format(text: &str) -> Result<(String, Vec<String>), String> {
    let mut fmt = String::new();
    let mut args = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                fmt.push_str("{{");
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                fmt.push_str("}}");
            }
            '}' => return Err(format!("unmatched `}}` at column {}", i + 1)),
            '{' => {
                let mut depth = 1;
                let mut hole = String::new();
                for (_, c) in chars.by_ref() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    hole.push(c);
                }
                if depth != 0 {
                    return Err(format!("unclosed `{{` at column {}", i + 1));
                }
                let (expr, spec) = split_spec(&hole);
                if expr.trim().is_empty() {
                    return Err(format!("empty `{{}}` at column {}: write the expression to show inside", i + 1));
                }
                fmt.push('{');
                if let Some(spec) = spec {
                    fmt.push(':');
                    fmt.push_str(spec);
                }
                fmt.push('}');
                args.push(expr.trim().to_string());
            }
            c => fmt.push(c),
        }
    }
    Ok((fmt, args))
}

/// `v.len():>4` -> (`v.len()`, `>4`); a `::` path separator is not a spec.
fn split_spec(hole: &str) -> (&str, Option<&str>) {
    let bytes = hole.as_bytes();
    for (i, &b) in bytes.iter().enumerate().rev() {
        if b == b':' && bytes.get(i + 1) != Some(&b':') && (i == 0 || bytes[i - 1] != b':') {
            return (&hole[..i], Some(&hole[i + 1..]));
        }
    }
    (hole, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_becomes_a_format_string() {
        assert_eq!(log_format("x = {x}, n={v.len():>3} {{lit}}").unwrap(), ("x = {}, n={:>3} {{lit}}".to_string(), vec!["x".to_string(), "v.len()".to_string()]));
        assert_eq!(log_format("{std::mem::size_of::<u8>()}").unwrap().1, ["std::mem::size_of::<u8>()"]);
        assert_eq!(log_format("{p:?}").unwrap(), ("{:?}".to_string(), vec!["p".to_string()]));
        assert!(log_format("oops {x").unwrap_err().contains("unclosed"));
        assert!(log_format("oops }").unwrap_err().contains("unmatched"));
        assert!(log_format("{ }").unwrap_err().contains("empty"));
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    const CORPUS: &str = include_str!("../../examples/corpus/src/shapes.rs");

    /// Every line of user code stays on its line, in order, whatever the
    /// breakpoint: instrumentation only ever adds text within lines.
    #[test]
    fn instrumenting_any_line_keeps_every_user_line_in_place() {
        let file = syn::parse_file(CORPUS).unwrap();
        let mut checked = 0;
        for line in 1..=CORPUS.lines().count() as u32 {
            let Ok(lines) = statement_lines(CORPUS, line) else { continue };
            if !lines.contains(&line) {
                continue;
            }
            let bp = [Breakpoint { id: 1, line, condition: Some("true".into()), ..Breakpoint::default() }];
            let req = Request { source: CORPUS, key: "k", file: "f.rs", function_line: line, breakpoints: &bp, getter: "g", pruned: &BTreeSet::new(), watches: &[], any_function: false, eval: None };
            let out = match instrument(&req) {
                Ok(out) => out,
                Err(InstrumentError::Unpatchable { .. } | InstrumentError::NotDebuggable { .. }) => continue,
                Err(e) => panic!("line {line}: {e}"),
            };
            assert_eq!(out.text.lines().count(), CORPUS.lines().count(), "line {line}");
            // Only insertions: each original line is a subsequence of its
            // patched line.
            for (n, (orig, patched)) in CORPUS.lines().zip(out.text.lines()).enumerate() {
                let mut rest = patched.chars();
                for c in orig.chars() {
                    assert!(rest.any(|p| p == c), "bp {line}: line {} lost {c:?}:\n{patched}", n + 1);
                }
            }
            syn::parse_file(&out.text).unwrap_or_else(|e| panic!("bp {line}: patched source does not parse: {e}"));
            checked += 1;
        }
        drop(file);
        assert!(checked > 200, "only {checked} lines checked");
    }

    #[test]
    fn lines_without_a_statement_name_the_nearest_one() {
        let src = "#[hotbreak::debuggable]\nfn f(x: u32) -> u32 {\n    // a comment\n\n    let y = x + 1;\n    y\n}\n";
        let bp = |line| [Breakpoint { id: 1, line, ..Breakpoint::default() }];
        let err = |line| {
            instrument(&Request { source: src, key: "k", file: "f.rs", function_line: line, breakpoints: &bp(line), getter: "g", pruned: &BTreeSet::new(), watches: &[], any_function: false, eval: None })
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(2), "no statement starts at line 2; the nearest line with one is 5");
        assert_eq!(err(3), "no statement starts at line 3; the nearest line with one is 5");
        assert_eq!(err(7), "no statement starts at line 7; the nearest line with one is 6");
        assert_eq!(err(1), "line 1 is not inside a function");
    }

    #[test]
    fn unpatchable_functions_say_why() {
        let src = "#[hotbreak::debuggable]\nconst fn g(x: u8) -> u8 {\n    x\n}\n#[hotbreak::debuggable]\nasync fn a((t, _): (u8, u8), r: impl Read) {\n    let _ = 1;\n}\nfn plain() {\n    let _ = 2;\n}\n";
        let run = |line: u32| {
            let bp = [Breakpoint { id: 1, line, ..Breakpoint::default() }];
            instrument(&Request { source: src, key: "k", file: "f.rs", function_line: line, breakpoints: &bp, getter: "g", pruned: &BTreeSet::new(), watches: &[], any_function: false, eval: None })
                .unwrap_err()
                .to_string()
        };
        assert_eq!(run(3), "`g` (line 2) cannot be debugged yet: const fn");
        assert_eq!(run(7), "`a` (line 6) cannot be debugged yet: generic async fn with an impl Trait argument bound by a pattern");
        assert!(run(10).starts_with("`plain` (line 9) is not debuggable: add #[hotbreak::debuggable]"));
    }

    #[test]
    fn a_generic_async_fn_brings_its_instance_s_adapter() {
        let src = "#[hotbreak::debuggable]\nasync fn a<T: Clone>(t: &T) -> T {\n    let u = t.clone();\n    u\n}\n";
        let bp = [Breakpoint { id: 1, line: 3, ..Breakpoint::default() }];
        let out = instrument(&Request { source: src, key: "k", file: "f.rs", function_line: 3, breakpoints: &bp, getter: "get", pruned: &BTreeSet::new(), watches: &[], any_function: false, eval: None })
            .unwrap()
            .text;
        assert!(out.contains("static __HB_ASYNC: u8 = 0;"), "{out}");
        assert!(out.contains("if ::core::hint::black_box(false) { ::core::hint::black_box(::hotbreak::__private::async_entry1(a::<T>)); }"), "{out}");
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn an_async_fn_gets_a_task_frame_its_awaits_name_it_and_its_getter_an_adapter() {
        let src = "#[hotbreak::debuggable]\nasync fn a(x: &u8) -> u8 {\n    let y = f(*x).await;\n    let b = async { g().await };\n    y + b.await\n}\n";
        let bp = [Breakpoint { id: 1, line: 3, ..Breakpoint::default() }];
        let out = instrument(&Request { source: src, key: "k", file: "f.rs", function_line: 3, breakpoints: &bp, getter: "get", pruned: &BTreeSet::new(), watches: &[], any_function: false, eval: None })
            .unwrap()
            .text;
        assert!(out.contains("let __hb_frame = ::hotbreak::__rt::Frame::new_async(&__HB_FN);"), "{out}");
        assert!(out.contains("::hotbreak::__rt::awaiting(__hb_frame.id(), f(*x)).await"), "{out}");
        assert!(out.contains("y + ::hotbreak::__rt::awaiting(__hb_frame.id(), b).await"), "{out}");
        // The async block's await is its own, not the fn's.
        assert!(out.contains("g().await"), "{out}");
        assert!(!out.contains("awaiting(__hb_frame.id(), g())"), "{out}");
        assert!(out.contains("::hotbreak::__private::async_entry1(a)"), "{out}");
    }
}

#[cfg(test)]
mod placement_tests {
    use super::*;

    #[test]
    fn every_breakpoint_of_a_line_is_compiled_in() {
        let src = "#[hotbreak::debuggable]\nfn f(x: u32) -> u32 {\n    let y = x + 1;\n    y\n}\n";
        let bps = [
            Breakpoint { id: 1, line: 3, condition: Some("x > 1".into()), ..Breakpoint::default() },
            Breakpoint { id: 2, line: 3, log: Some("x={x}".into()), ..Breakpoint::default() },
            Breakpoint { id: 3, line: 3, condition: Some("x == 0".into()), ..Breakpoint::default() },
        ];
        let req = Request { source: src, key: "k", file: "f.rs", function_line: 3, breakpoints: &bps, getter: "g", pruned: &BTreeSet::new(), watches: &[], any_function: false, eval: None };
        let out = instrument(&req).unwrap();
        // At the end of the line before, so that line 3 keeps its columns.
        let line = out.text.lines().nth(1).unwrap();
        assert!(out.text.lines().nth(2).unwrap().starts_with("    let y = x + 1;"));
        let log = line.find("__HB_HITS_2.hit").unwrap();
        let first = line.find("__HB_HITS_1.hit").unwrap();
        let third = line.find("__HB_HITS_3.hit").unwrap();
        assert!(log < first && first < third, "{line}");
        assert_eq!(out.user_code.iter().map(|u| u.breakpoint).collect::<Vec<_>>(), [2, 1, 3]);
    }
}
