//! `#[debuggable]` in crates of every edition (`tests/editions/`): user
//! tokens keep their crate's edition, ours are the macro crate's.

mod common;

use common::assert_patchable;
use hotbreak::functions;

#[test]
fn edition_2015() {
    hotbreak_edition2015::exercise();
    for key in ["old_range", "S::get", "S::show", "<S as fmt::Display>::fmt"] {
        assert_patchable(&format!("hotbreak_edition2015::{key}"));
    }
    // Items syn cannot read (`async` as a name, `Box<Fn(u32) -> u32>`
    // without `dyn`) are left as written, unregistered.
    for name in ["async", "bare"] {
        assert!(!functions().iter().any(|f| f.key == format!("hotbreak_edition2015::{name}")), "{name}");
    }
}

#[test]
fn edition_2018() {
    hotbreak_edition2018::exercise();
    for key in ["bare", "r#try", "S::get", "later", "S::wait", "later_generic"] {
        assert_patchable(&format!("hotbreak_edition2018::{key}"));
    }
}

#[test]
fn edition_2024() {
    hotbreak_edition2024::exercise();
    for key in ["hotbreak_e2024_exported", "exported2", "calls_safe_extern", "read", "r#gen", "never", "chains", "newer_syntax", "S::get", "S::never", "S::hotbreak_e2024_method"] {
        assert_patchable(&format!("hotbreak_edition2024::{key}"));
    }
    // `-> impl Trait`, capturing every lifetime in scope or `use<..>`.
    for key in ["captures", "precise", "S::all"] {
        assert_patchable(&format!("hotbreak_edition2024::{key}"));
    }
}
