use std::hint::black_box; use std::time::Instant;
macro_rules! site { () => { unsafe { core::arch::asm!(".balign 8, , 4", "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
    ".pushsection hotbreak_loops, \"awR\"", ".balign 8", ".quad 2b", ".popsection", options(nostack, preserves_flags)); } } }
#[inline] fn sq(x: i32) -> i32 { x.wrapping_mul(x) }
#[inline(never)] fn a0(v: &[i32]) -> i32 { let mut s = 0i32; for x in v { s = s.wrapping_add(sq(*x)); } s }
#[inline(never)] fn a1(v: &[i32]) -> i32 { let mut s = 0i32; for x in v { site!(); s = s.wrapping_add(sq(*x)); } s }
fn main() { let n = 1_000_000; let v: Vec<i32> = (0..n).collect(); let mut b = [f64::MAX; 2];
  for _ in 0..40 { for k in 0..2 { let t = Instant::now(); black_box(if k == 0 { a0(black_box(&v)) } else { a1(black_box(&v)) });
    let d = t.elapsed().as_nanos() as f64 / n as f64; if d < b[k] { b[k] = d; } } }
  println!("sum of sq() (a call that inlines): none {:.3} ns  site {:.3} ns  ratio {:.2}", b[0], b[1], b[1]/b[0]); }
