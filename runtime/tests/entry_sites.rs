//! The entry check as the running program sees it: pointing a slot at
//! another function reroutes every call, inlined copies included, while
//! other threads keep calling through the very bytes being rewritten; and
//! pointing it back restores the native body. These tests build without
//! optimization, so free functions are call-through shims (see
//! `macros/src/shim.rs`) and methods keep the in-body nop sites; the
//! optimized in-body form is exercised by the hotpatch tests' release host.
//! (Built with `--release` some fail by design: there a flag site may be
//! read once per call of the function it is inlined into, so arming
//! between two inlined calls of one test is seen from its next call.)

use hotbreak::{debuggable, functions};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;

#[debuggable]
fn double(x: u64) -> u64 {
    x * 2
}

/// The stress test's own function (tests run in parallel).
#[debuggable]
fn twice(x: u64) -> u64 {
    x * 2
}

/// Inlined even at opt-level 0: its callers hold their own copies of the
/// entry check, which must follow the slot too.
#[debuggable]
#[inline(always)]
fn add_one(x: u64) -> u64 {
    x + 1
}

/// Recurses through its own name, so through its shim: a slot armed
/// mid-recursion takes the very next call.
#[debuggable]
fn depth(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    if n == ARM_DEPTH_AT.load(Ordering::SeqCst) {
        slot_of("depth").point_at(deep_patch as fn(u64) -> u64 as usize).unwrap();
    }
    depth(n - 1) + 1
}

static ARM_DEPTH_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

fn deep_patch(_: u64) -> u64 {
    1000
}

struct Meter;

/// Methods keep the in-body entry check (a nop site) in every build.
#[debuggable]
impl Meter {
    fn read(&self, x: u64) -> u64 {
        x + 1
    }
}

fn read_patch(_: &Meter, x: u64) -> u64 {
    x + 100
}

/// What a patch would be: same signature, other body.
fn triple(x: u64) -> u64 {
    x * 3
}

fn add_ten(x: u64) -> u64 {
    x + 10
}

fn slot_of(name: &str) -> &'static hotbreak::__private::Slot {
    functions().iter().find(|f| f.name == name).and_then(|f| f.slot).expect("a patchable function")
}

#[test]
fn pointing_a_slot_reroutes_calls_and_pointing_it_back_restores_them() {
    assert_eq!(double(5), 10);
    let slot = slot_of("double");
    slot.point_at(triple as fn(u64) -> u64 as usize).unwrap();
    assert_eq!(double(5), 15);
    slot.point_at(0).unwrap();
    assert_eq!(double(5), 10);

    let slot = slot_of("add_one");
    slot.point_at(add_ten as fn(u64) -> u64 as usize).unwrap();
    assert_eq!(add_one(1), 11, "an inlined copy did not follow its slot");
    slot.point_at(0).unwrap();
    assert_eq!(add_one(1), 2);
}

#[test]
fn a_slot_armed_during_a_recursion_takes_its_next_call() {
    assert_eq!(depth(5), 5);
    ARM_DEPTH_AT.store(3, Ordering::SeqCst);
    // depth(5) -> depth(4) -> depth(3) arms -> depth(2) is the patch.
    assert_eq!(depth(5), 1003);
    ARM_DEPTH_AT.store(u64::MAX, Ordering::SeqCst);
    slot_of("depth").point_at(0).unwrap();
    assert_eq!(depth(5), 5);
}

#[test]
fn a_method_site_follows_its_slot() {
    let slot = slot_of("read");
    assert_eq!(Meter.read(1), 2);
    slot.point_at(read_patch as fn(&Meter, u64) -> u64 as usize).unwrap();
    assert_eq!(Meter.read(1), 101);
    slot.point_at(0).unwrap();
    assert_eq!(Meter.read(1), 2);
}

#[test]
fn threads_calling_through_a_site_while_it_is_rewritten_see_one_version_or_the_other() {
    let slot = slot_of("twice");
    let stop = AtomicBool::new(false);
    let calls = AtomicU64::new(0);
    let started = Barrier::new(5);
    std::thread::scope(|s| {
        let callers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    started.wait();
                    let (mut native, mut patched) = (0u64, 0u64);
                    while !stop.load(Ordering::Relaxed) {
                        calls.fetch_add(1, Ordering::Relaxed);
                        match twice(std::hint::black_box(7)) {
                            14 => native += 1,
                            21 => patched += 1,
                            other => panic!("twice(7) returned {other}"),
                        }
                    }
                    (native, patched)
                })
            })
            .collect();
        started.wait();
        // Rewrites go on until the callers have run a while too: on a busy
        // machine they may not be scheduled during the first rewrites.
        let mut rewrites = 0;
        while rewrites < 2_000 || calls.load(Ordering::Relaxed) < 100_000 {
            slot.point_at(triple as fn(u64) -> u64 as usize).unwrap();
            slot.point_at(0).unwrap();
            rewrites += 1;
        }
        stop.store(true, Ordering::Relaxed);
        let (native, patched) = callers.into_iter().map(|c| c.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert!(native > 0, "no call ran natively");
        eprintln!("{native} native calls, {patched} patched calls while rewriting");
    });
    assert_eq!(twice(7), 14);
}

/// A generic fn: its instances share one slot, armed with a table of
/// (instance, patch) addresses (`instances.rs`): a listed instance runs its
/// patch, an unlisted one its native code; disarming restores both.
#[debuggable]
fn sized<T: Default + PartialEq>(x: T) -> usize {
    usize::from(x == T::default()) + std::mem::size_of::<T>()
}

fn sized_patch_u16(_: u16) -> usize {
    1600
}

/// The runtime's table layout (`InstanceTable`): length, then entries.
#[repr(C)]
struct Table {
    len: usize,
    entries: *const (usize, usize),
}

#[test]
fn a_generic_fn_runs_the_patch_of_the_instances_its_table_lists() {
    assert!(functions().iter().find(|f| f.key.ends_with("::sized")).unwrap().generic);
    assert_eq!((sized(1u16), sized(1u32)), (2, 4));
    let entries: &'static [(usize, usize)] = Box::leak(Box::new([(sized::<u16> as *const () as usize, sized_patch_u16 as *const () as usize)]));
    let table: &'static Table = Box::leak(Box::new(Table { len: 1, entries: entries.as_ptr() }));
    let slot = slot_of("sized");
    slot.point_at(table as *const Table as usize).unwrap();
    assert_eq!((sized(1u16), sized(1u32), sized(0u32)), (1600, 4, 5), "u16 patched, u32 native");
    slot.point_at(0).unwrap();
    assert_eq!((sized(1u16), sized(1u32)), (2, 4));
}

struct Boxed<T>(T);

/// A method of a generic impl: its instances (`<Boxed<u8>>::widen`...)
/// share one slot too, and each names itself `Self::widen`.
#[debuggable]
impl<T: Copy + Into<u64>> Boxed<T> {
    fn widen(&self, by: u64) -> u64 {
        self.0.into() + by
    }
}

fn widen_patch_u8(_: &Boxed<u8>, by: u64) -> u64 {
    800 + by
}

#[test]
fn a_method_of_a_generic_impl_runs_the_patch_of_the_listed_instance() {
    assert!(functions().iter().find(|f| f.name == "widen").unwrap().generic);
    let entries: &'static [(usize, usize)] =
        Box::leak(Box::new([(Boxed::<u8>::widen as *const () as usize, widen_patch_u8 as *const () as usize)]));
    let table: &'static Table = Box::leak(Box::new(Table { len: 1, entries: entries.as_ptr() }));
    let slot = slot_of("widen");
    slot.point_at(table as *const Table as usize).unwrap();
    assert_eq!((Boxed(1u8).widen(1), Boxed(1u16).widen(1)), (801, 2), "u8 patched, u16 native");
    slot.point_at(0).unwrap();
    assert_eq!(Boxed(1u8).widen(1), 2);
}
