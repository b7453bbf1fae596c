//! Values that live in a shared library's types, its DWARF loaded with
//! `add_object` at the library's own load bias.

mod common;

use common::{out_dir, rustc, Debuggee};

#[test]
fn cdylib_values_render_at_its_bias() {
    let dir = out_dir();
    let lib = dir.join("libhbshlib.so");
    rustc(
        "shlib",
        &lib,
        &["--crate-type", "cdylib", "-C", "debuginfo=2"],
    );
    let exe = dir.join("shlib-main");
    let rpath = format!("link-arg=-Wl,-rpath,{}", dir.display());
    let search = format!("native={}", dir.display());
    rustc(
        "shlib_main",
        &exe,
        &[
            "-C",
            "debuginfo=2",
            "-L",
            &search,
            "-l",
            "dylib=hbshlib",
            "-C",
            &rpath,
        ],
    );
    let d = Debuggee::start_with(&exe, &[(&lib, "hb_lib_anchor", "lib_anchor ")]);
    let n = d.node("gadget", &[]);
    assert_eq!(n.type_name, "shlib::Gadget");
    assert_eq!(
        n.summary,
        r#"Gadget { label: "g1", parts: [Part(1, 0.5), Part(2, 1.0)], mode: Level(3) }"#
    );
    assert_eq!(d.node("gadget", &["parts", "[1]", "1"]).summary, "1.0");
    assert!(d.program.type_named("shlib::Part").is_some());
    d.finish();
}
