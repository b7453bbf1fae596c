//! The optimized builds' entry check, a flag in the code (`flags.rs`),
//! invoked directly so a test build without optimization runs it too:
//! pointing a slot sets every flag of it, pointing it back clears them,
//! while other threads run through the very bytes being rewritten.

use hotbreak::__private::Slot;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;

static FLAGGED: Slot = Slot::new();
static RACED: Slot = Slot::new();

macro_rules! flagged_fn {
    ($name:ident, $slot:path) => {
        #[inline(never)]
        fn $name(x: u64) -> u64 {
            ::hotbreak::__entry_flag!($slot, {
                let entry = $slot.load();
                if entry != 0 {
                    // SAFETY: the tests store only `fn(u64) -> u64`s.
                    return unsafe { std::mem::transmute::<usize, fn(u64) -> u64>(entry)(x) };
                }
            });
            x * 2
        }
    };
}

flagged_fn!(flagged, FLAGGED);
flagged_fn!(raced, RACED);

fn triple(x: u64) -> u64 {
    x * 3
}

#[test]
fn pointing_a_slot_sets_its_flags_and_pointing_it_back_clears_them() {
    assert_eq!(FLAGGED.flag_sites(), 1);
    assert_eq!(flagged(5), 10);
    FLAGGED.point_at(triple as fn(u64) -> u64 as usize).unwrap();
    assert_eq!(flagged(5), 15);
    FLAGGED.point_at(0).unwrap();
    assert_eq!(flagged(5), 10);
}

#[test]
fn threads_running_a_flag_while_it_is_rewritten_see_one_version_or_the_other() {
    let stop = AtomicBool::new(false);
    let calls = AtomicU64::new(0);
    let started = Barrier::new(3);
    std::thread::scope(|s| {
        let callers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    started.wait();
                    let mut native = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        calls.fetch_add(1, Ordering::Relaxed);
                        match raced(std::hint::black_box(7)) {
                            14 => native += 1,
                            21 => {}
                            other => panic!("raced(7) returned {other}"),
                        }
                    }
                    native
                })
            })
            .collect();
        started.wait();
        let mut rewrites = 0;
        while rewrites < 2_000 || calls.load(Ordering::Relaxed) < 100_000 {
            RACED.point_at(triple as fn(u64) -> u64 as usize).unwrap();
            RACED.point_at(0).unwrap();
            rewrites += 1;
        }
        stop.store(true, Ordering::Relaxed);
        let native: u64 = callers.into_iter().map(|c| c.join().unwrap()).sum();
        assert!(native > 0, "no call ran natively");
    });
    assert_eq!(raced(7), 14);
}
