// A debuggee for hotbreak-dwarf's frame tests: a call chain whose leaf
// walks its own stack (as the hotbreak runtime does at a stop) and prints
// each frame's return address, rsp and callee-saved registers, then waits
// on stdin so the test can read the locals of the frames above it.
#![allow(dead_code)]

use std::ffi::c_void;
use std::hint::black_box;
use std::io::Read;

#[no_mangle]
pub extern "C" fn hb_anchor() {}

pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[repr(C)]
struct Ctx {
    _p: [u8; 0],
}

extern "C" {
    fn _Unwind_Backtrace(f: extern "C" fn(*mut Ctx, *mut c_void) -> i32, arg: *mut c_void) -> i32;
    fn _Unwind_GetIP(c: *mut Ctx) -> usize;
    fn _Unwind_GetCFA(c: *mut Ctx) -> usize;
    fn _Unwind_GetGR(c: *mut Ctx, i: i32) -> usize;
}

extern "C" fn visit(c: *mut Ctx, _: *mut c_void) -> i32 {
    unsafe {
        let regs: Vec<String> = [3, 6, 12, 13, 14, 15].iter().map(|&r| format!("{r}={:#x}", _Unwind_GetGR(c, r))).collect();
        println!("frame {:#x} {:#x} {}", _Unwind_GetIP(c), _Unwind_GetCFA(c), regs.join(" "));
    }
    0
}

#[inline(never)]
fn leaf(depth: u32) -> u32 {
    unsafe { _Unwind_Backtrace(visit, std::ptr::null_mut()) };
    println!("ready");
    let mut buf = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut buf);
    black_box(depth)
}

#[inline(never)]
fn middle(p: Point, name: String, v: Vec<u16>) -> i32 {
    let sum = p.x + p.y;
    let got = leaf(7) as i32;
    black_box(sum + got + name.len() as i32 + v.len() as i32 + p.x)
}

#[inline(always)]
fn helper(k: u64) -> i32 {
    let doubled = k * 2;
    middle(Point { x: 3, y: 4 }, format!("abc{k}"), vec![1, 2, doubled as u16]) + doubled as i32
}

fn main() {
    println!("anchor {:#x}", hb_anchor as extern "C" fn() as usize);
    let count = black_box(3u64);
    let r = helper(count);
    black_box(r + count as i32);
}
