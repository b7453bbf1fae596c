//! The functions at a return address and their variables, read from a
//! real program's DWARF and memory: `programs/frames.rs` walks its own
//! stack (libgcc's unwinder, as the hotbreak runtime does) and waits.

mod common;

use common::{out_dir, rustc, Debuggee};
use hotbreak_dwarf::{Place, Registers, Site};

/// One walked frame: its return address and registers.
struct Walked {
    ip: u64,
    regs: Registers,
}

/// The frames the program printed; libgcc's CFA of a context is the frame
/// below's CFA, i.e. this frame's `rsp`; its own CFA is the next one's.
fn walked(d: &Debuggee) -> Vec<Walked> {
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    let rows: Vec<Vec<&str>> = d
        .lines
        .iter()
        .filter_map(|l| l.strip_prefix("frame "))
        .map(|l| l.split(' ').collect())
        .collect();
    let sps: Vec<u64> = rows.iter().map(|r| hex(r[1])).collect();
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let mut values: Vec<(u16, u64)> = r[2..]
                .iter()
                .map(|kv| kv.split_once('=').unwrap())
                .map(|(k, v)| (k.parse().unwrap(), hex(v)))
                .collect();
            values.push((7, sps[i]));
            Walked {
                ip: hex(r[0]),
                regs: Registers {
                    cfa: sps.get(i + 1).copied().unwrap_or(0),
                    values,
                },
            }
        })
        .collect()
}

/// The variables of `site` as `name = summary`.
fn variables(d: &Debuggee, site: &Site, w: &Walked) -> Vec<String> {
    d.program
        .variables(site, w.ip - 1, &w.regs, &d.mem)
        .into_iter()
        .map(|v| {
            let value = match (&v.place, v.ty) {
                (Place::Address(a), Some(t)) => d
                    .program
                    .render(t, *a, &[], &d.mem)
                    .map(|n| n.summary)
                    .unwrap_or_else(|e| e),
                (Place::Bytes(b), Some(t)) => d
                    .program
                    .render_bytes(t, b, &[], &d.mem)
                    .map(|n| n.summary)
                    .unwrap_or_else(|e| e),
                (Place::OptimizedOut, _) => "<optimized out>".into(),
                (other, _) => format!("{other:?}"),
            };
            format!("{} = {value}", v.name)
        })
        .collect()
}

/// Every (function, variables) from the leaf's caller outwards, inlined
/// calls as frames of their own.
fn stack(d: &Debuggee) -> Vec<(String, Vec<String>)> {
    let frames = walked(d);
    let mut out = Vec::new();
    for w in frames
        .iter()
        .skip_while(|w| {
            !d.program
                .sites_at(w.ip - 1)
                .iter()
                .any(|s| s.function.ends_with("::leaf"))
        })
        .skip(1)
    {
        for site in d.program.sites_at(w.ip - 1) {
            out.push((site.function.clone(), variables(d, &site, w)));
            if site.function.ends_with("::main") {
                return out;
            }
        }
    }
    out
}

#[test]
fn callers_and_inlined_calls_show_their_locals_in_a_debug_build() {
    let exe = out_dir().join("frames-debug");
    rustc("frames", &exe, &["-C", "debuginfo=2"]);
    let d = Debuggee::start(&exe);
    let stack = stack(&d);
    let names: Vec<&str> = stack.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        ["frames::middle", "frames::helper", "frames::main"],
        "{stack:?}"
    );
    assert_eq!(
        stack[0].1,
        [
            "p = Point { x: 3, y: 4 }",
            "name = \"abc3\"",
            "v = [1, 2, 6]",
            "sum = 7"
        ]
    );
    assert_eq!(stack[1].1, ["k = 3", "doubled = 6"]);
    assert!(stack[2].1.contains(&"count = 3".to_string()), "{stack:?}");
    let site = d.program.sites_at(
        walked(&d)
            .iter()
            .find(|w| {
                d.program
                    .sites_at(w.ip - 1)
                    .iter()
                    .any(|s| s.function == "frames::middle")
            })
            .unwrap()
            .ip
            - 1,
    );
    assert!(
        site[0]
            .file
            .as_deref()
            .is_some_and(|f| f.ends_with("programs/frames.rs"))
            && site[0].line > 0,
        "{site:?}"
    );
}

#[test]
fn an_optimized_build_shows_what_its_debug_info_keeps() {
    let exe = out_dir().join("frames-opt");
    rustc("frames", &exe, &["-C", "opt-level=2", "-C", "debuginfo=2"]);
    let d = Debuggee::start(&exe);
    let stack = stack(&d);
    let names: Vec<&str> = stack.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names.first(), Some(&"frames::middle"), "{stack:?}");
    assert!(names.contains(&"frames::main"), "{stack:?}");
    println!("optimized build: {stack:?}");
    // Each variable has its right value, or DWARF's word for why not:
    // never a wrong read.
    let right = [
        "p = Point { x: 3, y: 4 }",
        "name = \"abc3\"",
        "v = [1, 2, 6]",
        "sum = 7",
        "k = 3",
        "doubled = 6",
        "count = 3",
    ];
    let mut shown = 0;
    for (_, vars) in &stack {
        for v in vars {
            let known = right
                .iter()
                .any(|r| r.split(" = ").next() == v.split(" = ").next());
            let why_not = v.contains("Unavailable(") || v.contains("<optimized out>");
            assert!(
                !known || why_not || right.contains(&v.as_str()),
                "{v} in {stack:?}"
            );
            shown += usize::from(known && !why_not);
        }
    }
    assert!(shown > 0, "{stack:?}");
}
