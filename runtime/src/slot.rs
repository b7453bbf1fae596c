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

    /// Points the function at `entry` (0 restores the native body). Release
    /// pairs with the reader's dependent call into code loaded before.
    /// Adjusts a counter kept in a slot (the stepping flag).
    pub(crate) fn add(&self, delta: isize) {
        if delta >= 0 {
            self.0.fetch_add(delta as usize, Ordering::AcqRel);
        } else {
            self.0.fetch_sub(delta.unsigned_abs(), Ordering::AcqRel);
        }
    }

    pub(crate) fn store(&self, entry: usize) {
        self.0.store(entry, Ordering::Release)
    }
}
