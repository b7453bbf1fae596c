//! `cargo hotbreak` as a user drives it: a subprocess fed a script on stdin
//! (`--batch`), against the bundled examples.

mod support;

use std::process::Command;
use support::{assert_in_order, fresh_state, hotbreak, line_of, workspace};

const TICKER: &str = "examples/ticker/src/main.rs";

#[test]
fn a_batch_session_stops_inspects_steps_watches_and_toggles() {
    let state = fresh_state("session");
    let at = line_of(TICKER, "let total = scale(reading.step);");
    let factor = line_of(TICKER, "let factor = 3;");
    let script = format!(
        "break ticker/src/main.rs:{at}\ncontinue\nlocals\nprint reading.origin\nprint reading.tags[0]\nstep\nnext\nfinish\nnext\n\
         watch reading.step * 10\ncontinue\ndisable 1\nbreak scale hits 3\ncontinue\nprint x\nenable 1\ncontinue\ninfo breakpoints\nbacktrace\nthreads\nquit\n"
    );
    let run = hotbreak(&["run", "-p", "ticker", "--batch", "--", "1000000"], &script, &state);
    let out = &run.stdout;
    assert!(run.success, "{out}\n{}", run.stderr);
    assert_in_order(
        out,
        &[
            "started ticker (pid ",
            &format!("breakpoint 1 at {TICKER}:{at} in `tick`: armed in "),
            &format!("stopped (breakpoint 1) at {TICKER}:{at} in `tick`"),
            &format!("{at:>5} |     let total = scale(reading.step);"),
            "step: u64 = 1\nhistory: &mut alloc::vec::Vec<u64> = []\nreading: ticker::Reading = Reading { step: 1, value: 1.5, tags: [\"t1\"], origin: Point { x: 1, y: -1 } }",
            "reading.origin = Point { x: 1, y: -1 }\n  x: 1\n  y: -1",
            "reading.tags[0] = \"t1\"",
            // step enters the callee, next moves within it, finish shows the value.
            &format!("stopped (step) at {TICKER}:{factor} in `scale`"),
            &format!("stopped (step) at {TICKER}:{} in `scale`", factor + 1),
            &format!("stopped (returned 3) at {TICKER}:{} in `scale`", factor + 1),
            // Stepping out lands on the caller's next statement.
            &format!("stopped (step) at {TICKER}:{} in `tick`", at + 1),
            "watching `reading.step * 10` in `tick`",
            "tick 1 total 3",
            &format!("stopped (breakpoint 1) at {TICKER}:{at} in `tick`"),
            "watch reading.step * 10 = 20",
            "breakpoint 1 disabled",
            &format!("breakpoint 2 at {TICKER}:{factor} in `scale`: armed in "),
            // Breakpoint 1 is off: ticks run natively until scale's 3rd hit.
            "tick 2 total 6",
            "tick 3 total 9",
            &format!("stopped (breakpoint 2) at {TICKER}:{factor} in `scale`"),
            "x: u64 = 4",
            "breakpoint 1 enabled",
            "tick 4 total 12",
            &format!("stopped (breakpoint 1) at {TICKER}:{at} in `tick`"),
            "watch reading.step * 10 = 50",
            &format!("1 {TICKER}:{at} enabled armed\n2 {TICKER}:{factor} enabled armed hits = 3"),
            "#0 ticker::tick (",
            "#1 ticker::main (",
            "* 1 tid ",
            &format!("ticker: stopped at {TICKER}:{at} in tick"),
            "hotbreak-agent: running",
            "program killed",
        ],
    );
    assert!(!out.contains("tick 5 total"), "the program must still be stopped at step 5 when killed");
    assert!(!out.contains("__hotbreak_native"), "the backtrace names debug-build shims' bodies by their function");
}

#[test]
fn json_lines_for_tools() {
    let state = fresh_state("json");
    let at = line_of(TICKER, "history.push(total);");
    let script = format!("break ticker/src/main.rs:{at} log \"total={{total}}\"\nbreak ticker/src/main.rs:{at} if step == 2\ncontinue\nlocals\nquit\n");
    let run = hotbreak(&["run", "-p", "ticker", "--batch", "--json", "--", "1000000"], &script, &state);
    let events: Vec<serde_json::Value> =
        run.stdout.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect();
    // The program's own output comes as `output` events, apart from the session's.
    let (output, events): (Vec<serde_json::Value>, Vec<serde_json::Value>) = events.into_iter().partition(|e| e["event"] == "output");
    assert!(output.iter().any(|e| e["stream"] == "stdout" && e["text"] == "tick 1 total 3\n"), "{}", run.stdout);
    let kinds: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["started", "building", "armed", "building", "armed", "log", "log", "stopped", "locals", "info"], "{}", run.stdout);
    assert_eq!(events[1]["function"], "tick");
    assert_eq!(events[5]["text"], "total=3");
    assert_eq!(events[6]["text"], "total=6");
    assert_eq!((events[7]["line"].as_u64(), events[7]["breakpoint"].as_u64()), (Some(at as u64), Some(2)));
    let vars = events[8]["vars"].as_array().unwrap();
    assert_eq!(vars[0]["name"], "step");
    assert_eq!(vars[0]["value"], "2");
}

#[test]
fn breakpoints_persist_and_follow_their_text() {
    let state = fresh_state("persist");
    let at = line_of(TICKER, "history.push(total);");
    let first = hotbreak(&["run", "-p", "ticker", "--batch", "--", "1000000"], &format!("break ticker/src/main.rs:{at} if step == 3\nquit\n"), &state);
    assert!(first.stdout.contains(&format!("breakpoint 1 at {TICKER}:{at} in `tick`: armed in ")), "{}", first.stdout);

    let second = hotbreak(&["run", "-p", "ticker", "--batch", "--", "1000000"], "continue\nprint step\nquit\n", &state);
    assert_in_order(&second.stdout, &[&format!("breakpoint 1 at {TICKER}:{at} in `tick`: armed in "), "tick 2 total 6", "stopped (breakpoint 1)", "step: u64 = 3"]);

    // The source moved (as if lines were added above): the saved line is
    // wrong, the saved text finds it again.
    let saved = workspace().join("target/hotbreak/test-state").join(&state).join("breakpoints.json");
    let text = std::fs::read_to_string(&saved).unwrap();
    std::fs::write(&saved, text.replace(&format!("\"line\": {at}"), &format!("\"line\": {}", at - 3))).unwrap();
    let third = hotbreak(&["run", "-p", "ticker", "--batch", "--", "1000000"], "continue\nquit\n", &state);
    assert_in_order(&third.stdout, &[&format!("breakpoint 1 at {TICKER}:{at} in `tick`: armed in "), &format!("(moved from line {}: the source changed)", at - 3), "stopped (breakpoint 1)"]);
}

#[test]
fn test_mode_stops_inside_a_test_function() {
    let state = fresh_state("test-mode");
    let at = line_of(TICKER, "let expected = vec![9, 12, 15];");
    let script = format!("break ticker/src/main.rs:{at}\ncontinue\nprint history\ncontinue\n");
    let run = hotbreak(&["test", "-p", "ticker", "--batch", "ticks_keep"], &script, &state);
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_in_order(
        &run.stdout,
        &[
            &format!("breakpoint 1 at {TICKER}:{at} in `ticks_keep_the_last_three`: armed in "),
            &format!("stopped (breakpoint 1) at {TICKER}:{at} in `ticks_keep_the_last_three`"),
            "history: alloc::vec::Vec<u64> = [9, 12, 15]",
            "test result: ok. 1 passed",
            "program exited with status 0",
        ],
    );
}

#[test]
fn wrong_input_gets_a_clear_message_and_the_session_goes_on() {
    let state = fresh_state("errors");
    let at = line_of(TICKER, "history.push(total);");
    let macro_line = line_of(TICKER, "$e * 2");
    let script = format!(
        "frobnicate\nlocals\nbreak nowhere.rs:3\nbreak ticker/src/main.rs:2\nbreak ticker/src/main.rs:{}\nbreak ticker/src/main.rs:{at} if no_such_local > 1\nbreak ticker/src/main.rs:{at} log \"{{oops\"\nbreak no_such_fn\nbreak ticker/src/main.rs:9999\nbreak ticker/src/main.rs:{macro_line}\nbreak examples/ticker/build.rs:4\ninfo breakpoints\nnext\ncontinue\nlocals\nbreak ticker/src/main.rs:{at}\n",
        at + 5
    );
    let run = hotbreak(&["run", "-p", "ticker", "--batch", "--", "3"], &script, &state);
    assert_in_order(
        &run.stdout,
        &[
            "error: unknown command `frobnicate` (type `help`)",
            "error: no thread is stopped (the program is running): `continue` waits for the next stop",
            "error: unknown file `nowhere.rs` (files with debuggable code: examples/ticker/src/main.rs)",
            &format!("error: {TICKER}:2: line 2 is not inside a function"),
            &format!("error: {TICKER}:{}: no statement starts at line {}; the nearest line with one is", at + 5, at + 5),
            &format!("error: {TICKER}:{at}: the breakpoint's expression does not compile: cannot find value `no_such_local` in this scope"),
            &format!("error: {TICKER}:{at}: log text of the breakpoint at line {at}: unclosed `{{` at column 1"),
            "error: no debuggable function named `no_such_fn`",
            &format!("error: {TICKER}:9999: the file has only "),
            &format!("error: {TICKER}:{macro_line}: line {macro_line} is in the body of `macro_rules! twice`, which is expanded where it is used: break on a line that uses `twice!`"),
            "error: examples/ticker/build.rs:4: a build script runs while cargo builds, not in the program",
            "no breakpoints",
            "(hb) next",
            "error: no thread is stopped",
            // The program runs to its end; later commands say so.
            "done after 3 ticks",
            "program exited with status 0",
            "(hb) locals",
            "error: the program has exited",
            "(hb) break",
            "error: the program has exited",
        ],
    );

    let help = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak")).args(["hotbreak", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert_in_order(&help, &["Usage: cargo hotbreak <COMMAND>", "run", "test", "demo"]);
    let run_help = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak")).args(["run", "--help"]).output().unwrap();
    let run_help = String::from_utf8_lossy(&run_help.stdout);
    assert_in_order(&run_help, &["--bin <NAME>", "--example <NAME>", "--package <SPEC>", "--features <FEATURES>", "--release", "--script <FILE>", "--batch", "--json"]);
}
