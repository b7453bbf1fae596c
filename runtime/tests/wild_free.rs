//! Free functions nobody wrote for hotbreak: the attribute on every
//! top-level `fn` and on the items of inline modules, as a rustc wrapper
//! puts it. Each compiles, behaves as written, and is registered: patchable,
//! or with the reason it is not. (Methods: `wild.rs`.)
#![allow(dead_code, clippy::all)]

mod common;

use common::{assert_absent, assert_patchable, assert_unpatchable, entry};
use hotbreak::debuggable;
use std::fmt;

#[debuggable]
pub const fn free_const(x: u32) -> u32 {
    x + 1
}

#[debuggable]
pub async fn free_async(x: u32) -> u32 {
    x
}

#[debuggable]
pub unsafe fn free_unsafe(p: *const u32) -> u32 {
    *p
}

#[debuggable]
pub extern "C" fn free_c(x: u32) -> u32 {
    x
}

#[debuggable]
pub unsafe extern "C" fn free_unsafe_c(x: u32) -> u32 {
    x + 10
}

#[debuggable]
#[no_mangle]
pub extern "C" fn hotbreak_wild_exported(x: u32) -> u32 {
    x + 2
}

#[debuggable]
#[export_name = "hotbreak_wild_exported2"]
pub fn exported2(x: u32) -> u32 {
    x + 3
}

#[debuggable]
#[track_caller]
pub fn caller() -> u32 {
    std::panic::Location::caller().line()
}

#[debuggable]
#[inline(never)]
#[cold]
pub fn cold(x: u32) -> u32 {
    x
}

#[debuggable]
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
pub fn with_feature(x: u32) -> u32 {
    x * 2
}

#[debuggable]
pub fn elided(s: &str) -> &str {
    &s[1..]
}

#[debuggable]
pub fn anon(s: &'_ str) -> std::str::Chars<'_> {
    s.chars()
}

#[debuggable]
#[allow(elided_lifetimes_in_paths, mismatched_lifetime_syntaxes)]
pub fn hidden(s: &str) -> std::str::Chars {
    s.chars()
}

#[debuggable]
pub fn with_where<'a, 'b: 'a>(a: &'a str, _b: &'b str) -> &'a str
where
    'b: 'a,
{
    a
}

#[debuggable]
pub fn ret_closure(x: u32) -> Box<dyn Fn(u32) -> u32> {
    Box::new(move |y| x + y)
}

#[debuggable]
pub fn ret_impl_fn(x: u32) -> impl Fn(u32) -> u32 {
    move |y| x + y
}

#[debuggable]
pub fn dyn_arg(f: &mut dyn FnMut() -> u32, g: &dyn Fn(&str) -> &str) -> u32 {
    f() + g("ab").len() as u32
}

#[debuggable]
pub fn fn_ptr_arg(f: fn(&str) -> &str, s: &'static str) -> &'static str {
    f(s)
}

#[debuggable]
pub fn hrtb(f: &dyn for<'x> Fn(&'x str) -> &'x str) -> usize {
    f("abc").len()
}

#[debuggable]
pub fn dyn_ret(v: &[u32]) -> Box<dyn Iterator<Item = &u32> + '_> {
    Box::new(v.iter())
}

#[debuggable]
pub fn patterns((a, b): (u8, u8), _: u8, [c, d]: [u8; 2], ref e: u8, mut f: u8) -> u32 {
    f += 1;
    (a + b + c + d + *e + f) as u32
}

#[debuggable]
pub fn ref_patterns(&mut x: &mut u32, &y: &u32) -> u32 {
    x + y
}

#[debuggable]
pub fn unit_args(_: (), (): ()) {}

#[debuggable]
pub fn param_attrs(#[allow(unused_variables)] x: u32, #[cfg(any())] y: u32) -> u32 {
    5
}

#[debuggable]
#[allow(unused_variables, clippy::needless_return)]
#[doc = "documented"]
#[must_use]
pub fn attributed(x: u32) -> u32 {
    let y = 1;
    return x;
}

#[debuggable]
pub fn inner_attrs(x: u32) -> u32 {
    #![allow(unused_variables)]
    let y = 1;
    x
}

#[debuggable]
#[cfg(test)]
pub fn only_in_tests() -> u32 {
    1
}

#[debuggable]
#[cfg(not(test))]
pub fn only_in_tests() -> u32 {
    2
}

#[debuggable]
#[cfg(not(test))]
pub fn never_compiled() -> u32 {
    2
}

#[debuggable]
#[cfg_attr(test, inline)]
pub fn cfg_attred() -> u32 {
    3
}

#[debuggable]
#[rustfmt::skip]
#[deprecated = "still callable"]
pub fn tool_attrs() -> u32 { 4 }

#[debuggable]
pub fn never_returns(msg: &str) -> ! {
    panic!("{msg}")
}

#[debuggable]
pub fn nested_impl() -> u32 {
    struct Inner;
    impl Inner {
        fn go(&self) -> u32 {
            4
        }
        fn new() -> Self {
            Inner
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("inner")
        }
    }
    Inner::new().go() + Inner.to_string().len() as u32
}

#[debuggable]
pub fn statics_in_body() -> u32 {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    const STEP: u32 = 2;
    COUNT.fetch_add(STEP, std::sync::atomic::Ordering::SeqCst) + STEP
}

#[debuggable]
pub fn uses_macro() -> Vec<u32> {
    macro_rules! v {
        ($($x:expr),*) => { vec![$($x),*] };
    }
    v![1, 2]
}

#[debuggable]
pub fn labelled() -> u32 {
    let mut n = 0;
    'a: loop {
        'b: while n < 10 {
            n += 1;
            if n == 5 {
                break 'a;
            }
            continue 'b;
        }
    }
    let v = 'block: {
        if n > 1 {
            break 'block n * 2;
        }
        0
    };
    v
}

#[debuggable]
pub fn r#match(r#in: u32) -> u32 {
    r#in
}

#[debuggable]
pub fn generic_fn<T: Clone>(t: &T) -> T {
    t.clone()
}

#[debuggable]
pub fn impl_arg(t: impl fmt::Display) -> String {
    t.to_string()
}

#[debuggable]
pub fn arrays(a: [u8; 3], b: &[u8; 1 + 1]) -> usize {
    a.len() + b.len()
}

#[debuggable]
pub fn raw_ptrs(p: *mut u8, q: *const *const u8) -> bool {
    p.is_null() && q.is_null()
}

#[debuggable]
pub fn main_like() -> Result<(), Box<dyn std::error::Error>> {
    let _: u8 = "1".parse()?;
    Ok(())
}

#[debuggable]
#[test]
fn a_test_fn() {
    assert_eq!(free_c(1), 1);
}

#[debuggable]
#[test]
#[should_panic(expected = "boom")]
fn a_panicking_test_fn() {
    never_returns("boom")
}

// Another attribute macro (linkme's) after ours: it sees our output, so
// the function is left as written.
#[linkme::distributed_slice]
pub static HANDLERS: [fn(u32) -> u32];

#[debuggable]
#[linkme::distributed_slice(HANDLERS)]
#[linkme(crate = linkme)]
fn handler(x: u32) -> u32 {
    x + 40
}

#[debuggable]
#[cfg_attr(all(), linkme::distributed_slice(HANDLERS))]
#[cfg_attr(all(), linkme(crate = linkme))]
fn handler_behind_cfg_attr(x: u32) -> u32 {
    x + 50
}

// Naked functions hold nothing but assembly: left exactly as written,
// registered beside.
#[debuggable]
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
#[unsafe(naked)]
pub extern "C" fn naked_five() -> u32 {
    core::arch::naked_asm!("mov eax, 5", "ret")
}

#[debuggable]
mod inner {
    use super::*;

    pub fn in_mod(x: u32) -> u32 {
        x + free_c(1)
    }

    pub(super) fn vis_super() -> u32 {
        1
    }

    pub(in crate::inner) fn vis_in() -> u32 {
        2
    }

    pub fn calls_vis_in() -> u32 {
        vis_in()
    }

    pub async fn in_mod_async() {}

    mod from_a_file_elsewhere_would_be_here {}

    #[cfg(test)]
    mod tests {
        #[test]
        fn in_tests() {
            assert_eq!(super::vis_in(), 2);
        }
    }
}

mod wrapper_style {
    #[hotbreak::debuggable]
    pub fn one(x: u32) -> u32 {
        x
    }

    #[hotbreak::debuggable]
    pub(super) fn vis_super(x: u32) -> u32 {
        x + 1
    }
}

extern "C" {
    fn abs(x: i32) -> i32;
}

#[test]
fn free_functions_of_every_shape_keep_their_behaviour() {
    const C: u32 = free_const(1);
    assert_eq!(C, 2);
    drop(free_async(1));
    assert_eq!(unsafe { free_unsafe(&3) }, 3);
    assert_eq!(unsafe { free_unsafe_c(1) }, 11);
    assert_eq!(hotbreak_wild_exported(1), 3);
    assert_eq!(exported2(1), 4);
    assert_eq!(caller(), line_of("assert_eq!(caller(), line_of"));
    assert_eq!(cold(1), 1);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(unsafe { with_feature(2) }, 4);
    assert_eq!(elided("abc"), "bc");
    assert_eq!(anon("ab").count() + hidden("abc").count(), 5);
    assert_eq!(with_where("a", "b"), "a");
    assert_eq!(ret_closure(1)(2) + ret_impl_fn(1)(2), 6);
    assert_eq!(dyn_arg(&mut || 1, &|s| s), 3);
    assert_eq!(fn_ptr_arg(|s| s, "x"), "x");
    assert_eq!(hrtb(&|s| s), 3);
    assert_eq!(dyn_ret(&[1, 2]).count(), 2);
    assert_eq!(patterns((1, 2), 0, [3, 4], 5, 6), 22);
    assert_eq!(ref_patterns(&mut 1, &2), 3);
    unit_args((), ());
    assert_eq!(param_attrs(1), 5);
    assert_eq!(attributed(1) + inner_attrs(1), 2);
    assert_eq!(only_in_tests() + cfg_attred(), 4);
    #[allow(deprecated)]
    let t = tool_attrs();
    assert_eq!(t, 4);
    assert!(std::panic::catch_unwind(|| never_returns("x")).is_err());
    assert_eq!(nested_impl(), 9);
    assert_eq!(statics_in_body() % 2, 0);
    assert_eq!(uses_macro(), [1, 2]);
    assert_eq!(labelled(), 10);
    assert_eq!(r#match(3), 3);
    assert_eq!(generic_fn(&1u8), 1);
    assert_eq!(impl_arg(1), "1");
    assert_eq!(arrays([0; 3], &[0; 2]), 5);
    assert!(!raw_ptrs(std::ptr::null_mut(), &std::ptr::null()));
    assert!(main_like().is_ok());
    assert_eq!(inner::in_mod(1) + inner::vis_super() + inner::calls_vis_in(), 5);
    assert_eq!(wrapper_style::one(1) + wrapper_style::vis_super(1), 3);
    assert_eq!(unsafe { abs(-1) }, 1);
}

#[test]
fn free_functions_are_registered() {
    for key in [
        "free_unsafe", "free_c", "free_unsafe_c", "hotbreak_wild_exported", "exported2", "caller", "cold", "elided",
        "anon", "hidden", "with_where", "ret_closure", "dyn_arg", "fn_ptr_arg", "hrtb", "dyn_ret", "patterns",
        "ref_patterns", "unit_args", "attributed", "inner_attrs", "only_in_tests", "cfg_attred", "tool_attrs",
        "never_returns", "nested_impl", "statics_in_body", "uses_macro", "labelled", "r#match", "arrays", "raw_ptrs",
        "main_like", "a_test_fn", "inner::in_mod", "inner::vis_super", "inner::vis_in", "wrapper_style::one",
        // A generic free fn: its instances look themselves up in a table.
        "generic_fn",
    ] {
        assert_patchable(key);
    }
    #[cfg(target_arch = "x86_64")]
    assert_patchable("with_feature");
    assert_absent("never_compiled");
    assert_eq!(entry("inner_attrs").first_line, line_of("pub fn inner_attrs("));
}

#[test]
fn what_cannot_be_patched_is_left_as_written_and_says_why() {
    let cases = [
        ("free_const", "const fn"),
        ("ret_impl_fn", "returns impl Trait"),
        ("impl_arg", "impl Trait argument (a generic fn)"),
        ("param_attrs", "attribute on a parameter"),
        ("handler", "under the attribute macro #[linkme::distributed_slice]"),
        ("handler_behind_cfg_attr", "under the attribute macro #[linkme::distributed_slice]"),
    ];
    for (key, why) in cases {
        assert_unpatchable(key, why);
    }
    // Async fns are patchable: the check runs on the future's first poll.
    for key in ["free_async", "inner::in_mod_async"] {
        assert_patchable(key);
    }
    assert_eq!(HANDLERS.iter().map(|h| h(1)).sum::<u32>(), 41 + 51);
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        assert_unpatchable("naked_five", "naked fn");
        assert_eq!(naked_five(), 5);
    }
}

/// A patch is called through the slot with the function's own type.
#[test]
fn a_patch_of_a_free_function_is_called() {
    fn patch(s: &str) -> &str {
        &s[2..]
    }
    #[debuggable]
    fn armed(s: &str) -> &str {
        &s[1..]
    }
    let slot = entry("armed").slot.unwrap();
    assert_eq!(armed("abc"), "bc");
    slot.point_at(patch as fn(_) -> _ as usize).unwrap();
    assert_eq!(armed("abc"), "c");
    slot.point_at(0).unwrap();
    assert_eq!(armed("abc"), "bc");
}

/// Line of this file where `needle` first starts.
fn line_of(needle: &str) -> u32 {
    let text = include_str!("wild_free.rs");
    text[..text.find(needle).unwrap()].matches('\n').count() as u32 + 1
}
