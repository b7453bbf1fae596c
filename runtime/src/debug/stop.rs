//! Pausing a thread, stepping state, and serving requests while paused.

use super::value::{self, Local};
use super::tasks::{self, TaskFrame, Wait};
use super::{FnMeta, STEPPING};
use crate::agent::{self, StopCmd};
use crate::protocol::{Reply, StopEvent, StopReason, VarDesc};
use std::cell::{Cell, RefCell};

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

/// One instrumented frame of this thread: where it lives on the stack and
/// which call it is (a later call can live at the same address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    at: usize,
    call: u64,
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Continue) };
    /// The instrumented frames this thread is inside, outermost first.
    ///
    /// A frame leaves no trace when it returns or unwinds: a guard with
    /// `Drop` would turn every call in the region into an `invoke`, and at
    /// opt-level 0 that spills and reloads around each call (a tight loop
    /// ran ~20% slower). Callers live at higher addresses than their
    /// callees, so an entry below a frame that is running is dead; it is
    /// dropped when that frame next enters, steps or stops.
    static FRAMES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    static CALLS: Cell<u64> = const { Cell::new(0) };
    /// The calls that were live when this thread last resumed by stepping:
    /// the step ends when its frame returns, and stepping ends when they
    /// have all returned into native code.
    static CHAIN: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

fn set_mode(new: Mode) {
    let old = MODE.with(|m| m.replace(new));
    match (old == Mode::Continue, new == Mode::Continue) {
        (true, false) => STEPPING.add(1),
        (false, true) => STEPPING.add(-1),
        _ => {}
    }
}

/// Where this thread is: its depth, after dropping the frames below `at`
/// (the running frame's address; `None` from a closure, which is not a
/// frame of its own: then only frames below this very call are dropped),
/// and how many of its outermost frames are still the calls it stepped
/// from.
#[inline(never)]
fn position(at: Option<usize>) -> (u32, u32) {
    let here = 0u8;
    let at = at.unwrap_or(std::hint::black_box(&here) as *const u8 as usize);
    // `try_with`: patched code may run in another thread-local's destructor.
    FRAMES
        .try_with(|frames| {
            let mut frames = frames.borrow_mut();
            drop_dead(&mut frames, at);
            let alive = CHAIN.try_with(|chain| chain.borrow().iter().zip(frames.iter()).take_while(|(call, e)| **call == e.call).count());
            (frames.len() as u32, alive.unwrap_or(0) as u32)
        })
        .unwrap_or((0, 0))
}

/// Drops the entries below `running`, the address of a frame that runs:
/// callers live at higher addresses, so those frames have returned.
fn drop_dead(frames: &mut Vec<Entry>, running: usize) {
    while frames.last().is_some_and(|e| e.at < running) {
        frames.pop();
    }
}

/// Whether a step point at `depth` stops the thread, given how many of
/// the calls it stepped from are `alive`.
fn stops_here(depth: u32, alive: u32) -> bool {
    let stepped_from = CHAIN.try_with(|c| c.borrow().len()).unwrap_or(0);
    let mode = MODE.with(Cell::get);
    if mode != Mode::Continue && stepped_from > 0 && alive == 0 {
        // Every frame it stepped from has returned into native code, which
        // cannot stop: run on.
        set_mode(Mode::Continue);
        return false;
    }
    // A stop outside any frame (a closure on another thread) remembers no
    // calls: then only the depth counts.
    let alive = if stepped_from == 0 { u32::MAX } else { alive };
    match mode {
        Mode::Continue => false,
        Mode::StepIn => true,
        Mode::Next(n) => depth <= n.min(alive),
        Mode::Finish(n) => depth < n && depth <= alive,
    }
}

/// One call of a patched function, from the region on. Not a guard: see
/// [`FRAMES`].
pub struct Frame {
    meta: &'static FnMeta,
    depth: Cell<u32>,
    call: Cell<u64>,
    /// An async fn's frame (see `tasks.rs`): it lives in its future, not
    /// on a thread's stack, and is not in any thread's `FRAMES`.
    asynchronous: bool,
    /// Of an async frame: the patched async frame that awaits it.
    awaiter: Cell<Option<TaskFrame>>,
}

/// Call numbers of async frames: any thread may run them.
static TASK_CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How a stop relates to an async frame, which decides how stepping on
/// from it works (`tasks.rs`).
#[derive(Clone, Copy)]
pub(super) enum TaskStop {
    /// A line of this async frame.
    At(TaskFrame),
    /// Its return; `awaiter` resumes next.
    Returning { awaiter: Option<TaskFrame> },
}

impl Frame {
    pub const fn new(meta: &'static FnMeta) -> Frame {
        Frame { meta, depth: Cell::new(0), call: Cell::new(0), asynchronous: false, awaiter: Cell::new(None) }
    }

    /// The frame of an async fn.
    pub const fn new_async(meta: &'static FnMeta) -> Frame {
        Frame { meta, depth: Cell::new(0), call: Cell::new(0), asynchronous: true, awaiter: Cell::new(None) }
    }

    /// Which async frame this is, for its `.await`s (see `tasks::awaiting`).
    pub fn id(&self) -> (usize, u64) {
        (self.at(), self.call.get())
    }

    fn task(&self) -> TaskFrame {
        TaskFrame { at: self.at(), call: self.call.get() }
    }

    /// Records this frame; `self` must be a local of the patched function,
    /// whose address stands for the frame.
    pub fn enter(&self) {
        if self.asynchronous {
            self.call.set(TASK_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            self.awaiter.set(tasks::awaiter());
            return;
        }
        let at = self.at();
        let call = CALLS.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        let depth = FRAMES
            .try_with(|frames| {
                let mut frames = frames.borrow_mut();
                // An entry at this very address is an earlier call, gone too.
                drop_dead(&mut frames, at + 1);
                frames.push(Entry { at, call });
                frames.len() as u32
            })
            .unwrap_or(0);
        self.depth.set(depth);
        self.call.set(call);
    }

    fn at(&self) -> usize {
        self as *const Frame as usize
    }

    /// A step point of this frame whose thread is stepping (the caller
    /// checked `STEPPING`).
    pub fn step(&self, line: u32, locals: &[Local<'_>]) {
        let mark = 0u8;
        let entry = stack_mark(&mark);
        if self.asynchronous {
            // Its own step, on any thread, or a step into it: from the
            // async fn awaiting it, or from a sync caller on this thread.
            let me = self.task();
            if tasks::take_line(me, self.awaiter.get()) || MODE.with(Cell::get) == Mode::StepIn {
                pause(self.meta, line, StopReason::Step, 0, locals, Some(TaskStop::At(me)), entry);
            }
            return;
        }
        let (depth, alive) = position(Some(self.at()));
        if stops_here(depth, alive) {
            pause(self.meta, line, StopReason::Step, depth, locals, None, entry);
        }
    }

    /// A breakpoint of this frame whose condition and hit count said "pause".
    pub fn breakpoint(&self, line: u32, id: u32, locals: &[Local<'_>]) {
        let mark = 0u8;
        let entry = stack_mark(&mark);
        if self.asynchronous {
            pause(self.meta, line, StopReason::Breakpoint { id }, 0, locals, Some(TaskStop::At(self.task())), entry);
            return;
        }
        let (depth, _) = position(Some(self.at()));
        pause(self.meta, line, StopReason::Breakpoint { id }, depth, locals, None, entry);
    }

    /// The region returns `value`: pauses when stepping out of this frame.
    pub fn returned(&self, line: u32, value: Local<'_>, locals: &[Local<'_>]) {
        let mark = 0u8;
        frame_returned(self, line, value, locals, stack_mark(&mark))
    }
}

/// The address of a local of the runtime entry point the program called:
/// the frames outside the one holding it are the program's (`frames::walk`).
#[inline(always)]
pub(super) fn stack_mark(local: &u8) -> usize {
    std::hint::black_box(local) as *const u8 as usize
}

pub(crate) fn frame_returned(frame: &Frame, line: u32, value: Local<'_>, locals: &[Local<'_>], entry: usize) {
    if frame.asynchronous {
        if tasks::take_return(frame.task()) && !std::thread::panicking() {
            let shown = value::summary(&value);
            let stop = TaskStop::Returning { awaiter: frame.awaiter.get() };
            pause(frame.meta, line, StopReason::Return { value: shown }, 0, locals, Some(stop), entry);
        }
        return;
    }
    let depth = frame.depth.get();
    let stepping_here = matches!(MODE.with(Cell::get), Mode::Next(n) | Mode::Finish(n) if n == depth);
    let here = stepping_here && depth <= position(Some(frame.at())).1;
    if here && !std::thread::panicking() {
        let shown = value::summary(&value);
        pause(frame.meta, line, StopReason::Return { value: shown }, depth, locals, None, entry);
    }
    // Gone now: a step point of the caller must not see this frame.
    let _ = FRAMES.try_with(|frames| {
        let mut frames = frames.borrow_mut();
        let mine = depth.checked_sub(1).map(|i| i as usize);
        if let Some(i) = mine.filter(|&i| frames.get(i).is_some_and(|e| e.call == frame.call.get())) {
            frames.truncate(i);
        }
    });
}

/// A step point in a closure of a patched function whose thread is
/// stepping: it counts as a line of the frame it runs in.
pub fn step(meta: &'static FnMeta, line: u32, locals: &[Local<'_>]) {
    let mark = 0u8;
    let entry = stack_mark(&mark);
    let (depth, alive) = position(None);
    if stops_here(depth, alive) {
        pause(meta, line, StopReason::Step, depth, locals, None, entry);
    }
}

/// A breakpoint whose condition and hit count said "pause".
pub fn breakpoint(meta: &'static FnMeta, line: u32, id: u32, locals: &[Local<'_>]) {
    let mark = 0u8;
    let entry = stack_mark(&mark);
    let (depth, _) = position(None);
    pause(meta, line, StopReason::Breakpoint { id }, depth, locals, None, entry);
}

/// A log point: reported to the tool, the thread does not pause.
pub fn log(meta: &'static FnMeta, line: u32, id: u32, text: String) {
    agent::send_log(meta, line, id, text);
}

/// Blocks this thread until the tool resumes it, serving its requests about
/// this frame meanwhile. Returns at once when no tool is connected.
/// `entry` is a stack address inside the runtime entry point the program
/// called: the frames outside it are the ones `Frames` reports.
fn pause(meta: &'static FnMeta, line: u32, reason: StopReason, depth: u32, locals: &[Local<'_>], task: Option<TaskStop>, entry: usize) {
    let event = StopEvent {
        stop: 0,
        thread: unsafe { libc::gettid() } as u64,
        thread_name: std::thread::current().name().unwrap_or("").to_string(),
        function: meta.key.to_string(),
        name: meta.name.to_string(),
        file: meta.file.to_string(),
        line,
        reason,
    };
    pause_event(event, depth, locals, task, entry)
}

/// [`pause`] for a stop described whole by its event: a panic (see
/// `panics.rs`) pauses this way, with no locals of its own.
pub(super) fn pause_event(event: StopEvent, depth: u32, locals: &[Local<'_>], task: Option<TaskStop>, entry: usize) {
    // Where a panic happened: its backtrace starts at that frame, below
    // std's panic machinery.
    let panic_at = match &event.reason {
        StopReason::Panic { file, line, .. } => Some((file.clone(), *line)),
        _ => None,
    };
    let Some(stop) = agent::register_stop(event) else { return };
    let mut mode = Mode::Continue;
    // `{:#?}` of the values evaluated at this stop, for `Inspect` as `$N`.
    let mut results: Vec<(String, bool)> = Vec::new();
    // Commands that came while an evaluation held its value.
    let mut deferred: Vec<StopCmd> = Vec::new();
    loop {
        let cmd = match deferred.is_empty() {
            false => deferred.remove(0),
            true => match stop.commands.recv() {
                Ok(cmd) => cmd,
                Err(_) => break,
            },
        };
        match cmd {
            StopCmd::Locals(reply) => {
                let vars = locals
                    .iter()
                    .map(|l| VarDesc {
                        name: l.name.into(),
                        type_name: l.type_name.into(),
                        value: value::summary(l),
                        debug: l.value.is_some(),
                        address: l.addr as u64,
                        marker: l.marker as u64,
                    })
                    .collect();
                let _ = reply.send(Ok(Reply::Locals { vars }));
            }
            StopCmd::Inspect { name, path, reply } if name.starts_with('$') => {
                let result = match name[1..].parse::<usize>().ok().and_then(|n| results.get(n)) {
                    Some((text, truncated)) => value::expand_text(text, *truncated, &path).map(|node| Reply::Value {
                        type_name: String::new(),
                        summary: node.summary,
                        children: node.children,
                        truncated: node.truncated,
                    }),
                    None => Err(format!("no value {name} at this stop")),
                };
                let _ = reply.send(result);
            }
            StopCmd::Eval { reply, .. } if panic_at.is_some() => {
                // The thread is inside the panic hook: a panic of the
                // expression would be a panic while panicking, an abort.
                let _ = reply.send(Err("cannot evaluate at a panic stop: a panic of the expression would abort the program".into()));
            }
            StopCmd::Eval { entry, names, addrs, reply } => {
                let mut reply = Some(reply);
                let result = evaluate(entry, &names, &addrs, locals, &mut results, &mut |answer| {
                    if let Some(reply) = reply.take() {
                        let _ = reply.send(answer);
                    }
                    // Wait until the tool has read the held value: its
                    // `Release`, or any other command, which comes after.
                    match stop.commands.recv() {
                        Ok(StopCmd::Release(done)) => {
                            let _ = done.send(Ok(Reply::Done));
                        }
                        Ok(other) => deferred.push(other),
                        Err(_) => {}
                    }
                });
                if let Some(reply) = reply.take() {
                    let _ = reply.send(result);
                }
            }
            StopCmd::Release(done) => {
                let _ = done.send(Err("no value is held at this stop".into()));
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
                let at = panic_at.as_ref().map(|(file, line)| (file.as_str(), *line));
                let _ = reply.send(Ok(Reply::Backtrace { frames: backtrace(at) }));
            }
            StopCmd::Frames(reply) => {
                let _ = reply.send(Ok(Reply::Frames { frames: super::frames::walk(entry) }));
            }
            StopCmd::Resume(how) => {
                // A panicking thread can only go on panicking: it unwinds
                // (or aborts) as it would have without the tool.
                mode = match how {
                    _ if panic_at.is_some() => Mode::Continue,
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
    if let Some(task) = task {
        return step_on_in_task(task, mode);
    }
    // Stepping remembers the calls it starts from (see `stops_here`).
    let chain = if mode == Mode::Continue { Vec::new() } else { FRAMES.try_with(|f| f.borrow().iter().take(depth as usize).map(|e| e.call).collect()).unwrap_or_default() };
    let _ = CHAIN.try_with(|c| *c.borrow_mut() = chain);
    set_mode(mode);
}

/// How a thread goes on from a stop in an async frame: stepping waits
/// for that frame (or, from its return, for its awaiter) on any thread;
/// `step` also enters an async fn it awaits. Not a sync callee: a
/// per-thread mode would outlive the task's move to another thread and
/// stop an unrelated task here.
fn step_on_in_task(task: TaskStop, mode: Mode) {
    let _ = CHAIN.try_with(|c| c.borrow_mut().clear());
    let wait = match (task, mode) {
        (_, Mode::Continue) => None,
        (TaskStop::At(me), Mode::Finish(_)) => Some(Wait::Return(me)),
        (TaskStop::At(me), Mode::StepIn) => Some(Wait::Into(me)),
        (TaskStop::At(me), _) => Some(Wait::Line(me)),
        (TaskStop::Returning { awaiter }, _) => awaiter.map(Wait::Line),
    };
    tasks::set_target(wait);
    set_mode(Mode::Continue);
}

/// Runs a loaded eval over this stop's `locals` named `names` (the eval
/// site's, in its order), or over `addrs` when the tool gives them: the
/// locals of a caller's frame, further up this thread's stack.
fn evaluate(
    entry: super::eval::Entry,
    names: &[String],
    addrs: &[u64],
    locals: &[Local<'_>],
    results: &mut Vec<(String, bool)>,
    hold: &mut dyn FnMut(Result<Reply, String>),
) -> Result<Reply, String> {
    let mut ptrs: Vec<*mut ()> = addrs.iter().map(|&a| a as usize as *mut ()).collect();
    for name in names.iter().filter(|_| addrs.is_empty()) {
        let local = locals.iter().rev().find(|l| l.name == name).ok_or_else(|| format!("`{name}` is not available at this stop"))?;
        ptrs.push(local.addr as *mut ());
    }
    // SAFETY: the tool built the eval for this function's stop line (or
    // the line of a caller's frame), over these locals, whose frame is
    // paused below us.
    let outcome = unsafe {
        super::eval::call(entry, &ptrs, &mut |held| {
            let reply = Reply::Evaluated {
                result: usize::MAX,
                type_name: held.type_name.to_string(),
                debug: false,
                summary: format!("<{}>", held.type_name),
                children: Vec::new(),
                truncated: false,
                address: held.address.unwrap_or(0) as u64,
                marker: held.marker as u64,
                held: true,
            };
            hold(Ok(reply))
        })
    };
    if let Some(message) = outcome.panic {
        return Err(format!("the expression panicked: {message}"));
    }
    let (summary, children, truncated, debug) = match &outcome.pretty {
        Some((text, cut)) => {
            let node = value::expand_text(text, *cut, &[])?;
            (node.summary, node.children, node.truncated, true)
        }
        None => (format!("<{}>", outcome.type_name), Vec::new(), false, false),
    };
    results.push(outcome.pretty.unwrap_or_default());
    Ok(Reply::Evaluated {
        result: results.len() - 1,
        type_name: outcome.type_name.to_string(),
        debug,
        summary,
        children,
        truncated,
        address: outcome.address.unwrap_or(0) as u64,
        marker: outcome.marker as u64,
        held: false,
    })
}

/// This thread's frames from the stopped function outwards, as
/// `function (file:line)`; the debugger's own frames are left out, and so
/// are a debug build's call-through shims (see `__call_through!`): a function
/// shows once, by its own name, not as `f::__hotbreak_native` under `f`.
/// At a panic (`panic_at`: its file and line) std's panic machinery is
/// left out too: the first frame is the one that panicked.
fn backtrace(panic_at: Option<(&str, u32)>) -> Vec<String> {
    let text = std::backtrace::Backtrace::force_capture().to_string();
    let mut frames: Vec<(String, Option<String>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(at) = line.strip_prefix("at ") {
            if let Some(last) = frames.last_mut() {
                last.1 = Some(at.to_string());
            }
        } else if let Some((_, name)) = line.split_once(": ") {
            frames.push((name.to_string(), None));
        }
    }
    // (Not an `.await` of a patched async fn: it runs between user frames.)
    let ours = |f: &(String, _)| {
        ["std::backtrace", "<std::backtrace", "hotbreak::debug", "<hotbreak::debug"].iter().any(|p| f.0.starts_with(p)) && !is_awaiting(&f.0)
    };
    let mut start = frames.iter().rposition(ours).map_or(0, |i| i + 1);
    if let Some((file, line)) = panic_at {
        start = super::panics::panicking_frame(&frames, start, file, line);
    }
    let end = frames
        .iter()
        .position(|f| f.0.contains("__rust_begin_short_backtrace") || f.0.starts_with("std::rt::lang_start"))
        .unwrap_or(frames.len());
    let frames = without_adapters(without_shims(frames.drain(start..end.max(start))));
    frames.into_iter().map(|(name, at)| if let Some(at) = at { format!("{name} ({at})") } else { name }).collect()
}

/// `tasks::Awaiting::poll`: a patched async fn's `.await`.
fn is_awaiting(name: &str) -> bool {
    name.starts_with("<hotbreak::debug::tasks::Awaiting<")
}

/// Drops what an armed async fn adds between the patch's body and its
/// poller: the boxed future's `poll` and the program's own body awaiting
/// it (same name as the patch's), so the task's chain reads as written.
fn without_adapters(frames: Vec<(String, Option<String>)>) -> Vec<(String, Option<String>)> {
    let mut kept: Vec<(String, Option<String>)> = Vec::with_capacity(frames.len());
    let mut frames = frames.into_iter().peekable();
    while let Some((name, at)) = frames.next() {
        if is_awaiting(&name) {
            continue;
        }
        if name.starts_with("<hotbreak::futures::Erased<") {
            if let (Some(body), Some((next, _))) = (kept.last(), frames.peek()) {
                if *next == body.0 {
                    frames.next();
                }
            }
            continue;
        }
        kept.push((name, at));
    }
    kept
}

/// Renames `f::__hotbreak_native` frames (a method's sibling body:
/// `T::__hotbreak_native_m`) to `f` (`T::m`) and drops the frames named so
/// right outside one: the shim inlined into the caller, and a patch's
/// forwarder. A recursive call of `f` shows again as its native body.
fn without_shims(frames: impl Iterator<Item = (String, Option<String>)>) -> Vec<(String, Option<String>)> {
    let mut kept: Vec<(String, Option<String>)> = Vec::new();
    let mut body_of: Option<String> = None;
    for (name, at) in frames {
        if let Some(function) = crate::native_names::shim_of(&name) {
            body_of = Some(function.clone());
            kept.push((function, at));
        } else if body_of.as_deref() != Some(name.as_str()) {
            body_of = None;
            kept.push((name, at));
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::without_shims;

    #[test]
    fn shim_frames_fold_into_the_function_they_call() {
        let frame = |name: &str, line: u32| (name.to_string(), Some(format!("src/lib.rs:{line}")));
        let raw = vec![
            frame("app::fact::__hotbreak_native", 4),
            frame("app::fact", 2),
            frame("app::fact", 2),
            frame("app::fact::__hotbreak_native", 5),
            frame("app::fact", 2),
            frame("app::Acc::__hotbreak_native_add", 14),
            frame("app::Acc::add", 12),
            frame("app::main::__hotbreak_native", 9),
            frame("app::main", 8),
            frame("app::run", 20),
        ];
        let names: Vec<String> = without_shims(raw.into_iter()).into_iter().map(|(n, at)| format!("{n} {}", at.unwrap())).collect();
        assert_eq!(names, ["app::fact src/lib.rs:4", "app::fact src/lib.rs:5", "app::Acc::add src/lib.rs:14", "app::main src/lib.rs:9", "app::run src/lib.rs:20"]);
    }
}
