//! The stopped thread's stack: `backtrace`, `frame N`, `up`, `down`,
//! `break here`, and `locals`/`print` in a selected frame.
//!
//! The runtime walks the thread's physical frames with their registers
//! (`Op::Frames`); each is symbolized here from DWARF (`hotbreak-dwarf`:
//! the subprogram at the frame's pc and the calls inlined there, each a
//! frame of its own), debug-build shims folded as the runtime's own
//! backtraces fold them. Frame 0 is the stopped, instrumented function:
//! its locals come from its step point. The others are native code (or
//! another patch): their locals are read through DWARF, from the stopped
//! process's memory. Any stop of a thread has a stack, whatever stopped it.

use super::command::parse_path;
use super::output::{FrameRow, FrameView, Out};
use super::Session;
use anyhow::{anyhow, bail, Result};
use hotbreak::protocol::{RawFrame, StopReason, VarDesc};
use hotbreak_dwarf::{Place, Registers, Site};

/// One frame of the stopped thread, as `backtrace` lists it.
#[derive(Debug, Clone)]
pub(super) struct StackFrame {
    pub function: String,
    /// Relative to the workspace when it is in it.
    pub file: Option<String>,
    pub line: u32,
    /// 0 when unknown, or meaningless: a patch's columns are those of its
    /// instrumented text.
    pub column: u32,
    /// Its physical frame, and where in it: `None` for frame 0 (the step
    /// point's locals) and code without debug info.
    pub at: Option<(usize, Site)>,
}

/// The stack of one stop and the frame selected in it.
pub(super) struct Stack {
    stop: u64,
    raw: Vec<RawFrame>,
    pub frames: Vec<StackFrame>,
    pub selected: usize,
}

impl Session {
    /// The current stop's stack, walked and symbolized on first need.
    fn stack(&mut self) -> Result<&mut Stack> {
        let stop = self.current_stop()?;
        if self.stack.as_ref().is_none_or(|s| s.stop != stop) {
            let stack = self.walk_stack(stop)?;
            self.stack = Some(stack);
        }
        Ok(self.stack.as_mut().expect("set above"))
    }

    fn walk_stack(&mut self, stop: u64) -> Result<Stack> {
        let event = self.stops.iter().find(|s| s.stop == stop).cloned().ok_or_else(|| anyhow!("no stop #{stop}"))?;
        let started = std::time::Instant::now();
        let raw = self.dbg.frames(stop)?;
        let walked = started.elapsed();
        let mut listed: Vec<StackFrame> = Vec::new();
        self.with_program(|program, _| {
            for (i, frame) in raw.iter().enumerate() {
                // A return address: the call is the byte before it.
                let sites = program.sites_at(frame.ip.wrapping_sub(1));
                if sites.is_empty() {
                    // No DWARF for it (a build without debuginfo): its symbol.
                    let function = program.symbol_at(frame.ip.wrapping_sub(1)).unwrap_or_else(|| format!("{:#x}", frame.ip));
                    listed.push(StackFrame { function, file: None, line: 0, column: 0, at: None });
                }
                let start_up = sites.iter().any(|s| is_start_up(&s.function));
                for site in sites {
                    let at = Some((i, site.clone()));
                    // The executable is object 0; the others are patches.
                    let column = if site.object() == 0 { site.column } else { 0 };
                    listed.push(StackFrame { function: site.function, file: site.file, line: site.line, column, at });
                }
                if start_up {
                    // What lies below `main` is never shown: not symbolized.
                    break;
                }
            }
        })?;
        if std::env::var_os("HOTBREAK_DEBUG_FRAMES").is_some() {
            for f in &listed {
                eprintln!("hotbreak: frame {:?} {} {:?}:{}", f.at.as_ref().map(|a| a.0), f.function, f.file, f.line);
            }
        }
        // The stopped function was entered through its native code's entry
        // check (an in-body check jumps to the patch): that frame, right
        // outside, is the same call.
        if listed.len() > 1 && listed[1].function == listed[0].function && hotbreak::__private::shim_of(&listed[0].function).is_none() {
            listed.remove(1);
        }
        let workspace = self.workspace();
        let mut frames = without_adapters(fold_shims(listed));
        for f in &mut frames {
            f.file = f.file.take().map(|file| relative_to(&workspace, &file));
        }
        // At a panic, std's panic machinery lies below the panicking frame:
        // the first at the panic's `file:line` (a `#[track_caller]` fn such
        // as `unwrap` reports its caller's line, so that is its caller).
        let panic_at = match &event.reason {
            StopReason::Panic { file, line, .. } => Some((file.clone(), *line)),
            _ => None,
        };
        if let Some((file, line)) = &panic_at {
            let same = |f: &StackFrame| f.line == *line && f.file.as_deref().is_some_and(|g| g == file || g.ends_with(&format!("/{file}")) || file.ends_with(&format!("/{g}")));
            if let Some(at) = frames.iter().position(same) {
                frames.drain(..at);
            }
        }
        // The program's frames end where the runtime's start-up begins.
        if let Some(mut end) = frames.iter().position(|f| is_start_up(&f.function)) {
            // ...and the `FnOnce::call_once` that calls `main` from there.
            if end > 1 && frames[end - 1].function.contains("FnOnce") && frames[end - 1].function.ends_with("call_once") {
                end -= 1;
            }
            frames.truncate(end.max(1));
        }
        // Frame 0 is the stop itself, as the stop names it (a panic stops in
        // native code: its frame 0 keeps its DWARF).
        match frames.first_mut() {
            Some(_) if panic_at.is_some() => {}
            Some(first) => {
                first.file = Some(event.file.clone());
                first.line = event.line;
                first.column = 0;
                first.at = None;
            }
            None => frames.push(StackFrame { function: event.name.clone(), file: Some(event.file.clone()), line: event.line, column: 0, at: None }),
        }
        if std::env::var_os("HOTBREAK_TIMINGS").is_some() {
            eprintln!("hotbreak: stack of {} frames ({} physical): walk {walked:.1?}, symbolized in {:.1?}", frames.len(), raw.len(), started.elapsed() - walked);
        }
        Ok(Stack { stop, raw, frames, selected: 0 })
    }

    /// Runs `f` over the program's debug info and memory.
    pub(super) fn with_program<T>(&mut self, f: impl FnOnce(&hotbreak_dwarf::Program, &dyn hotbreak_dwarf::Memory) -> T) -> Result<T> {
        if self.values.is_none() {
            self.values = Some(super::values::Values::new(&self.host, &self.dbg)?);
        }
        Ok(self.values.as_mut().expect("made above").with_program(&mut self.dbg, f))
    }

    /// Whether `locals`/`print`/`set` read the selected frame through
    /// DWARF: a caller's frame, or frame 0 of a stop in native code (a
    /// panic), which has no step point's locals.
    pub(super) fn in_native_frame(&mut self) -> Result<bool> {
        let Some(stop) = self.current else { return Ok(false) };
        let panic = self.stops.iter().any(|s| s.stop == stop && matches!(s.reason, StopReason::Panic { .. }));
        if self.selected_frame() > 0 {
            return Ok(true);
        }
        // Frame 0 of a panic: from its DWARF, if it has any.
        Ok(panic && self.stack()?.frames[0].at.is_some())
    }

    /// The frame selected at the current stop (0 when none was).
    pub(super) fn selected_frame(&self) -> usize {
        match (&self.stack, self.current) {
            (Some(s), Some(stop)) if s.stop == stop => s.selected,
            _ => 0,
        }
    }

    /// `backtrace`: the frames, the selected one marked.
    pub(super) fn backtrace(&mut self) -> Result<()> {
        let stack = self.stack()?;
        let (stop, selected) = (stack.stop, stack.selected);
        let mut frames: Vec<String> = stack.frames.iter().map(describe).collect();
        let rows = stack.frames.iter().map(|f| FrameRow { function: f.function.clone(), file: f.file.clone(), line: f.line, column: f.column }).collect();
        // At a panic the runtime's backtrace (std's symbolizer, which also
        // finds the panicking frame without DWARF) stays what is printed.
        // Known gap: there it may not line up with the selectable frames.
        let panic = self.stops.iter().any(|s| s.stop == stop && matches!(s.reason, StopReason::Panic { .. }));
        if panic {
            frames = self.dbg.backtrace(stop)?;
        }
        self.say(Out::Backtrace { frames, selected, rows });
        Ok(())
    }

    /// `frame N`, `up` (+1, towards the callers), `down` (-1).
    pub(super) fn select_frame(&mut self, to: FrameMove) -> Result<()> {
        self.current.ok_or_else(|| anyhow!("no thread is stopped: `frame`, `up` and `down` select a frame of a stopped thread"))?;
        let stack = self.stack()?;
        let last = stack.frames.len() - 1;
        let n = match to {
            FrameMove::To(n) if n > last => bail!("no frame {n}: the stack has frames 0 to {last} (see `backtrace`)"),
            FrameMove::To(n) => n,
            FrameMove::Up if stack.selected == last => bail!("frame {last} is the outermost frame"),
            FrameMove::Up => stack.selected + 1,
            FrameMove::Down if stack.selected == 0 => bail!("frame 0 is the innermost frame (the stop)"),
            FrameMove::Down => stack.selected - 1,
        };
        stack.selected = n;
        let frame = stack.frames[n].clone();
        let source = frame.file.as_deref().and_then(|f| self.source_line(f, frame.line)).unwrap_or_default();
        let view = FrameView {
            number: n,
            function: frame.function.clone(),
            file: frame.file.clone().unwrap_or_default(),
            line: frame.line,
            source,
            native: n > 0,
        };
        self.say(Out::Frame(view));
        Ok(())
    }

    /// The locals of the selected frame, when it is not frame 0.
    pub(super) fn frame_locals(&mut self) -> Result<Vec<VarDesc>> {
        let started = std::time::Instant::now();
        let locals = self.read_frame_locals();
        if std::env::var_os("HOTBREAK_TIMINGS").is_some() {
            eprintln!("hotbreak: frame {} locals in {:.1?}", self.selected_frame(), started.elapsed());
        }
        locals
    }

    fn read_frame_locals(&mut self) -> Result<Vec<VarDesc>> {
        let (frame, regs, pc) = self.selected_native()?;
        let Some((_, site)) = frame.at else { bail!("{}", no_debug_info(&frame)) };
        self.with_program(|program, memory| {
            program
                .variables(&site, pc, &regs, memory)
                .into_iter()
                // What hotbreak's expansion and instrumentation declare.
                .filter(|v| !v.name.starts_with("__hb_") && !v.name.starts_with("__hotbreak"))
                .map(|v| {
                    let type_name = v.ty.map(|t| program.type_name(t)).unwrap_or_else(|| "?".into());
                    let (value, address) = match (&v.place, v.ty) {
                        (Place::Address(a), Some(t)) => (program.render(t, *a, &[], memory).map(|n| n.summary).unwrap_or_else(|e| format!("<{e}>")), *a),
                        (Place::Bytes(b), Some(t)) => (program.render_bytes(t, b, &[], memory).map(|n| n.summary).unwrap_or_else(|e| format!("<{e}>")), 0),
                        (Place::Address(_) | Place::Bytes(_), None) => ("<no type in debug info>".into(), 0),
                        (Place::OptimizedOut, _) => ("<optimized out>".into(), 0),
                        (Place::Unavailable(why), _) => (format!("<not available: {why}>"), 0),
                    };
                    VarDesc { name: v.name, type_name, value, debug: false, address, marker: 0 }
                })
                .collect()
        })
    }

    /// `print` in a selected frame above 0: a local and a path of fields,
    /// read through DWARF; anything else (a static, a call) compiled there.
    pub(super) fn frame_print(&mut self, expr: &str) -> Result<()> {
        let Ok((name, path)) = parse_path(expr) else { return self.frame_evaluate(expr) };
        let (frame, regs, pc) = self.selected_native()?;
        let Some((_, site)) = frame.at else { bail!("{}", no_debug_info(&frame)) };
        let vars = self.with_program(|program, memory| program.variables(&site, pc, &regs, memory))?;
        let Some(v) = vars.into_iter().find(|v| v.name == name) else { return self.frame_evaluate(expr) };
        let node = self.with_program(|program, memory| {
            match (v.place, v.ty) {
                (Place::Address(a), Some(t)) => {
                    let node = program.render(t, a, &path, memory).map_err(|e| anyhow!("{e}"))?;
                    let type_name = if path.is_empty() { program.type_name(t) } else { node.type_name.clone() };
                    Ok((type_name, node))
                }
                (Place::Bytes(b), Some(t)) => {
                    let node = program.render_bytes(t, &b, &path, memory).map_err(|e| anyhow!("{e}"))?;
                    let type_name = if path.is_empty() { program.type_name(t) } else { node.type_name.clone() };
                    Ok((type_name, node))
                }
                (Place::Address(_) | Place::Bytes(_), None) => bail!("`{name}` has no type in the debug info"),
                (Place::OptimizedOut, _) => bail!("`{name}` is optimized out here"),
                (Place::Unavailable(why), _) => bail!("`{name}` is not available here: {why}"),
            }
        })??;
        let (type_name, node) = node;
        self.say(Out::Value { expr: expr.to_string(), type_name, value: node.summary, fields: node.children, truncated: node.truncated });
        Ok(())
    }

    /// `break here`: a breakpoint on the selected frame's line; it hits when
    /// that function next runs the line (a frame that already runs its
    /// native code finishes natively).
    pub(super) fn break_here(&mut self) -> Result<()> {
        self.current_stop()?;
        let stack = self.stack()?;
        let frame = stack.frames[stack.selected].clone();
        let file = frame.file.clone().ok_or_else(|| anyhow!("`{}` has no source line in the debug info", frame.function))?;
        let spec = super::command::BreakSpec { location: super::command::Location::Line { file, line: frame.line }, condition: None, hits: None, log: None };
        self.add_breakpoint(spec, false)
    }

    /// The selected frame (not 0), its registers and the pc its DWARF is read at.
    pub(super) fn selected_native(&mut self) -> Result<(StackFrame, Registers, u64)> {
        let stack = self.stack()?;
        let frame = stack.frames[stack.selected].clone();
        let Some((raw, _)) = &frame.at else { return Ok((frame, Registers::default(), 0)) };
        let r = &stack.raw[*raw];
        let mut values = r.regs.clone();
        // rsp (7) while it waits in its call: the callee's CFA.
        values.push((7, r.sp));
        let pc = r.ip.wrapping_sub(1);
        Ok((frame, Registers { cfa: r.cfa, values }, pc))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameMove {
    To(usize),
    Up,
    Down,
}

/// Where the runtime's start-up calls `main` (or a thread's closure).
fn is_start_up(function: &str) -> bool {
    function.contains("__rust_begin_short_backtrace") || function.starts_with("std::rt::lang_start")
}

fn no_debug_info(frame: &StackFrame) -> String {
    format!("`{}` has no debug info, so its locals are unknown (a profile without `debug = true`?)", frame.function)
}

/// `function (file:line:column)`, as std's backtraces print a frame.
fn describe(f: &StackFrame) -> String {
    match &f.file {
        Some(file) if f.column > 0 => format!("{} ({file}:{}:{})", f.function, f.line, f.column),
        Some(file) => format!("{} ({file}:{})", f.function, f.line),
        None => f.function.clone(),
    }
}

/// `f::__hotbreak_native` frames become `f`, and the frame named `f` right
/// outside one goes: the shim inlined into the caller (see the runtime's
/// `without_shims`).
fn fold_shims(frames: Vec<StackFrame>) -> Vec<StackFrame> {
    let mut kept: Vec<StackFrame> = Vec::new();
    let mut body_of: Option<String> = None;
    for mut f in frames {
        // Inside a name (a closure of a native body as a generic argument)
        // the body is its function: `f::__hotbreak_native::{closure#0}`.
        f.function = f.function.replace("::__hotbreak_native::", "::");
        if let Some(function) = hotbreak::__private::shim_of(&f.function) {
            body_of = Some(function.clone());
            f.function = function;
            kept.push(f);
        } else if body_of.as_deref() != Some(f.function.as_str()) {
            body_of = None;
            kept.push(f);
        }
    }
    kept
}

/// Drops what an armed async fn adds between the patch's body and its
/// poller (as the runtime's backtrace does): `Awaiting::poll`, the boxed
/// future's `poll`, and the program's own body awaiting it, named as the
/// patch's body.
fn without_adapters(frames: Vec<StackFrame>) -> Vec<StackFrame> {
    let mut kept: Vec<StackFrame> = Vec::with_capacity(frames.len());
    let mut frames = frames.into_iter().peekable();
    while let Some(f) = frames.next() {
        if f.function.starts_with("<hotbreak::debug::tasks::Awaiting<") {
            continue;
        }
        if f.function.starts_with("<hotbreak::futures::Erased<") {
            if let (Some(body), Some(next)) = (kept.last(), frames.peek()) {
                if next.function == body.function {
                    frames.next();
                }
            }
            continue;
        }
        kept.push(f);
    }
    kept
}

/// A debug-info path as the session names files: relative to the
/// workspace when inside it.
fn relative_to(workspace: &std::path::Path, file: &str) -> String {
    let file = file.strip_prefix("./").unwrap_or(file);
    let path = std::path::Path::new(file);
    for root in [workspace.to_path_buf(), workspace.canonicalize().unwrap_or_default()] {
        if let Ok(rel) = path.strip_prefix(&root) {
            return rel.display().to_string();
        }
    }
    file.to_string()
}

#[cfg(test)]
mod tests {
    use super::{fold_shims, relative_to, StackFrame};

    fn frame(function: &str, line: u32) -> StackFrame {
        StackFrame { function: function.into(), file: Some("src/lib.rs".into()), line, column: 0, at: None }
    }

    #[test]
    fn shim_bodies_fold_into_their_function_and_recursion_stays() {
        let raw = vec![
            frame("app::fact::__hotbreak_native", 4),
            frame("app::fact", 2),
            frame("app::fact::__hotbreak_native", 5),
            frame("app::fact", 2),
            frame("<app::P<app::main::__hotbreak_native::{closure#0}>>::new", 7),
            frame("app::main", 9),
        ];
        let folded: Vec<(String, u32)> = fold_shims(raw).into_iter().map(|f| (f.function, f.line)).collect();
        let names = ["app::fact", "app::fact", "<app::P<app::main::{closure#0}>>::new", "app::main"];
        assert_eq!(folded, names.iter().zip([4, 5, 7, 9]).map(|(n, l)| (n.to_string(), l)).collect::<Vec<_>>());
    }

    #[test]
    fn debug_info_paths_become_workspace_relative() {
        let ws = std::path::Path::new("/work/ws");
        assert_eq!(relative_to(ws, "/work/ws/src/main.rs"), "src/main.rs");
        assert_eq!(relative_to(ws, "./src/main.rs"), "src/main.rs");
        assert_eq!(relative_to(ws, "/rustc/abc/library/core/src/ops/function.rs"), "/rustc/abc/library/core/src/ops/function.rs");
    }
}
