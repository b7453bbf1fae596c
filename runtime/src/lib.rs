//! The hotbreak runtime: what a debugged program links.
//!
//! Users write `#[hotbreak::debuggable]` on functions, impl blocks and inline
//! modules. Each such function gets an entry slot (one nop when nothing is
//! armed) and an entry in a link-time registry. When the program is
//! started by the hotbreak tool, an agent thread connects back over a private
//! Unix socket and serves patch loading and arming; otherwise nothing runs.

pub use hotbreak_macros::debuggable;
#[doc(hidden)]
pub use hotbreak_macros::__patch;

mod call;
mod flags;
mod futures;
mod agent;
mod build_id;
#[doc(hidden)]
pub mod debug;
pub mod protocol;
mod instances;
mod native_names;
mod registry;
mod sites;
#[doc(hidden)]
pub mod osr;
mod slot;

pub use registry::{functions, FnInfo};

/// Not public API: the items the `#[debuggable]` expansion refers to.
#[doc(hidden)]
pub mod __private {
    pub use crate::agent::{AgentAnchor, hotbreak_anchor};
    pub use crate::call::*;
    pub use crate::futures::*;
    pub use crate::instances::instance_entry;
    pub use crate::registry::{FnInfo, FUNCTIONS};
    pub use crate::native_names::{method_native, shim_of, NATIVE};
    pub use crate::osr::{osr_hit, patch_of_native};
    pub use crate::slot::Slot;

    /// Marks the armed side of a flag site cold (`core::hint::cold_path`
    /// is newer than our minimum Rust): rustc weights a branch calling a
    /// `#[cold]` fn as unlikely, even inlined.
    #[cold]
    #[inline(always)]
    pub fn cold_path() {}

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

/// The entry check of a debuggable function: runs `$armed` (which reads the
/// slot and calls the patch) when `$slot` is armed.
///
/// Debug builds (`debug_assertions`) get the nop site (`__entry_jump!`),
/// optimized builds the flag site (`__entry_flag!`), which the optimizer
/// may hoist out of the loops the function is inlined into (see
/// `flags.rs`). The choice is made in the expanding crate.
#[doc(hidden)]
#[macro_export]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
macro_rules! __entry_check {
    ($slot:path, $armed:block) => {
        #[cfg(debug_assertions)]
        $crate::__entry_jump!($slot, $armed);
        #[cfg(not(debug_assertions))]
        $crate::__entry_flag!($slot, $armed);
    };
}

/// The entry check as a 5-byte nop that arming rewrites into a jump to
/// `$armed` (see `sites.rs`): nothing but one nop runs while disarmed, at
/// every optimization level, in every inlined copy. The nop is aligned so
/// its bytes never cross an 8-byte word (`.balign 8,,4` pads only when they
/// would), and the section entry tells the runtime where it is, where to
/// jump and for which slot.
#[doc(hidden)]
#[macro_export]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
macro_rules! __entry_jump {
    ($slot:path, $armed:block) => {
        // SAFETY: the asm only holds a nop; the runtime rewrites it into a
        // jump to `$armed` and back, keeping it 5 bytes long.
        unsafe {
            ::core::arch::asm!(
                ".balign 8, , 4",
                "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
                ".pushsection hotbreak_sites, \"awR\"",
                ".balign 8",
                ".quad 2b, {armed}, {slot}",
                ".popsection",
                slot = sym $slot,
                armed = label $armed,
                options(nostack, preserves_flags),
            );
        }
    };
}

/// A loop site (see `osr.rs`): a 5-byte nop at the top of a loop body that
/// arming turns into a jump to the thunk beside it, which asks the runtime
/// whether this frame switches to the patch (then it jumps to the door).
/// Emitted only in crates built at opt-level 0.
#[doc(hidden)]
#[macro_export]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
macro_rules! __loop_site {
    ($($key:tt)+) => {
        // SAFETY: a nop until armed; the thunk saves every register the
        // code around it may hold (caller-saved GPRs, flags, xmm0-15), keeps
        // out of the red zone, and aligns the stack for the call.
        unsafe {
            ::core::arch::asm!(
                ".balign 8, , 4",
                "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
                ".pushsection .text.hotbreak_osr, \"ax\", @progbits",
                "3: lea rsp, [rsp - 128]",
                "pushfq",
                "push rax", "push rcx", "push rdx", "push rsi", "push rdi",
                "push r8", "push r9", "push r10", "push r11", "push rbx",
                "mov rbx, rsp",
                "and rsp, -16",
                "sub rsp, 256",
                "movdqu [rsp], xmm0", "movdqu [rsp + 16], xmm1", "movdqu [rsp + 32], xmm2", "movdqu [rsp + 48], xmm3",
                "movdqu [rsp + 64], xmm4", "movdqu [rsp + 80], xmm5", "movdqu [rsp + 96], xmm6", "movdqu [rsp + 112], xmm7",
                "movdqu [rsp + 128], xmm8", "movdqu [rsp + 144], xmm9", "movdqu [rsp + 160], xmm10", "movdqu [rsp + 176], xmm11",
                "movdqu [rsp + 192], xmm12", "movdqu [rsp + 208], xmm13", "movdqu [rsp + 224], xmm14", "movdqu [rsp + 240], xmm15",
                "lea rdi, [rip + 2b]",
                "lea rsi, [rbx + 88 + 128]",
                "call {hit}",
                "movdqu xmm0, [rsp]", "movdqu xmm1, [rsp + 16]", "movdqu xmm2, [rsp + 32]", "movdqu xmm3, [rsp + 48]",
                "movdqu xmm4, [rsp + 64]", "movdqu xmm5, [rsp + 80]", "movdqu xmm6, [rsp + 96]", "movdqu xmm7, [rsp + 112]",
                "movdqu xmm8, [rsp + 128]", "movdqu xmm9, [rsp + 144]", "movdqu xmm10, [rsp + 160]", "movdqu xmm11, [rsp + 176]",
                "movdqu xmm12, [rsp + 192]", "movdqu xmm13, [rsp + 208]", "movdqu xmm14, [rsp + 224]", "movdqu xmm15, [rsp + 240]",
                "mov rsp, rbx",
                "test rax, rax",
                "jnz 5f",
                "pop rbx", "pop r11", "pop r10", "pop r9", "pop r8",
                "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rax",
                "popfq",
                "lea rsp, [rsp + 128]",
                "jmp 2b + 5",
                // The frame's own rsp and rbx (callee-saved) again, then
                // into its door.
                "5: lea r11, [rbx + 88 + 128]",
                "mov rbx, [rbx]",
                "mov rsp, r11",
                "jmp rax",
                ".popsection",
                ".pushsection hotbreak_loops, \"awR\"",
                ".balign 8",
                ".quad 2b, 3b, {slot}",
                ".popsection",
                slot = sym $($key)+,
                hit = sym $crate::__private::osr_hit,
                options(preserves_flags),
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
macro_rules! __loop_site {
    ($($key:tt)+) => {};
}

/// A running frame's door (`osr.rs`): the nop form of the entry check,
/// keyed by the native body's path (`{ <Self as Tr>::f }`: any path, which a
/// `path` fragment is not).
#[doc(hidden)]
#[macro_export]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
macro_rules! __door {
    ({ $($key:tt)+ }, $armed:block) => {
        // SAFETY: as `__entry_jump!`: a nop the runtime may turn into a
        // jump to `$armed` (only a loop site's thunk ever jumps there).
        unsafe {
            ::core::arch::asm!(
                ".balign 8, , 4",
                "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
                ".pushsection hotbreak_sites, \"awR\"",
                ".balign 8",
                ".quad 2b, {armed}, {key}",
                ".popsection",
                key = sym $($key)+,
                armed = label $armed,
                options(nostack, preserves_flags),
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
macro_rules! __door {
    ({ $($key:tt)+ }, $armed:block) => {};
}

/// The entry check as a flag in the code: `mov reg32, 0`, whose immediate
/// arming sets to 1 (see `flags.rs`), then `if reg != 0 { $armed }`. The
/// asm is `pure, nomem` without inputs: the optimizer may hoist it out of
/// any loop and unswitch the loop on it, so a disarmed check costs nothing
/// inside loops (vectorized loops stay vectorized). The instruction (5 or 6
/// bytes) starts at offset 0 or 1 of an 8-byte word (`.balign 8,,6` pads
/// only from offset 2 on): its immediate never crosses the word.
#[doc(hidden)]
#[macro_export]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
macro_rules! __entry_flag {
    ($slot:path, $armed:block) => {
        let __hotbreak_flag: u32;
        // SAFETY: the asm only sets a register; the runtime rewrites its
        // immediate between 0 and 1.
        unsafe {
            ::core::arch::asm!(
                ".balign 8, , 6",
                "2: mov {flag:e}, 0",
                "3:",
                ".pushsection hotbreak_flags, \"awR\"",
                ".balign 8",
                ".quad 3b - 4, {slot}",
                ".popsection",
                slot = sym $slot,
                flag = out(reg) __hotbreak_flag,
                options(pure, nomem, nostack, preserves_flags),
            );
        }
        if __hotbreak_flag != 0 {
            // Laid out off the fast path (a call of a tiny recursive fn
            // paid a taken jump per call without it).
            $crate::__private::cold_path();
            $armed
        }
    };
}

#[doc(hidden)]
#[macro_export]
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
macro_rules! __entry_check {
    ($slot:path, $armed:block) => {
        if $slot.load() != 0 $armed
    };
}

/// The function a call-through shim calls now: `$slot`'s native body, or
/// the patch it is armed with, as the fn-pointer type of `$native` (the
/// native body cast to it, `f as unsafe fn(_) -> _`; a dead branch).
///
/// Debug builds compile a debuggable free function as a shim, inlined into
/// every caller, around its body moved into a nested fn: the shim loads this
/// target and calls it. At opt-level 0 an entry check inside the body ends a
/// basic block, and the fast register allocator then spills and reloads the
/// arguments and the result (a store-forwarding delay on every call); the
/// shim leaves the body's code exactly as without the attribute. On x86_64
/// the load is one `mov`: at opt-level 0 an atomic load would be a call.
#[doc(hidden)]
#[macro_export]
#[cfg(target_arch = "x86_64")]
macro_rules! __call_through {
    ($slot:path, $native:expr) => {{
        let __hotbreak_target: usize;
        // SAFETY: reads the slot's `call` field, an aligned pointer-sized
        // atomic: the native body or a patch with the same signature.
        unsafe {
            ::core::arch::asm!(
                "mov {target}, qword ptr [rip + {slot} + {offset}]",
                slot = sym $slot,
                offset = const $crate::__private::Slot::CALL_OFFSET,
                target = out(reg) __hotbreak_target,
                options(nostack, preserves_flags, readonly),
            );
            // The pointer type is the native body's (`$native`, never run):
            // a method's elided lifetimes cannot always be spelled.
            if true { ::core::mem::transmute::<usize, _>(__hotbreak_target) } else { $native }
        }
    }};
}

#[doc(hidden)]
#[macro_export]
#[cfg(not(target_arch = "x86_64"))]
macro_rules! __call_through {
    ($slot:path, $native:expr) => {
        // SAFETY: as above.
        unsafe { if true { ::core::mem::transmute::<*mut (), _>($slot.call_target()) } else { $native } }
    };
}
