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
    let mut hb = Driver::start_package("loops", &["300"], "osr-main");
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
    hb.send("delete 1");
    hb.send("continue");
    let total: u64 = (0..300).sum();
    let drained: u64 = (0..300).map(|v| v * 2).sum();
    hb.wait_for("main's exact totals", |l| l == format!("main: done total={total} seen=300 drained={drained}"));
    let grid: u64 = (0..5).flat_map(|row| (0..3).map(move |col| row * 10 + col)).sum();
    hb.wait_for("the nested loops' result", |l| l == format!("main: grid={grid}"));
    hb.wait_for("the end", |l| l.starts_with("program exited with status 0"));
    assert!(hb.finish().success());
}
