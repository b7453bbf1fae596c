// A shared library (cdylib) whose values a test renders after loading its
// DWARF at the library's own load bias.
#![allow(dead_code)]

use std::io::Read;

pub struct Gadget {
    pub label: String,
    pub parts: Vec<Part>,
    pub mode: Mode,
}
pub struct Part(pub u8, pub f32);
pub enum Mode {
    Off,
    Level(u16),
}

#[inline(never)]
pub fn type_marker<T: ?Sized>() -> &'static str {
    core::any::type_name::<T>()
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn hb_lib_anchor() {}

fn show<T>(name: &str, v: &T) {
    let marker = type_marker::<T> as fn() -> &'static str as usize;
    println!("{name} {:#x} {marker:#x}", v as *const T as usize);
}

/// Prints where its values are, then waits for end of input.
#[no_mangle]
pub extern "C" fn shlib_run() {
    println!("lib_anchor {:#x}", hb_lib_anchor as extern "C" fn() as usize);
    let gadget = Gadget { label: "g1".into(), parts: vec![Part(1, 0.5), Part(2, 1.0)], mode: Mode::Level(3) };
    show("gadget", &gadget);
    println!("ready");
    let mut buf = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut buf);
    std::hint::black_box(&gadget);
}
