//! The GNU build id of the main executable, read from its loaded notes.

use std::ffi::c_void;

const NT_GNU_BUILD_ID: u32 = 3;

/// Hex string of the executable's build id, or empty when it has none.
pub fn main_build_id() -> String {
    let mut out = String::new();
    // SAFETY: the callback only reads program headers the loader hands it.
    unsafe { libc::dl_iterate_phdr(Some(visit), &mut out as *mut String as *mut c_void) };
    out
}

unsafe extern "C" fn visit(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> i32 {
    let info = &*info;
    let out = &mut *(data as *mut String);
    // The first object is the main program.
    for i in 0..info.dlpi_phnum as usize {
        let ph = &*info.dlpi_phdr.add(i);
        if ph.p_type != libc::PT_NOTE {
            continue;
        }
        let start = (info.dlpi_addr + ph.p_vaddr) as *const u8;
        let notes = std::slice::from_raw_parts(start, ph.p_memsz as usize);
        if let Some(id) = find_build_id(notes) {
            *out = id.iter().map(|b| format!("{b:02x}")).collect();
            break;
        }
    }
    1 // stop after the main program
}

fn find_build_id(mut notes: &[u8]) -> Option<&[u8]> {
    let align4 = |n: usize| (n + 3) & !3;
    while notes.len() >= 12 {
        let word = |i: usize| u32::from_ne_bytes(notes[i..i + 4].try_into().unwrap());
        let (namesz, descsz, kind) = (word(0) as usize, word(4) as usize, word(8));
        let desc_at = 12 + align4(namesz);
        let end = desc_at + align4(descsz);
        if end > notes.len() {
            return None;
        }
        if kind == NT_GNU_BUILD_ID && &notes[12..12 + namesz] == b"GNU\0" {
            return Some(&notes[desc_at..desc_at + descsz]);
        }
        notes = &notes[end..];
    }
    None
}
