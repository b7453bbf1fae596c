//! `catch panic`: a panicking thread stops before it unwinds, the others
//! run on, and `continue` lets the panic go on as it would have without the
//! tool. Driven through `cargo hotbreak run --batch` against
//! `examples/panics` (which knows nothing of hotbreak) and a tiny program
//! misusing a crate from crates.io.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use hotbreak::protocol::{CatchMode, Resume, StopReason};
use std::time::Duration;
use support::{assert_in_order, fixture_host, fresh_state, workspace, Driver, Fixture};

const MAIN_RS: &str = "examples/panics/src/main.rs";

/// `file:line:col` of the first `needle` in the example.
fn at(needle: &str) -> String {
    let text = std::fs::read_to_string(workspace().join(MAIN_RS)).unwrap();
    let (line, col) = text.lines().enumerate().find_map(|(i, l)| l.find(needle).map(|c| (i + 1, c + 1))).unwrap_or_else(|| panic!("{needle:?} not in {MAIN_RS}"));
    format!("{MAIN_RS}:{line}:{col}")
}

fn divide() -> String {
    at("total / samples.len()")
}

fn expect() -> String {
    at("expect(\"a level")
}

fn state_dir(name: &str) -> PathBuf {
    workspace().join("target/hotbreak/test-state").join(fresh_state(name))
}

/// `cargo hotbreak ARGS` in the workspace with `script` on stdin and
/// `RUST_BACKTRACE=1` (the default hook's short backtrace is part of what
/// must not change).
fn hotbreak(args: &[&str], script: &str, state: &str) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .args(args)
        .current_dir(workspace())
        .env("HOTBREAK_STATE", state_dir(state))
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// std names a panicking thread with its OS id, `thread 'worker' (4321)`:
/// another number each run.
fn without_thread_ids(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        match line.split_once("' (").and_then(|(head, rest)| rest.split_once(") panicked at ").map(|(_, tail)| (head, tail))) {
            Some((head, tail)) => out.push_str(&format!("{head}' (N) panicked at {tail}")),
            None => out.push_str(line),
        }
    }
    out
}

#[test]
fn a_worker_panic_stops_before_unwinding_while_main_runs_on() {
    let state = state_dir("panic-worker");
    let mut tool = Driver::start_with(workspace(), &["-p", "panics"], &["worker"], &state);
    tool.send("catch panic");
    tool.wait_for("the catch answer", |l| l.contains("catching every panic"));
    tool.send("continue");
    let stop = tool.wait_for("the panic stop", |l| l.contains("stopped: panic at"));
    assert!(stop.ends_with(&format!("stopped: panic at {} in thread 'worker': attempt to divide by zero", divide())), "{stop}");
    tool.wait_for("the source line", |l| l.contains("|     total / samples.len() as u32"));
    // Stopped before unwinding, in the hook: the main thread goes on
    // printing meanwhile (these lines come after the stop was shown).
    let first = tool.wait_for("a tick of main while the worker is stopped", |l| l.starts_with("main: tick"));
    let second = tool.wait_for("another tick", |l| l.starts_with("main: tick"));
    assert_ne!(first, second);
    tool.send("backtrace");
    let top = tool.wait_for("the backtrace", |l| l.contains("#0 "));
    assert!(top.contains("#0 panics::mean (") && top.contains("main.rs:12:5)"), "the panicking function comes first: {top}");
    let caller = tool.wait_for("its caller", |l| l.starts_with("#1 "));
    assert!(caller.contains("panics::worker") && caller.contains("{closure#0}"), "{caller}");
    tool.send("threads");
    tool.wait_for("the stopped worker", |l| l.contains("worker: stopped at examples/panics/src/main.rs:12 in panic"));
    // The panicking frame's locals come from debug info; running code
    // there is refused: a panic of the expression inside the hook would
    // abort the program.
    tool.send("locals");
    tool.wait_for("the panicking frame's argument", |l| l.starts_with("samples: "));
    tool.send("print samples.len()");
    tool.wait_for("an error: no code runs at a panic stop", |l| l.contains("error:") && l.contains("panic stop"));
    tool.send("next");
    tool.wait_for("stepping refused", |l| l.contains("error: `next` cannot step a panicking thread"));
    tool.send("continue");
    tool.wait_for("the program's end", |l| l.contains("program exited with status 101"));
    assert!(tool.seen.iter().all(|l| !l.contains("hotbreak::debug")), "the tool's frames never show:\n{}", tool.seen.join("\n"));
    assert!(tool.finish().success());
}

#[test]
fn continue_lets_the_panic_end_the_program_as_it_would_without_the_tool() {
    let (stdout, stderr) = hotbreak(&["hotbreak", "run", "-p", "panics", "--batch", "--", "worker"], "catch panic\ncontinue\ncontinue\n", "panic-native");
    assert_in_order(&stdout, &[&format!("stopped: panic at {} in thread 'worker'", divide()), "program exited with status 101"]);
    // The same executable, run plainly: no tool, so no hook of ours.
    let plain = Command::new(workspace().join("target/hotbreak/build/debug/panics")).arg("worker").env("RUST_BACKTRACE", "1").output().unwrap();
    assert_eq!(plain.status.code(), Some(101));
    let plain_stderr = without_thread_ids(&String::from_utf8_lossy(&plain.stderr));
    assert!(plain_stderr.contains("attempt to divide by zero\nstack backtrace:"), "{plain_stderr}");
    // The tool's stderr is cargo's build output, then the program's.
    assert!(without_thread_ids(&stderr).ends_with(&plain_stderr), "under the tool:\n{stderr}\nplain:\n{plain_stderr}");
}

fn caught_and_uncaught(release: bool) {
    let profile: &[&str] = if release { &["--release"] } else { &[] };
    let args = |mode: &'static str| [&["hotbreak", "run", "-p", "panics"][..], profile, &["--batch", "--", mode]].concat();
    let tag = if release { "-release" } else { "" };
    // Every panic: the two caught ones, then the one that ends `main`.
    let (all, _) = hotbreak(&args("caught"), "catch panic\ncontinue\ncontinue\ncontinue\ncontinue\n", &format!("panic-all{tag}"));
    assert_in_order(
        &all,
        &[
            &format!("stopped: panic at {} in thread 'main': attempt to divide by zero", divide()),
            "recovered from an empty batch: true",
            &format!("stopped: panic at {} in thread 'careful': a level is a number", expect()),
            "careful thread recovered: true",
            &format!("stopped: panic at {} in thread 'main': a level is a number", expect()),
            "program exited with status 101",
        ],
    );
    // Only what no catch_unwind catches: the last one.
    let (uncaught, _) = hotbreak(&args("caught"), "catch panic uncaught\ncontinue\nbacktrace\ncontinue\n", &format!("panic-uncaught{tag}"));
    assert_in_order(
        &uncaught,
        &["recovered from an empty batch: true", "careful thread recovered: true", &format!("stopped: panic at {} in thread 'main': a level is a number", expect()), "#0 panics::", "program exited with status 101"],
    );
    assert_eq!(uncaught.matches("stopped: panic").count(), 1, "{uncaught}");
    // A thread that ends with its panic is uncaught too.
    let (worker, _) = hotbreak(&args("worker"), "catch panic uncaught\ncontinue\ncontinue\n", &format!("panic-worker-uncaught{tag}"));
    assert_in_order(&worker, &[&format!("stopped: panic at {} in thread 'worker': attempt to divide by zero", divide()), "program exited with status 101"]);
}

#[test]
fn catch_unwind_panics_stop_with_catch_panic_and_not_with_uncaught() {
    caught_and_uncaught(false);
}

/// Release builds inline `catch_unwind` and have no debug info: the
/// decision reads the unwind tables, not frame names.
#[test]
fn catch_panic_uncaught_in_a_release_build() {
    caught_and_uncaught(true);
}

#[test]
fn catch_takes_only_panic_and_the_setting_survives_run_and_sessions() {
    let script = "catch foo\ncatch panic sometimes\ncatch\ncatch panic\ncontinue\nrun\ncontinue\nquit\n";
    let (out, _) = hotbreak(&["hotbreak", "run", "-p", "panics", "--batch", "--", "worker"], script, "panic-setting");
    let stop = format!("stopped: panic at {} in thread 'worker'", divide());
    assert_in_order(
        &out,
        &[
            "error: cannot catch `foo`: the event to catch is `panic` (catch panic, catch panic uncaught, catch off)",
            "error: `catch panic` takes `uncaught` or nothing, got `sometimes`",
            "not catching panics",
            "catching every panic",
            &stop,
            // `run`: a new process, caught the same.
            "program killed by signal",
            "started panics",
            "catching every panic",
            &stop,
        ],
    );
    // A new session of the same workspace starts catching; `catch off` is saved too.
    let (again, _) = hotbreak(&["hotbreak", "run", "-p", "panics", "--batch", "--", "worker"], "catch\ncatch off\ncontinue\n", "panic-setting-again");
    assert!(!again.contains("stopped: panic"), "a fresh state dir catches nothing:\n{again}");
    let saved = workspace().join("target/hotbreak/test-state/panic-setting/catch.json");
    assert!(std::fs::read_to_string(&saved).unwrap().contains("\"all\""), "saved beside the breakpoints");
    let mut resumed = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"));
    resumed.args(["hotbreak", "run", "-p", "panics", "--batch", "--", "worker"]).current_dir(workspace()).env("HOTBREAK_STATE", saved.parent().unwrap());
    let out = run_script(resumed, "catch\ncontinue\ncatch off\ncontinue\n");
    assert_in_order(&out, &["catching every panic", &stop, "not catching panics", "program exited with status 101"]);
    assert!(std::fs::read_to_string(&saved).unwrap().contains("\"off\""));
}

fn run_script(mut command: Command, script: &str) -> String {
    use std::io::Write;
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn json_stop_events_carry_the_panic() {
    let (out, _) = hotbreak(&["hotbreak", "run", "-p", "panics", "--batch", "--json", "--", "worker"], "catch panic uncaught\ncontinue\ncontinue\n", "panic-json");
    let events: Vec<serde_json::Value> = out.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    let catching = events.iter().find(|e| e["event"] == "catching").unwrap_or_else(|| panic!("{out}"));
    assert_eq!(catching["panic"], "uncaught");
    let stop = events.iter().find(|e| e["event"] == "stopped").unwrap_or_else(|| panic!("{out}"));
    assert_eq!((stop["reason"].as_str(), stop["thread_name"].as_str()), (Some("panic"), Some("worker")));
    assert_eq!(stop["panic"]["message"], "attempt to divide by zero");
    let location = format!("{}:{}:{}", stop["panic"]["file"].as_str().unwrap(), stop["panic"]["line"], stop["panic"]["column"]);
    assert_eq!(location, divide());
}

/// A crate nobody here wrote, misused as its documentation says panics:
/// `Bytes::slice` past the end. The program is as a new user writes it,
/// in a crate of its own, debugged with no change.
#[test]
fn a_panic_inside_a_crate_from_crates_io_stops_at_its_line() {
    let dir = workspace().join("target/hotbreak/test-crates/panics-bytes");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = "[package]\nname = \"panics-bytes\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nbytes = \"=1.12.2\"\n\n[workspace]\n";
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let main_rs = "use bytes::Bytes;\n\nfn header(packet: &Bytes) -> Bytes {\n    packet.slice(0..10)\n}\n\nfn main() {\n    let packet = Bytes::from_static(b\"short\");\n    println!(\"header {:?}\", header(&packet));\n}\n";
    std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"));
    command.args(["hotbreak", "run", "--batch"]).current_dir(&dir).env("CARGO_TARGET_DIR", workspace().join("target")).env("HOTBREAK_STATE", dir.join("state"));
    let out = run_script(command, "catch panic uncaught\ncontinue\nbacktrace\nup\nlocals\ncontinue\n");
    let stop = out.lines().find(|l| l.contains("stopped: panic at")).unwrap_or_else(|| panic!("no panic stop:\n{out}"));
    // The location is the crate's own source, as std reports it: `range`
    // is `#[track_caller]`, so its caller's line in `Bytes::slice`.
    let (file, rest) = stop.split_once("stopped: panic at ").unwrap().1.split_once(':').unwrap();
    assert!(Path::new(file).ends_with("bytes-1.12.2/src/bytes.rs"), "{stop}");
    let text = std::fs::read_to_string(file).unwrap();
    let (line, column) = text.lines().enumerate().find_map(|(i, l)| l.find("crate::range(range, self.len())").map(|c| (i + 1, c + 1))).unwrap();
    assert!(rest.starts_with(&format!("{line}:{column} in thread 'main': range end out of bounds: 10 <= 5")), "{stop}");
    assert_in_order(&out, &["#0 bytes::bytes::Bytes::slice (", &format!("bytes.rs:{line}:{column})"), "#1 panics_bytes::header", "#2 panics_bytes::main", "program exited with status 101"]);
    // `up` into the caller that passed the short packet: its argument, from
    // debug info (`Bytes` has `Debug`, but the native frame is read as data).
    let packet = out.lines().find(|l| l.starts_with("packet: ")).unwrap_or_else(|| panic!("no caller's locals:\n{out}"));
    assert!(packet.contains("len: 5"), "{packet}");
}

/// The fixture sets its own panic hook first thing in `main` (it records
/// the last panic), inside which `risky 13` panics under `catch_unwind`.
#[test]
fn the_hook_chains_the_programs_own_and_steps_aside_when_the_tool_goes() {
    let limit = Duration::from_secs(60);
    let caught = "caught panic: unlucky 13 @ examples/fixture/src/logic.rs:58";
    // Catching from before `main`: the program's `set_hook` then replaces
    // ours, and its panics are not caught...
    let (mut dbg, mut fx) = Fixture::launch_after(fixture_host(), |dbg| dbg.set_catch(CatchMode::All, Vec::new()).unwrap());
    assert_eq!(fx.send("risky 13"), caught);
    // ...until `catch panic` again wraps the hook in place.
    dbg.set_catch(CatchMode::All, Vec::new()).unwrap();
    fx.post("risky 13");
    let stop = dbg.wait_stop(limit).unwrap();
    match &stop.reason {
        StopReason::Panic { message, file, line, .. } => assert_eq!((message.as_str(), file.as_str(), *line), ("unlucky 13", "examples/fixture/src/logic.rs", 58)),
        other => panic!("{other:?}"),
    }
    assert!(dbg.backtrace(stop.stop).unwrap()[0].starts_with("fixture::logic::risky ("));
    assert!(dbg.locals(stop.stop).unwrap().is_empty(), "a panic stop has no locals of its own");
    // On resume the program's own hook runs, then the unwinding into its
    // catch_unwind: what it answers is what it would have answered.
    dbg.resume(stop.stop, Resume::Continue).unwrap();
    assert_eq!(fx.answer(), caught);
    // Off: no stop.
    dbg.set_catch(CatchMode::Off, Vec::new()).unwrap();
    assert_eq!(fx.send("risky 13"), caught);
    // On, then the tool goes: no stop, the program's hook as before.
    dbg.set_catch(CatchMode::All, Vec::new()).unwrap();
    dbg.disconnect();
    assert_eq!(fx.next_error_line(), "hotbreak: debugger disconnected; native code restored");
    assert_eq!(fx.send("risky 13"), caught);
    assert_eq!(fx.send("call 1").split(' ').next(), Some("native"));
    let _ = dbg.child.kill();
}

/// `panic = "abort"`: `catch_unwind` catches nothing, so every panic is
/// uncaught; `continue` lets it abort as it would have.
#[test]
fn in_a_panic_abort_build_every_panic_is_uncaught() {
    let dir = workspace().join("target/hotbreak/test-crates/panics-abort");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = "[package]\nname = \"panics-abort\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[profile.dev]\npanic = \"abort\"\n\n[workspace]\n";
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let main_rs = "fn check(n: u32) -> u32 {\n    assert!(n < 3, \"too big: {n}\");\n    n\n}\n\nfn main() {\n    let r = std::panic::catch_unwind(|| check(7));\n    println!(\"never printed {r:?}\");\n}\n";
    std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"));
    command.args(["hotbreak", "run", "--batch"]).current_dir(&dir).env("CARGO_TARGET_DIR", workspace().join("target")).env("HOTBREAK_STATE", dir.join("state"));
    let out = run_script(command, "catch panic uncaught\ncontinue\ncontinue\n");
    assert_in_order(&out, &["stopped: panic at src/main.rs:2:5 in thread 'main': too big: 7", "program killed by signal 6"]);
    assert!(!out.contains("never printed"), "{out}");
}

/// An evaluated expression's panic is its answer, never a panic stop.
#[test]
fn a_panicking_expression_at_a_breakpoint_does_not_stop_as_a_panic() {
    let line = divide().split(':').nth(1).unwrap().to_string();
    let script = format!("catch panic\nbreak {MAIN_RS}:{line}\ncontinue\nprint samples[99]\nprint samples.len() * 10\nquit\n");
    let (out, _) = hotbreak(&["hotbreak", "run", "-p", "panics", "--batch", "--", "serve"], &script, "panic-eval");
    assert_in_order(&out, &[&format!("stopped (breakpoint 1) at {MAIN_RS}:{line} in `mean`"), "the expression panicked: index out of bounds", "samples.len() * 10: usize = 20", "program killed"]);
    assert!(!out.contains("stopped: panic"), "{out}");
}

/// libtest runs each test inside a `__rust_begin_short_backtrace` of its
/// own, under its `catch_unwind`: a failing test is uncaught, a panic the
/// test itself catches is not.
#[test]
fn a_failing_test_is_an_uncaught_panic() {
    let dir = workspace().join("target/hotbreak/test-crates/panics-tests");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"panics-tests\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n").unwrap();
    let lib_rs = "pub fn half(n: u32) -> u32 {\n    n / 2\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn recovers() {\n        assert!(std::panic::catch_unwind(|| super::half(3) == 7 || panic!(\"inner\")).is_err());\n    }\n\n    #[test]\n    fn fails() {\n        assert_eq!(super::half(3), 7);\n    }\n}\n";
    std::fs::write(dir.join("src/lib.rs"), lib_rs).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"));
    command
        .args(["hotbreak", "test", "--batch", "--", "--test-threads=1"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", workspace().join("target"))
        .env("HOTBREAK_STATE", dir.join("state"));
    let out = run_script(command, "catch panic uncaught\ncontinue\nbacktrace\ncontinue\n");
    // libtest runs them in name order: `fails`, then `recovers`.
    assert_in_order(
        &out,
        &["stopped: panic at src/lib.rs:14:9 in thread 'tests::fails': assertion `left == right` failed", "#0 panics_tests::tests::fails (", "FAILED", "test tests::recovers ... ok", "program exited with status 101"],
    );
    assert_eq!(out.matches("stopped: panic").count(), 1, "{out}");
}
