//! Breakpoints in a running program: stops at the right line with the right
//! locals, stepping, conditions, hit counts, log points, removal, and line
//! preservation. Drives the fixture through the library API.

mod support;

use cargo_hotbreak::{Debuggee, Patcher};
use hotbreak::protocol::{Resume, StopEvent, StopReason};
use hotbreak_rewriter::{Breakpoint, HitCount};
use std::time::Duration;
use support::{fixture_host, line_of, Fixture, LOGIC_RS};

/// Guards against a hang; every wait below ends on an event.
const LIMIT: Duration = Duration::from_secs(120);

fn session(work: &str) -> (Patcher, Debuggee, Fixture) {
    let host = fixture_host();
    let patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work").join(work)).unwrap();
    let (dbg, program) = Fixture::launch(host);
    (patcher, dbg, program)
}

fn bp(id: u32, line: u32) -> Breakpoint {
    Breakpoint { id, line, ..Breakpoint::default() }
}

/// `name=value` of each local at a stop.
fn locals(dbg: &mut Debuggee, stop: &StopEvent) -> Vec<String> {
    dbg.locals(stop.stop).unwrap().into_iter().map(|v| format!("{}={}", v.name, v.value)).collect()
}

fn local<'a>(all: &'a [String], name: &str) -> &'a str {
    let prefix = format!("{name}=");
    all.iter().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no local {name} in {all:?}"))
}

#[test]
fn a_breakpoint_stops_with_locals_then_next_and_continue_and_removal() {
    let (mut patcher, mut dbg, mut program) = session("stops");
    let total_line = line_of(LOGIC_RS, "stats.total += square;");
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, total_line, &[bp(1, total_line)]).unwrap();
    eprintln!("armed: {}", applied.timings);

    program.post("acc 3");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.line, stop.name.as_str(), &stop.reason), (total_line, "accumulate", &StopReason::Breakpoint { id: 1 }));
    assert_eq!(stop.file, LOGIC_RS);
    let vars = locals(&mut dbg, &stop);
    let names: Vec<&str> = vars.iter().map(|v| v.split('=').next().unwrap()).collect();
    assert_eq!(names, ["limit", "stats", "i", "square"]);
    assert_eq!(local(&vars, "limit"), "3");
    assert_eq!(local(&vars, "i"), "1");
    assert_eq!(local(&vars, "square"), "1");
    assert_eq!(local(&vars, "stats"), "Stats { count: 0, total: 0, label: \"sum to 3\" }");
    let types = dbg.locals(stop.stop).unwrap();
    assert_eq!(types[0].type_name, "u32");
    assert_eq!(types[1].type_name, "fixture::logic::Stats");

    // Nested structure, one level at a time.
    let stats = dbg.inspect(stop.stop, "stats", &[]).unwrap();
    assert_eq!(stats.children.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["count", "total", "label"]);
    assert_eq!(dbg.inspect(stop.stop, "stats", &["label"]).unwrap().summary, "\"sum to 3\"");

    // next: the following statement of the same frame.
    dbg.resume(stop.stop, Resume::Next).unwrap();
    let next = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((next.line, &next.reason), (total_line + 1, &StopReason::Step));
    assert_eq!(local(&locals(&mut dbg, &next), "stats"), "Stats { count: 0, total: 1, label: \"sum to 3\" }");
    dbg.resume(next.stop, Resume::Next).unwrap();
    let looped = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(looped.line, total_line - 1, "back to the top of the loop body");
    assert_eq!(local(&locals(&mut dbg, &looped), "i"), "2");

    // continue: the breakpoint again, next iteration.
    dbg.resume(looped.stop, Resume::Continue).unwrap();
    let again = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((again.line, local(&locals(&mut dbg, &again), "i").to_string()), (total_line, "2".to_string()));

    // Removing the breakpoint: effective at once, even in the running call.
    dbg.set_breakpoint_enabled(1, false).unwrap();
    dbg.disarm(applied.function).unwrap();
    dbg.resume(again.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "acc(3) = 28");
    assert_eq!(program.send("acc 4"), "acc(4) = 60");
    assert!(dbg.drain_events().is_empty());
}

/// The patched caller calls `double` by name: in this debug build `double`
/// is an inlined shim, so the call must go through the patch's trampoline on
/// `double`'s slot to reach its instrumented version.
#[test]
fn step_in_and_finish_report_the_callee_and_its_return_value() {
    let (mut patcher, mut dbg, mut program) = session("step-in");
    let call_line = line_of(LOGIC_RS, "let doubled = double(stats.total);");
    let twice_line = line_of(LOGIC_RS, "let twice = x * 2;");
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, call_line, &[bp(1, call_line)]).unwrap();
    // The callee gets step points (no breakpoint) so stepping can enter it.
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, twice_line, &[]).unwrap();

    program.post("acc 2");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(stop.line, call_line);
    dbg.resume(stop.stop, Resume::Step).unwrap();
    let inside = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((inside.name.as_str(), inside.line, &inside.reason), ("double", twice_line, &StopReason::Step));
    assert_eq!(locals(&mut dbg, &inside), ["x=5"]);

    dbg.resume(inside.stop, Resume::Finish).unwrap();
    let returned = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((returned.name.as_str(), &returned.reason), ("double", &StopReason::Return { value: "10".into() }));

    // Back in the caller, the next statement stops (it is instrumented).
    dbg.resume(returned.stop, Resume::Next).unwrap();
    let caller = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((caller.name.as_str(), caller.line), ("accumulate", call_line + 1));
    assert_eq!(local(&locals(&mut dbg, &caller), "doubled"), "10");
    dbg.resume(caller.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "acc(2) = 10");
}

/// Methods of a debuggable inherent impl are debug-build shims, their bodies
/// in sibling methods: a breakpoint in one stops there, the backtrace names
/// the method (not its sibling) once, and a patched caller's call goes
/// through the method's slot (a link-time trampoline), so `step` enters it.
#[test]
fn methods_of_a_debuggable_impl_break_step_and_show_in_backtraces() {
    let (mut patcher, mut dbg, mut program) = session("methods");
    let push_line = line_of(LOGIC_RS, "self.readings.push(value);");
    let call_line = line_of(LOGIC_RS, "count = meter.record(i * 10);");
    let second = Breakpoint { condition: Some("value == 20".into()), ..bp(1, push_line) };
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, push_line, &[second]).unwrap();

    program.post("measure 3");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.name.as_str(), stop.line), ("record", push_line));
    assert_eq!(local(&locals(&mut dbg, &stop), "value"), "20");
    let frames = dbg.backtrace(stop.stop).unwrap();
    let named: Vec<&String> = frames.iter().filter(|f| f.contains("Meter") || f.contains("measure")).collect();
    assert!(named.len() >= 2 && named[0].contains("logic::Meter>::record (") && named[1].contains("logic::measure ("), "{frames:#?}");
    assert!(!frames.iter().any(|f| f.contains("__hotbreak_native")), "{frames:#?}");
    dbg.resume(stop.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "measure(3) = 13");

    // The patched caller reaches the method through its slot: stepping
    // into it stops at its step point.
    dbg.disarm(applied.function).unwrap();
    let at_second = Breakpoint { condition: Some("i == 2".into()), ..bp(2, call_line) };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, call_line, &[at_second]).unwrap();
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, push_line, &[]).unwrap();
    program.post("measure 3");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.name.as_str(), stop.line), ("measure", call_line));
    dbg.resume(stop.stop, Resume::Step).unwrap();
    let inside = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((inside.name.as_str(), inside.line, &inside.reason), ("record", push_line, &StopReason::Step));
    assert_eq!(local(&locals(&mut dbg, &inside), "value"), "20");
    dbg.resume(inside.stop, Resume::Finish).unwrap();
    let returned = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((returned.name.as_str(), &returned.reason), ("record", &StopReason::Return { value: "2".into() }));
    dbg.resume(returned.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "measure(3) = 13");
}

/// A trait impl's method (`Iterator::next`): its conditional breakpoint
/// stops with its locals and shows as `<Drain as Iterator>::next` in the
/// backtrace; a patched caller steps into it (the `for` loop calls it
/// through its slot) and `finish` reports what it returned.
#[test]
fn trait_methods_of_a_debuggable_impl_break_step_and_show_in_backtraces() {
    let (mut patcher, mut dbg, mut program) = session("trait-methods");
    let pop_line = line_of(LOGIC_RS, "let last: Self::Item = self.left.pop()?;");
    let loop_line = line_of(LOGIC_RS, "total += value;");
    let on_two = Breakpoint { condition: Some("self.left.len() == 2".into()), ..bp(1, pop_line) };
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, pop_line, &[on_two]).unwrap();

    program.post("drain 3");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.name.as_str(), stop.line), ("next", pop_line));
    let frames = dbg.backtrace(stop.stop).unwrap();
    let named: Vec<&String> = frames.iter().filter(|f| f.contains("Drain") || f.contains("drain")).collect();
    assert!(named.len() >= 2 && named[0].contains("Drain as core::iter::traits::iterator::Iterator>::next (") && named[1].contains("logic::drain ("), "{frames:#?}");
    assert!(!frames.iter().any(|f| f.contains("__hotbreak_native") || f.contains("HotbreakNative")), "{frames:#?}");
    dbg.resume(stop.stop, Resume::Next).unwrap();
    let after = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((after.name.as_str(), after.line), ("next", pop_line + 1));
    assert_eq!(local(&locals(&mut dbg, &after), "last"), "2");
    dbg.resume(after.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "drain(3) = 9");

    // The patched caller reaches the method through its slot.
    dbg.disarm(applied.function).unwrap();
    let on_second = Breakpoint { condition: Some("value == 3".into()), ..bp(2, loop_line) };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, loop_line, &[on_second]).unwrap();
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, pop_line, &[]).unwrap();
    program.post("drain 3");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.name.as_str(), stop.line), ("drain", loop_line));
    // The loop's next call is the next thing this thread runs.
    dbg.resume(stop.stop, Resume::Step).unwrap();
    let inside = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((inside.name.as_str(), inside.line, &inside.reason), ("next", pop_line, &StopReason::Step));
    dbg.resume(inside.stop, Resume::Finish).unwrap();
    let returned = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((returned.name.as_str(), &returned.reason), ("next", &StopReason::Return { value: "Some(2)".into() }));
    dbg.resume(returned.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "drain(3) = 9");
}

/// A frame that returns no value, or unwinds, tells the runtime nothing:
/// stepping still stops in the right frame, and ends once every frame it
/// started from has returned into native code.
#[test]
fn stepping_over_and_out_of_frames_that_return_no_value() {
    let (mut patcher, mut dbg, mut program) = session("no-value");
    let call_line = line_of(LOGIC_RS, "note(&mut done, n);");
    let loop_line = line_of(LOGIC_RS, "for i in 0..n {");
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, call_line, &[Breakpoint { condition: Some("n == 3".into()), ..bp(1, call_line) }]).unwrap();
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, loop_line, &[]).unwrap();

    // `next` steps over the instrumented callee.
    program.post("chores 3");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.name.as_str(), stop.line), ("chores", call_line));
    dbg.resume(stop.stop, Resume::Next).unwrap();
    let after = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((after.name.as_str(), after.line, &after.reason), ("chores", call_line + 1, &StopReason::Step));
    dbg.resume(after.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "chores(3) = 6");

    // `step` enters it, `finish` comes back to the caller's next line.
    program.post("chores 3");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    dbg.resume(stop.stop, Resume::Step).unwrap();
    let inside = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((inside.name.as_str(), inside.line), ("note", loop_line));
    dbg.resume(inside.stop, Resume::Finish).unwrap();
    let back = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((back.name.as_str(), back.line), ("chores", call_line + 1));
    assert_eq!(local(&locals(&mut dbg, &back), "n"), "3");

    // Stepping off the end of the outermost frame runs on in native code:
    // the next call (no breakpoint: n != 3) does not stop.
    dbg.resume(back.stop, Resume::Next).unwrap();
    let last = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(last.line, call_line + 2);
    dbg.resume(last.stop, Resume::Next).unwrap();
    let returned = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(returned.reason, StopReason::Return { value: "6".into() });
    dbg.resume(returned.stop, Resume::Next).unwrap();
    assert_eq!(program.answer(), "chores(3) = 6");
    assert_eq!(program.send("chores 2"), "chores(2) = 4");
    assert!(dbg.drain_events().is_empty(), "stepping ended with the frame it started from");

    // The same after a frame unwinds: `risky` panics while stepping.
    let first = line_of(LOGIC_RS, "let half = n / 2;");
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, first, &[Breakpoint { condition: Some("n == 13".into()), ..bp(2, first) }]).unwrap();
    program.post("risky 13");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    dbg.resume(stop.stop, Resume::Next).unwrap();
    let check = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(check.line, first + 1);
    dbg.resume(check.stop, Resume::Next).unwrap();
    let panics = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(panics.line, first + 2);
    dbg.resume(panics.stop, Resume::Next).unwrap();
    assert!(program.answer().starts_with("caught panic: unlucky 13"));
    assert_eq!(program.send("risky 4"), "risky(4) = 2");
    assert!(dbg.drain_events().is_empty(), "stepping ended with the frame that unwound");
}

#[test]
fn conditions_hit_counts_and_log_points_are_compiled_in() {
    let (mut patcher, mut dbg, mut program) = session("conditions");
    let line = line_of(LOGIC_RS, "stats.total += square;");

    // Never true: never pauses.
    let never = Breakpoint { condition: Some("i > 100".into()), ..bp(1, line) };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[never]).unwrap();
    assert_eq!(program.send("acc 5"), "acc(5) = 110");
    assert!(dbg.drain_events().is_empty());

    // Becomes true: pauses exactly then.
    let when = Breakpoint { condition: Some("square == 9".into()), ..bp(2, line) };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[when]).unwrap();
    program.post("acc 5");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(local(&locals(&mut dbg, &stop), "i"), "3");
    dbg.resume(stop.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "acc(5) = 110");
    assert!(dbg.drain_events().is_empty(), "only one pause");

    // Hit count: only the 4th hit.
    let fourth = Breakpoint { hits: Some(HitCount::Equal(4)), ..bp(3, line) };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[fourth]).unwrap();
    program.post("acc 5");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(local(&locals(&mut dbg, &stop), "i"), "4");
    dbg.resume(stop.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "acc(5) = 110");

    // Log point: prints interpolated expressions, never pauses.
    let log = Breakpoint { log: Some("i={i} sq={square} total={stats.total:>3}".into()), ..bp(4, line) };
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[log]).unwrap();
    assert_eq!(program.send("acc 3"), "acc(3) = 28");
    let lines: Vec<String> = (0..3).map(|_| dbg.wait_log(LIMIT).unwrap().text).collect();
    assert_eq!(lines, ["i=1 sq=1 total=  0", "i=2 sq=4 total=  1", "i=3 sq=9 total=  5"]);

    // Removing restores native code.
    dbg.disarm(applied.function).unwrap();
    assert_eq!(program.send("acc 3"), "acc(3) = 28");
    assert!(dbg.drain_events().is_empty());
}

#[test]
fn a_condition_that_does_not_compile_is_reported_at_the_users_line_and_nothing_is_armed() {
    let (mut patcher, mut dbg, mut program) = session("bad-condition");
    let line = line_of(LOGIC_RS, "stats.total += square;");
    let bad = Breakpoint { condition: Some("undefined_thing > 1".into()), ..bp(1, line) };
    let err = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bad]).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{LOGIC_RS}:{line}: the breakpoint's expression does not compile:")), "{err}");
    assert!(err.contains("cannot find value `undefined_thing` in this scope"), "{err}");
    let not_bool = Breakpoint { condition: Some("square".into()), ..bp(2, line) };
    let err = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[not_bool]).unwrap_err().to_string();
    assert!(err.contains("mismatched types"), "{err}");
    assert_eq!(program.send("acc 2"), "acc(2) = 10");
    assert!(dbg.drain_events().is_empty());
}

#[test]
fn captures_rustc_rejects_are_pruned_and_the_rest_are_shown() {
    let (mut patcher, mut dbg, mut program) = session("pruning");
    let after_drop = line_of(LOGIC_RS, "let len = first.len();");
    let drop_line = line_of(LOGIC_RS, "drop(text);");
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, drop_line, &[bp(1, drop_line), bp(2, after_drop)]).unwrap();
    assert!(applied.timings.prune_rounds >= 2, "{}", applied.timings);
    program.post("shuffle 7");
    let at_drop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(at_drop.line, drop_line);
    // `items` is mutably borrowed by `first` (used later): not shown here.
    assert_eq!(locals(&mut dbg, &at_drop), ["n=7", "text=\"n=7\"", "first=\"n=7!\""]);
    dbg.resume(at_drop.stop, Resume::Continue).unwrap();
    let moved = dbg.wait_stop(LIMIT).unwrap();
    // `text` was moved into `drop`: not shown.
    assert_eq!(locals(&mut dbg, &moved), ["n=7", "first=\"n=7!\""]);
    dbg.resume(moved.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "shuffle(7) = 5");
}

#[test]
fn a_panic_after_the_breakpoint_reports_the_original_line() {
    let (mut patcher, mut dbg, mut program) = session("panic-line");
    let first = line_of(LOGIC_RS, "let half = n / 2;");
    let panic_line = line_of(LOGIC_RS, "panic!(\"unlucky {n}\");");
    let never = Breakpoint { condition: Some("n == 0".into()), ..bp(1, first) };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, first, &[never]).unwrap();
    assert_eq!(program.send("risky 13"), format!("caught panic: unlucky 13 @ {LOGIC_RS}:{panic_line}"));
    assert_eq!(program.send("risky 8"), "risky(8) = 4");
}

#[test]
fn bad_lines_get_a_precise_message() {
    let (mut patcher, mut dbg, _program) = session("bad-lines");
    let fn_line = line_of(LOGIC_RS, "pub(crate) fn accumulate");
    let err = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, fn_line, &[bp(1, fn_line)]).unwrap_err().to_string();
    assert_eq!(err, format!("{LOGIC_RS}:{fn_line}: no statement starts at line {fn_line}; the nearest line with one is {}", fn_line + 1));
    let plain = line_of(LOGIC_RS, "fn describe(");
    let err = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, plain + 1, &[bp(2, plain + 1)]).unwrap_err().to_string();
    assert!(err.contains("`describe`") && err.contains("is not registered in the running program"), "{err}");
    let err = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, 1, &[bp(3, 1)]).unwrap_err().to_string();
    assert_eq!(err, format!("{LOGIC_RS}:1: line 1 is not inside a function"));
}

/// A generic free fn: one breakpoint stops in its `Vec<u8>` instance and
/// in its `String` instance, each with its own locals; arming names the
/// instances it covers; removing it restores native code in every one.
#[test]
fn a_breakpoint_in_a_generic_fn_stops_in_each_instance() {
    let (mut patcher, mut dbg, mut program) = session("generic");
    assert_eq!(program.send("generics 2"), "generics(2) = 5 7 6 b1:Some(2) s2:Some(\"x\")");
    let line = line_of(LOGIC_RS, "let weighed = items.len() * weight;");
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bp(1, line)]).unwrap();
    let coverage = applied.coverage.clone().expect("a generic fn's patch reports its instances");
    let covered = coverage.covered.join(", ");
    assert!(covered.contains("measure_all::<alloc::vec::Vec<u8>>") && covered.contains("measure_all::<alloc::string::String>"), "{coverage:?}");
    assert!(coverage.not_covered.is_empty(), "{coverage:?}");

    program.post("generics 2");
    let bytes = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((bytes.line, bytes.name.as_str(), &bytes.reason), (line, "measure_all", &StopReason::Breakpoint { id: 1 }));
    let vars = locals(&mut dbg, &bytes);
    assert_eq!(local(&vars, "items"), "[[0, 0], [1, 1]]");
    assert_eq!(local(&vars, "weight"), "2");
    assert_eq!(local(&vars, "first"), "Some([0, 0])");
    dbg.resume(bytes.stop, Resume::Next).unwrap();
    let next = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((next.line, local(&locals(&mut dbg, &next), "weighed").to_string()), (line + 1, "4".to_string()));
    dbg.resume(next.stop, Resume::Continue).unwrap();

    let words = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((words.line, &words.reason), (line, &StopReason::Breakpoint { id: 1 }));
    let vars = locals(&mut dbg, &words);
    assert_eq!(local(&vars, "items"), "[\"w0\", \"w1\"]");
    assert_eq!(local(&vars, "weight"), "3");
    assert_eq!(local(&vars, "first"), "Some(\"w0\")");
    let types = dbg.locals(words.stop).unwrap();
    assert_eq!(types.iter().find(|v| v.name == "first").unwrap().type_name, "core::option::Option<alloc::string::String>");
    dbg.resume(words.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "generics(2) = 5 7 6 b1:Some(2) s2:Some(\"x\")");

    // Removed: native code in both instances, no stop.
    dbg.set_breakpoint_enabled(1, false).unwrap();
    dbg.disarm(applied.function).unwrap();
    assert_eq!(program.send("generics 3"), "generics(3) = 7 10 9 b1:Some(3) s3:Some(\"x\")");
    assert!(dbg.drain_events().is_empty());
}

/// A const-generic fn stops in its `N = 3` instance.
#[test]
fn a_breakpoint_in_a_const_generic_fn_stops() {
    let (mut patcher, mut dbg, mut program) = session("const-generic");
    let line = line_of(LOGIC_RS, "cells.iter().sum()");
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bp(1, line)]).unwrap();
    let coverage = applied.coverage.clone().unwrap();
    assert_eq!(coverage.covered, ["window::<3>"], "{coverage:?}");
    program.post("generics 2");
    let stop = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((stop.line, stop.name.as_str()), (line, "window"));
    assert_eq!(local(&locals(&mut dbg, &stop), "cells"), "[2, 2, 2]");
    // finish: out of the instance with its value.
    dbg.resume(stop.stop, Resume::Finish).unwrap();
    let returned = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((returned.name.as_str(), &returned.reason), ("window", &StopReason::Return { value: "6".into() }));
    dbg.resume(returned.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "generics(2) = 5 7 6 b1:Some(2) s2:Some(\"x\")");
}

/// A method of a generic impl stops in its `Shelf<u8>` and `Shelf<&str>`
/// instances.
#[test]
fn a_breakpoint_in_a_method_of_a_generic_impl_stops_in_each_instance() {
    let (mut patcher, mut dbg, mut program) = session("generic-impl");
    let line = line_of(LOGIC_RS, "let count = self.items.len();");
    let applied = patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bp(1, line)]).unwrap();
    let coverage = applied.coverage.clone().unwrap();
    assert_eq!(coverage.covered, ["<fixture::logic::Shelf<&str>>::label", "<fixture::logic::Shelf<u8>>::label"], "{coverage:?}");
    assert!(coverage.not_covered.is_empty(), "{coverage:?}");
    program.post("generics 2");
    let bytes = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!((bytes.line, bytes.name.as_str()), (line, "label"));
    let vars = locals(&mut dbg, &bytes);
    assert_eq!(local(&vars, "prefix"), "\"b\"");
    dbg.resume(bytes.stop, Resume::Continue).unwrap();
    let strs = dbg.wait_stop(LIMIT).unwrap();
    assert_eq!(local(&locals(&mut dbg, &strs), "prefix"), "\"s\"");
    dbg.resume(strs.stop, Resume::Continue).unwrap();
    assert_eq!(program.answer(), "generics(2) = 5 7 6 b1:Some(2) s2:Some(\"x\")");
    dbg.set_breakpoint_enabled(1, false).unwrap();
    dbg.disarm(applied.function).unwrap();
    assert_eq!(program.send("generics 3"), "generics(3) = 7 10 9 b1:Some(3) s3:Some(\"x\")");
    assert!(dbg.drain_events().is_empty());
}

/// An edit of a generic fn takes effect in every instance the crate makes.
#[test]
fn an_edit_of_a_generic_fn_takes_effect_in_each_instance() {
    let (mut patcher, mut dbg, mut program) = session("generic-edit");
    let line = line_of(LOGIC_RS, "pub(crate) fn measure_all<");
    let new_fn = "pub(crate) fn measure_all<T: std::fmt::Debug + Clone>(items: &[T], weight: usize) -> usize {\n    \
                  let first = items.first().cloned();\n    let weighed = items.len() * weight;\n    \
                  1000 + weighed + usize::from(first.is_some())\n}";
    let applied = patcher.replace_function(&mut dbg, LOGIC_RS, line, new_fn).unwrap();
    assert_eq!(applied.coverage.unwrap().covered.len(), 2);
    assert_eq!(program.send("generics 2"), "generics(2) = 1005 1007 6 b1:Some(2) s2:Some(\"x\")");
    dbg.disarm(applied.function).unwrap();
    assert_eq!(program.send("generics 2"), "generics(2) = 5 7 6 b1:Some(2) s2:Some(\"x\")");
}
