//! Hot code. The `debuggable` feature puts the attribute on every function.

/// A tiny function called in a hot loop.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn mix(a: u64, b: u64) -> u64 {
    a.wrapping_mul(31) ^ b
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn calls(n: u64) -> u64 {
    let mut acc = 0;
    for i in 0..n {
        acc = mix(acc, i);
    }
    acc
}

/// The same with a method: `impl` blocks are where most Rust code lives.
pub struct Hasher {
    state: u64,
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
impl Hasher {
    pub fn write(&mut self, x: u64) {
        self.state = self.state.wrapping_mul(31) ^ x;
    }
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn methods(n: u64) -> u64 {
    let mut hasher = Hasher { state: 0 };
    for i in 0..n {
        hasher.write(i);
    }
    hasher.state
}

/// The same through a trait impl: most methods of real code are trait methods.
pub struct Lcg {
    state: u64,
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
impl Iterator for Lcg {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        self.state = self.state.wrapping_mul(31) ^ 7;
        Some(self.state)
    }
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn traits(n: u64) -> u64 {
    let mut lcg = Lcg { state: n };
    let mut acc = 0;
    for _ in 0..n {
        acc ^= lcg.next().unwrap_or(0);
    }
    acc
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn fib(n: u32) -> u64 {
    if n < 2 {
        return n as u64;
    }
    fib(n - 1) + fib(n - 2)
}

/// A loop-heavy kernel; the compiled-condition benchmark breaks on the
/// marked line.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn kernel(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_add(i.wrapping_mul(i) ^ (acc >> 7)); // BENCH-LINE
    }
    acc
}

/// A tiny generic function called in a hot loop (one instance per type;
/// generic code is a fifth of real crates' lines).
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn mix_generic<T: Into<u64>>(a: u64, b: T) -> u64 {
    a.wrapping_mul(31) ^ b.into()
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn generic(n: u64) -> u64 {
    let mut acc = 0;
    for i in 0..n {
        acc = mix_generic(acc, i as u32);
    }
    acc
}

/// A tiny async fn awaited in a hot loop: its check runs on each future's
/// first poll.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub async fn mix_async(a: u64, b: u64) -> u64 {
    a.wrapping_mul(31) ^ b
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub async fn awaits(n: u64) -> u64 {
    let mut acc = 0;
    for i in 0..n {
        acc = mix_async(acc, i).await;
    }
    acc
}

/// Polls `fut` to completion as an executor polls a task: through a `dyn
/// Future` the caller cannot see into (tokio polls tasks through a
/// vtable), so the future's states are not folded into the caller as
/// [`block_on`]'s inlined poll lets the optimizer do.
pub fn poll_as_task<F: std::future::Future<Output = u64>>(fut: F) -> u64 {
    let mut fut = std::pin::pin!(fut);
    let mut task: std::pin::Pin<&mut dyn std::future::Future<Output = u64>> = std::hint::black_box(fut.as_mut());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = task.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Polls `fut` to completion on this thread.
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Never called by the hot loops: the "armed elsewhere" breakpoint goes here.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn cold(x: u64) -> u64 {
    let y = x + 1;
    y * 2
}
