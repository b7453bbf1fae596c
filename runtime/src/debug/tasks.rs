//! Stepping in async fns: a task's frame lives in its future, which any
//! worker thread may poll next, so stepping in it cannot be a per-thread
//! mode.
//!
//! An async fn's frame is known by its address in the future (pinned: it
//! never moves) and its call number. `next` from a stop in one sets a
//! global target: the next step point *of that frame*, on whichever thread
//! polls it, stops; other tasks' step points do not. `finish` stops when
//! the frame returns, and from there `next`/`finish` stop in the awaiting
//! frame — known when that frame is patched too: its `.await`s poll
//! through [`awaiting`], which tells a callee's frame, on its first poll,
//! who awaits it.

use super::STEPPING;
use std::cell::Cell;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

/// An async frame: where it lives and which call it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskFrame {
    pub at: usize,
    pub call: u64,
}

/// What stepping waits for in an async frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Its next step point (or its return).
    Line(TaskFrame),
    /// Its return.
    Return(TaskFrame),
    /// Its next step point, or the first of an async fn it awaits.
    Into(TaskFrame),
}

/// The one async step in progress: a session steps one thread at a time.
static TARGET: Mutex<Option<Wait>> = Mutex::new(None);

thread_local! {
    /// The patched async frame whose `.await` this thread is polling.
    static AWAITER: Cell<Option<TaskFrame>> = const { Cell::new(None) };
}

/// Sets (or clears) the async step target, keeping `STEPPING` counted.
pub(crate) fn set_target(new: Option<Wait>) {
    let mut target = TARGET.lock().unwrap_or_else(|e| e.into_inner());
    match (target.is_some(), new.is_some()) {
        (false, true) => STEPPING.add(1),
        (true, false) => STEPPING.add(-1),
        _ => {}
    }
    *target = new;
}

/// Whether a step point of `frame`, awaited by `awaiter`, ends the async
/// step; ends it if so.
pub(crate) fn take_line(frame: TaskFrame, awaiter: Option<TaskFrame>) -> bool {
    take_if(|w| w == Wait::Line(frame) || w == Wait::Into(frame) || awaiter.is_some_and(|a| w == Wait::Into(a)))
}

/// Whether `frame` returning ends the async step; ends it if so.
pub(crate) fn take_return(frame: TaskFrame) -> bool {
    take_if(|w| matches!(w, Wait::Line(f) | Wait::Return(f) | Wait::Into(f) if f == frame))
}

fn take_if(hit: impl Fn(Wait) -> bool) -> bool {
    let current = *TARGET.lock().unwrap_or_else(|e| e.into_inner());
    match current {
        Some(w) if hit(w) => {
            set_target(None);
            true
        }
        _ => false,
    }
}

/// The patched async frame awaiting the future this thread polls now.
pub(crate) fn awaiter() -> Option<TaskFrame> {
    AWAITER.try_with(Cell::get).ok().flatten()
}

/// `fut.await` in a patched async fn: polls `fut` with this frame known as
/// its awaiter, so a patched async callee knows where `finish` returns to.
pub fn awaiting<F: IntoFuture>(frame: (usize, u64), fut: F) -> Awaiting<F::IntoFuture> {
    Awaiting { frame: TaskFrame { at: frame.0, call: frame.1 }, fut: fut.into_future() }
}

pub struct Awaiting<F> {
    frame: TaskFrame,
    fut: F,
}

impl<F: Future> Future for Awaiting<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `fut` is structurally pinned: never moved out of `self`.
        let this = unsafe { self.get_unchecked_mut() };
        let _polling = Polling::enter(this.frame);
        unsafe { Pin::new_unchecked(&mut this.fut) }.poll(cx)
    }
}

/// [`AWAITER`] while one poll runs, put back after it (a panic included).
struct Polling(Option<TaskFrame>);

impl Polling {
    fn enter(frame: TaskFrame) -> Polling {
        Polling(AWAITER.try_with(|a| a.replace(Some(frame))).ok().flatten())
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        let _ = AWAITER.try_with(|a| a.set(self.0));
    }
}
