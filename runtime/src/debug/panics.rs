//! `catch panic`: a panic hook, in place while the tool wants panics
//! caught, that pauses the panicking thread before it unwinds.
//!
//! std runs the panic hook after the panic starts and before unwinding
//! does, so a thread paused there still has every frame of the panic on
//! its stack. On resume the hook the program had (its own, or std's
//! default) runs, and the panic goes on exactly as without the tool.
//!
//! The hook chains: it owns the hook it replaced and calls it. It is
//! (re)wrapped around whatever hook is in place each time the tool asks
//! for catching, so a program that set its own hook since is wrapped
//! again; a hook the program sets *after* that replaces ours, and panics
//! go uncaught until `catch panic` is given again. Off (or when the tool
//! disconnects) ours is taken out when it is still the outermost hook; a
//! hook the program wrapped around ours keeps ours inside it, where it
//! only calls the hook it replaced.
//!
//! Changing the hook takes std's hook lock for writing, which a thread
//! paused inside the hook holds for reading: the change runs on a helper
//! thread, never on the agent's, which must go on serving that thread.

use super::stop;
use crate::protocol::{CatchMode, StopEvent, StopReason};
use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

static MODE: AtomicU8 = AtomicU8::new(0);
/// Function starts of the program's `__rust_begin_short_backtrace`
/// instances: a thread's own code runs inside one, std's catching frames
/// (which end the thread, or the program, with a panic) outside it.
static OUTERMOST: RwLock<Vec<usize>> = RwLock::new(Vec::new());
/// Our hook as last installed: the address of its box (to know it again
/// in `take_hook`'s answer) and what it chains to.
static LATEST: Mutex<Option<(usize, Arc<Chained>)>> = Mutex::new(None);
/// One hook change at a time, in the order asked.
static CHANGING: Mutex<()> = Mutex::new(());

fn mode() -> CatchMode {
    match MODE.load(Ordering::Relaxed) {
        1 => CatchMode::All,
        2 => CatchMode::Uncaught,
        _ => CatchMode::Off,
    }
}

/// What the tool asked for: takes effect at once for the decision; our
/// hook is in place (or out) when this returns, unless a thread is paused
/// inside it (then once that thread resumes).
pub(crate) fn set_catch(mode: CatchMode, outermost: Vec<u64>) -> Result<(), String> {
    *OUTERMOST.write().unwrap_or_else(|e| e.into_inner()) = outermost.into_iter().map(|a| a as usize).collect();
    MODE.store(mode as u8, Ordering::Relaxed);
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("hotbreak-hook".into())
        .spawn(move || {
            reconcile();
            let _ = done.send(());
        })
        .map_err(|e| format!("cannot start a thread to set the panic hook: {e}"))?;
    // A thread paused inside our hook holds std's hook lock: the change
    // waits for it to resume, and panics meanwhile follow the new mode
    // anyway (ours is in place, or a stop could not exist).
    if PAUSED.load(Ordering::Relaxed) == 0 {
        let _ = wait.recv_timeout(Duration::from_secs(2));
    }
    Ok(())
}

/// Threads paused inside our hook now.
static PAUSED: AtomicUsize = AtomicUsize::new(0);

/// The tool is gone: no more stops, and the program's own hook back.
pub(crate) fn disconnected() {
    MODE.store(CatchMode::Off as u8, Ordering::Relaxed);
    let _ = std::thread::Builder::new().name("hotbreak-hook".into()).spawn(reconcile);
}

/// Puts our hook outermost when catching, takes it out when not.
fn reconcile() {
    let _one = CHANGING.lock().unwrap_or_else(|e| e.into_inner());
    let want = mode() != CatchMode::Off;
    let current = std::panic::take_hook();
    let mut latest = LATEST.lock().unwrap_or_else(|e| e.into_inner());
    let ours = latest.as_ref().is_some_and(|(at, _)| *at == address_of(&current));
    match (ours, want) {
        (true, true) | (false, false) => std::panic::set_hook(current),
        (true, false) => {
            let (_, chained) = latest.take().expect("ours");
            let previous = chained.previous.write().unwrap_or_else(|e| e.into_inner()).take();
            drop(current);
            // `take_hook` left std's default in place when there was none.
            if let Some(previous) = previous {
                std::panic::set_hook(previous);
            }
        }
        (false, true) => {
            let chained = Arc::new(Chained { previous: RwLock::new(Some(current)) });
            let inner = chained.clone();
            let hook: Hook = Box::new(move |info| on_panic(info, &inner));
            *latest = Some((address_of(&hook), chained));
            std::panic::set_hook(hook);
        }
    }
}

fn address_of(hook: &Hook) -> usize {
    &**hook as *const (dyn Fn(&PanicHookInfo<'_>) + Sync + Send) as *const () as usize
}

/// Our hook's state: the hook it replaced, taken when ours is taken out.
struct Chained {
    previous: RwLock<Option<Hook>>,
}

thread_local! {
    /// How many of our hooks this thread's panic is inside: a hook the
    /// program wrapped around ours calls ours again, which must not stop
    /// twice.
    static INSIDE: Cell<u32> = const { Cell::new(0) };
}

fn on_panic(info: &PanicHookInfo<'_>, chained: &Chained) {
    let outer = INSIDE.try_with(|n| n.replace(n.get() + 1) == 0).unwrap_or(false);
    if outer && stops(info) {
        PAUSED.fetch_add(1, Ordering::Relaxed);
        pause(info);
        PAUSED.fetch_sub(1, Ordering::Relaxed);
    }
    if let Some(previous) = chained.previous.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        previous(info);
    }
    let _ = INSIDE.try_with(|n| n.set(n.get().saturating_sub(1)));
}

/// Whether this panic stops its thread, by the mode.
fn stops(info: &PanicHookInfo<'_>) -> bool {
    let mode = mode();
    // An evaluated expression's panic is its answer (see `eval.rs`); the
    // agent must never stop: it serves the stops.
    if mode == CatchMode::Off || super::eval::evaluating() || std::thread::current().name() == Some("hotbreak-agent") {
        return false;
    }
    mode == CatchMode::All || uncaught(info)
}

/// Whether no `catch_unwind` of the program will catch this panic.
fn uncaught(info: &PanicHookInfo<'_>) -> bool {
    // `can_unwind` is unstable as a method, but std's `Debug` shows it: a
    // panic where unwinding is not allowed (a `nounwind` function, a
    // panic in a drop during a panic) aborts.
    if cfg!(panic = "abort") || format!("{info:?}").contains("can_unwind: false") {
        return true;
    }
    let outermost = OUTERMOST.read().unwrap_or_else(|e| e.into_inner()).clone();
    crate::debug::unwind::first_handler(&outermost) != crate::debug::unwind::Handler::Catch
}

fn pause(info: &PanicHookInfo<'_>) {
    let message = match (info.payload().downcast_ref::<&str>(), info.payload().downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (None, Some(s)) => s.clone(),
        (None, None) => "Box<dyn Any>".to_string(),
    };
    let (file, line, column) = info.location().map_or((String::new(), 0, 0), |l| (l.file().to_string(), l.line(), l.column()));
    let event = StopEvent {
        stop: 0,
        thread: unsafe { libc::gettid() } as u64,
        thread_name: std::thread::current().name().unwrap_or("").to_string(),
        function: String::new(),
        name: "panic".into(),
        file: file.clone(),
        line,
        reason: StopReason::Panic { message, file, line, column },
    };
    // The frames `Frames` reports start outside this function: std's
    // panic machinery, then the panicking frame (the tool skips to it).
    let mark = 0u8;
    stop::pause_event(event, 0, &[], None, stop::stack_mark(&mark));
}

/// Where a panic's backtrace starts: the first frame, from `start` on,
/// at the panic's `file:line` (a `#[track_caller]` function such as
/// `unwrap` shows its caller's line); without line info (no debug info),
/// the first frame past std's panic machinery.
pub(super) fn panicking_frame(frames: &[(String, Option<String>)], start: usize, file: &str, line: u32) -> usize {
    let suffix = format!("{}:{line}:", file.trim_start_matches("./"));
    let at_panic = |(_, at): &(String, Option<String>)| at.as_deref().is_some_and(|at| format!("{at}:").contains(&suffix));
    if let Some(i) = frames.iter().skip(start).position(at_panic) {
        return start + i;
    }
    let machinery = |(name, _): &(String, Option<String>)| {
        [
            "std::panicking::",
            "core::panicking::",
            "std::sys::backtrace::__rust_end_short_backtrace",
            "__rustc::rust_begin_unwind",
            "rust_begin_unwind",
            "<alloc::boxed::Box<dyn",
            "core::option::unwrap_failed",
            "core::option::expect_failed",
            "core::result::unwrap_failed",
        ]
        .iter()
            .any(|p| name.starts_with(p))
    };
    start + frames.iter().skip(start).take_while(|f| machinery(f)).count()
}

#[cfg(test)]
mod tests {
    use super::panicking_frame;

    fn frames(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        list.iter().map(|(n, at)| (n.to_string(), at.map(str::to_string))).collect()
    }

    #[test]
    fn a_panic_backtrace_starts_at_the_panicking_line() {
        let with_lines = frames(&[
            ("std::panicking::panic_with_hook", Some("/rustc/x/library/std/src/panicking.rs:833:13")),
            ("core::panicking::panic_fmt", Some("/rustc/x/library/core/src/panicking.rs:75:14")),
            ("core::option::unwrap_failed", Some("/rustc/x/library/core/src/option.rs:2103:5")),
            ("core::option::Option<T>::unwrap", Some("/rustc/x/library/core/src/option.rs:1010:21")),
            ("app::parse", Some("./src/main.rs:17:31")),
            ("app::main", Some("./src/main.rs:4:5")),
        ]);
        assert_eq!(panicking_frame(&with_lines, 0, "src/main.rs", 17), 4);
        assert_eq!(panicking_frame(&with_lines, 0, "src/main.rs", 1), 3, "no frame at the line: past the machinery");
        let without = frames(&[
            ("std::panicking::panic_with_hook", None),
            ("std::panicking::panic_handler::{closure#0}", None),
            ("std::sys::backtrace::__rust_end_short_backtrace", None),
            ("__rustc::rust_begin_unwind", None),
            ("core::panicking::panic_fmt", None),
            ("app::main", None),
        ]);
        assert_eq!(panicking_frame(&without, 0, "src/main.rs", 17), 5);
    }
}
