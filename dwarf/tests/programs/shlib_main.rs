// Runs the shared library's values (linked at build time, found by rpath).
#[no_mangle]
#[inline(never)]
pub extern "C" fn hb_anchor() {}

extern "C" {
    fn shlib_run();
}

fn main() {
    println!("anchor {:#x}", hb_anchor as extern "C" fn() as usize);
    unsafe { shlib_run() }
}
