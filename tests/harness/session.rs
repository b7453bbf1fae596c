//! `cargo hotbreak run/test --script S --json` on a copy, as a user would
//! run it, and what its JSON lines say.

use super::{Crate, Output, Target};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A session that has not ended by then is killed (and fails the test):
/// a hang must not eat CI's time.
const LIMIT: Duration = Duration::from_secs(20 * 60);

/// What the session answered to a command: each `break` gets one.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `not_covered`: the tool said, arming it, that some instances of the
    /// (generic) function run their native code.
    Armed { file: String, line: u32, not_covered: bool },
    Error(String),
}

pub struct Session {
    /// The program's output (from `output` events) and exit status.
    pub program: Output,
    /// Every `armed` and `error` event, in order.
    pub answers: Vec<Answer>,
    /// Log events per (file, line).
    pub logs: BTreeMap<(String, u32), usize>,
    /// How long each `armed` took (ms).
    pub arm_ms: Vec<u64>,
    /// `started`'s count of debuggable functions.
    pub debuggable: Option<u64>,
    /// Each `print`'s (expression, type, value), in order.
    pub values: Vec<(String, String, String)>,
    /// Each `locals`' (name, value) pairs.
    pub locals: Vec<Vec<(String, String)>>,
    /// Each stop: (file, line, function, reason, returned value).
    pub stops: Vec<(String, u32, String, String, String)>,
    /// Every `info` event's message (a generic function's coverage).
    pub infos: Vec<String>,
    pub tool_stderr: String,
    pub tool_status: String,
    pub tool_ok: bool,
}

/// Runs the session with `script`, a fresh state dir, and `stdin` for the
/// program.
pub fn run(c: &Crate, package: &Path, target_dir: &Path, state: &Path, script: &str, stdin: Option<&Path>) -> Result<Session, String> {
    let _ = std::fs::remove_dir_all(state);
    std::fs::create_dir_all(state).map_err(|e| e.to_string())?;
    let script_file = state.join("script");
    std::fs::write(&script_file, script).map_err(|e| e.to_string())?;
    let mut args: Vec<String> = vec!["hotbreak".into()];
    args.extend(match &c.target {
        Target::Bin(name) => vec!["run".into(), "--bin".into(), name.to_string()],
        Target::Example(name) => vec!["run".into(), "--example".into(), name.to_string()],
        Target::LibTests => vec!["test".into(), "--lib".into()],
        Target::Tests(name) => vec!["test".into(), "--test".into(), name.to_string()],
    });
    args.extend(["--script".into(), script_file.display().to_string(), "--json".into(), "--".into()]);
    args.extend(c.args.iter().map(|a| a.to_string()));
    let input = match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => Stdio::null(),
    };
    let child = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .args(&args)
        .current_dir(package)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("HOTBREAK_STATE", state)
        .env("RUST_BACKTRACE", "0")
        .stdin(input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start cargo-hotbreak: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let (done, watch) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if watch.recv_timeout(LIMIT).is_err() {
            // SAFETY: kill(2) on the pid of our own child, not yet reaped
            // (the main thread is in wait_with_output).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = done.send(());
    let _ = watchdog.join();
    // Kept for a reader chasing a miss.
    let _ = std::fs::write(state.join("tool-stdout"), &out.stdout);
    let _ = std::fs::write(state.join("tool-stderr"), &out.stderr);
    let mut s = Session {
        program: Output::default(),
        answers: Vec::new(),
        logs: BTreeMap::new(),
        arm_ms: Vec::new(),
        debuggable: None,
        values: Vec::new(),
        locals: Vec::new(),
        stops: Vec::new(),
        infos: Vec::new(),
        tool_stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        tool_status: out.status.to_string(),
        tool_ok: out.status.success(),
    };
    // Said (before its `armed`) of the breakpoint being armed.
    let mut not_covered = false;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(e) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let at = || (e["file"].as_str().unwrap_or_default().to_string(), e["line"].as_u64().unwrap_or_default() as u32);
        match e["event"].as_str().unwrap_or_default() {
            "output" if e["stream"] == "stdout" => s.program.stdout.push_str(e["text"].as_str().unwrap_or_default()),
            "output" => s.program.stderr.push_str(e["text"].as_str().unwrap_or_default()),
            "started" => s.debuggable = e["debuggable"].as_u64(),
            "armed" => {
                let (file, line) = at();
                s.answers.push(Answer::Armed { file, line, not_covered: std::mem::take(&mut not_covered) });
                s.arm_ms.extend(e["ms"].as_u64());
            }
            "log" => *s.logs.entry(at()).or_default() += 1,
            "error" => s.answers.push(Answer::Error(e["message"].as_str().unwrap_or_default().to_string())),
            "info" => {
                let message = e["message"].as_str().unwrap_or_default();
                not_covered |= message.contains("not covered, these run their native code");
                s.infos.push(message.to_string());
            }
            "exited" => s.program.code = e["code"].as_i64().map(|c| c as i32),
            "value" => {
                let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                s.values.push((text("expr"), text("type_name"), text("value")));
            }
            "stopped" => {
                let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                let (file, line) = at();
                s.stops.push((file, line, text("function"), text("reason"), text("value")));
            }
            "locals" => {
                let vars = e["vars"].as_array().into_iter().flatten();
                s.locals.push(vars.map(|v| (v["name"].as_str().unwrap_or_default().into(), v["value"].as_str().unwrap_or_default().into())).collect());
            }
            _ => {}
        }
    }
    Ok(s)
}
