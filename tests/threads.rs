//! Breakpoints and log points hit by many threads at once.

mod support;

use cargo_hotbreak::Patcher;
use hotbreak::protocol::Resume;
use hotbreak_rewriter::Breakpoint;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use support::{fixture_host, line_of, Fixture, LOGIC_RS};

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn every_thread_that_hits_a_breakpoint_is_reported_and_resumed_on_its_own() {
    let host = fixture_host();
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/crowd")).unwrap();
    let (mut dbg, mut program) = Fixture::launch(host);
    let line = line_of(LOGIC_RS, "sum += i ^ thread;");
    let bp = Breakpoint { id: 1, line, condition: Some("i == 0".into()), ..Breakpoint::default() };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bp]).unwrap();
    program.post("threads-tally 3");
    // All eight stop (each pauses only itself); the others may still run.
    let mut stops = Vec::new();
    while stops.len() < 8 {
        stops.push(dbg.wait_stop(LIMIT).unwrap());
    }
    let threads: BTreeSet<u64> = stops.iter().map(|s| s.thread).collect();
    assert_eq!(threads.len(), 8, "eight distinct threads stopped");
    // Each stopped thread answers for its own frame, in any order.
    let mut seen = BTreeSet::new();
    for stop in stops.iter().rev() {
        let vars = dbg.locals(stop.stop).unwrap();
        let thread = vars.iter().find(|v| v.name == "thread").unwrap().value.clone();
        assert!(seen.insert(thread), "each stop shows its own thread's locals");
        dbg.resume(stop.stop, Resume::Continue).unwrap();
    }
    let expected: Vec<u32> = (0..8u32).map(|t| (0..3u32).map(|i| i ^ t).sum()).collect();
    assert_eq!(program.answer(), format!("tallies={expected:?}"));
}

#[test]
fn a_log_point_hit_thousands_of_times_by_eight_threads_loses_nothing() {
    let host = fixture_host();
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/storm")).unwrap();
    let (mut dbg, mut program) = Fixture::launch(host);
    let line = line_of(LOGIC_RS, "sum += i ^ thread;");
    let bp = Breakpoint { id: 1, line, log: Some("{thread} {i}".into()), ..Breakpoint::default() };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bp]).unwrap();
    let per_thread = 1000;
    assert_eq!(program.send(&format!("threads-tally {per_thread}")).split('=').next(), Some("tallies"));
    let mut by_thread: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for _ in 0..8 * per_thread {
        let log = dbg.wait_log(LIMIT).unwrap();
        let (t, i) = log.text.split_once(' ').unwrap();
        by_thread.entry(t.parse().unwrap()).or_default().push(i.parse().unwrap());
    }
    assert_eq!(by_thread.len(), 8);
    for (t, seq) in by_thread {
        assert_eq!(seq, (0..per_thread).collect::<Vec<u32>>(), "thread {t}: every message, in order");
    }
}
