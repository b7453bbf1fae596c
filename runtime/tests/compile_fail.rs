//! Misuse of `#[debuggable]` fails with a precise, spanned message.

#[test]
fn misuse_is_reported_at_its_span() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
