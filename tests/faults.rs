//! Faults a live session survives: the program panics while a thread is
//! paused, the program is killed while a patch loads, a patch needs a
//! symbol the program does not have. Each is reported, the session goes on,
//! and `run` starts the program again with its breakpoints.
//! Also programs that can never connect: refused or reported at once.

mod support;

use cargo_hotbreak::session::{Launch, Session};
use cargo_hotbreak::{Debuggee, HostBuild};
use hotbreak_hotreload::{HostArtifact, HostSymbols};
use std::process::Command;
use std::sync::Arc;
use support::{scratch_crate_with, workspace, Driver};

/// A worker thread calling a debuggable function; with `panic`, `main`
/// panics once the worker is inside it (paused there, under a breakpoint).
const PROGRAM: &str = r#"use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static WORKING: AtomicBool = AtomicBool::new(false);

#[hotbreak::debuggable]
fn work(i: u64) -> u64 {
    WORKING.store(true, Ordering::SeqCst);
    let doubled = i * 2;
    doubled + 1
}

fn main() {
    let panic = std::env::args().nth(1).as_deref() == Some("panic");
    std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| {
            for i in 0.. {
                let v = work(i);
                if i % 100 == 0 {
                    println!("work {i} = {v}");
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
        .unwrap();
    while panic && !WORKING.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(300));
    if panic {
        panic!("main gives up");
    }
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}
"#;

fn line_of(needle: &str) -> usize {
    PROGRAM.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn pid_of(started: &str) -> u32 {
    started.split("(pid ").nth(1).unwrap().split(')').next().unwrap().parse().unwrap()
}

#[test]
fn a_panic_while_paused_is_reported_and_run_starts_again() {
    let dir = scratch_crate_with("faults-panic", PROGRAM);
    let at = line_of("doubled + 1");
    let mut hb = Driver::start(&dir, &["panic"]);
    let first = pid_of(&hb.wait_for("the start", |l| l.starts_with("started faults-panic")));
    hb.send(&format!("break src/main.rs:{at}"));
    hb.send("continue");
    hb.wait_for("the stop", |l| l.starts_with(&format!("stopped (breakpoint 1) at src/main.rs:{at} in `work`")));
    hb.wait_for("the panic's exit", |l| l == "program exited with status 101");
    hb.send("locals");
    hb.wait_for("the refusal", |l| l == "error: the program has exited");

    hb.send("run");
    let second = pid_of(&hb.wait_for("the new start", |l| l.starts_with("started faults-panic")));
    assert_ne!(first, second);
    hb.wait_for("the breakpoint re-armed", |l| l.starts_with(&format!("breakpoint 1 at src/main.rs:{at} in `work`: armed")));
    hb.send("continue");
    hb.wait_for("the stop in the new process", |l| l.starts_with(&format!("stopped (breakpoint 1) at src/main.rs:{at}")));
    hb.send("print doubled");
    hb.wait_for("a local of the new process", |l| l == "doubled: u64 = 0");
    hb.wait_for("the second exit", |l| l == "program exited with status 101");
    hb.send("quit");
    assert!(hb.finish().success());
}

#[test]
fn a_kill_while_a_patch_loads_and_a_patch_the_program_cannot_load() {
    let dir = scratch_crate_with("faults-kill", PROGRAM);
    let at = line_of("let doubled = i * 2;");
    let mut hb = Driver::start(&dir, &["idle"]);
    let pid = pid_of(&hb.wait_for("the start", |l| l.starts_with("started faults-kill")));

    // Killed while its patch builds: the load fails, the exit is reported.
    hb.send(&format!("break src/main.rs:{at}"));
    hb.wait_for("the build", |l| l.starts_with("building `work`"));
    // SAFETY: kill(2) on the program's pid.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    let error = hb.wait_for("the failed load", |l| l.starts_with("error:"));
    assert!(error.contains("the program is gone"), "{error}\n{}", hb.seen.join("\n"));
    hb.wait_for("the exit", |l| l == "program killed by signal 9");
    hb.send("info breakpoints");
    hb.wait_for("no breakpoint left", |l| l == "no breakpoints");

    // Run again and stop; an edit calling a symbol the program lacks fails
    // to load, with the symbol named, and the program stays on its code.
    hb.send("run");
    hb.wait_for("the new start", |l| l.starts_with("started faults-kill"));
    hb.send(&format!("break src/main.rs:{at} if i == 5"));
    hb.send("continue");
    // Breakpoint numbers are not reused.
    hb.wait_for("the stop", |l| l.starts_with(&format!("stopped (breakpoint 2) at src/main.rs:{at}")));
    let edited = PROGRAM.replace(
        "    doubled + 1\n",
        "    unsafe extern \"C\" {\n        fn hotbreak_test_no_such_symbol() -> u64;\n    }\n    doubled + unsafe { hotbreak_test_no_such_symbol() }\n",
    );
    std::fs::write(dir.join("src/main.rs"), edited).unwrap();
    let error = hb.wait_for("the load error", |l| l.starts_with("error: `work` keeps running its last good code"));
    assert!(error.contains("hotbreak_test_no_such_symbol"), "{error}");
    hb.send("print i");
    hb.wait_for("the stopped thread, still served", |l| l == "i: u64 = 5");
    hb.send("quit");
    hb.wait_for("the end", |l| l == "program killed");
    assert!(hb.finish().success());
}

/// Two threads stopped at once; the first holds a lock that the second's
/// local needs to render itself.
const LOCKS: &str = r#"use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Shared(Arc<Mutex<u32>>);

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Shared({})", *self.0.lock().unwrap())
    }
}

#[hotbreak::debuggable]
fn hold(m: &Mutex<u32>) {
    let guard = m.lock().unwrap();
    let held = *guard;
    println!("held {held}");
}

#[hotbreak::debuggable]
fn show(shared: &Shared) -> u32 {
    let seen = 1;
    seen
}

fn main() {
    let m = Arc::new(Mutex::new(7));
    let holder = {
        let m = m.clone();
        std::thread::Builder::new().name("holder".into()).spawn(move || hold(&m)).unwrap()
    };
    while m.try_lock().is_ok() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let shower = std::thread::Builder::new().name("shower".into()).spawn(move || show(&Shared(m))).unwrap();
    holder.join().unwrap();
    shower.join().unwrap();
}
"#;

#[test]
fn a_value_waiting_for_a_lock_another_stopped_thread_holds_does_not_hang_the_session() {
    let dir = scratch_crate_with("faults-lock", LOCKS);
    let line = |needle: &str| LOCKS.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let mut hb = Driver::start(&dir, &[]);
    hb.send(&format!("break src/main.rs:{}", line("let held = *guard;")));
    hb.send(&format!("break src/main.rs:{}", line("let seen = 1;")));
    hb.send("continue");
    hb.wait_for("the holder's stop", |l| l.starts_with("stopped (breakpoint 1)") && l.ends_with(" holder"));
    hb.wait_for("the shower's stop", |l| l.starts_with("stopped (breakpoint 2)") && l.ends_with(" shower"));
    hb.send("threads");
    let shower = hb.wait_for("the thread list", |l| l.contains(" shower: stopped at "));
    let number = shower.trim_start_matches(['*', ' ']).split(' ').next().unwrap().to_string();
    hb.send(&format!("thread {number}"));
    hb.send("locals");
    let error = hb.wait_for("the render timeout", |l| l.starts_with("error: the stopped thread did not answer"));
    assert!(error.contains("another stopped thread holds"), "{error}");

    // The session goes on: the holder is served, and once it resumes (and
    // unlocks) the shower renders its value.
    hb.send("threads");
    let holder = hb.wait_for("the thread list", |l| l.contains(" holder: stopped at "));
    let number = holder.trim_start_matches(['*', ' ']).split(' ').next().unwrap().to_string();
    hb.send(&format!("thread {number}"));
    hb.send("print m");
    hb.wait_for("the holder's local", |l| l.starts_with("m: &") && l.contains("<locked>"));
    hb.send("continue");
    hb.wait_for("the holder done", |l| l == "held 7");
    hb.send("print shared");
    hb.wait_for("the shower's value", |l| l.ends_with("= Shared(7)"));
    hb.send("continue");
    hb.wait_for("the end", |l| l == "program exited with status 0");
    assert!(hb.finish().success());
}

/// A program with the runtime that exits before the runtime's start-up hook
/// can connect (`.preinit_array` runs before every `.init_array` entry).
const EXITS_EARLY: &str = r#"#[hotbreak::debuggable]
fn work() -> u32 {
    1
}

extern "C" fn exit_early() {
    std::process::exit(3);
}

#[used]
#[link_section = ".preinit_array"]
static EXIT_EARLY: extern "C" fn() = exit_early;

fn main() {
    println!("{}", work());
}
"#;

#[test]
fn a_program_that_ends_before_connecting_is_reported_with_its_status() {
    let dir = scratch_crate_with("faults-exits-early", EXITS_EARLY);
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .args(["hotbreak", "run", "--batch"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", workspace().join("target"))
        .env("HOTBREAK_STATE", dir.join("state"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("error: the program exited with status 3 before the hotbreak runtime connected"), "{stderr}");

    // A crash is reported by its signal.
    let mut crash = Command::new("sh");
    crash.args(["-c", "kill -SEGV $$"]);
    let error = Debuggee::launch_held(crash).err().expect("a program that never connects");
    assert_eq!(format!("{error:#}"), "the program was killed by signal 11 before the hotbreak runtime connected");
}

#[test]
fn a_program_without_the_runtime_is_refused_before_it_starts() {
    // A plain program that leaves a mark when it runs.
    let dir = workspace().join("target/hotbreak/test-crates/faults-plain");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.rs"), "fn main() { std::fs::write(std::env::args().nth(1).unwrap(), \"ran\").unwrap(); }").unwrap();
    let executable = dir.join("plain");
    let built = Command::new("rustc").arg(dir.join("main.rs")).arg("-o").arg(&executable).status().unwrap();
    assert!(built.success());

    let config = support::config();
    let host = HostBuild {
        artifact: HostArtifact { name: "plain".into(), kinds: vec!["bin".into()], test: false, executable: executable.clone(), src_path: std::path::PathBuf::new() },
        symbols: Arc::new(HostSymbols::read(&executable).unwrap()),
        executable: executable.clone(),
        record_dir: config.record_dir("dev"),
        config,
    };
    let mark = dir.join("ran");
    let launch = Launch { args: vec![mark.display().to_string()], stdin: false, capture_output: false, hold: false, env: Vec::new(), remember: true };
    let error = Session::start(host, launch, Box::new(|_| {})).err().expect("a plain program refused");
    assert_eq!(
        format!("{error:#}"),
        format!(
            "{} holds no hotbreak runtime (no `hotbreak_anchor` symbol), so it can never connect to hotbreak (did `--debug-crates` leave out every crate of it?)",
            executable.display()
        )
    );
    assert!(!mark.exists(), "the plain program was started");
}
