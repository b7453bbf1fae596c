//! A crate with strict lint levels: the expansion adds no warning, and
//! no `allow` that a `forbid` would refuse.
#![forbid(unsafe_code)]
#![deny(warnings, missing_docs, unused, unreachable_pub, unused_qualifications, unused_results)]
#![deny(clippy::all, clippy::pedantic, clippy::nursery)]
#![deny(elided_lifetimes_in_paths, single_use_lifetimes, trivial_casts, unused_lifetimes)]

use hotbreak::debuggable;
use std::fmt;

/// A free fn.
#[debuggable]
#[must_use]
pub fn free(x: u32) -> u32 {
    x + 1
}

/// A type.
pub struct Meter {
    v: Vec<u32>,
}

#[debuggable]
impl Meter {
    /// Reads.
    #[must_use]
    pub fn read(&self, c: &u32) -> Vec<&u32> {
        self.v.iter().filter(|x| *x > c).collect()
    }
    /// Makes.
    #[must_use]
    pub const fn new() -> Self {
        Self { v: Vec::new() }
    }
}

#[debuggable]
impl fmt::Display for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.v.len())
    }
}

#[debuggable]
impl Default for Meter {
    fn default() -> Self {
        Self::new()
    }
}

#[test]
fn strict_crate_compiles() {
    assert_eq!(free(1), 2);
    assert_eq!(Meter::default().to_string(), "0");
    assert!(Meter::new().read(&1).is_empty());
}
