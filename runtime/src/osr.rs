//! Running frames switch to patched code at loop headers (debug builds).
//!
//! In a crate built at opt-level 0 the attribute puts a *loop site* at the
//! top of each loop body on a statement path of a debuggable function
//! (`__loop_site!`): a 5-byte nop, plus an out-of-line thunk and a
//! `hotbreak_loops` record `(nop, thunk, slot)`. Arming a patch that can
//! resume there (the tool says so with `Op::ArmLoops`) turns the nop into
//! `jmp thunk`. The thunk saves the caller-saved registers and asks
//! `osr_hit`: 0 goes back after the nop; otherwise it restores the frame's
//! `rsp` and jumps to the answer, the function's *door*: the armed label of
//! its entry check, which calls the patch and returns its result from the
//! native frame through rustc's own epilogue. No local is alive at the door,
//! so leaving that way drops nothing.
//!
//! The patch (rewritten by `hotbreak_rewriter::resume`) asks `resuming()`
//! first: in resume mode it skips to the loop, and every local declared
//! before the loop is the native frame's own stack slot (`Resume::place`, an
//! offset from the frame's `rsp` that the tool read from the host's DWARF),
//! owned by an `Own` guard so it is dropped once, at the end of its scope.
//! The loop's iterator and pattern bindings are taken by value
//! (`Resume::take`): nothing can point to them yet.
//!
//! Sound only at opt-level 0, where `rsp` is constant in a body and every
//! local lives in its own slot: the wrapper enables sites only there.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::RwLock;

/// One entry of the `hotbreak_loops` section, as `__loop_site!` lays it out.
/// `slot` is the key of the function: the address of its native body (a
/// shim's nested or sibling fn), which the slot's `native` also holds.
#[repr(C)]
pub(crate) struct LoopSite {
    code: usize,
    thunk: usize,
    slot: usize,
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod table {
    use super::LoopSite;

    #[used]
    #[unsafe(link_section = "hotbreak_loops")]
    static EMPTY: LoopSite = LoopSite { code: 0, thunk: 0, slot: 0 };

    unsafe extern "C" {
        #[link_name = "__start_hotbreak_loops"]
        static START: LoopSite;
        #[link_name = "__stop_hotbreak_loops"]
        static STOP: LoopSite;
    }

    pub fn sites() -> &'static [LoopSite] {
        let _ = std::hint::black_box(&EMPTY);
        // SAFETY: the linker defines START/STOP around the section, which
        // holds only `LoopSite`s (8-aligned, 24 bytes each).
        unsafe {
            let start = &raw const START;
            let stop = &raw const STOP;
            let len = (stop as usize - start as usize) / std::mem::size_of::<LoopSite>();
            std::slice::from_raw_parts(start, len)
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod table {
    pub fn sites() -> &'static [super::LoopSite] {
        &[]
    }
}

/// An armed loop site: where to switch, and where the patch's resume code
/// finds each local (`(offset from the frame's rsp, the slot holds a
/// pointer to it)`, in the order the patch asks for them).
#[derive(Clone, Copy)]
struct Armed {
    door: usize,
    line: u32,
    vars: &'static [(i64, bool)],
}

static ARMED: RwLock<Option<HashMap<usize, Armed>>> = RwLock::new(None);

thread_local! {
    /// Set by `osr_hit` just before the jump to the door; taken by the
    /// patch's first statement.
    static PENDING: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

use crate::protocol::LoopArm;

/// Aims the loop sites of `slot`: those in `arms` jump to their thunk, every
/// other one of the slot is a nop again. Returns the sites it did not find.
pub(crate) fn aim(slot: usize, arms: Vec<LoopArm>) -> Result<(), String> {
    if slot == 0 {
        // An in-body check: no loop sites.
        return if arms.is_empty() { Ok(()) } else { Err("this function has no loop sites".into()) };
    }
    let mut armed = ARMED.write().unwrap_or_else(|e| e.into_inner());
    let map = armed.get_or_insert_with(HashMap::new);
    let mine: Vec<&LoopSite> = table::sites().iter().filter(|s| s.code != 0 && s.slot == slot).collect();
    // Nops first, so no thread takes a jump to a site being replaced.
    for site in &mine {
        crate::sites::aim_one(site.code, site.thunk, false)?;
        map.remove(&site.code);
    }
    for arm in arms {
        let Some(site) = mine.iter().find(|s| s.code as u64 == arm.code) else {
            return Err(format!("no loop site at {:#x} for this function", arm.code));
        };
        let door = door_of(slot, site.code).ok_or_else(|| format!("loop site {:#x}: its function has no door", site.code))?;
        map.insert(site.code, Armed { door, line: arm.line, vars: Box::leak(arm.vars.into_boxed_slice()) });
        crate::sites::aim_one(site.code, site.thunk, true)?;
    }
    Ok(())
}

/// The loop sites of `slot` (runtime addresses), for the tool.
pub(crate) fn sites_of(slot: usize) -> Vec<usize> {
    table::sites().iter().filter(|s| s.code != 0 && s.slot == slot).map(|s| s.code).collect()
}

/// The door of the function holding loop site `code`: the armed label of its
/// native body's door check (an entry site keyed, like the loop sites, by
/// the body's address, so no slot's arming ever aims it), the nearest one
/// before the site (a body's code is contiguous and its door comes first).
fn door_of(slot: usize, code: usize) -> Option<usize> {
    crate::sites::entry_sites().filter(|(at, _, s)| *s == slot && *at < code).max_by_key(|(at, _, _)| *at).map(|(_, armed, _)| armed)
}

/// Called by a loop site's thunk with the caller-saved registers saved: the
/// door to jump to, or 0 to go on. Allocation-free and never unwinds (the
/// thunk has no unwind info).
#[doc(hidden)]
pub extern "C" fn osr_hit(code: usize, frame_sp: usize) -> usize {
    let Ok(armed) = ARMED.try_read() else { return 0 };
    let Some(site) = armed.as_ref().and_then(|m| m.get(&code)) else { return 0 };
    PENDING.with(|p| p.set(Some((code, frame_sp))));
    site.door
}

/// The native frame a patch resumes, handed over by the door.
pub struct Resume {
    line: u32,
    sp: usize,
    vars: &'static [(i64, bool)],
}

/// In a patch's first statement: `Some` when this call comes through a
/// door, i.e. the patch continues a running frame.
pub fn resuming() -> Option<Resume> {
    let (code, sp) = PENDING.with(|p| p.take())?;
    let armed = ARMED.read().unwrap_or_else(|e| e.into_inner());
    let site = armed.as_ref()?.get(&code)?;
    Some(Resume { line: site.line, sp, vars: site.vars })
}

impl Resume {
    /// The line of the loop the frame was in (the patch's sites are named
    /// by the line of their loop body's `{`).
    pub fn line(&self) -> u32 {
        self.line
    }

    fn address(&self, k: usize) -> usize {
        let (offset, deref) = self.vars[k];
        let at = (self.sp as i64 + offset) as usize;
        // SAFETY: the tool found a pointer in this frame slot (a parameter
        // passed by reference), from the host's DWARF.
        if deref { unsafe { *(at as *const usize) } } else { at }
    }

    /// Local `k` where the native frame keeps it. The patch owns it through
    /// an `Own` guard from here on; the native frame never runs again.
    #[allow(clippy::mut_from_ref)]
    pub fn place<'a, T>(&self, k: usize) -> &'a mut T {
        // SAFETY: the tool matched local `k` of the patch with this slot of
        // the running frame (same name, line and declaration), and the
        // frame stays below the patch until the patch returns.
        unsafe { &mut *(self.address(k) as *mut T) }
    }

    /// Local `k` moved out of the native frame (a loop's iterator or
    /// pattern binding: nothing points to them yet).
    pub fn take<T>(&self, k: usize) -> T {
        // SAFETY: as `place`; the native frame never reads it again.
        unsafe { std::ptr::read(self.address(k) as *const T) }
    }
}

/// Owns a local of a patch that can resume: the value lives in the native
/// frame's slot (resumed) or in the patch's own `MaybeUninit` (a fresh
/// call), and either way this guard drops it at the end of its scope, in the
/// order rustc would, unless it was moved out. Uses of the local go through
/// the `&mut` the slot gave; moves and assignments through the guard.
///
/// Not generic: a guard over `&'a mut T` would keep `'a` alive until the
/// end of the scope (drop check), where the local it stands for does not.
pub struct Own {
    place: *mut u8,
    drop: unsafe fn(*mut u8),
    live: bool,
}

unsafe fn drop_as<T>(place: *mut u8) {
    // SAFETY: `place` is the `T` an `Own` was made for.
    unsafe { std::ptr::drop_in_place(place as *mut T) }
}

impl Own {
    pub fn new<T>(place: &mut T) -> Self {
        Own { place: place as *mut T as *mut u8, drop: drop_as::<T>, live: true }
    }

    /// Moves the value out (`let w = v;`); `place` is the local's `&mut`.
    pub fn take<T>(&mut self, place: &mut T) -> T {
        assert!(self.live, "hotbreak: a resumed local was used after a move");
        self.live = false;
        // SAFETY: `place` holds a value until moved out once.
        unsafe { std::ptr::read(place) }
    }

    /// What a `move` closure captures: the value, moved (or copied: then
    /// the local stays usable, and a `Copy` value needs no drop).
    pub fn moved<T>(&mut self, place: &mut T) -> T {
        self.live = false;
        // SAFETY: `place` holds a value; see above for the two cases.
        unsafe { std::ptr::read(place) }
    }

    /// Assigns (`v = e;`): drops the old value unless it was moved out.
    pub fn put<T>(&mut self, value: T, place: &mut T) {
        if self.live {
            *place = value;
        } else {
            // SAFETY: moved out: the slot holds no value to drop.
            unsafe { std::ptr::write(place, value) };
            self.live = true;
        }
    }
}

impl Drop for Own {
    fn drop(&mut self) {
        if self.live {
            // SAFETY: the value, owned by this guard alone.
            unsafe { (self.drop)(self.place) }
        }
    }
}

/// At the top of a resumable loop body in a patch: the frame has arrived
/// where it left the native code, so the patch runs on normally.
pub fn arrive(resume: &mut Option<Resume>, line: u32) {
    if resume.as_ref().is_some_and(|r| r.line == line) {
        *resume = None;
    }
}

/// Whether a statement before a resumable loop runs: always in a fresh
/// call; when resuming, only if the loop being resumed is inside it.
pub fn entering(resume: &Option<Resume>, lines: &[u32]) -> bool {
    resume.as_ref().is_none_or(|r| lines.contains(&r.line))
}

/// The condition of a plain `if` holding a resumable loop in a branch:
/// `Some(whether the loop being resumed is in its `then` branch)` when
/// resuming, `None` in a fresh call (the condition runs as written).
pub fn branch(resume: &Option<Resume>, then_lines: &[u32]) -> Option<bool> {
    resume.as_ref().map(|r| then_lines.contains(&r.line))
}

/// The scrutinee of a `match` holding a resumable loop in an arm: the
/// value as written (`Fresh`), or that arm's bindings from the frame when
/// resuming into it (`Resumed`).
pub enum Arm<F, R> {
    Fresh(F),
    Resumed(R),
}

/// In a door: the patch the function whose native body is at `native` is
/// armed with (0: none).
#[doc(hidden)]
pub fn patch_of_native(native: usize) -> usize {
    crate::registry::FUNCTIONS.iter().filter_map(|f| f.slot).find(|s| s.native_addr() == native).map_or(0, |s| s.load())
}
