//! Shared by the integration tests: one host build of the fixture per test
//! binary, and a typed handle on the running fixture.
#![allow(dead_code)]

use cargo_hotbreak::{Debuggee, HostBuild, HostConfig};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::OnceLock;

pub const LOGIC_RS: &str = "examples/fixture/src/logic.rs";

pub fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn config() -> HostConfig {
    HostConfig::for_workspace(workspace(), Path::new(env!("CARGO_BIN_EXE_cargo-hotbreak")))
}

/// The fixture, built once under hotbreak.
pub fn fixture_host() -> &'static HostBuild {
    static HOST: OnceLock<HostBuild> = OnceLock::new();
    HOST.get_or_init(|| HostBuild::build(&config(), &["-p", "fixture"], "fixture").expect("host build of the fixture"))
}

/// Line (1-based) of the first line of `file` containing `needle`.
pub fn line_of(file: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(workspace().join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not in {file}")) as u32 + 1
}

/// The running fixture: one command in, one `> ` answer out.
pub struct Fixture {
    pub stdin: ChildStdin,
    pub stdout: BufReader<ChildStdout>,
    pub stderr: BufReader<ChildStderr>,
}

impl Fixture {
    fn command(exe: &Path) -> Command {
        let mut cmd = Command::new(exe);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    }

    /// Starts the fixture under hotbreak.
    pub fn launch(host: &HostBuild) -> (Debuggee, Fixture) {
        let mut dbg = Debuggee::launch(Self::command(&host.executable)).expect("launch under hotbreak");
        let fixture = Fixture::take(&mut dbg.child);
        (dbg, fixture)
    }

    /// Starts the fixture under hotbreak, doing `prepare` before its `main` runs.
    pub fn launch_after(host: &HostBuild, prepare: impl FnOnce(&mut Debuggee)) -> (Debuggee, Fixture) {
        let mut dbg = Debuggee::launch_held(Self::command(&host.executable)).expect("launch under hotbreak");
        prepare(&mut dbg);
        dbg.release().expect("main runs");
        let fixture = Fixture::take(&mut dbg.child);
        (dbg, fixture)
    }

    /// Starts the fixture as a plain program, without the tool.
    pub fn plain(exe: &Path) -> (std::process::Child, Fixture) {
        let mut child = Self::command(exe).spawn().unwrap();
        let fixture = Fixture::take(&mut child);
        (child, fixture)
    }

    fn take(child: &mut std::process::Child) -> Fixture {
        let mut f = Fixture {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            stderr: BufReader::new(child.stderr.take().unwrap()),
        };
        assert_eq!(f.read_line(), "ready");
        f
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        assert!(self.stdout.read_line(&mut line).unwrap() > 0, "fixture exited");
        line.trim_end().to_string()
    }

    /// Waits for the next line the program writes to stderr.
    pub fn next_error_line(&mut self) -> String {
        let mut line = String::new();
        assert!(self.stderr.read_line(&mut line).unwrap() > 0, "fixture closed stderr");
        line.trim_end().to_string()
    }

    /// Sends one command and returns its answer (without the `> `).
    pub fn send(&mut self, command: &str) -> String {
        self.post(command);
        self.answer()
    }

    /// Sends a command without waiting (its thread may stop at a breakpoint).
    pub fn post(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next answer the program prints.
    pub fn answer(&mut self) -> String {
        loop {
            let line = self.read_line();
            if let Some(answer) = line.strip_prefix("> ") {
                return answer.to_string();
            }
        }
    }
}

/// The value of `key=` in a fixture answer (up to the next space).
pub fn field<'a>(answer: &'a str, key: &str) -> &'a str {
    let at = answer.find(&format!(" {key}=")).map(|i| i + 1).or_else(|| answer.starts_with(&format!("{key}=")).then_some(0));
    let rest = &answer[at.unwrap_or_else(|| panic!("no {key}= in {answer:?}")) + key.len() + 1..];
    rest.split(' ').next().unwrap()
}

/// A crate of its own (its own workspace, under the target dir) holding a
/// copy of the ticker example: tests that edit sources edit this one.
pub fn scratch_crate(name: &str) -> PathBuf {
    scratch_crate_with(name, &std::fs::read_to_string(workspace().join("examples/ticker/src/main.rs")).unwrap())
}

/// [`scratch_crate`] with `main_rs` as its program.
pub fn scratch_crate_with(name: &str, main_rs: &str) -> PathBuf {
    let dir = workspace().join("target/hotbreak/test-crates").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nhotbreak = {{ path = \"{}\" }}\n\n[workspace]\n",
        workspace().join("runtime").display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    dir
}


/// How long a [`Driver`] waits for an expected line.
const DRIVER_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// `cargo hotbreak run --batch` with commands written as the test goes.
pub struct Driver {
    pub child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    pub seen: Vec<String>,
}

impl Driver {
    /// Starts `cargo hotbreak run --batch -- ARGS` in the scratch crate `dir`.
    pub fn start(dir: &Path, args: &[&str]) -> Driver {
        Driver::start_with(dir, &[], args, &dir.join("state"))
    }

    /// Starts `cargo hotbreak run -p PACKAGE --batch -- ARGS` on a package
    /// of this workspace, with a fresh state dir named `state`.
    pub fn start_package(package: &str, args: &[&str], state: &str) -> Driver {
        let state = workspace().join("target/hotbreak/test-state").join(fresh_state(state));
        Driver::start_with(workspace(), &["-p", package], args, &state)
    }

    /// Starts `cargo hotbreak run OPTIONS --batch -- ARGS` in `dir` (the
    /// workspace, with `-p NAME`: one of its examples), saving in `state`.
    pub fn start_with(dir: &Path, options: &[&str], args: &[&str], state: &Path) -> Driver {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
            .args(["hotbreak", "run"])
            .args(options)
            .args(["--batch", "--"])
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", workspace().join("target"))
            .env("HOTBREAK_STATE", state)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Driver { stdin: child.stdin.take().unwrap(), child, lines, seen: Vec::new() }
    }

    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
    }

    /// Ends the input (the session quits) and waits for the tool.
    pub fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin);
        self.child.wait().unwrap()
    }

    /// The next output line for which `pick` is true.
    pub fn wait_for(&mut self, what: &str, pick: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_timeout(DRIVER_LIMIT) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pick(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no {what}; output so far:\n{}", self.seen.join("\n")),
            }
        }
    }
}

/// `cargo hotbreak` as a user drives it: a subprocess fed a script on stdin.
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
}

/// Runs `cargo hotbreak ARGS` with `script` on stdin and its own state dir.
pub fn hotbreak(args: &[&str], script: &str, state: &str) -> Run {
    hotbreak_in(workspace(), args, script, state)
}

/// [`hotbreak`] in the workspace `dir` (a scratch crate), building into
/// this repository's target dir.
pub fn hotbreak_in(dir: &Path, args: &[&str], script: &str, state: &str) -> Run {
    let state_dir = workspace().join("target/hotbreak/test-state").join(state);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", workspace().join("target"))
        .env("HOTBREAK_STATE", &state_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        success: out.status.success(),
    }
}

pub fn fresh_state(name: &str) -> String {
    let dir = workspace().join("target/hotbreak/test-state").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    name.to_string()
}

/// Asserts that `needles` appear in `text` in this order.
pub fn assert_in_order(text: &str, needles: &[&str]) {
    let mut rest = text;
    for n in needles {
        match rest.find(n) {
            Some(at) => rest = &rest[at + n.len()..],
            None => panic!("missing (in order) {n:?} in:\n{text}"),
        }
    }
}

