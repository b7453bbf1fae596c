//! Running frames switch to the patched code (issue 19): a breakpoint set
//! while a function's loop runs stops in that running frame within one
//! iteration, with its locals as they are (`examples/loops`, unmodified,
//! built at opt-level 0 under `cargo hotbreak run`).

mod support;

use support::{line_of, Driver};

const MAIN: &str = "examples/loops/src/main.rs";

fn stopped(line: &str) -> bool {
    line.starts_with("stopped ")
}

/// `main: i=N total=T` -> N.
fn round_of(line: &str) -> u64 {
    line.trim_start_matches("main: i=").split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_breakpoint_in_mains_running_loop_stops_there_with_its_locals_and_the_totals_stay_exact() {
    let body = line_of(MAIN, "        total += i;");
    // Long enough that arming (seconds on a loaded machine) ends in the loop.
    let mut hb = Driver::start_package("loops", &["1500"], "osr-main");
    hb.send("continue &");
    // `main` is in its loop: the frame that runs it is the one to switch.
    let before = round_of(&hb.wait_for("main's loop running", |l| l.starts_with("main: i=3 ")));
    hb.send(&format!("break {MAIN}:{body}"));
    // Never a silent miss: arming says what the running frame does.
    hb.wait_for("what running frames do", |l| l.contains("running frames of `main` switch to the new code at the next iteration of the loop at line"));
    hb.wait_for("armed", |l| l.contains(&format!("breakpoint 1 at {MAIN}:{body} in `main`: armed in ")));
    let stop = hb.wait_for("the stop in the running frame", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {MAIN}:{body} in `main`")), "{stop}");
    // The last round main printed natively, and the round it stopped in.
    let last = hb.seen.iter().filter(|l| l.starts_with("main: i=")).map(|l| round_of(l)).max().unwrap();
    assert!(last >= before);
    let i = last + 1;
    hb.send("print i");
    hb.wait_for("the loop variable", |l| l.ends_with(&format!("= {i}")));
    hb.send("print total");
    // `total += i` has not run yet for round i.
    let total: u64 = (0..i).sum();
    hb.wait_for("the accumulator", |l| l.ends_with(&format!("= {total}")));
    // `tally` borrows `seen` across the loop: still the same vector.
    hb.send("print tally.len()");
    hb.wait_for("the borrowed vector", |l| l.ends_with(&format!("= {i}")));
    hb.send("continue");
    let again = hb.wait_for("the next iteration's stop", stopped);
    assert!(again.contains(&format!("at {MAIN}:{body} in `main`")), "{again}");
    hb.send("print i");
    hb.wait_for("the next round", |l| l.ends_with(&format!("= {}", i + 1)));
    // A second breakpoint builds a new patch; the frame stays on the one
    // it switched to (patches have no loop sites), and that is said.
    let pushed = line_of(MAIN, "        tally.push(i);");
    hb.send(&format!("break {MAIN}:{pushed}"));
    hb.wait_for("what the switched frame does", |l| {
        l == "a running frame of `main` that switched to an earlier patch keeps that patch (and its breakpoints) until it returns"
    });
    hb.send("delete all");
    hb.send("continue");
    let total: u64 = (0..1500).sum();
    let drained: u64 = (0..1500).map(|v| v * 2).sum();
    hb.wait_for("main's exact totals", |l| l == format!("main: done total={total} seen=1500 drained={drained}"));
    let grid: u64 = (0..5).flat_map(|row| (0..3).map(move |col| row * 10 + col)).sum();
    hb.wait_for("the nested loops' result", |l| l == format!("main: grid={grid}"));
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    assert!(hb.finish().success());
}

#[test]
fn a_worker_threads_running_loop_switches_while_main_runs_on() {
    let body = line_of(MAIN, "        sum += v * 2;");
    let mut hb = Driver::start_package("loops", &["1500"], "osr-worker");
    hb.send("continue &");
    hb.wait_for("the worker's loop running", |l| l.starts_with("worker: v=3 "));
    hb.send(&format!("break {MAIN}:{body} if v % 2 == 1"));
    hb.wait_for("what running frames do", |l| l.contains("running frames of `drain` switch to the new code at the next iteration of the loop at line"));
    let stop = hb.wait_for("the stop in the worker's running frame", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {MAIN}:{body} in `drain`")), "{stop}");
    // The worker's frame keeps its values: `sum` is the sum of 2v so far.
    let last = hb.seen.iter().filter(|l| l.starts_with("worker: v=")).map(|l| l.trim_start_matches("worker: v=").split(' ').next().unwrap().parse::<u64>().unwrap()).max().unwrap();
    let v = (last + 1..).find(|v| v % 2 == 1).unwrap();
    hb.send("print v");
    hb.wait_for("the value received", |l| l.ends_with(&format!("= {v}")));
    hb.send("print sum");
    let sum: u64 = (0..v).map(|x| x * 2).sum();
    hb.wait_for("the worker's sum", |l| l.ends_with(&format!("= {sum}")));
    // `main` goes on sending while the worker is stopped (it may have run
    // ahead of the worker already: a round after the last one seen).
    let main_at = hb.seen.iter().filter(|l| l.starts_with("main: i=")).map(|l| round_of(l)).max().unwrap_or(0);
    hb.wait_for("main running meanwhile", |l| l.starts_with(&format!("main: i={} ", main_at + 1)));
    hb.send("delete 1");
    hb.send("continue");
    let total: u64 = (0..1500).sum();
    let drained: u64 = (0..1500).map(|v| v * 2).sum();
    hb.wait_for("exact totals", |l| l == format!("main: done total={total} seen=1500 drained={drained}"));
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    assert!(hb.finish().success());
}

#[test]
fn a_breakpoint_in_an_inner_loop_switches_the_running_nested_loops() {
    let inner = line_of(MAIN, "            grid += row * 10 + col;");
    let mut hb = Driver::start_package("loops", &["3", "500"], "osr-nested");
    hb.send("continue &");
    hb.wait_for("the nested loops running", |l| l.starts_with("cells: row=1 "));
    hb.send(&format!("break {MAIN}:{inner} if col == 1"));
    hb.wait_for("what running frames do", |l| l.contains("running frames of `cells` switch to the new code at the next iteration of the loop at line"));
    let stop = hb.wait_for("the stop in the running inner loop", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {MAIN}:{inner} in `cells`")), "{stop}");
    let row = hb.seen.iter().filter(|l| l.starts_with("cells: row=")).count() as u64;
    hb.send("print row");
    hb.wait_for("the outer loop's row", |l| l.ends_with(&format!("= {row}")));
    hb.send("print col");
    hb.wait_for("the inner loop's column", |l| l.ends_with("= 1"));
    // Every cell before (row, 1) is in `grid`; `line` holds this row's "0".
    let grid: u64 = (0..row).flat_map(|r| (0..3).map(move |c| r * 10 + c)).sum::<u64>() + row * 10;
    hb.send("print grid");
    hb.wait_for("the accumulator", |l| l.ends_with(&format!("= {grid}")));
    hb.send("print line");
    hb.wait_for("this row's text so far", |l| l.ends_with("= \"0\""));
    hb.send("delete 1");
    hb.send("continue");
    let grid: u64 = (0..500).flat_map(|r| (0..3).map(move |c| r * 10 + c)).sum();
    hb.wait_for("the exact grid", |l| l == format!("main: grid={grid}"));
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    assert!(hb.finish().success());
}

#[test]
fn saving_an_edit_changes_what_a_running_loop_does_from_its_next_iteration() {
    // A crate of its own (the test edits it), made debuggable as it is.
    let dir = support::workspace().join("target/hotbreak/test-crates/osr-edit");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"osr-edit\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n").unwrap();
    let original = std::fs::read_to_string(support::workspace().join(MAIN)).unwrap();
    let main_rs = dir.join("src/main.rs");
    std::fs::write(&main_rs, &original).unwrap();
    let mut hb = Driver::start(&dir, &["1500"]);
    hb.send("continue &");
    hb.wait_for("main's loop running", |l| l.starts_with("main: i=3 "));
    // The loop's body prints differently; nothing before the loop changes.
    let edited = original.replace("println!(\"main: i={i} total={total}\");", "println!(\"main: edited i={i} total={total}\");");
    assert_ne!(edited, original);
    std::fs::write(&main_rs, &edited).unwrap();
    hb.wait_for("what running frames do", |l| l.contains("running frames of `main` switch to the new code at the next iteration of the loop at line"));
    hb.wait_for("main patched", |l| l.contains("`main` hot-patched in"));
    // The frame may switch before the session has said it is patched.
    let edited = |l: &str| l.starts_with("main: edited i=");
    let first = match hb.seen.iter().find(|l| edited(l)) {
        Some(line) => line.clone(),
        None => hb.wait_for("the running loop's next iteration, edited", edited),
    };
    let i: u64 = first.trim_start_matches("main: edited i=").split(' ').next().unwrap().parse().unwrap();
    let total: u64 = (0..=i).sum();
    assert_eq!(first, format!("main: edited i={i} total={total}"), "the frame's own values");
    // It ran natively up to the round before.
    assert!(hb.seen.iter().any(|l| *l == format!("main: i={} total={}", i - 1, total - i)), "{}", hb.seen.join("\n"));
    let total: u64 = (0..1500).sum();
    let drained: u64 = (0..1500).map(|v| v * 2).sum();
    hb.wait_for("exact totals", |l| l == format!("main: done total={total} seen=1500 drained={drained}"));
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    std::fs::write(&main_rs, &original).unwrap();
    assert!(hb.finish().success());
}

#[test]
fn a_methods_running_loop_switches_with_its_self() {
    let body = line_of(MAIN, "            self.balance += k as i64;");
    let mut hb = Driver::start_package("loops", &["3", "1", "1500"], "osr-method");
    hb.send("continue &");
    hb.wait_for("the method's loop running", |l| l.starts_with("ledger: k=3 "));
    hb.send(&format!("break {MAIN}:{body}"));
    hb.wait_for("what running frames do", |l| l.contains("running frames of `settle` switch to the new code at the next iteration of the loop at line"));
    let stop = hb.wait_for("the stop in the method's running frame", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {MAIN}:{body} in `settle`")), "{stop}");
    let k = hb.seen.iter().filter(|l| l.starts_with("ledger: k=")).count() as u64;
    hb.send("print k");
    hb.wait_for("the loop variable", |l| l.ends_with(&format!("= {k}")));
    hb.send("print self.entries.len()");
    hb.wait_for("self's vector", |l| l.ends_with(&format!("= {k}")));
    hb.send("delete 1");
    hb.send("continue");
    let balance: u64 = (0..1500).sum();
    hb.wait_for("the exact balance", |l| l == format!("main: balance={balance} entries=1500 sum={balance}"));
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    assert!(hb.finish().success());
}

/// `watch`'s loop sits in an `if let` in a branch of an `if`: the frame
/// switches through both (neither condition runs again) with the branch's
/// own local and the `if let`'s binding.
#[test]
fn a_running_loop_in_a_branch_of_an_if_switches() {
    let body = line_of(MAIN, "                ticks += t * step;");
    let mut hb = Driver::start_package("loops", &["3", "1", "1", "1500"], "osr-if");
    hb.send("continue &");
    hb.wait_for("the branch's loop running", |l| l.starts_with("watch: t=3 "));
    hb.send(&format!("break {MAIN}:{body}"));
    hb.wait_for("what running frames do", |l| l.contains("running frames of `watch` switch to the new code at the next iteration of the loop at line"));
    let stop = hb.wait_for("the stop in the running frame", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {MAIN}:{body} in `watch`")), "{stop}");
    let t = hb.seen.iter().filter(|l| l.starts_with("watch: t=")).count() as u64;
    hb.send("print t");
    hb.wait_for("the loop variable", |l| l.ends_with(&format!("= {t}")));
    hb.send("print ticks");
    let sum: u64 = (0..t).sum();
    hb.wait_for("the running sum", |l| l.ends_with(&format!("= {sum}")));
    hb.send("print label.as_str()");
    hb.wait_for("the branch's local", |l| l.ends_with("= \"watch\""));
    hb.send("print step");
    hb.wait_for("the if let's binding", |l| l.ends_with("= 1"));
    hb.send("delete 1");
    hb.send("continue");
    let ticks: u64 = (0..1500).sum();
    hb.wait_for("the exact ticks", |l| l == format!("main: ticks={ticks}"));
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    assert!(hb.finish().success());
}

/// `route`'s loop sits in a guarded arm of a `match`: the frame switches
/// into that arm (neither the scrutinee nor the guard runs again) with the
/// arm's binding and the arm's own local.
#[test]
fn a_running_loop_in_an_arm_of_a_match_switches() {
    let body = line_of(MAIN, "                hops += 1;");
    let mut hb = Driver::start_package("loops", &["3", "1", "1", "1", "1500"], "osr-match");
    hb.send("continue &");
    hb.wait_for("the arm's loop running", |l| l.starts_with("route: hop=3 "));
    hb.send(&format!("break {MAIN}:{body}"));
    hb.wait_for("what running frames do", |l| l.contains("running frames of `route` switch to the new code at the next iteration of the loop at line"));
    let stop = hb.wait_for("the stop in the running frame", stopped);
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at {MAIN}:{body} in `route`")), "{stop}");
    let hops = hb.seen.iter().filter(|l| l.starts_with("route: hop=")).count() as u64;
    hb.send("print hops");
    hb.wait_for("the arm's local", |l| l.ends_with(&format!("= {hops}")));
    hb.send("print limit");
    hb.wait_for("the arm's binding", |l| l.ends_with("= 1500"));
    hb.send("delete 1");
    hb.send("continue");
    hb.wait_for("the exact hops", |l| l == "main: routed=1500");
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    assert!(hb.finish().success());
}
