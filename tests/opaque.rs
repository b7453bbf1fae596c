//! `impl Trait` arguments and returns, and a trait's provided method, in
//! the running fixture: breakpoints stop in every instance with its own
//! locals, edits take effect, and an edit that would change an opaque
//! return's hidden type is refused while the program runs on.

mod support;

use cargo_hotbreak::{Debuggee, Patcher};
use hotbreak::protocol::{Resume, StopEvent, StopReason};
use hotbreak_rewriter::Breakpoint;
use std::time::Duration;
use support::{fixture_host, line_of, Fixture};

const OPAQUE_RS: &str = "examples/fixture/src/opaque.rs";
const LIMIT: Duration = Duration::from_secs(120);
/// What `opaque 2` answers in native code.
const NATIVE_2: &str = "opaque(2) = 4 6 5 [0, 2, 4] hello cat! hello fish2? woof.";

fn session(work: &str) -> (Patcher, Debuggee, Fixture) {
    let host = fixture_host();
    let patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work").join(work)).unwrap();
    let (dbg, program) = Fixture::launch(host);
    (patcher, dbg, program)
}

fn bp(id: u32, line: u32) -> Breakpoint {
    Breakpoint { id, line, ..Breakpoint::default() }
}

fn locals(dbg: &mut Debuggee, stop: &StopEvent) -> Vec<String> {
    dbg.locals(stop.stop).unwrap().into_iter().map(|v| format!("{}={}", v.name, v.value)).collect()
}

fn local<'a>(all: &'a [String], name: &str) -> &'a str {
    let prefix = format!("{name}=");
    all.iter().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no local {name} in {all:?}"))
}

/// `byte_weight(items: impl AsRef<[u8]> + Debug, ..)` stops in its
/// `Vec<u8>` and its `String` instance, each with its own `items`.
#[test]
fn an_impl_trait_argument_fn_stops_in_each_instance() {
    let (mut patcher, mut dbg, mut program) = session("impl-arg");
    assert_eq!(program.send("opaque 2"), NATIVE_2);
    let line = line_of(OPAQUE_RS, "bytes * scale");
    let applied = patcher.arm_breakpoints(&mut dbg, OPAQUE_RS, line, &[bp(1, line)]).unwrap();
    let coverage = applied.coverage.clone().expect("an impl Trait fn has instances");
    assert_eq!(coverage.covered, ["byte_weight::<alloc::string::String>", "byte_weight::<alloc::vec::Vec<u8>>"], "{coverage:?}");
    assert!(coverage.not_covered.is_empty(), "{coverage:?}");

    program.post("opaque 2");
    let bytes = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((bytes.line, bytes.name.as_str(), &bytes.reason), (line, "byte_weight", &StopReason::Breakpoint { id: 1 }));
    let vars = locals(&mut dbg, &bytes);
    assert_eq!((local(&vars, "items"), local(&vars, "scale"), local(&vars, "bytes")), ("[1, 1]", "2", "2"));
    dbg.resume(bytes.stop, Resume::Continue).unwrap();
    let string = dbg.wait_stop(LIMIT).unwrap();
    let vars = locals(&mut dbg, &string);
    assert_eq!((local(&vars, "items"), local(&vars, "scale")), ("\"s2\"", "3"));
    dbg.resume(string.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), NATIVE_2);

    dbg.set_breakpoint_enabled(1, false).unwrap();
    dbg.disarm(applied.function).unwrap();
    assert_eq!(program.send("opaque 2"), NATIVE_2);
    assert!(dbg.drain_events().is_empty());
}

/// An `impl Fn` argument: a condition and a log point.
#[test]
fn an_impl_fn_argument_takes_a_condition_and_a_log_point() {
    let (mut patcher, mut dbg, mut program) = session("impl-fn");
    let line = line_of(OPAQUE_RS, "f(once)");
    let log = Breakpoint { id: 2, line, log: Some("once={once}".into()), ..Breakpoint::default() };
    let first = line_of(OPAQUE_RS, "let once = f(x);");
    let cond = Breakpoint { id: 1, line: first, condition: Some("x == 7".into()), ..Breakpoint::default() };
    patcher.arm_breakpoints(&mut dbg, OPAQUE_RS, line, &[cond, log]).unwrap();
    assert_eq!(program.send("opaque 2"), NATIVE_2);
    // x is 1: the condition holds nowhere; the log point says once = 1 + 2.
    assert_eq!(dbg.wait_log(LIMIT).unwrap().text, "once=3");
    assert!(dbg.drain_events().is_empty(), "no stop, one log line");
}

/// A provided method stops for `Cat` and for `Fish`, which keep it, and
/// never for `Dog`'s override of it.
#[test]
fn a_provided_method_stops_for_each_implementor_that_keeps_it() {
    let (mut patcher, mut dbg, mut program) = session("provided");
    let line = line_of(OPAQUE_RS, "format!(\"hello {name}{punct}\")");
    let applied = patcher.arm_breakpoints(&mut dbg, OPAQUE_RS, line, &[bp(1, line)]).unwrap();
    let coverage = applied.coverage.clone().expect("a provided method has instances");
    assert_eq!(
        coverage.covered,
        ["<fixture::opaque::Cat as fixture::opaque::Named>::greeting", "<fixture::opaque::Fish as fixture::opaque::Named>::greeting"],
        "{coverage:?}"
    );
    assert!(coverage.not_covered.is_empty(), "{coverage:?}");
    program.post("opaque 2");
    let cat = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((cat.line, cat.name.as_str()), (line, "greeting"));
    let vars = locals(&mut dbg, &cat);
    assert_eq!((local(&vars, "name"), local(&vars, "punct")), ("\"cat\"", "'!'"));
    dbg.resume(cat.stop, Resume::Next).unwrap();
    let returned = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(returned.reason, StopReason::Return { value: "\"hello cat!\"".into() });
    dbg.resume(returned.stop, Resume::Continue).unwrap();
    let fish = dbg.wait_stop(LIMIT).unwrap();
    let vars = locals(&mut dbg, &fish);
    assert_eq!((local(&vars, "name"), local(&vars, "punct")), ("\"fish2\"", "'?'"));
    dbg.resume(fish.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), NATIVE_2);
    assert!(dbg.drain_events().is_empty(), "Dog's override never stops");

    // An edit of the provided method: both implementors run it.
    let fn_line = line_of(OPAQUE_RS, "fn greeting(&self, punct: char) -> String {");
    let new_fn = "fn greeting(&self, punct: char) -> String {\n        let name = self.name();\n        format!(\"hi {name}{punct}\")\n    }";
    dbg.set_breakpoint_enabled(1, false).unwrap();
    patcher.replace_function(&mut dbg, OPAQUE_RS, fn_line, new_fn).unwrap();
    assert_eq!(program.send("opaque 2"), "opaque(2) = 4 6 5 [0, 2, 4] hi cat! hi fish2? woof.");
}

/// `-> impl Iterator`: a breakpoint stops inside the function; an edit
/// that keeps the hidden type runs; one that changes it (another adapter)
/// is refused with the file and line, and the program runs on unharmed.
#[test]
fn an_impl_iterator_return_stops_takes_an_edit_and_refuses_another_hidden_type() {
    let (mut patcher, mut dbg, mut program) = session("impl-return");
    let line = line_of(OPAQUE_RS, "let start = limit % 2;");
    let applied = patcher.arm_breakpoints(&mut dbg, OPAQUE_RS, line, &[bp(1, line)]).unwrap();
    program.post("opaque 2");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.line, stop.name.as_str()), (line, "evens"));
    assert_eq!(local(&locals(&mut dbg, &stop), "limit"), "6");
    dbg.resume(stop.stop, Resume::Next).unwrap();
    let next = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((next.line, local(&locals(&mut dbg, &next), "start")), (line + 1, "0"));
    dbg.resume(next.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), NATIVE_2);
    dbg.set_breakpoint_enabled(1, false).unwrap();
    dbg.disarm(applied.function).unwrap();

    // The same hidden type (`Filter<Range<u32>, {closure}>`): runs.
    let fn_line = line_of(OPAQUE_RS, "pub(crate) fn evens(");
    let same = "pub(crate) fn evens(limit: u32) -> impl Iterator<Item = u32> {\n    let start = limit % 2;\n    (start..limit + 2).filter(|n| n % 2 == 0)\n}";
    patcher.replace_function(&mut dbg, OPAQUE_RS, fn_line, same).unwrap();
    let edited = "opaque(2) = 4 6 5 [0, 2, 4, 6] hello cat! hello fish2? woof.";
    assert_eq!(program.send("opaque 2"), edited);

    // Another hidden type (`StepBy<Range<u32>>`): refused, never run.
    let other = "pub(crate) fn evens(limit: u32) -> impl Iterator<Item = u32> {\n    let start = limit % 2;\n    (start..limit).step_by(2)\n}";
    let err = patcher.replace_function(&mut dbg, OPAQUE_RS, fn_line, other).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{OPAQUE_RS}:{fn_line}: refusing the patch of `evens`")), "{err}");
    assert!(err.contains("changes its hidden type") && err.contains("StepBy"), "{err}");
    assert_eq!(program.send("opaque 2"), edited, "the last good patch runs on");

    // A closure capturing another value changes the hidden type's layout
    // under the same name: refused too.
    let captures = "pub(crate) fn evens(limit: u32) -> impl Iterator<Item = u32> {\n    let start = limit % 2;\n    (start..limit).filter(move |n| n % 2 == start)\n}";
    let err = patcher.replace_function(&mut dbg, OPAQUE_RS, fn_line, captures).unwrap_err().to_string();
    assert!(err.contains("changes its hidden type"), "{err}");
    assert_eq!(program.send("opaque 2"), edited);
}
