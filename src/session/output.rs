//! What a session says: one value per message, printed for people or as a
//! JSON line for scripts.

use hotbreak::protocol::VarDesc;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Out {
    /// `files`: the workspace files holding debuggable functions.
    Started { pid: u32, program: String, debuggable: usize, files: Vec<String> },
    /// A patch of `function` is being built (its `fn` line).
    Building { file: String, line: u32, function: String },
    /// An edited function runs its new code.
    Patched { file: String, line: u32, function: String, ms: u64 },
    /// The errors of `file` at their lines, from the last save (none: the
    /// file builds).
    Diagnostics { file: String, diagnostics: Vec<DiagnosticRow> },
    /// `covers_none`: a generic function whose patch covers none of the
    /// instances the program runs (said in the `Info` before): it cannot hit.
    Armed { breakpoint: u32, file: String, line: u32, function: String, ms: u64, moved_from: Option<u32>, covers_none: bool },
    Stopped(StopView),
    Locals { vars: Vec<VarDesc> },
    Value { expr: String, type_name: String, value: String, fields: Vec<(String, String)>, truncated: bool },
    Log { breakpoint: u32, file: String, line: u32, thread: u64, text: String },
    /// Innermost first; `selected`: the frame `locals` and `print` read.
    /// `rows`: the frames `frame N` selects, as data (at a panic stop
    /// `frames` is the runtime's backtrace and may not line up with them).
    Backtrace { frames: Vec<String>, selected: usize, rows: Vec<FrameRow> },
    /// A frame selected with `frame`, `up` or `down`.
    Frame(FrameView),
    Threads { threads: Vec<ThreadRow> },
    Breakpoints { breakpoints: Vec<BreakpointRow> },
    Exited { code: Option<i32>, signal: Option<i32> },
    /// Which panics stop their thread now (`catch`), and that in words.
    Catching { panic: hotbreak::protocol::CatchMode, message: String },
    Info { message: String },
    Error { message: String },
}

/// A piece of the program's output, as read from its stdout or stderr: up
/// to and with a newline (the last piece may lack it). In `--json` mode the
/// program's output comes as these, so tools can tell it from the session's.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename = "output")]
pub struct ProgramOutput {
    /// `stdout` or `stderr`.
    pub stream: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StopView {
    pub thread: u64,
    pub thread_name: String,
    pub file: String,
    pub line: u32,
    pub function: String,
    /// `breakpoint`, `step` or `return`.
    pub reason: String,
    pub breakpoint: Option<u32>,
    /// The returned value, when stopping on return.
    pub value: Option<String>,
    /// The source line, as it is now.
    pub source: String,
    /// Watch expressions and their values here.
    pub watches: Vec<(String, String)>,
    /// At a panic stop (`reason` is `panic`): its message and location.
    pub panic: Option<Box<PanicView>>,
}

/// A panic that stopped its thread before unwinding.
#[derive(Debug, Clone, Serialize)]
pub struct PanicView {
    pub message: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl BreakpointRow {
    /// ` if C hits H log "L"`, as typed, for those it has.
    pub fn clauses(&self) -> String {
        let mut s = String::new();
        if let Some(c) = &self.condition {
            s.push_str(&format!(" if {c}"));
        }
        if let Some(h) = &self.hits {
            s.push_str(&format!(" hits {h}"));
        }
        if let Some(l) = &self.log {
            s.push_str(&format!(" log \"{l}\""));
        }
        s
    }
}

/// A frame of the stopped thread.
#[derive(Debug, Clone, Serialize)]
pub struct FrameView {
    pub number: usize,
    pub function: String,
    /// Empty when its debug info names no file.
    pub file: String,
    pub line: u32,
    /// The source line, as it is now.
    pub source: String,
    /// Runs native code: its locals come from debug info.
    pub native: bool,
}

/// A selectable frame of a stopped thread, as data.
#[derive(Debug, Clone, Serialize)]
pub struct FrameRow {
    pub function: String,
    /// Relative to the workspace when inside it; `None` without debug info.
    pub file: Option<String>,
    pub line: u32,
    /// 0 when unknown.
    pub column: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticRow {
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ThreadRow {
    pub number: usize,
    pub tid: u64,
    pub name: String,
    /// `file:line in function` when stopped.
    pub stopped_at: Option<String>,
    pub current: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakpointRow {
    pub id: u32,
    pub file: String,
    pub line: u32,
    pub enabled: bool,
    /// `armed`, `pending` (program not started / not reached) or the error.
    pub state: String,
    pub condition: Option<String>,
    pub hits: Option<String>,
    pub log: Option<String>,
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Out::Started { pid, program, debuggable, .. } => {
                write!(f, "started {program} (pid {pid}), {debuggable} debuggable functions")
            }
            Out::Building { file, line, function } => write!(f, "building `{function}` ({file}:{line})…"),
            Out::Patched { file, line, function, ms } => write!(f, "{file}:{line}: `{function}` hot-patched in {ms} ms"),
            Out::Diagnostics { file, diagnostics } => {
                let lines: Vec<String> = diagnostics.iter().map(|d| format!("{file}:{}: error: {}", d.line, d.message)).collect();
                write!(f, "{}", lines.join("\n"))
            }
            Out::Armed { breakpoint, file, line, function, ms, moved_from, covers_none } => {
                write!(f, "breakpoint {breakpoint} at {file}:{line} in `{function}`: armed in {ms} ms")?;
                if let Some(old) = moved_from {
                    write!(f, " (moved from line {old}: the source changed)")?;
                }
                if *covers_none {
                    write!(f, ", but it cannot hit: no instance the program runs has the patch")?;
                }
                Ok(())
            }
            Out::Stopped(StopView { panic: Some(p), thread, thread_name, source, .. }) => {
                let who = if thread_name.is_empty() { format!("thread {thread}") } else { format!("thread '{thread_name}'") };
                write!(f, "stopped: panic at {}:{}:{} in {who}: {}", p.file, p.line, p.column, p.message)?;
                if !source.is_empty() {
                    write!(f, "\n{:>5} | {}", p.line, source.trim_end())?;
                }
                Ok(())
            }
            Out::Stopped(s) => {
                let why = match (s.reason.as_str(), s.breakpoint) {
                    ("breakpoint", Some(n)) => format!("breakpoint {n}"),
                    ("return", _) => format!("returned {}", s.value.as_deref().unwrap_or("?")),
                    (other, _) => other.to_string(),
                };
                writeln!(f, "stopped ({why}) at {}:{} in `{}`, thread {} {}", s.file, s.line, s.function, s.thread, s.thread_name)?;
                write!(f, "{:>5} | {}", s.line, s.source.trim_end())?;
                for (expr, value) in &s.watches {
                    write!(f, "\nwatch {expr} = {value}")?;
                }
                Ok(())
            }
            Out::Locals { vars } if vars.is_empty() => write!(f, "no locals here"),
            Out::Locals { vars } => {
                let lines: Vec<String> = vars.iter().map(|v| format!("{}: {} = {}", v.name, v.type_name, v.value)).collect();
                write!(f, "{}", lines.join("\n"))
            }
            Out::Value { expr, type_name, value, fields, truncated } => {
                if type_name.is_empty() {
                    write!(f, "{expr} = {value}")?;
                } else {
                    write!(f, "{expr}: {type_name} = {value}")?;
                }
                for (label, v) in fields {
                    write!(f, "\n  {label}: {}", v.strip_prefix(&format!("{label}: ")).unwrap_or(v))?;
                }
                if *truncated {
                    write!(f, "\n  … (truncated)")?;
                }
                Ok(())
            }
            Out::Log { file, line, text, .. } => write!(f, "log {file}:{line}: {text}"),
            Out::Backtrace { frames, selected, .. } => {
                // Frame 0 is where a stop starts: only another one is marked.
                let mark = |i: usize| if i == *selected && i > 0 { "  <- selected" } else { "" };
                let lines: Vec<String> = frames.iter().enumerate().map(|(i, fr)| format!("#{i} {fr}{}", mark(i))).collect();
                write!(f, "{}", lines.join("\n"))
            }
            Out::Frame(fr) => {
                write!(f, "#{} {}", fr.number, fr.function)?;
                if !fr.file.is_empty() {
                    write!(f, " at {}:{}\n{:>5} | {}", fr.file, fr.line, fr.line, fr.source.trim_end())?;
                }
                Ok(())
            }
            Out::Threads { threads } => {
                let lines: Vec<String> = threads
                    .iter()
                    .map(|t| {
                        let mark = if t.current { "*" } else { " " };
                        let state = t.stopped_at.as_deref().map(|s| format!("stopped at {s}")).unwrap_or_else(|| "running".into());
                        format!("{mark} {} tid {} {}: {state}", t.number, t.tid, t.name)
                    })
                    .collect();
                write!(f, "{}", lines.join("\n"))
            }
            Out::Breakpoints { breakpoints } if breakpoints.is_empty() => write!(f, "no breakpoints"),
            Out::Breakpoints { breakpoints } => {
                let lines: Vec<String> = breakpoints
                    .iter()
                    .map(|b| {
                        let enabled = if b.enabled { "enabled" } else { "disabled" };
                        format!("{} {}:{} {enabled} {}{}", b.id, b.file, b.line, b.state, b.clauses())
                    })
                    .collect();
                write!(f, "{}", lines.join("\n"))
            }
            Out::Exited { code: Some(c), .. } => write!(f, "program exited with status {c}"),
            Out::Exited { signal: Some(s), .. } => write!(f, "program killed by signal {s}"),
            Out::Exited { .. } => write!(f, "program exited"),
            Out::Catching { message, .. } => write!(f, "{message}"),
            Out::Info { message } => write!(f, "{message}"),
            Out::Error { message } => write!(f, "error: {message}"),
        }
    }
}
