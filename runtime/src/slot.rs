use std::sync::atomic::{AtomicUsize, Ordering};

/// The entry slot of one debuggable function: 0 runs the native body, any
/// other value is the address of a patched version with the same signature.
#[repr(transparent)]
pub struct Slot(AtomicUsize);

impl Slot {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Slot(AtomicUsize::new(0))
    }

    #[inline]
    pub fn load(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Adjusts a counter kept in a slot (the stepping flag).
    pub(crate) fn add(&self, delta: isize) {
        if delta >= 0 {
            self.0.fetch_add(delta as usize, Ordering::AcqRel);
        } else {
            self.0.fetch_sub(delta.unsigned_abs(), Ordering::AcqRel);
        }
    }

    /// Points the function at `entry` (0 restores the native body): arming
    /// stores the slot, then turns its entry sites into jumps; disarming
    /// turns them back first. Release pairs with the reader's dependent call
    /// into code loaded before. A thread that took a jump re-reads the slot,
    /// so it runs the patch or the native body, never a stale pointer.
    pub fn point_at(&'static self, entry: usize) -> Result<(), String> {
        let at = self as *const Slot as usize;
        if entry == 0 {
            let sites = crate::sites::aim(at, false);
            self.0.store(0, Ordering::Release);
            return sites;
        }
        self.0.store(entry, Ordering::Release);
        crate::sites::aim(at, true).inspect_err(|_| {
            // Half-armed sites fall through to native code once the slot is 0.
            self.0.store(0, Ordering::Release);
        })
    }
}
