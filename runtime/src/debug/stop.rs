//! Pausing a thread, stepping state, and serving requests while paused.

use super::value::{self, Local};
use super::{FnMeta, STEPPING};
use crate::agent::{self, StopCmd};
use crate::protocol::{Reply, StopEvent, StopReason, VarDesc};
use std::cell::Cell;

/// How a thread goes on after a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Continue,
    /// Stop at the next step point in a frame at this depth or shallower.
    Next(u32),
    /// Stop at the next step point anywhere.
    StepIn,
    /// Stop once the frame at this depth has returned.
    Finish(u32),
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Continue) };
    /// Instrumented frames this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

fn set_mode(new: Mode) {
    let old = MODE.with(|m| m.replace(new));
    match (old == Mode::Continue, new == Mode::Continue) {
        (true, false) => STEPPING.add(1),
        (false, true) => STEPPING.add(-1),
        _ => {}
    }
}

/// Guard for one call of a patched function, from the region on.
pub struct Frame {
    meta: &'static FnMeta,
    depth: u32,
}

impl Frame {
    pub fn enter(meta: &'static FnMeta) -> Frame {
        let depth = DEPTH.with(|d| {
            d.set(d.get() + 1);
            d.get()
        });
        Frame { meta, depth }
    }

    /// The region returns `value`: pauses when stepping out of this frame.
    pub fn returned(&self, line: u32, value: Local<'_>, locals: &[Local<'_>]) {
        frame_returned(self, line, value, locals)
    }
}

pub(crate) fn frame_returned(frame: &Frame, line: u32, value: Local<'_>, locals: &[Local<'_>]) {
    let here = matches!(MODE.with(Cell::get), Mode::Next(n) | Mode::Finish(n) if n == frame.depth);
    if here && !std::thread::panicking() {
        let shown = value::summary(&value);
        pause(frame.meta, line, StopReason::Return { value: shown }, locals);
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let caller = self.depth - 1;
        DEPTH.with(|d| d.set(caller));
        // Stepping out of this frame: stop in the caller if it is
        // instrumented; a native caller cannot stop, so run on.
        match MODE.with(Cell::get) {
            Mode::Next(n) | Mode::Finish(n) if n >= self.depth => {
                set_mode(if caller == 0 { Mode::Continue } else { Mode::Next(caller) })
            }
            Mode::StepIn if caller == 0 => set_mode(Mode::Continue),
            _ => {}
        }
    }
}

/// A step point whose thread is stepping (the caller checked `STEPPING`).
pub fn step(meta: &'static FnMeta, line: u32, locals: &[Local<'_>]) {
    let depth = DEPTH.with(Cell::get);
    let stop = match MODE.with(Cell::get) {
        Mode::Continue => false,
        Mode::StepIn => true,
        Mode::Next(n) => depth <= n,
        Mode::Finish(n) => depth < n,
    };
    if stop {
        pause(meta, line, StopReason::Step, locals);
    }
}

/// A breakpoint whose condition and hit count said "pause".
pub fn breakpoint(meta: &'static FnMeta, line: u32, id: u32, locals: &[Local<'_>]) {
    pause(meta, line, StopReason::Breakpoint { id }, locals);
}

/// A log point: reported to the tool, the thread does not pause.
pub fn log(meta: &'static FnMeta, line: u32, id: u32, text: String) {
    agent::send_log(meta, line, id, text);
}

/// Blocks this thread until the tool resumes it, serving its requests about
/// this frame meanwhile. Returns at once when no tool is connected.
fn pause(meta: &'static FnMeta, line: u32, reason: StopReason, locals: &[Local<'_>]) {
    let thread = std::thread::current();
    let event = StopEvent {
        stop: 0,
        thread: unsafe { libc::gettid() } as u64,
        thread_name: thread.name().unwrap_or("").to_string(),
        function: meta.key.to_string(),
        name: meta.name.to_string(),
        file: meta.file.to_string(),
        line,
        reason,
    };
    let Some(stop) = agent::register_stop(event) else { return };
    let depth = DEPTH.with(Cell::get);
    let mut mode = Mode::Continue;
    while let Ok(cmd) = stop.commands.recv() {
        match cmd {
            StopCmd::Locals(reply) => {
                let vars = locals
                    .iter()
                    .map(|l| VarDesc { name: l.name.into(), type_name: l.type_name.into(), value: value::summary(l) })
                    .collect();
                let _ = reply.send(Ok(Reply::Locals { vars }));
            }
            StopCmd::Inspect { name, path, reply } => {
                let result = match locals.iter().rev().find(|l| l.name == name) {
                    None => Err(format!("no local `{name}` here")),
                    Some(Local { value: None, type_name, .. }) => Err(format!("`{name}` has type {type_name}, which has no Debug")),
                    Some(Local { value: Some(v), type_name, .. }) => value::expand(*v, &path).map(|node| Reply::Value {
                        type_name: if path.is_empty() { type_name.to_string() } else { String::new() },
                        summary: node.summary,
                        children: node.children,
                        truncated: node.truncated,
                    }),
                };
                let _ = reply.send(result);
            }
            StopCmd::Backtrace(reply) => {
                let _ = reply.send(Ok(Reply::Backtrace { frames: backtrace() }));
            }
            StopCmd::Resume(how) => {
                mode = match how {
                    crate::protocol::Resume::Continue => Mode::Continue,
                    crate::protocol::Resume::Next => Mode::Next(depth),
                    crate::protocol::Resume::Step => Mode::StepIn,
                    crate::protocol::Resume::Finish => Mode::Finish(depth),
                };
                break;
            }
        }
    }
    agent::unregister_stop(stop.id);
    set_mode(mode);
}

/// This thread's frames from the stopped function outwards, as
/// `function (file:line)`; the debugger's own frames are left out.
fn backtrace() -> Vec<String> {
    let text = std::backtrace::Backtrace::force_capture().to_string();
    let mut frames: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(at) = line.strip_prefix("at ") {
            if let Some(last) = frames.last_mut() {
                last.push_str(&format!(" ({at})"));
            }
        } else if let Some((_, name)) = line.split_once(": ") {
            frames.push(name.to_string());
        }
    }
    let ours = |f: &String| f.starts_with("std::backtrace") || f.starts_with("hotbreak::debug") || f.starts_with("<std::backtrace");
    let start = frames.iter().rposition(ours).map_or(0, |i| i + 1);
    let end = frames
        .iter()
        .position(|f| f.contains("__rust_begin_short_backtrace") || f.starts_with("std::rt::lang_start"))
        .unwrap_or(frames.len());
    frames.drain(start..end.max(start)).collect()
}
