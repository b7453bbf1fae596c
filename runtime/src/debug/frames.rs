//! The stopped thread's physical frames with what the tool needs to find
//! their locals in DWARF: the return address, the CFA, and the callee-saved
//! registers the unwinder recovered for each frame.
//!
//! Walked with the unwinder std already links (libgcc's `_Unwind_Backtrace`),
//! the one std's own backtraces use, so the frames are the ones `backtrace`
//! symbolizes. A caller's `rsp` at its call site is its callee's CFA; its
//! callee-saved registers (`rbx`, `rbp`, `r12`-`r15`) are restored by the
//! unwinder from the CFI of the frames below. Caller-saved registers are
//! lost across a call (the ABI lets the callee clobber them), so they are
//! never reported.

use crate::protocol::RawFrame;
use std::ffi::{c_int, c_void};

/// libgcc's `struct _Unwind_Context`, opaque (declared as `unwind.rs`
/// declares it: one symbol, one signature).
type UnwindContext = c_void;

type Trace = extern "C" fn(*mut UnwindContext, *mut c_void) -> c_int;

unsafe extern "C" {
    fn _Unwind_Backtrace(trace: Trace, arg: *mut c_void) -> c_int;
    fn _Unwind_GetIP(ctx: *mut UnwindContext) -> usize;
    fn _Unwind_GetCFA(ctx: *mut UnwindContext) -> usize;
    fn _Unwind_GetGR(ctx: *mut UnwindContext, index: c_int) -> usize;
}

/// DWARF numbers (x86-64) of the registers every frame can be asked for.
/// `rsp` (7) is not asked: libgcc keeps it by value and `_Unwind_GetGR(7)`
/// faults; it is the callee's CFA instead. Other targets report none.
#[cfg(target_arch = "x86_64")]
const CALLEE_SAVED: &[u16] = &[3, 6, 12, 13, 14, 15];
#[cfg(not(target_arch = "x86_64"))]
const CALLEE_SAVED: &[u16] = &[];

/// At most this many frames (a runaway recursion stops somewhere).
const MAX_FRAMES: usize = 512;

struct Walk {
    frames: Vec<RawFrame>,
}

extern "C" fn visit(ctx: *mut UnwindContext, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Walk` that `walk` passed, alive for the call.
    let walk = unsafe { &mut *(arg as *mut Walk) };
    // SAFETY: the unwinder hands a valid context for this callback.
    // libgcc's `_Unwind_GetCFA` of a frame's context is the CFA of the
    // frame below it: this frame's `rsp` at its call (checked against
    // locals' addresses); its own CFA is the next frame's value.
    let (ip, sp) = unsafe { (_Unwind_GetIP(ctx), _Unwind_GetCFA(ctx)) };
    if ip == 0 || walk.frames.len() >= MAX_FRAMES {
        return 5; // _URC_END_OF_STACK: stop here
    }
    // SAFETY: as above; these registers always have a saved location.
    let regs = CALLEE_SAVED.iter().map(|&r| (r, unsafe { _Unwind_GetGR(ctx, r as c_int) } as u64)).collect();
    walk.frames.push(RawFrame { ip: ip as u64, cfa: 0, sp: sp as u64, regs });
    0
}

/// The frames outside the one holding stack address `inside` (a local of
/// the runtime's entry point the program called): the first is the
/// program's frame that called it. Innermost first; `sp` of each is its
/// callee's CFA. The outermost frame's CFA is unknown (0).
#[inline(never)]
pub(crate) fn walk(inside: usize) -> Vec<RawFrame> {
    let mut walk = Walk { frames: Vec::new() };
    // SAFETY: `visit` only reads the context and writes `walk`.
    unsafe { _Unwind_Backtrace(visit, &mut walk as *mut Walk as *mut c_void) };
    let mut frames = walk.frames;
    for i in 1..frames.len() {
        frames[i - 1].cfa = frames[i].sp;
    }
    // The entry point's frame holds its local: `sp <= inside < cfa`.
    let entry = frames.iter().position(|f| f.cfa as usize > inside);
    match entry {
        Some(at) => frames.split_off(at + 1),
        None => Vec::new(),
    }
}
