//! The debug-mode side of a patch: what instrumented code calls.
//!
//! The rewriter puts a [`Frame`] before the region (not a guard: it is
//! never dropped, see `stop::FRAMES`) and a step point before each
//! statement in it. A step point costs one load of [`STEPPING`]
//! (nonzero only while some thread steps) unless it carries a breakpoint,
//! whose condition and hit count are compiled in. A thread that stops blocks
//! only itself and serves requests about its own frame (locals, values)
//! until it is resumed, so rendering never needs a lock the stopped thread
//! might hold.

pub mod eval;
mod frames;
pub(crate) mod panics;
mod stop;
pub mod tasks;
mod unwind;
pub mod value;

pub use eval::{eval_copy, eval_outcome, eval_put_back, eval_run, eval_site, eval_take, NotAvailableHere};
pub use stop::{breakpoint, log, step, Frame, Mode};
pub use tasks::awaiting;
pub use value::{Local, Probe, ProbeDebug, ProbeName};

/// A returned value passed through with the function's return type named,
/// so that it keeps its expected type inside the wrapping that reports it
/// (closures coerced to `fn` pointers, integer literals). Generic: compiled
/// into each patch, nothing the program must hold.
#[inline(always)]
pub fn returned_as<T>(value: T) -> T {
    value
}

use crate::slot::Slot;
use std::sync::atomic::{AtomicU64, Ordering};

/// Nonzero while any thread is stepping; step points read it first.
pub static STEPPING: Slot = Slot::new();

/// What a patched function tells the runtime about itself.
pub struct FnMeta {
    pub key: &'static str,
    pub name: &'static str,
    pub file: &'static str,
}

/// A breakpoint's hit counter, compiled into the patch.
pub struct Hits(AtomicU64);

/// When a breakpoint with a hit count pauses.
pub mod hits {
    pub const ALWAYS: u8 = 0;
    /// Only on the Nth hit.
    pub const EQUAL: u8 = 1;
    /// On the Nth hit and every one after.
    pub const AT_LEAST: u8 = 2;
    /// On every Nth hit.
    pub const EVERY: u8 = 3;
}

impl Hits {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Hits {
        Hits(AtomicU64::new(0))
    }

    /// Counts one hit (a hit is a pass with the condition true) of
    /// breakpoint `id` and says whether this one pauses.
    pub fn hit(&self, id: u32, kind: u8, n: u64) -> bool {
        if breakpoint_disabled(id) {
            return false;
        }
        let count = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        match kind {
            hits::EQUAL => count == n,
            hits::AT_LEAST => count >= n,
            hits::EVERY => n != 0 && count.is_multiple_of(n),
            _ => true,
        }
    }
}

/// Breakpoints switched off by the tool, by id (modulo the table size):
/// takes effect at once, even in a call already running patched code.
static DISABLED: [std::sync::atomic::AtomicBool; 4096] = [const { std::sync::atomic::AtomicBool::new(false) }; 4096];

pub(crate) fn set_breakpoint_enabled(id: u32, enabled: bool) {
    DISABLED[id as usize % DISABLED.len()].store(!enabled, Ordering::Relaxed);
}

fn breakpoint_disabled(id: u32) -> bool {
    DISABLED[id as usize % DISABLED.len()].load(Ordering::Relaxed)
}

/// Reads a flag static with an absolute address: patch code is built with
/// the large code model, where a `rip`-relative reference to a host static
/// could not reach.
#[doc(hidden)]
#[macro_export]
#[cfg(target_arch = "x86_64")]
macro_rules! __load_flag {
    ($flag:path) => {{
        let value: usize;
        // SAFETY: reads one aligned word of a static `Slot`.
        unsafe {
            ::core::arch::asm!(
                "movabs {v}, offset {flag}",
                "mov {v}, qword ptr [{v}]",
                flag = sym $flag,
                v = out(reg) value,
                options(nostack, preserves_flags, readonly),
            );
        }
        value
    }};
}

#[doc(hidden)]
#[macro_export]
#[cfg(not(target_arch = "x86_64"))]
macro_rules! __load_flag {
    ($flag:path) => {
        $flag.load()
    };
}

/// Entry points instrumented code calls; taking their addresses here keeps
/// them in every host (a patch can only call what the host has).
pub struct EntryPoints(#[allow(dead_code)] [*const (); 11]);

// SAFETY: only addresses, never called through.
unsafe impl Sync for EntryPoints {}

impl std::fmt::Debug for EntryPoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EntryPoints")
    }
}

pub(crate) const ENTRY_POINTS: EntryPoints = EntryPoints([
    step as *const (),
    breakpoint as *const (),
    log as *const (),
    Frame::new as *const (),
    Frame::enter as *const (),
    Frame::step as *const (),
    Frame::breakpoint as *const (),
    stop::frame_returned as *const (),
    Hits::hit as *const (),
    eval::eval_outcome as *const (),
    eval::panicked as *const (),
]);

#[cfg(test)]
mod tests {
    use super::*;

    fn pauses(kind: u8, n: u64, id: u32) -> Vec<u64> {
        let hits = Hits::new();
        (1..=10u64).filter(|_| hits.hit(id, kind, n)).collect()
    }

    #[test]
    fn hit_counts_pause_on_the_right_hits() {
        assert_eq!(pauses(hits::ALWAYS, 0, 10), (1..=10).collect::<Vec<_>>());
        assert_eq!(pauses(hits::EQUAL, 3, 11), [3]);
        assert_eq!(pauses(hits::AT_LEAST, 8, 12), [8, 9, 10]);
        assert_eq!(pauses(hits::EVERY, 4, 13), [4, 8]);
        set_breakpoint_enabled(14, false);
        assert_eq!(pauses(hits::ALWAYS, 0, 14), Vec::<u64>::new());
        set_breakpoint_enabled(14, true);
        assert_eq!(pauses(hits::EQUAL, 1, 14), [1]);
    }
}
