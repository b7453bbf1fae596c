use std::hint::black_box; use std::time::Instant;
macro_rules! site { () => { unsafe { core::arch::asm!(".balign 8, , 4", "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
    ".pushsection hotbreak_loops, \"awR\"", ".balign 8", ".quad 2b", ".popsection", options(nostack, preserves_flags)); } } }
macro_rules! kernels { ($sum:ident, $sax:ident, $chain:ident, $calls:ident, $($s:tt)*) => {
  #[inline(never)] fn $sum(v: &[i32]) -> i32 { let mut s = 0i32; for x in v { $($s)* s = s.wrapping_add(*x); } s }
  #[inline(never)] fn $sax(a: f32, x: &[f32], y: &mut [f32]) { for i in 0..x.len().min(y.len()) { $($s)* y[i] += a * x[i]; } }
  #[inline(never)] fn $chain(n: u64) -> u64 { let mut t = 0u64; let mut i = 0u64; while i < n { $($s)* t = t.wrapping_mul(6364136223846793005).wrapping_add(i); i += 1; } t }
  #[inline(never)] fn $calls(v: &mut Vec<u64>, n: u64) -> u64 { v.clear(); let r = &mut *v; let mut i = 0; loop { $($s)* if i == n { break; } r.push(i ^ 7); i += 1; } v.iter().sum() }
}}
kernels!(sum0, sax0, chain0, calls0, );
kernels!(sum1, sax1, chain1, calls1, site!(););
fn main() {
    let n = black_box(1_000_000usize);
    let v: Vec<i32> = (0..n as i32).collect(); let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let mut y = vec![1.0f32; n]; let mut w = Vec::with_capacity(n);
    let mut best = [[f64::MAX; 2]; 4];
    for _ in 0..40 { for k in 0..2 {
        let mut t = |j: usize, f: &mut dyn FnMut()| { let s = Instant::now(); f(); let d = s.elapsed().as_nanos() as f64 / n as f64; if d < best[j][k] { best[j][k] = d; } };
        if k == 0 { t(0, &mut || { black_box(sum0(&v)); }); t(1, &mut || sax0(2.0, &x, &mut y)); t(2, &mut || { black_box(chain0(black_box(n as u64))); }); t(3, &mut || { black_box(calls0(&mut w, n as u64)); }); }
        else { t(0, &mut || { black_box(sum1(&v)); }); t(1, &mut || sax1(2.0, &x, &mut y)); t(2, &mut || { black_box(chain1(black_box(n as u64))); }); t(3, &mut || { black_box(calls1(&mut w, n as u64)); }); }
    } }
    for (j, name) in ["sum i32 (vectorizes)", "saxpy f32 (vectorizes)", "lcg chain (scalar)", "push loop (calls)"].iter().enumerate() {
        println!("{name:24} none {:.3} ns  site {:.3} ns  ratio {:.3}", best[j][0], best[j][1], best[j][1] / best[j][0]);
    }
}
