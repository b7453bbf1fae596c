use std::hint::black_box; use std::time::Instant;
macro_rules! door { ($e:expr) => { unsafe { core::arch::asm!(".pushsection hotbreak_doors, \"awR\"", ".balign 8", ".quad {d}", ".popsection",
    d = label { return $e }, options(nostack, preserves_flags)); } } }
#[inline(never)] fn other(a: &[u32], k: u32) -> u32 { black_box(a.len() as u32 ^ k) }
// small functions with a short loop, called in a hot loop: where a door's per-call cost would show
#[inline(never)] fn f0(a: &[u32], k: u32) -> u32 { let mut s = k; for x in a { s = s.wrapping_add(*x); } s }
#[inline(never)] fn f1(a: &[u32], k: u32) -> u32 { door!(other(a, k)); let mut s = k; for x in a { s = s.wrapping_add(*x); } s }
fn main() {
    let a = black_box(vec![1u32, 2]); let n = 2_000_000u32;
    let mut best = [f64::MAX; 2];
    for _ in 0..30 { for k in 0..2 { let t = Instant::now(); let mut s = 0u32;
        for i in 0..n { s = s.wrapping_add(if k == 0 { f0(&a, i) } else { f1(&a, i) }); } black_box(s);
        let d = t.elapsed().as_nanos() as f64 / n as f64; if d < best[k] { best[k] = d; } } }
    println!("2-element loop per call: no door {:.2} ns, door {:.2} ns, ratio {:.3}", best[0], best[1], best[1] / best[0]);
}
