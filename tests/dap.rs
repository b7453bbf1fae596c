//! `cargo hotbreak dap` driven by a DAP client nobody here wrote (VS
//! Code's `@vscode/debugadapter-testsupport`, `tests/dap/session.js`), and
//! by raw messages with bad input.

mod support;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use support::{fresh_state, scratch_crate_with, workspace};

fn state_dir(name: &str) -> std::path::PathBuf {
    workspace().join("target/hotbreak/test-state").join(fresh_state(name))
}

/// The npm packages of `tests/dap` (`.ci/run` installs them first; a
/// plain `cargo test` installs them from the lock file when missing).
fn node_packages() -> &'static Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    // Once per test binary: two `npm ci` in one folder at once collide.
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dap");
        if !dir.join("node_modules/@vscode/debugadapter-testsupport").is_dir() {
            let status = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).status().expect("npm (Node.js) is needed for the DAP tests");
            assert!(status.success(), "npm ci in tests/dap failed");
        }
        dir
    })
}

/// One session at a time: each builds and runs programs, and the machine
/// is small.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs one of `tests/dap/*.js`; it prints its steps and `1 passed`.
fn node_script(script: &str, state: &str, scratch: Option<&Path>) {
    let _turn = one_at_a_time();
    let dir = node_packages();
    let mut node = Command::new("node");
    node.arg(dir.join(script))
        .env("HOTBREAK_BIN", env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .env("HOTBREAK_WORKSPACE", workspace())
        .env("HOTBREAK_STATE", state_dir(state))
        .env("CARGO_TARGET_DIR", workspace().join("target"));
    if let Some(scratch) = scratch {
        node.env("HOTBREAK_SCRATCH", scratch);
    }
    let out = node.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(": 1 passed, 0 failed"), "{stdout}");
}

#[test]
fn vscode_test_client_debugs_the_ticker_from_launch_to_exit() {
    node_script("session.js", "dap-session", None);
}

#[test]
fn vscode_test_client_stops_on_entry_edits_restarts_terminates_and_catches_a_panic() {
    // `main` marked too: a crate that depends on hotbreak debugs only what
    // it marks, and `stopOnEntry` stops in `main`.
    let ticker = std::fs::read_to_string(workspace().join("examples/ticker/src/main.rs")).unwrap();
    let scratch = scratch_crate_with("dap-edit", &ticker.replace("\nfn main() {", "\n#[hotbreak::debuggable]\nfn main() {"));
    node_script("lifecycle.js", "dap-lifecycle", Some(&scratch));
}

/// The adapter on raw pipes: frames in, frames out.
struct Raw {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    seq: i64,
}

impl Raw {
    fn start(state: &str) -> Raw {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
            .arg("dap")
            .current_dir(workspace())
            .env("HOTBREAK_STATE", state_dir(state))
            .env("CARGO_TARGET_DIR", workspace().join("target"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (stdin, stdout) = (child.stdin.take().unwrap(), BufReader::new(child.stdout.take().unwrap()));
        Raw { child, stdin, stdout, seq: 0 }
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send_body(&mut self, body: &str) {
        self.write_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn request(&mut self, command: &str, arguments: Value) -> i64 {
        self.seq += 1;
        let body = json!({ "seq": self.seq, "type": "request", "command": command, "arguments": arguments }).to_string();
        self.send_body(&body);
        self.seq
    }

    /// The next message the adapter sends.
    fn read(&mut self) -> Value {
        let mut length = None;
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the adapter closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = Some(n.parse::<usize>().unwrap());
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// The next response (events before it are skipped).
    fn response(&mut self) -> Value {
        loop {
            let m = self.read();
            if m["type"] == "response" {
                return m;
            }
        }
    }

    /// Asserts the next response failed for `seq` with a message holding `needle`.
    fn expect_error(&mut self, seq: i64, command: &str, needle: &str) -> String {
        let r = self.response();
        assert_eq!((r["request_seq"].as_i64(), r["success"].as_bool(), r["command"].as_str()), (Some(seq), Some(false), Some(command)), "{r}");
        let message = r["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
        message
    }
}

#[test]
fn bad_input_gets_error_responses_and_the_adapter_keeps_serving() {
    let _turn = one_at_a_time();
    let mut dap = Raw::start("dap-bad-input");
    dap.send_body("{nope");
    dap.expect_error(0, "", "malformed message: not JSON");
    dap.write_raw(b"Content-Length: twelve\r\n\r\n");
    dap.expect_error(0, "", "Content-Length `twelve` is not a number");
    dap.send_body(r#"{"seq": 7, "type": "request"}"#);
    dap.expect_error(7, "", "a request without a `command`");
    let seq = dap.request("frobnicate", json!({}));
    dap.expect_error(seq, "frobnicate", "unknown request `frobnicate`");
    let seq = dap.request("stackTrace", json!({ "threadId": 1 }));
    dap.expect_error(seq, "stackTrace", "no program yet: send `launch` first");
    let seq = dap.request("launch", json!({ "package": "ticker", "args": 5 }));
    dap.expect_error(seq, "launch", "the launch arguments do not fit");
    let seq = dap.request("launch", json!({ "bin": "a", "example": "b" }));
    dap.expect_error(seq, "launch", "give one of `bin`, `example` or `test`");
    let seq = dap.request("launch", json!({ "cwd": workspace(), "package": "no-such-package" }));
    let message = dap.expect_error(seq, "launch", "the program did not build");
    assert!(message.contains("no-such-package"), "cargo's reason is in the message: {message}");
    let seq = dap.request("pause", json!({ "threadId": 1 }));
    dap.expect_error(seq, "pause", "cannot pause a running thread");
    // Still serving: a well-formed request is answered as usual.
    let seq = dap.request("initialize", json!({ "adapterID": "hotbreak" }));
    let r = dap.response();
    assert_eq!((r["request_seq"].as_i64(), r["success"].as_bool()), (Some(seq), Some(true)), "{r}");
    assert_eq!(r["body"]["supportsLogPoints"], true);

    // After a failed launch, one that builds; a breakpoint the client sent
    // before it is armed by it.
    let at = support::line_of("examples/ticker/src/main.rs", "let total = scale(reading.step);");
    let main_rs = workspace().join("examples/ticker/src/main.rs");
    dap.request("setBreakpoints", json!({ "source": { "path": main_rs }, "breakpoints": [{ "line": at }] }));
    let r = dap.response();
    assert_eq!((r["body"]["breakpoints"][0]["verified"].as_bool(), r["body"]["breakpoints"][0]["message"].as_str()), (Some(false), Some("the program is not launched yet")), "{r}");
    let launch = dap.request("launch", json!({ "cwd": workspace(), "package": "ticker", "args": ["5"] }));
    let mut seen = Vec::new();
    loop {
        let m = dap.read();
        if m["event"] == "initialized" {
            break;
        }
        seen.push(m);
    }
    assert!(seen.iter().any(|m| m["request_seq"] == launch && m["success"] == true), "{seen:?}");
    let armed = seen.iter().find(|m| m["event"] == "breakpoint").unwrap_or_else(|| panic!("no breakpoint event: {seen:?}"));
    assert_eq!((armed["body"]["breakpoint"]["verified"].as_bool(), armed["body"]["breakpoint"]["line"].as_u64()), (Some(true), Some(at as u64)), "{armed}");
    dap.request("configurationDone", json!({}));
    let stop = loop {
        let m = dap.read();
        if m["event"] == "stopped" {
            break m;
        }
    };
    assert_eq!(stop["body"]["reason"], "breakpoint", "{stop}");
    let seq = dap.request("disconnect", json!({}));
    let r = dap.response();
    assert_eq!((r["request_seq"].as_i64(), r["success"].as_bool()), (Some(seq), Some(true)), "{r}");
    assert!(dap.child.wait().unwrap().success());
}
