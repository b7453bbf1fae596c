//! The hotbreak runtime: what a debugged program links.
//!
//! Users write `#[hotbreak::debuggable]` on functions, impl blocks and inline
//! modules. Each such function gets an entry slot (one load and one branch when
//! nothing is armed) and an entry in a link-time registry. When the program is
//! started by the hotbreak tool, an agent thread connects back over a private
//! Unix socket and serves patch loading and arming; otherwise nothing runs.

pub use hotbreak_macros::debuggable;
#[doc(hidden)]
pub use hotbreak_macros::__patch;

mod agent;
mod build_id;
#[doc(hidden)]
pub mod debug;
pub mod protocol;
mod registry;
mod slot;

pub use registry::{functions, FnInfo};

/// Not public API: the items the `#[debuggable]` expansion refers to.
#[doc(hidden)]
pub mod __private {
    pub use crate::agent::{AgentAnchor, hotbreak_anchor};
    pub use crate::registry::{FnInfo, FUNCTIONS};
    pub use crate::slot::Slot;

    /// The armed path of an entry check, kept out of the native body.
    #[cold]
    #[inline(never)]
    pub fn cold_call<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
    pub use linkme;
}

/// Not public API: what instrumented patch code refers to.
#[doc(hidden)]
pub use debug as __rt;

/// Loads a slot's entry pointer: one instruction, no call, even at opt-level 0.
///
/// In debug builds (where std's atomic load is a real call) this is an
/// `asm!` `mov`, which on x86_64 is a relaxed atomic load. Optimized builds
/// use `AtomicUsize::load`, which inlines to the same `mov` and which the
/// optimizer understands (an `asm!` block is opaque to it and costs more
/// around recursion and inlining).
#[doc(hidden)]
#[macro_export]
#[cfg(target_arch = "x86_64")]
macro_rules! __load_slot {
    ($slot:path) => {{
        #[cfg(debug_assertions)]
        let entry: usize = {
            let entry: usize;
            // SAFETY: reads one aligned word of a static `Slot` (an AtomicUsize).
            unsafe {
                ::core::arch::asm!(
                    "mov {entry}, qword ptr [rip + {slot}]",
                    entry = out(reg) entry,
                    slot = sym $slot,
                    options(nostack, preserves_flags, readonly),
                );
            }
            entry
        };
        #[cfg(not(debug_assertions))]
        let entry: usize = $slot.load();
        entry
    }};
}

#[doc(hidden)]
#[macro_export]
#[cfg(not(target_arch = "x86_64"))]
macro_rules! __load_slot {
    ($slot:path) => {
        $slot.load()
    };
}
