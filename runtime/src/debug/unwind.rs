//! Will a panic be caught? The question the unwinder's first phase asks,
//! asked from the panic hook, before unwinding starts.
//!
//! The unwinder (libgcc's, which Rust uses on Linux) walks the stack and
//! asks each frame's personality routine whether its landing pad at the
//! frame's call site catches. A Rust frame's answer is in its LSDA (the
//! call-site and action tables of `.gcc_except_table`): a call site whose
//! first action has a type filter catches (`catch_unwind`'s `__rust_try`
//! has a catch-all clause, wherever it was inlined); one with none, or
//! only cleanups (drops), lets the panic through. This reads the tables as std's personality (`find_eh_action`) does, so no
//! frame names or debug info are needed: inlined `catch_unwind`s in a
//! release build count.
//!
//! What it cannot know: a frame whose personality is not Rust's reads the
//! same tables, but a C++ `catch (T&)` for another type counts as a catch;
//! a call that may not unwind (an `extern "C"` function, which aborts the
//! panic) is passed over like any frame (the walk starts inside the hook's
//! call, where std's own calls may not unwind either, so the two cannot be
//! told apart): a `catch_unwind` outside it makes the panic count as caught.

use std::ffi::{c_int, c_void};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    /// A landing pad inside the program's own code catches it.
    Catch,
    /// Nothing catches it before `outermost` (or the stack's end).
    None,
}

type Context = c_void;
type Trace = extern "C" fn(*mut Context, *mut c_void) -> c_int;

unsafe extern "C" {
    fn _Unwind_Backtrace(trace: Trace, arg: *mut c_void) -> c_int;
    fn _Unwind_GetIPInfo(context: *mut Context, ip_before_insn: *mut c_int) -> usize;
    fn _Unwind_GetLanguageSpecificData(context: *mut Context) -> *const u8;
    fn _Unwind_GetRegionStart(context: *mut Context) -> usize;
}

const NO_REASON: c_int = 0;
/// Any other answer stops the walk.
const STOP: c_int = 4;

struct Walk<'a> {
    outermost: &'a [usize],
    found: Handler,
}

/// What first handles a panic raised on this thread now, walking out from
/// the caller to the first frame whose function starts at one of
/// `outermost` (not looked at: std's frames that end a thread or the
/// program begin outside it).
pub(crate) fn first_handler(outermost: &[usize]) -> Handler {
    let mut walk = Walk { outermost, found: Handler::None };
    // SAFETY: the callback gets our `Walk` back and only reads the unwind
    // context it is handed.
    unsafe { _Unwind_Backtrace(frame, &mut walk as *mut Walk as *mut c_void) };
    walk.found
}

extern "C" fn frame(context: *mut Context, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Walk` of `first_handler`, alive for the walk.
    let walk = unsafe { &mut *(arg as *mut Walk) };
    let mut before = 0;
    // SAFETY: a context the unwinder hands us, read as documented.
    let (ip, lsda, start) = unsafe { (_Unwind_GetIPInfo(context, &mut before), _Unwind_GetLanguageSpecificData(context), _Unwind_GetRegionStart(context)) };
    if ip == 0 || walk.outermost.contains(&start) {
        return STOP;
    }
    if lsda.is_null() {
        return NO_REASON;
    }
    // The return address points after the call; the call is what unwinds.
    let pc = if before == 0 { ip - 1 } else { ip };
    // SAFETY: the unwinder's LSDA pointer for this frame.
    match unsafe { action_at(lsda, start, pc) } {
        Some(Action::Catch) => {
            walk.found = Handler::Catch;
            STOP
        }
        // A pc outside the call sites is a call that may not unwind. The
        // walk starts inside the hook's call, which the panic never
        // unwinds through (std raises it after the hook returns), so such
        // a frame cannot be told from one that would abort: passed over.
        Some(Action::Terminate | Action::Through) | None => NO_REASON,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Action {
    Catch,
    /// Cleanups only, or no landing pad: the panic goes on outwards.
    Through,
    Terminate,
}

const OMIT: u8 = 0xff;

/// The action of the call site covering `pc` in the LSDA at `lsda` of the
/// function starting at `start`; `None` when the table is one this reader
/// does not know (then the frame is passed over).
///
/// # Safety
/// `lsda` points at a well-formed LSDA (the unwinder's for this frame).
unsafe fn action_at(lsda: *const u8, start: usize, pc: usize) -> Option<Action> {
    let mut r = Reader(lsda);
    unsafe {
        let lpstart_encoding = r.byte();
        if lpstart_encoding != OMIT {
            r.encoded(lpstart_encoding)?;
        }
        let ttype_encoding = r.byte();
        if ttype_encoding != OMIT {
            r.uleb();
        }
        let call_site_encoding = r.byte();
        let table_len = r.uleb() as usize;
        let actions = r.0.add(table_len);
        while r.0 < actions {
            let cs_start = r.encoded(call_site_encoding)?;
            let cs_len = r.encoded(call_site_encoding)?;
            let cs_lpad = r.encoded(call_site_encoding)?;
            let cs_action = r.uleb();
            // Sorted by start: past `pc`, no entry covers it.
            if pc < start.wrapping_add(cs_start) {
                break;
            }
            if pc < start.wrapping_add(cs_start + cs_len) {
                if cs_lpad == 0 || cs_action == 0 {
                    return Some(Action::Through);
                }
                let mut record = Reader(actions.add(cs_action as usize - 1));
                return Some(if record.sleb() != 0 { Action::Catch } else { Action::Through });
            }
        }
        Some(Action::Terminate)
    }
}

struct Reader(*const u8);

impl Reader {
    unsafe fn byte(&mut self) -> u8 {
        unsafe {
            let b = *self.0;
            self.0 = self.0.add(1);
            b
        }
    }

    unsafe fn uleb(&mut self) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let b = unsafe { self.byte() };
            if shift < 64 {
                value |= ((b & 0x7f) as u64) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                return value;
            }
        }
    }

    unsafe fn sleb(&mut self) -> i64 {
        let (mut value, mut shift) = (0i64, 0);
        loop {
            let b = unsafe { self.byte() };
            if shift < 64 {
                value |= ((b & 0x7f) as i64) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return value;
            }
        }
    }

    unsafe fn read<T: Copy>(&mut self) -> T {
        unsafe {
            let v = (self.0 as *const T).read_unaligned();
            self.0 = self.0.add(std::mem::size_of::<T>());
            v
        }
    }

    /// A `DW_EH_PE_*` value; only the forms call-site tables use (plain
    /// or pc-relative), else `None`.
    unsafe fn encoded(&mut self, encoding: u8) -> Option<usize> {
        let at = self.0 as usize;
        let value = unsafe {
            match encoding & 0x0f {
                0x00 => self.read::<usize>(),
                0x01 => self.uleb() as usize,
                0x02 => self.read::<u16>() as usize,
                0x03 => self.read::<u32>() as usize,
                0x04 => self.read::<u64>() as usize,
                0x09 => self.sleb() as usize,
                0x0a => self.read::<i16>() as usize,
                0x0b => self.read::<i32>() as usize,
                0x0c => self.read::<i64>() as usize,
                _ => return None,
            }
        };
        match encoding & 0x70 {
            0x00 => Some(value),
            0x10 => Some(at.wrapping_add(value)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{action_at, first_handler, Action, Handler};

    /// Stands for std's thread entry: the walk ends at its frame.
    #[inline(never)]
    fn outermost(f: &dyn Fn() -> Handler) -> Handler {
        std::hint::black_box(f())
    }

    #[test]
    fn a_catch_unwind_on_the_stack_is_found_and_one_outside_the_boundary_is_not() {
        let boundary = [outermost as *const () as usize];
        // The test harness catches each test's panic, outside `outermost`.
        assert_eq!(outermost(&|| first_handler(&boundary)), Handler::None);
        let inside = outermost(&|| std::panic::catch_unwind(|| first_handler(&boundary)).unwrap());
        assert_eq!(inside, Handler::Catch);
        assert_eq!(first_handler(&[]), Handler::Catch, "without a boundary, the harness's own catch counts");
    }

    /// An LSDA as LLVM writes it for a function with a cleanup call site
    /// at 0x10..0x18 and a catch-all at 0x20..0x28 (uleb128 call sites).
    fn lsda() -> Vec<u8> {
        vec![
            0xff, // no lpstart
            0x9b, 0x0d, // ttype: indirect pcrel sdata4, offset (unused here)
            0x01, // call sites: uleb128
            8,    // call-site table length
            0x10, 0x08, 0x40, 0x00, // cleanup: start, len, lpad, action 0
            0x20, 0x08, 0x50, 0x01, // catch: action record 1
            0x30, 0x08, // (table bytes past the length: the action table)
        ]
    }

    #[test]
    fn call_sites_read_as_std_reads_them() {
        let data = lsda();
        let base = 0x1000usize;
        // The action table starts after the 8 bytes of call sites: its
        // record 1 is `0x30 0x08` here, a nonzero type filter (a catch).
        let at = |pc: usize| unsafe { action_at(data.as_ptr(), base, base + pc) };
        assert_eq!(at(0x12), Some(Action::Through));
        assert_eq!(at(0x21), Some(Action::Catch));
        assert_eq!(at(0x08), Some(Action::Terminate), "a pc no call site covers cannot unwind");
        assert_eq!(at(0x40), Some(Action::Terminate));
    }
}
