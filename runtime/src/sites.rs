//! Entry sites: the disarmed entry check as a 5-byte `nop` in the code.
//!
//! On x86_64 Linux, `#[debuggable]` puts an `asm goto` at the top of each
//! function: a 5-byte nop (the fast path falls through it) whose label is the
//! armed path (load the slot, call the patch). The asm also records
//! `(nop address, label address, slot address)` in the `hotbreak_sites`
//! section. Arming a slot rewrites each of its nops into `jmp label`;
//! disarming writes the nop back. Every inlined copy of a function carries
//! its own site, so inlining never hides one. Debug builds use these;
//! optimized builds use flag sites (`flags.rs`), which loops do not pay for.
//!
//! Threads may be running the very bytes being rewritten, so a site is only
//! ever changed by one aligned 8-byte store: the macro aligns each nop so
//! that its 5 bytes never cross an 8-byte boundary, and x86 instruction fetch
//! sees either the old or the new word.

use std::sync::Mutex;

/// One entry of the `hotbreak_sites` section, as the asm lays it out.
#[repr(C)]
struct Site {
    code: usize,
    armed: usize,
    slot: usize,
}

/// `nopl 0x0(%rax,%rax,1)`: what a disarmed site holds.
const NOP5: [u8; 5] = [0x0f, 0x1f, 0x44, 0x00, 0x00];
const JMP_REL32: u8 = 0xe9;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod table {
    use super::Site;

    // The section exists in every program that links the runtime: an empty
    // entry (code 0) here, so the start/stop symbols are always defined.
    #[used]
    #[unsafe(link_section = "hotbreak_sites")]
    static EMPTY: Site = Site { code: 0, armed: 0, slot: 0 };

    unsafe extern "C" {
        #[link_name = "__start_hotbreak_sites"]
        static START: Site;
        #[link_name = "__stop_hotbreak_sites"]
        static STOP: Site;
    }

    pub fn sites() -> &'static [Site] {
        // Referencing EMPTY keeps its object (and so the section) linked.
        let _ = std::hint::black_box(&EMPTY);
        // SAFETY: the linker defines START/STOP around the section, which
        // holds only `Site`s (8-aligned, 24 bytes each).
        unsafe {
            let start = &raw const START;
            let stop = &raw const STOP;
            let len = (stop as usize - start as usize) / std::mem::size_of::<Site>();
            std::slice::from_raw_parts(start, len)
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod table {
    pub fn sites() -> &'static [super::Site] {
        &[]
    }
}

/// Serializes page-protection changes and code writes (flag sites too:
/// they may share a page with entry sites).
pub(crate) static WRITING: Mutex<()> = Mutex::new(());

/// Points every site of `slot` at its armed path (`armed`) or back at the
/// native body.
pub fn aim(slot: usize, armed: bool) -> Result<(), String> {
    for site in table::sites().iter().filter(|s| s.code != 0 && s.slot == slot) {
        aim_one(site.code, site.armed, armed)?;
    }
    Ok(())
}

/// Makes the 5-byte site at `code` a `jmp target` (`jump`) or a nop again.
pub fn aim_one(code: usize, target: usize, jump_there: bool) -> Result<(), String> {
    let _guard = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    let jump = jump(code, target)?;
    // SAFETY: `code` is a site a macro emitted: 5 bytes of this program's
    // code, inside one aligned 8-byte word; `rewrite` checks they still
    // hold one of the two forms before changing them.
    unsafe { rewrite(code, [NOP5, jump], if jump_there { jump } else { NOP5 }) }
}

/// Every entry site: (nop, armed label, slot).
pub fn entry_sites() -> impl Iterator<Item = (usize, usize, usize)> {
    table::sites().iter().filter(|s| s.code != 0).map(|s| (s.code, s.armed, s.slot))
}

/// `jmp target` encoded at `from`.
fn jump(from: usize, target: usize) -> Result<[u8; 5], String> {
    let offset = (target as i64) - (from as i64 + 5);
    let offset = i32::try_from(offset).map_err(|_| format!("entry site {from:#x}: armed path out of jump range"))?;
    let [a, b, c, d] = offset.to_le_bytes();
    Ok([JMP_REL32, a, b, c, d])
}

/// Writes 5 bytes of code at `at` with one atomic 8-byte store, if they now
/// hold one of `expected` (anything else is not a site: never written).
///
/// # Safety
/// `at..at + 5` must be readable code of this process.
unsafe fn rewrite(at: usize, expected: [[u8; 5]; 2], bytes: [u8; 5]) -> Result<(), String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let word_at = at & !7;
    let shift = at - word_at;
    if shift > 3 {
        return Err(format!("entry site {at:#x} crosses an 8-byte boundary"));
    }
    let word = unsafe { &*(word_at as *const AtomicU64) };
    let old = word.load(Ordering::Relaxed).to_le_bytes();
    if !expected.iter().any(|e| old[shift..shift + 5] == e[..]) {
        return Err(format!("entry site {at:#x} holds unexpected code {:02x?}; left alone", &old[shift..shift + 5]));
    }
    let mut new = old;
    new[shift..shift + 5].copy_from_slice(&bytes);
    if new == old {
        return Ok(());
    }
    store_code(word, u64::from_le_bytes(new))
}

/// Stores `new` into the aligned code word `word`, its page writable (and
/// executable: other threads may be running it) for that one store. The
/// caller holds its module's writer lock.
pub(crate) fn store_code(word: &std::sync::atomic::AtomicU64, new: u64) -> Result<(), String> {
    use std::sync::atomic::Ordering;
    let at = word as *const _ as usize;
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let page_at = at & !(page - 1);
    let protect = |prot| unsafe { libc::mprotect(page_at as *mut libc::c_void, page, prot) };
    // Executable throughout: other threads may be running this page.
    if protect(libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC) != 0 {
        return Err(format!("cannot make code writable at {at:#x}: {}", std::io::Error::last_os_error()));
    }
    word.store(new, Ordering::SeqCst);
    if protect(libc::PROT_READ | libc::PROT_EXEC) != 0 {
        return Err(format!("cannot restore code protection at {at:#x}: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_is_relative_to_the_next_instruction() {
        assert_eq!(jump(0x1000, 0x1005).unwrap(), [0xe9, 0, 0, 0, 0]);
        assert_eq!(jump(0x1000, 0x1000).unwrap(), [0xe9, 0xfb, 0xff, 0xff, 0xff]);
        assert!(jump(0, 1 << 40).is_err());
    }

    #[test]
    fn bytes_that_are_not_a_site_are_never_written() {
        let word = std::sync::atomic::AtomicU64::new(u64::from_le_bytes([0x55, 0x48, 0x89, 0xe5, 0xc3, 0, 0, 0]));
        let at = &word as *const _ as usize;
        let jump = jump(at, at + 64).unwrap();
        // SAFETY: readable memory; refused before any protection change.
        let refused = unsafe { rewrite(at, [NOP5, jump], jump) };
        assert!(refused.unwrap_err().contains("unexpected code"));
        // SAFETY: as above; refused for crossing its word.
        assert!(unsafe { rewrite(at + 4, [NOP5, jump], jump) }.unwrap_err().contains("crosses"));
        assert_eq!(word.into_inner().to_le_bytes()[..5], [0x55, 0x48, 0x89, 0xe5, 0xc3]);
    }
}
