//! A Rust 2015 crate: bare trait objects, old range patterns,
//! crate-relative `use` paths, `async` as a name. `runtime/tests/editions.rs`
//! checks its registry entries. No `extern crate hotbreak`: the attribute
//! is named by its path, as the wrapper writes it.
#![allow(dead_code, bare_trait_objects, ellipsis_inclusive_range_patterns, clippy::all)]

use std::fmt;

/// syn cannot read a trait object without `dyn` taking parenthesized
/// arguments: left as written too.
#[hotbreak::debuggable]
pub fn bare(x: &fmt::Display, b: Box<Fn(u32) -> u32>) -> String {
    format!("{}{}", x, b(1))
}

#[hotbreak::debuggable]
pub fn old_range(x: u8) -> u8 {
    match x {
        0...9 => 1,
        _ => 2,
    }
}

/// `async` is a plain name in 2015: syn cannot read this item, so it is
/// left as written (and unregistered).
#[hotbreak::debuggable]
pub fn async(x: u32) -> u32 {
    x
}

pub struct S(u32);

#[hotbreak::debuggable]
impl S {
    fn get(&self, other: &S) -> &u32 {
        if other.0 > self.0 { &self.0 } else { &0 }
    }
    fn show(&self, f: &fmt::Debug) -> String {
        format!("{:?}{}", f, self.0)
    }
}

#[hotbreak::debuggable]
impl fmt::Display for S {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "S{}", self.0)
    }
}

/// Calls every shape: each behaves as written.
pub fn exercise() {
    assert_eq!(bare(&1, Box::new(|x| x + 1)), "12");
    assert_eq!(old_range(3) + old_range(30), 3);
    assert_eq!(async(4), 4);
    assert_eq!(*S(1).get(&S(2)), 1);
    assert_eq!(S(1).show(&"x"), "\"x\"1");
    assert_eq!(S(3).to_string(), "S3");
}

/// A trait impl of a prelude trait (mime 0.3): its native body must not
/// `use PartialEq`, a path from the crate root in 2015.
pub struct Name(pub String);

#[hotbreak::debuggable]
impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.0 == other.0
    }
}
