//! Flag sites: the entry check of optimized builds, an immediate in the code.
//!
//! On x86_64 Linux, an optimized build's entry check (`__entry_flag!`) is
//! `mov reg32, 0` in an `asm!` marked `pure, nomem`, followed by an
//! ordinary `if reg != 0 { armed path }`. The asm also records the address
//! of the instruction's 4-byte immediate and the slot in the
//! `hotbreak_flags` section. Arming a slot rewrites each immediate to 1;
//! disarming back to 0.
//!
//! Why not the `asm goto` nop (`sites.rs`): any asm left inside a loop
//! stops vectorization and unrolling, and where the function is inlined
//! into a loop its check stays inside it. A `pure, nomem` asm has no
//! inputs, so LLVM may hoist it out of any loop (and unswitch the loop on
//! its value): the loop runs the plain build's code. The price: where the
//! function is inlined into another, the check may be read once per call
//! of that other function (before a loop, or once for two copies), so a
//! call of it already running keeps native code until it is entered again
//! (see ARCHITECTURE.md, "The entry check").
//!
//! The immediate's 4 bytes never cross an 8-byte word (`.balign 8,,6`
//! starts the instruction, at most 6 bytes long, at offset 0 or 1 of a
//! word), so one aligned 8-byte store changes them, as for entry sites.

/// One entry of the `hotbreak_flags` section, as the asm lays it out.
#[repr(C)]
struct Flag {
    imm: usize,
    slot: usize,
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod table {
    use super::Flag;

    // The section exists in every program that links the runtime: an empty
    // entry (imm 0) here, so the start/stop symbols are always defined.
    #[used]
    #[unsafe(link_section = "hotbreak_flags")]
    static EMPTY: Flag = Flag { imm: 0, slot: 0 };

    unsafe extern "C" {
        #[link_name = "__start_hotbreak_flags"]
        static START: Flag;
        #[link_name = "__stop_hotbreak_flags"]
        static STOP: Flag;
    }

    pub fn flags() -> &'static [Flag] {
        let _ = std::hint::black_box(&EMPTY);
        // SAFETY: the linker defines START/STOP around the section, which
        // holds only `Flag`s (8-aligned, 16 bytes each).
        unsafe {
            let start = &raw const START;
            let stop = &raw const STOP;
            let len = (stop as usize - start as usize) / std::mem::size_of::<Flag>();
            std::slice::from_raw_parts(start, len)
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod table {
    pub fn flags() -> &'static [super::Flag] {
        &[]
    }
}

/// Sets every flag of `slot` to 1 (`armed`) or 0.
pub fn aim(slot: usize, armed: bool) -> Result<(), String> {
    let _guard = crate::sites::WRITING.lock().unwrap_or_else(|e| e.into_inner());
    for flag in table::flags().iter().filter(|f| f.imm != 0 && f.slot == slot) {
        // SAFETY: `flag.imm` is an immediate the macro emitted: 4 bytes of
        // this program's code; `rewrite` checks they hold 0 or 1 first.
        unsafe { rewrite(flag.imm, armed as u32)? };
    }
    Ok(())
}

/// Where the flag sites of `slot` are: in which functions the tool can
/// tell the copies inlined into other functions.
pub fn addresses(slot: usize) -> Vec<u64> {
    table::flags().iter().filter(|f| f.imm != 0 && f.slot == slot).map(|f| f.imm as u64).collect()
}

/// Writes the 4-byte immediate at `at` with one atomic 8-byte store, if it
/// now holds 0 or 1 (anything else is not a flag: never written).
///
/// # Safety
/// `at..at + 4` must be readable code of this process.
unsafe fn rewrite(at: usize, value: u32) -> Result<(), String> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let word_at = at & !7;
    let shift = at - word_at;
    if shift > 4 {
        return Err(format!("flag site {at:#x} crosses an 8-byte boundary"));
    }
    let word = unsafe { &*(word_at as *const AtomicU64) };
    let old = word.load(Ordering::Relaxed).to_le_bytes();
    let now = u32::from_le_bytes(old[shift..shift + 4].try_into().expect("4 bytes"));
    // The opcode before it: `mov r32, imm32` (`b8+r`, maybe after a REX).
    if now > 1 || shift == 0 || old[shift - 1] & 0xf8 != 0xb8 {
        return Err(format!("flag site {at:#x} holds unexpected code {:02x?}; left alone", &old[shift..shift + 4]));
    }
    if now == value {
        return Ok(());
    }
    let mut new = old;
    new[shift..shift + 4].copy_from_slice(&value.to_le_bytes());
    crate::sites::store_code(word, u64::from_le_bytes(new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_are_not_a_flag_are_never_written() {
        let word = std::sync::atomic::AtomicU64::new(u64::from_le_bytes([0xb8, 7, 0, 0, 0, 0x90, 0, 0]));
        let at = &word as *const _ as usize;
        // SAFETY: readable memory; refused before any protection change.
        assert!(unsafe { rewrite(at + 1, 1) }.unwrap_err().contains("unexpected code"));
        let zeros = std::sync::atomic::AtomicU64::new(u64::from_le_bytes([0x90, 0, 0, 0, 0, 0x90, 0, 0]));
        // SAFETY: as above. (0 0 0 0 after a `nop`, not after `mov r32`.)
        assert!(unsafe { rewrite(&zeros as *const _ as usize + 1, 1) }.unwrap_err().contains("unexpected code"));
        assert!(unsafe { rewrite(at + 5, 1) }.unwrap_err().contains("crosses"));
        assert_eq!(word.into_inner().to_le_bytes()[..6], [0xb8, 7, 0, 0, 0, 0x90]);
    }
}
