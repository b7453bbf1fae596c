//! Renders the values of `programs/values.rs`, built by the real rustc and
//! running, from its DWARF and its memory.

mod common;

use std::sync::OnceLock;

use common::{out_dir, rustc, Debuggee};

/// The debug build (`-C debuginfo=2`), started once for all tests.
fn debug() -> &'static Debuggee {
    static D: OnceLock<Debuggee> = OnceLock::new();
    D.get_or_init(|| {
        let exe = out_dir().join("values-debug");
        rustc("values", &exe, &["-C", "debuginfo=2"]);
        Debuggee::start(&exe)
    })
}

/// The optimized build (`-C opt-level=2 -C debuginfo=2`).
fn optimized() -> &'static Debuggee {
    static D: OnceLock<Debuggee> = OnceLock::new();
    D.get_or_init(|| {
        let exe = out_dir().join("values-opt");
        rustc("values", &exe, &["-C", "opt-level=2", "-C", "debuginfo=2"]);
        Debuggee::start(&exe)
    })
}

fn children(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// What both builds must render alike.
fn check_common(d: &Debuggee) {
    assert_eq!(
        d.summary("acct"),
        r#"Account { id: 7, name: "bob", balance: -12 }"#
    );
    assert_eq!(d.summary("pair"), "Pair(-3, 4)");
    assert_eq!(
        d.summary("shapes"),
        "[Circle { r: 2.0 }, Rect(1, 2), Empty]"
    );
    assert_eq!(d.summary("toks"), r#"[Word("w"), Comma, End]"#);
    assert_eq!(d.summary("opt_ref"), "Some(5)");
    assert_eq!(d.summary("string"), r#""héllo""#);
    assert_eq!(d.summary("rc"), "[Pair(1, 2)]");
    assert_eq!(
        d.summary("ledger"),
        r#"Ledger { owner: Account { id: 1, name: "ann", balance: 100 }, entries: [Entry { x: 1, note: None }, Entry { x: 2, note: Some("hi") }], tags: ["a", "b"] }"#
    );
}

#[test]
fn structs_without_debug() {
    let d = debug();
    let n = d.node("acct", &[]);
    assert_eq!(n.type_name, "values::ledger::Account");
    assert_eq!(n.summary, r#"Account { id: 7, name: "bob", balance: -12 }"#);
    assert_eq!(
        n.children,
        children(&[("id", "7"), ("name", r#""bob""#), ("balance", "-12")])
    );
    assert!(!n.truncated);
    assert_eq!(
        d.summary("outer"),
        r#"Outer { inner: Inner { name: "in", flag: true }, count: 3, ch: 'z', f: 1.5 }"#
    );
    assert_eq!(d.summary("pair"), "Pair(-3, 4)");
    assert_eq!(
        d.node("pair", &[]).children,
        children(&[("0", "-3"), ("1", "4")])
    );
    assert_eq!(d.summary("unit"), "Unit");
    assert_eq!(d.summary("boxed"), r#"Entry { x: 9, note: Some("boxed") }"#);
    assert_eq!(
        d.node("boxed", &[]).type_name,
        "alloc::boxed::Box<values::Entry>"
    );
    assert_eq!(
        d.summary("refs"),
        r#"(Account { id: 7, name: "bob", balance: -12 }, Pair(1, 1))"#
    );
    let ledger = d.node("ledger", &[]);
    assert_eq!(
        ledger.children[2],
        ("tags".to_string(), r#"["a", "b"]"#.to_string())
    );
    check_common(d);
}

#[test]
fn enums_tags_and_niches() {
    let d = debug();
    assert_eq!(
        d.summary("shapes"),
        "[Circle { r: 2.0 }, Rect(1, 2), Empty]"
    );
    assert_eq!(d.node("shapes", &[]).type_name, "[values::Shape; 3]");
    assert_eq!(d.summary("color"), "Green");
    assert_eq!(d.summary("toks"), r#"[Word("w"), Comma, End]"#);
    assert_eq!(d.summary("opt_ref"), "Some(5)");
    assert_eq!(d.summary("none_ref"), "None");
    assert_eq!(d.summary("nz"), "Some(3)");
    assert_eq!(d.summary("nz_none"), "None");
    assert_eq!(d.summary("opt_opt"), "Some(None)");
    let res = d.node("res", &[]);
    assert_eq!(res.summary, r#"Err("bad")"#);
    assert_eq!(res.children, children(&[("0", r#""bad""#)]));
    assert_eq!(
        res.type_name,
        "core::result::Result<u8, alloc::string::String>"
    );
}

#[test]
fn primitives_strings_tuples() {
    let d = debug();
    assert_eq!(d.summary("tuple"), "(1, true, 'x')");
    assert_eq!(
        d.node("tuple", &[]).children,
        children(&[("0", "1"), ("1", "true"), ("2", "'x'")])
    );
    assert_eq!(d.summary("one"), "(5,)");
    assert_eq!(d.summary("s"), r#""hi \"there\"\n""#);
    assert_eq!(d.node("s", &[]).type_name, "&str");
    assert_eq!(d.summary("string"), r#""héllo""#);
    assert_eq!(d.summary("long"), format!("\"{}…\"", "x".repeat(200)));
    assert_eq!(
        d.summary("nums"),
        "(-170141183460469231731687303715884105728, 18446744073709551615, -1.25, 'é')"
    );
    assert_eq!(d.summary("cell"), "-8");
    assert!(d.summary("raw").starts_with("0x"), "{}", d.summary("raw"));
}

#[test]
fn sequences() {
    let d = debug();
    assert_eq!(d.summary("arr"), "[1, 2, 3]");
    assert_eq!(
        d.node("arr", &[]).children,
        children(&[("[0]", "1"), ("[1]", "2"), ("[2]", "3")])
    );
    assert_eq!(d.summary("slice"), "[2, 3]");
    assert_eq!(d.node("slice", &[]).type_name, "&[u16]");
    assert_eq!(d.summary("empty"), "[]");
    assert_eq!(d.summary("deque"), "[3, 4, 5, 6]");
    let big = d.node("big", &[]);
    assert_eq!(big.children.len(), 200);
    assert!(big.truncated);
    assert_eq!(big.children[199], ("[199]".to_string(), "199".to_string()));
    assert!(
        big.summary.starts_with("[0, 1, 2, 3,") && big.summary.ends_with(", …]"),
        "{}",
        big.summary
    );
    assert!(big.summary.len() < 220);
    assert_eq!(d.node("big", &["[250]"]).summary, "250");
}

#[test]
fn shared_and_cells() {
    let d = debug();
    assert_eq!(d.summary("rc"), "[Pair(1, 2)]");
    assert_eq!(d.node("rc", &["[0]", "1"]).summary, "2");
    assert_eq!(d.summary("arc"), "7");
    assert_eq!(
        d.node("arc", &[]).type_name,
        "alloc::sync::Arc<std::sync::poison::mutex::Mutex<i32>>"
    );
}

#[test]
fn maps_and_sets_match_debug() {
    let d = debug();
    assert_eq!(d.summary("map"), d.line("debug map "));
    assert_eq!(d.summary("set"), d.line("debug set "));
    assert_eq!(d.summary("btree"), d.line("debug btree "));
    assert_eq!(d.summary("bset"), d.line("debug bset "));
    let map = d.node("map", &[]);
    assert_eq!(map.children.len(), 3);
    assert!(map
        .children
        .contains(&("30".to_string(), r#""thirty""#.to_string())));
    assert_eq!(d.node("map", &["2"]).summary, r#""two""#);
    let btree = d.node("btree", &[]);
    assert_eq!(btree.children[13], ("13".to_string(), "26".to_string()));
}

#[test]
fn functions_closures_dyn() {
    let d = debug();
    assert_eq!(d.summary("fnptr"), "fn(i32) -> i32");
    assert_eq!(d.summary("closure"), "values::main::{closure_env#1}");
    let dynbox = d.summary("dynbox");
    assert!(
        dynbox
            .starts_with("alloc::boxed::Box<dyn core::ops::function::Fn<(i32), Output=i32>> @ 0x"),
        "{dynbox}"
    );
}

#[test]
fn paths() {
    let d = debug();
    let s = |name, path: &[&str]| d.node(name, path).summary;
    assert_eq!(s("outer", &["inner", "name"]), r#""in""#);
    assert_eq!(
        s("outer", &["inner"]),
        r#"Inner { name: "in", flag: true }"#
    );
    assert_eq!(s("ledger", &["entries", "[1]", "x"]), "2");
    assert_eq!(s("ledger", &["entries", "[1]", "note"]), r#"Some("hi")"#);
    assert_eq!(s("ledger", &["entries", "[1]", "note", "0"]), r#""hi""#);
    assert_eq!(s("ledger", &["entries", "[1]", "note", "__0"]), r#""hi""#);
    // Naming the variant a value holds is a step that stays in place.
    assert_eq!(
        s("ledger", &["entries", "[1]", "note", "Some", "0"]),
        r#""hi""#
    );
    assert_eq!(s("pair", &["__0"]), "-3");
    assert_eq!(s("pair", &["1"]), "4");
    assert_eq!(s("tuple", &["2"]), "'x'");
    assert_eq!(s("shapes", &["[0]", "r"]), "2.0");
    assert_eq!(s("shapes", &["[1]", "1"]), "2");
    assert_eq!(s("boxed", &["note"]), r#"Some("boxed")"#);
    let n = d.node("ledger", &["entries", "[1]"]);
    assert_eq!(n.type_name, "values::Entry");
    assert_eq!(
        n.children,
        children(&[("x", "2"), ("note", r#"Some("hi")"#)])
    );
    let (ty, addr) = d.value("ledger");
    let err = d
        .program
        .render(ty, addr, &["nope".to_string()], &d.mem)
        .unwrap_err();
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn markers_and_names() {
    let d = debug();
    let marker = d.line_value("marker &mut ledger ");
    let t = d.program.type_of_marker(marker).expect("marker type");
    assert_eq!(d.program.type_name(t), "&mut values::ledger::Ledger");
    // Unsized `T`: rustc's DWARF names the element type, so: none.
    assert_eq!(d.program.type_of_marker(d.line_value("marker str ")), None);
    assert_eq!(d.program.type_of_marker(0x10), None);
    for name in [
        "values::ledger::Account",
        "alloc::vec::Vec<values::Entry>",
        "&mut values::ledger::Ledger",
        "(i32, bool, char)",
        "alloc::string::String",
        "core::option::Option<&u64>",
        "std::collections::hash::map::HashMap<u8, &str>",
    ] {
        let t = d
            .program
            .type_named(name)
            .unwrap_or_else(|| panic!("type_named({name})"));
        assert_eq!(d.program.type_name(t), name);
    }
    assert_eq!(d.program.type_named("values::NoSuch"), None);
    // A type found by name renders like the one from the marker.
    let t = d.program.type_named("values::ledger::Account").unwrap();
    let addr = d.values["acct"].0;
    let n = d.program.render(t, addr, &[], &d.mem).unwrap();
    assert_eq!(n.summary, r#"Account { id: 7, name: "bob", balance: -12 }"#);
}

#[test]
fn unreadable_memory_is_shown_not_fatal() {
    let d = debug();
    let (acct, _) = d.value("acct");
    let n = d.program.render(acct, 0x10, &[], &d.mem).unwrap();
    assert!(n.summary.contains("<unreadable 0x10>"), "{}", n.summary);
    let (ledger, _) = d.value("ledger");
    let n = d.program.render(ledger, 0x1000, &[], &d.mem).unwrap();
    assert!(n.summary.contains("<unreadable"), "{}", n.summary);
    // A Vec whose header is garbage: a huge length reads nothing wild.
    let (big, _) = d.value("big");
    let junk = d.values["long"].0; // a String's header is no Vec<u32>'s
    let n = d.program.render(big, junk, &[], &d.mem).unwrap();
    assert!(n.children.len() <= 200);
}

#[test]
fn optimized_build() {
    let d = optimized();
    check_common(d);
    assert_eq!(d.summary("map"), d.line("debug map "));
    assert_eq!(d.summary("btree"), d.line("debug btree "));
    assert_eq!(d.summary("deque"), "[3, 4, 5, 6]");
    assert_eq!(d.node("outer", &["inner", "name"]).summary, r#""in""#);
}

#[test]
fn every_type_at_every_address_never_panics() {
    // Garbage in (each value read as each other value's type): text out,
    // bounded, no panic.
    let d = debug();
    let types: Vec<_> = d.values.keys().map(|k| d.value(k).0).collect();
    let addrs: Vec<u64> = d
        .values
        .values()
        .map(|v| v.0)
        .chain([0, 8, u64::MAX - 3])
        .collect();
    for &t in &types {
        for &a in &addrs {
            let n = d.program.render(t, a, &[], &d.mem).unwrap();
            assert!(n.summary.len() < 1024, "{}", n.summary);
            assert!(n.children.len() <= 200);
        }
    }
}
