use std::sync::atomic::{AtomicUsize, Ordering};

static CLOSED: AtomicUsize = AtomicUsize::new(0);

pub fn fold(x: u64) -> u64 {
    // A fn nested in the body: a function of its own to the debugger.
    fn halves(x: u64) -> (u64, u64) {
        let high = x >> 32;
        (high, x & 0xffff_ffff)
    }
    let (high, low) = halves(x);
    high ^ low
}

pub fn note_closed(name: &str) {
    let n = CLOSED.fetch_add(1, Ordering::Relaxed) + 1;
    println!("plain: closed {name} ({n} closed)");
}
