//! Nobody else reaches a session, nothing leaks to children, the user's
//! files are never written, and a dying tool never leaves the program stuck.

mod support;

use cargo_hotbreak::{Debuggee, Patcher};
use hotbreak_rewriter::Breakpoint;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{fixture_host, line_of, workspace, Fixture, LOGIC_RS};

#[test]
fn the_socket_is_private_and_the_session_is_not_inherited() {
    let (dbg, mut program) = Fixture::launch(fixture_host());
    let mode = std::fs::metadata(dbg.socket_dir()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "socket dir mode {mode:o}");
    assert_eq!(program.send("child-env"), "child=unset/unset own=unset");
}

#[test]
fn a_process_with_the_wrong_token_is_refused() {
    // Connects to the session socket like an agent would, with a forged token.
    let impostor = r#"
import json, os, socket
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["HOTBREAK_SOCKET"])
hello = {"type": "hello", "token": "forged", "pid": os.getpid(), "build_id": "", "anchor": 0, "functions": []}
s.sendall((json.dumps(hello) + "\n").encode())
s.recv(1)
"#;
    let mut command = Command::new("python3");
    command.args(["-c", impostor]);
    let err = Debuggee::launch(command).err().expect("must be refused").to_string();
    assert_eq!(err, "the connecting process presented a wrong session token");
}

/// Every file of the example crates, by path, with its bytes.
fn snapshot(dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            snapshot(&path, out);
        } else {
            out.insert(path.display().to_string(), std::fs::read(&path).unwrap());
        }
    }
}

#[test]
fn a_session_with_patches_and_breakpoints_never_writes_the_users_files() {
    let mut before = BTreeMap::new();
    snapshot(&workspace().join("examples"), &mut before);
    let host = fixture_host();
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/untouched")).unwrap();
    let (mut dbg, mut program) = Fixture::launch(host);
    let step = line_of(LOGIC_RS, "fn step(");
    patcher.replace_function(&mut dbg, LOGIC_RS, step, "fn step(round: u32) -> String {\n    format!(\"new {round}\")\n}").unwrap();
    assert!(program.send("call 1").starts_with("new 1 |"));
    let line = line_of(LOGIC_RS, "stats.total += square;");
    let bp = Breakpoint { id: 1, line, condition: Some("i == 2".into()), ..Breakpoint::default() };
    patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bp]).unwrap();
    program.post("acc 3");
    let stop = dbg.wait_stop(Duration::from_secs(120)).unwrap();
    dbg.resume(stop.stop, hotbreak::protocol::Resume::Continue).unwrap();
    assert_eq!(program.answer(), "acc(3) = 28");
    let mut after = BTreeMap::new();
    snapshot(&workspace().join("examples"), &mut after);
    assert!(before == after, "files under examples/ changed");
}

#[test]
fn killing_the_tool_while_a_thread_is_paused_lets_the_program_go_on() {
    let at = line_of("examples/ticker/src/main.rs", "history.push(total);");
    let state = workspace().join("target/hotbreak/test-state/killed");
    let _ = std::fs::remove_dir_all(&state);
    let mut tool = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .args(["run", "-p", "ticker", "--batch", "--", "1000000"])
        .current_dir(workspace())
        .env("HOTBREAK_STATE", &state)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = tool.stdin.take().unwrap();
    writeln!(stdin, "break ticker/src/main.rs:{at}\ncontinue").unwrap();
    // The program shares the tool's stdout: read both until the stop.
    let mut out = BufReader::new(tool.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("stopped (breakpoint 1)") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the tool ended before the stop");
    }
    tool.kill().unwrap();
    tool.wait().unwrap();
    // The paused thread is released and the program ticks on natively.
    let mut ticks = Vec::new();
    while ticks.len() < 3 {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the program stopped printing");
        if line.starts_with("tick ") {
            ticks.push(line.trim().to_string());
        }
    }
    assert_eq!(ticks[0], "tick 1 total 3");
    assert_eq!(ticks[2], "tick 3 total 9");
    // Closing our end of its stdout ends the orphaned program at its next
    // tick (a write to a closed pipe fails and `println!` panics).
    drop(stdin);
    drop(out);
}

#[test]
fn a_patch_for_another_build_is_refused() {
    let host = fixture_host();
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/stale")).unwrap();
    let prepared = patcher.prepare(LOGIC_RS, line_of(LOGIC_RS, "fn step("), "fn step(round: u32) -> String {\n    format!(\"x{round}\")\n}").unwrap();
    let other = cargo_hotbreak::HostBuild::build(&support::config(), &["-p", "ticker"], "ticker").unwrap();
    let mut command = Command::new(&other.executable);
    command.arg("1000000").stdout(Stdio::null());
    let mut dbg = Debuggee::launch(command).unwrap();
    let err = patcher.apply(&prepared, &mut dbg).unwrap_err().to_string();
    assert!(err.starts_with("refusing a stale patch: it was built for "), "{err}");
    dbg.child.kill().unwrap();
    dbg.child.wait().unwrap();
}

#[test]
fn the_runtime_loads_no_library_others_could_have_written() {
    let host = fixture_host();
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/perms")).unwrap();
    let (mut dbg, mut program) = Fixture::launch(host);
    let applied = patcher.replace_function(&mut dbg, LOGIC_RS, line_of(LOGIC_RS, "fn step("), "fn step(round: u32) -> String {\n    format!(\"y{round}\")\n}").unwrap();
    assert!(program.send("call 1").starts_with("y1 |"));
    let dir = host.config.hotbreak_dir.join("test-work/perms-open");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("patch.so");
    std::fs::copy(&applied.library, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = dbg.load_patch(&copy, "any").unwrap_err().to_string();
    assert!(err.contains("writable by others (mode 666)"), "{err}");
}
