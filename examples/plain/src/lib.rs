//! A small ledger: the library half of a lib+bin package.
#![forbid(unsafe_code)]
#![deny(warnings, rust_2018_idioms, unused_qualifications)]

pub mod ledger;
mod util;

#[path = "generated/tables.rs"]
mod tables;

#[cfg(windows)]
mod windows_only;

include!("parts/consts.rs");
include!(concat!(env!("OUT_DIR"), "/generated.rs"));

macro_rules! scaler {
    ($name:ident, $factor:expr) => {
        pub fn $name(x: u64) -> u64 {
            x * $factor
        }
    };
}

scaler!(double, 2);
scaler!(triple, 3);

pub fn checksum(values: &[u64]) -> u64 {
    let mut sum = build_salt();
    for (i, v) in values.iter().enumerate() {
        sum = sum.wrapping_mul(31).wrapping_add(*v ^ tables::weight(i));
    }
    util::fold(sum)
}

/// The widest of `items`: generic over how the text is held.
pub fn widest<T: AsRef<str>>(items: &[T]) -> usize {
    let mut best = 0;
    for item in items {
        let width = item.as_ref().chars().count();
        best = best.max(width);
    }
    best
}

/// `widest` over owned names: an instance this crate makes itself.
pub fn widest_name(names: &[String]) -> usize {
    widest(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_depends_on_order() {
        let forward = checksum(&[1, 2, 3]);
        let backward = checksum(&[3, 2, 1]);
        assert_ne!(forward, backward);
    }
}
