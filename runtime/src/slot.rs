use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// The entry slot of one debuggable function: 0 runs the native body, any
/// other value is the address of a patched version with the same signature.
///
/// A function compiled as a call-through shim (debug builds, see
/// `__call_through!`) also keeps `call`: the function its callers call, the
/// native body or the patch. `native` is that body (null for functions with
/// an in-body entry check, whose `call` stays null).
#[repr(C)]
pub struct Slot {
    entry: AtomicUsize,
    call: AtomicPtr<()>,
    native: *mut (),
}

// SAFETY: `native` is the address of a function, never written after
// construction; the other fields are atomics.
unsafe impl Sync for Slot {}

impl Slot {
    /// Where `call` sits, for the shim's one-instruction load.
    pub const CALL_OFFSET: usize = std::mem::offset_of!(Slot, call);

    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Slot { entry: AtomicUsize::new(0), call: AtomicPtr::new(std::ptr::null_mut()), native: std::ptr::null_mut() }
    }

    /// The slot of a call-through shim whose native body is `native`.
    pub const fn calling(native: *mut ()) -> Self {
        Slot { entry: AtomicUsize::new(0), call: AtomicPtr::new(native), native }
    }

    #[inline]
    pub fn load(&self) -> usize {
        self.entry.load(Ordering::Relaxed)
    }

    /// The native body of a call-through shim (0 for an in-body check):
    /// what its loop sites and door are keyed by (`osr.rs`).
    pub fn native_addr(&self) -> usize {
        self.native as usize
    }

    /// What a call-through shim calls now (portable form of its load).
    #[inline]
    pub fn call_target(&self) -> *mut () {
        self.call.load(Ordering::Relaxed)
    }

    /// Adjusts a counter kept in a slot (the stepping flag).
    pub(crate) fn add(&self, delta: isize) {
        if delta >= 0 {
            self.entry.fetch_add(delta as usize, Ordering::AcqRel);
        } else {
            self.entry.fetch_sub(delta.unsigned_abs(), Ordering::AcqRel);
        }
    }

    /// Points the function at `entry` (0 restores the native body): arming
    /// stores the slot and the call-through target, then turns its entry
    /// sites into jumps and sets its flag sites; disarming turns them back first. Release pairs with
    /// the reader's dependent call into code loaded before. A thread that
    /// took a jump re-reads the slot, so it runs the patch or the native
    /// body, never a stale pointer; a shim's caller that read the patch just
    /// before a disarm runs it once more (patches are never unloaded).
    pub fn point_at(&'static self, entry: usize) -> Result<(), String> {
        let at = self as *const Slot as usize;
        if entry == 0 {
            let sites = crate::sites::aim(at, false).and(crate::flags::aim(at, false));
            self.aim_call(self.native);
            self.entry.store(0, Ordering::Release);
            return sites;
        }
        self.entry.store(entry, Ordering::Release);
        self.aim_call(entry as *mut ());
        crate::sites::aim(at, true).and_then(|()| crate::flags::aim(at, true)).inspect_err(|_| {
            // Half-armed sites and flags fall through to native code once
            // the slot is 0.
            self.aim_call(self.native);
            self.entry.store(0, Ordering::Release);
        })
    }

    /// How many flag sites (optimized builds' entry checks, `flags.rs`)
    /// carry this slot.
    pub fn flag_sites(&'static self) -> usize {
        self.flag_addresses().len()
    }

    /// Where those flag sites are: one per copy of the function's code.
    pub fn flag_addresses(&'static self) -> Vec<u64> {
        crate::flags::addresses(self as *const Slot as usize)
    }

    fn aim_call(&self, target: *mut ()) {
        if !self.native.is_null() {
            self.call.store(target, Ordering::Release);
        }
    }
}
