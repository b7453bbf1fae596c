//! A Rust 2024 crate: `unsafe` attributes and extern blocks, `gen`
//! reserved, RPIT capturing every lifetime and `use<..>`, let chains, the
//! never type's new fallback, `unsafe_op_in_unsafe_fn`.
//! `runtime/tests/editions.rs` checks its registry entries.
#![allow(dead_code, clippy::all)]
#![deny(unsafe_op_in_unsafe_fn, never_type_fallback_flowing_into_unsafe)]

use hotbreak::debuggable;

#[debuggable]
#[unsafe(no_mangle)]
pub extern "C" fn hotbreak_e2024_exported(x: u32) -> u32 {
    x + 1
}

#[debuggable]
#[unsafe(export_name = "hotbreak_e2024_exported2")]
pub fn exported2(x: u32) -> u32 {
    x + 2
}

unsafe extern "C" {
    pub safe fn abs(x: i32) -> i32;
}

#[debuggable]
pub fn calls_safe_extern(x: i32) -> i32 {
    abs(x)
}

#[debuggable]
pub unsafe fn read(p: *const u32) -> u32 {
    unsafe { *p }
}

#[debuggable]
pub fn r#gen(x: u32) -> u32 {
    x
}

#[debuggable]
pub fn never(msg: &str) -> ! {
    panic!("{msg}")
}

#[debuggable]
pub fn captures(v: &[u32]) -> impl Iterator<Item = &u32> {
    v.iter()
}

#[debuggable]
pub fn precise<'a>(v: &'a [u32], _w: &[u32]) -> impl Iterator<Item = &'a u32> + use<'a> {
    v.iter()
}

#[debuggable]
pub fn chains(a: Option<u32>, b: Option<u32>) -> u32 {
    if let Some(a) = a
        && let Some(b) = b
        && a < b
    {
        return b - a;
    }
    0
}

#[debuggable]
pub fn newer_syntax(x: u32) -> u32 {
    let raw = &raw const x;
    let k = const { 2 + 1 };
    let add = async |y: u32| y + k;
    drop(add(1));
    unsafe { *raw + k }
}

pub struct S(Vec<u32>);

#[debuggable]
impl S {
    fn get(&self, other: &S) -> &u32 {
        if other.0.is_empty() { &self.0[0] } else { &0 }
    }
    fn all(&self) -> impl Iterator<Item = &u32> {
        self.0.iter()
    }
    fn never(&self, _other: &S) -> ! {
        panic!("never")
    }
    #[unsafe(no_mangle)]
    extern "C" fn hotbreak_e2024_method(&self) -> u32 {
        self.0.len() as u32
    }
}

/// Calls every shape: each behaves as written.
pub fn exercise() {
    assert_eq!(hotbreak_e2024_exported(1) + exported2(1), 5);
    assert_eq!(calls_safe_extern(-2), 2);
    assert_eq!(unsafe { read(&3) }, 3);
    assert_eq!(r#gen(1), 1);
    assert!(std::panic::catch_unwind(|| never("x")).is_err());
    assert_eq!(captures(&[1, 2]).count() + precise(&[1], &[]).count(), 3);
    assert_eq!(chains(Some(1), Some(3)) + chains(None, Some(1)), 2);
    assert_eq!(newer_syntax(1), 4);
    let s = S(vec![7]);
    assert_eq!(*s.get(&S(vec![])), 7);
    assert_eq!(s.all().count(), 1);
    assert!(std::panic::catch_unwind(|| S(vec![]).never(&S(vec![]))).is_err());
    assert_eq!(s.hotbreak_e2024_method(), 1);
}
