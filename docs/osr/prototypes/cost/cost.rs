// Cost of a loop-header site, nothing armed. Variants chosen by cfg:
//   none: plain loop; nop: plain asm nop (no label) at the loop header;
//   goto: asm goto nop whose label is a cold block (like the entry check).
use std::hint::black_box;
use std::time::Instant;

static SLOT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[inline(never)]
#[cold]
fn cold(i: usize) { black_box(i); }

macro_rules! site {
    () => {
        #[cfg(nop)]
        unsafe { core::arch::asm!(".balign 8, , 4", "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
            ".pushsection hotbreak_loops, \"awR\"", ".balign 8", ".quad 2b", ".popsection",
            options(nostack, preserves_flags)); }
        #[cfg(goto)]
        unsafe { core::arch::asm!(".balign 8, , 4", "2: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
            ".pushsection hotbreak_loops, \"awR\"", ".balign 8", ".quad 2b, {l}", ".popsection",
            l = label { cold(SLOT.load(std::sync::atomic::Ordering::Relaxed)) },
            options(nostack, preserves_flags)); }
    };
}

// vectorizable: sum of i32 slice
#[inline(never)]
fn sum(v: &[i32]) -> i32 {
    let mut s = 0i32;
    for x in v { site!(); s = s.wrapping_add(*x); }
    s
}
// vectorizable: saxpy
#[inline(never)]
fn saxpy(a: f32, x: &[f32], y: &mut [f32]) {
    for i in 0..x.len().min(y.len()) { site!(); y[i] += a * x[i]; }
}
// scalar dependency chain (not vectorizable): collatz-ish
#[inline(never)]
fn chain(n: u64) -> u64 {
    let mut t = 0u64; let mut i = 0u64;
    while i < n { site!(); t = t.wrapping_mul(6364136223846793005).wrapping_add(i); i += 1; }
    t
}
// a loop with a call and a Vec push
#[inline(never)]
fn pushy(n: usize) -> usize {
    let mut v = Vec::with_capacity(n);
    let r = &mut v;
    let mut i = 0;
    loop { site!(); if i == n { break; } r.push(black_box(i)); i += 1; }
    v.len()
}

fn time<F: FnMut() -> u64>(name: &str, iters: u64, mut f: F) {
    let mut best = f64::MAX;
    for _ in 0..25 {
        let t = Instant::now(); black_box(f()); let dt = t.elapsed().as_nanos() as f64 / iters as f64;
        if dt < best { best = dt; }
    }
    println!("{name:8} {best:.3} ns/iter");
}

fn main() {
    let n = black_box(4_000_000usize);
    let v: Vec<i32> = (0..n as i32).collect();
    let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let mut y = vec![1.0f32; n];
    time("sum", n as u64, || sum(&v) as u64);
    time("saxpy", n as u64, || { saxpy(2.0, &x, &mut y); y[7] as u64 });
    time("chain", n as u64, || chain(black_box(n as u64)));
    time("pushy", n as u64, || pushy(n) as u64);
}
