//! Trampolines to the program's debug-build shims.
//!
//! A debug build inlines a debuggable free function's shim into every
//! caller (see `hotbreak-macros`, `shim.rs`), so the program has no symbol
//! for it, while a patch calls it by its plain name. Linking that name to
//! the function's native body would bypass its slot (no stepping into it,
//! no patch of it); the patch's own copy would too. So the patch gets a
//! trampoline per such name, doing what the shim does: jump to the
//! function the slot's `call` field holds. Arguments are untouched and no
//! frame is left behind.

use object::write::{Object, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

/// Where `call` sits in the runtime's `Slot` (`Slot::CALL_OFFSET`, checked
/// by a test against the runtime crate).
pub const SLOT_CALL_OFFSET: u64 = 8;

/// One trampoline's size; the code is padded with `int3`.
const SIZE: usize = 16;

/// The linker-visible name of the `i`th trampoline of a patch.
pub fn symbol(i: usize) -> String {
    format!("__hotbreak_shim_{i}")
}

/// A relocatable object defining [`symbol`]`(i)` for each slot (runtime
/// addresses): `movabs r11, slot + CALL_OFFSET; jmp [r11]`. r11 is the
/// scratch register no calling convention passes anything in.
pub fn object(slots: &[u64]) -> anyhow::Result<Vec<u8>> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let text = obj.section_id(object::write::StandardSection::Text);
    for (i, slot) in slots.iter().enumerate() {
        let mut code = Vec::with_capacity(SIZE);
        code.extend([0x49, 0xbb]);
        code.extend(slot.wrapping_add(SLOT_CALL_OFFSET).to_le_bytes());
        code.extend([0x41, 0xff, 0x23]);
        let len = code.len() as u64;
        code.resize(SIZE, 0xcc);
        let at = obj.append_section_data(text, &code, SIZE as u64);
        obj.add_symbol(Symbol {
            name: symbol(i).into_bytes(),
            value: at,
            size: len,
            kind: SymbolKind::Text,
            scope: SymbolScope::Linkage,
            weak: false,
            section: SymbolSection::Section(text),
            flags: SymbolFlags::None,
        });
    }
    Ok(obj.write()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_of_call_is_the_runtimes() {
        assert_eq!(SLOT_CALL_OFFSET as usize, hotbreak::__private::Slot::CALL_OFFSET);
    }

    #[test]
    fn each_trampoline_loads_its_slot_and_jumps() {
        use object::{Object as _, ObjectSection as _, ObjectSymbol as _};
        let data = object(&[0x1000, 0x2000]).unwrap();
        let file = object::File::parse(&*data).unwrap();
        let text = file.section_by_name(".text").unwrap().data().unwrap().to_vec();
        let second = file.symbols().find(|s| s.name() == Ok("__hotbreak_shim_1")).unwrap().address() as usize;
        assert_eq!(&text[second..second + 13], [0x49, 0xbb, 0x08, 0x20, 0, 0, 0, 0, 0, 0, 0x41, 0xff, 0x23]);
    }
}
