//! The instance table of an armed generic function.
//!
//! A generic function has one slot for all its instances (a `static`
//! cannot depend on the function's parameters), and every instance, and
//! every inlined copy of one, carries its own entry site on that slot. While
//! armed, the slot holds the address of a table that maps each instance's
//! own address (`f::<T> as *const () as usize`, the key the instance
//! computes in its armed path) to the patch's copy of that instance. An
//! instance the table lacks (the patch does not have it) runs its native
//! code. Tables are written once, sorted, and leaked: a thread may still
//! read a table the slot no longer points at (patches are never unloaded
//! either).

/// A sorted list of (host instance address, patch instance address).
#[repr(C)]
pub struct InstanceTable {
    len: usize,
    entries: *const (usize, usize),
}

/// The patch instance for the instance at `key` in the table at `table`
/// (a slot's armed value), or 0 when the patch does not cover it.
///
/// # Safety
/// `table` is a value stored by `leak_table`.
#[inline(never)]
pub unsafe fn instance_entry(table: usize, key: usize) -> usize {
    // SAFETY: the caller's contract: a leaked, never-freed table.
    let table = unsafe { &*(table as *const InstanceTable) };
    let entries = unsafe { std::slice::from_raw_parts(table.entries, table.len) };
    match entries.binary_search_by_key(&key, |&(host, _)| host) {
        Ok(i) => entries[i].1,
        Err(_) => 0,
    }
}

/// Leaks `pairs` as a table; returns the value to store in the slot.
pub(crate) fn leak_table(pairs: Vec<(u64, u64)>) -> usize {
    let mut entries: Vec<(usize, usize)> = pairs.into_iter().map(|(h, p)| (h as usize, p as usize)).collect();
    entries.sort_unstable();
    entries.dedup_by_key(|e| e.0);
    let entries: &'static [(usize, usize)] = Vec::leak(entries);
    let table = Box::leak(Box::new(InstanceTable { len: entries.len(), entries: entries.as_ptr() }));
    table as *const InstanceTable as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_finds_its_patch_or_none() {
        let t = leak_table(vec![(300, 3), (100, 1), (200, 2)]);
        // SAFETY: from leak_table.
        unsafe {
            assert_eq!(instance_entry(t, 100), 1);
            assert_eq!(instance_entry(t, 300), 3);
            assert_eq!(instance_entry(t, 150), 0);
        }
        let empty = leak_table(Vec::new());
        assert_eq!(unsafe { instance_entry(empty, 5) }, 0);
    }
}
