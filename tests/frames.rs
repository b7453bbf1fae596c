//! The whole stack at a stop: `backtrace`, `frame N`, `up`, `down`, the
//! locals of native frames read from DWARF, `print` of field paths there,
//! `break here`, and wrong input — in line mode, against a program whose
//! caller frames run native code.

mod support;

use support::{assert_in_order, fresh_state, hotbreak_in, scratch_crate_with};

/// A debuggable leaf (`total`) called by a debuggable function that runs
/// natively until something arms it (`process`), called by plain `main`.
/// No type has `Debug`: every value shown comes from DWARF.
pub const PROGRAM: &str = include_str!("programs/frames_main.rs");

pub fn line_in(text: &str, needle: &str) -> u32 {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not in the program")) as u32 + 1
}

#[test]
fn up_shows_a_native_callers_locals_and_break_here_stops_there_next_time() {
    let dir = scratch_crate_with("frames-stack", PROGRAM);
    let state = fresh_state("frames-stack");
    let sum = line_in(PROGRAM, "let sum: u32");
    let call = line_in(PROGRAM, "let t = total(&order.items);");
    let in_main = line_in(PROGRAM, "let result = process(order, round);");
    let script = format!(
        "frame 1\nup\nbreak src/main.rs:{sum}\ncontinue\nbacktrace\nup\nlocals\nprint order.customer\nprint order.items[2]\nprint order.note\n\
         print label\nprint label.len()\nprint order.items.iter().sum::<u32>() + round as u32\nset round = 40\nset order.id = 40\nprint order.id\nprint nosuch\nbacktrace\nup\nlocals\nup\ndown\ndown\ndown\nframe 99\nframe\nframe 1\nbreak here\ncontinue\n\
         continue\nlocals\nbacktrace\nup\nprint label\nlocals\ncontinue\nup\nprint round\nquit\n"
    );
    let run = hotbreak_in(&dir, &["hotbreak", "run", "--batch", "--", "3"], &script, &state);
    let out = &run.stdout;
    assert_in_order(
        out,
        &[
            // No stop yet: nothing to select.
            "error: no thread is stopped: `frame`, `up` and `down` select a frame of a stopped thread",
            "error: no thread is stopped",
            &format!("stopped (breakpoint 1) at src/main.rs:{sum} in `total`"),
            &format!("#0 frames_stack::total (src/main.rs:{sum})\n"),
            &format!("#1 frames_stack::process (src/main.rs:{call}"),
            &format!("#2 frames_stack::main (src/main.rs:{in_main}"),
            // `up`: the native caller, its line and locals from DWARF.
            &format!("#1 frames_stack::process at src/main.rs:{call}\n{call:>5} |     let t = total(&order.items);"),
            "order: frames_stack::Order = Order { id: 7, customer: Customer { name: \"ann\", tier: 2 }, items: [10, 20, 1], note: None, ratio: 1.0 }",
            "round: u64 = 1",
            "label: alloc::string::String = \"ann-1\"",
            "order.customer: frames_stack::Customer = Customer { name: \"ann\", tier: 2 }\n  name: \"ann\"\n  tier: 2",
            "order.items[2]: u32 = 1",
            "order.note: core::option::Option<alloc::string::String> = None",
            // Any expression: compiled into `process` at that line, run
            // over its locals' addresses (from DWARF).
            "compiling `label.len()` at src/main.rs:",
            "label.len(): usize = 5",
            "order.items.iter().sum::<u32>() + round as u32: u32 = 32",
            // `set` in the caller, as rustc allows it there: what it
            // computes next changes.
            "error: src/main.rs:",
            "cannot assign to `round`, as it is not declared as mutable",
            "order.id = 40",
            "order.id: u32 = 40",
            "cannot find value `nosuch` in this scope",
            "#0 frames_stack::total (",
            "#1 frames_stack::process (",
            ")  <- selected\n#2 frames_stack::main (",
            &format!("#2 frames_stack::main at src/main.rs:{in_main}"),
            "rounds: u64 = 3",
            "round: u64 = 1",
            "order: frames_stack::Order = Order { id: 7,",
            "error: frame 2 is the outermost frame",
            "#1 frames_stack::process at",
            &format!("#0 frames_stack::total at src/main.rs:{sum}"),
            "error: frame 0 is the innermost frame (the stop)",
            "error: no frame 99: the stack has frames 0 to 2 (see `backtrace`)",
            "error: `frame` needs a frame number (see `backtrace`)",
            "#1 frames_stack::process at",
            &format!("breakpoint 2 at src/main.rs:{call} in `process`: armed in "),
            // The running call finishes natively, with `order.id` = 40
            // (31 + 5 + 40 + 2); the next call stops.
            "round 1 result 78",
            &format!("stopped (breakpoint 2) at src/main.rs:{call} in `process`"),
            &format!("stopped (breakpoint 1) at src/main.rs:{sum} in `total`"),
            "items: &[u32] = [10, 20, 2]",
            &format!("#0 frames_stack::total (src/main.rs:{sum})"),
            // `process` now runs its patch, with debug info too.
            &format!("#1 frames_stack::process (src/main.rs:{call}"),
            // A patched caller: its patch's DWARF (instrumented code) holds
            // the same locals.
            &format!("#1 frames_stack::process at src/main.rs:{call}"),
            "label: alloc::string::String = \"ann-2\"",
            "order: frames_stack::Order = Order { id: 7, customer: Customer { name: \"ann\", tier: 2 }, items: [10, 20, 2], note: Some(\"even 2\"), ratio: 1.0 }",
            "round 2 result ",
            &format!("stopped (breakpoint 2) at src/main.rs:{call} in `process`"),
            &format!("#1 frames_stack::main at src/main.rs:{in_main}"),
            "round: u64 = 3",
        ],
    );
}

/// A release host, as `cargo hotbreak run --release` builds it: without
/// debug info (cargo's default) the frames are named from the symbol table
/// and `locals` says why it has none; with `debug = true` the callers'
/// locals show where the optimized code keeps them, and DWARF's own word
/// (`<optimized out>`, or why a register is out of reach) where it does not.
#[test]
fn release_hosts_show_what_their_debug_info_allows() {
    let sum = line_in(PROGRAM, "let sum: u32");
    let script = format!("break src/main.rs:{sum}\ncontinue\nbacktrace\nup\nlocals\nprint order.customer\nup\nlocals\nquit\n");

    let plain = scratch_crate_with("frames-release", PROGRAM);
    let run = hotbreak_in(&plain, &["hotbreak", "run", "--release", "--batch", "--", "1000000"], &script, &fresh_state("frames-release"));
    assert_in_order(
        &run.stdout,
        &[
            &format!("stopped (breakpoint 1) at src/main.rs:{sum} in `total`"),
            &format!("#0 frames_release::total (src/main.rs:{sum})"),
            "#1 frames_release::",
            "error: `frames_release::",
            "` has no debug info, so its locals are unknown (a profile without `debug = true`?)",
            "program killed",
        ],
    );

    let with_debug = scratch_crate_with("frames-release-debug", PROGRAM);
    let manifest = with_debug.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}\n[profile.release]\ndebug = true\n")).unwrap();
    let run = hotbreak_in(&with_debug, &["hotbreak", "run", "--release", "--batch", "--", "1000000"], &script, &fresh_state("frames-release-debug"));
    let out = &run.stdout;
    assert_in_order(
        out,
        &[
            &format!("stopped (breakpoint 1) at src/main.rs:{sum} in `total`"),
            &format!("#0 frames_release_debug::total (src/main.rs:{sum})"),
            "#1 frames_release_debug::process (src/main.rs:",
            "#2 frames_release_debug::main (src/main.rs:",
            "#1 frames_release_debug::process at src/main.rs:",
            "order: frames_release_debug::Order = ",
            "#2 frames_release_debug::main at src/main.rs:",
            "program killed",
        ],
    );
    // Every local has a value or says why not; nothing else.
    let locals: Vec<&str> = out.lines().filter(|l| l.starts_with("order: ") || l.starts_with("round: ") || l.starts_with("label: ")).collect();
    assert!(!locals.is_empty(), "{out}");
    for l in locals {
        let value = l.split(" = ").nth(1).unwrap_or_else(|| panic!("no value in {l:?}"));
        assert!(!value.starts_with("<unreadable") && !value.starts_with("<bad type"), "{l}\n{out}");
    }
}

/// `--json`: a selected frame is a `frame` event; `backtrace` says which
/// frame is selected; a caller's locals come as `locals`, like the stop's.
#[test]
fn frames_in_json_lines() {
    let dir = scratch_crate_with("frames-json", PROGRAM);
    let sum = line_in(PROGRAM, "let sum: u32");
    let call = line_in(PROGRAM, "let t = total(&order.items);");
    let script = format!("break src/main.rs:{sum}\ncontinue\nup\nbacktrace\nlocals\nframe 7\nquit\n");
    let run = hotbreak_in(&dir, &["hotbreak", "run", "--batch", "--json", "--", "3"], &script, &fresh_state("frames-json"));
    let events: Vec<serde_json::Value> = run.stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).filter(|e: &serde_json::Value| e["event"] != "output").collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, ["started", "building", "armed", "stopped", "frame", "backtrace", "locals", "error", "info"], "{}", run.stdout);
    let frame = &events[4];
    assert_eq!((frame["number"].as_u64(), frame["function"].as_str(), frame["file"].as_str(), frame["line"].as_u64()), (Some(1), Some("frames_json::process"), Some("src/main.rs"), Some(call as u64)));
    assert_eq!(frame["native"], true);
    assert_eq!(events[5]["selected"], 1);
    assert!(events[5]["frames"][1].as_str().is_some_and(|f| f.starts_with(&format!("frames_json::process (src/main.rs:{call}"))), "{}", run.stdout);
    let vars = events[6]["vars"].as_array().unwrap();
    let round = vars.iter().find(|v| v["name"] == "round").unwrap();
    assert_eq!((round["type_name"].as_str(), round["value"].as_str()), (Some("u64"), Some("1")));
    assert_eq!(events[7]["message"], "no frame 7: the stack has frames 0 to 2 (see `backtrace`)");
}
