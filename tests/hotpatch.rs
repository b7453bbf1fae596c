//! The hot-patch engine end to end: build the fixture under hotbreak, run it,
//! replace `logic::step` while it runs, and read the effects from the
//! program's own output.

mod support;

use cargo_hotbreak::{HostBuild, Patcher};
use hotbreak::protocol::Resume;
use hotbreak_rewriter::Breakpoint;
use std::time::Duration;
use support::{field, fixture_host, line_of, Fixture, LOGIC_RS};

/// The first replacement: touches every kind of shared state.
const PATCH_1: &str = r#"fn step(round: u32) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    COUNTER.fetch_add(100, Ordering::SeqCst);
    LOG.lock().unwrap().push(format!("patched {round}"));
    let config = crate::state::CONFIG.get().cloned().unwrap_or_else(|| "EMPTY".to_string());
    PER_THREAD.with(|t| t.set(t.get() + 1000));
    let token = Token::new(round);
    let copy = token.clone();
    drop(Token::new(round + 1));
    if round == 99 {
        panic!("patched panic at round {round}");
    }
    format!("patched#1 round={round} calls={calls} mix={} desc={} copy={copy:?} config={config}", crate::helpers::secret_mix(round as u64), describe(&token))
}"#;

fn numbered(n: u32) -> String {
    format!("fn step(round: u32) -> String {{\n    format!(\"patched#{n} round={{round}}\")\n}}")
}

#[test]
fn a_patch_shares_the_running_programs_code_and_state() {
    let host = fixture_host();
    let fn_line = line_of(LOGIC_RS, "fn step(");
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/shares-state")).unwrap();
    let (mut dbg, mut program) = Fixture::launch(host);

    let before = program.send("call 1");
    assert!(before.starts_with("native round=1 calls=1 token=#1 "), "{before}");
    assert_eq!(field(&before, "counter"), "1");
    assert_eq!(field(&before, "drops"), "1");
    assert_eq!(field(&before, "tl"), "1");

    let applied = patcher.replace_function(&mut dbg, LOGIC_RS, fn_line + 2, PATCH_1).unwrap();
    eprintln!("patch #1: {} ({} bytes)", applied.timings, applied.size);

    // New body; host's private fns of two modules; static nested in the
    // patched fn continues the host's count; OnceLock set by the host is seen.
    let pid = dbg.child.id();
    let after = program.send("call 5");
    let expected = format!(
        "patched#1 round=5 calls=2 mix=162 desc=#5 copy=Token {{ id: 5, label: \"t5\" }} config=config-of-{pid} | "
    );
    assert!(after.starts_with(&expected), "{after}\nexpected prefix {expected}");
    // Writes the host sees: atomic, Mutex<Vec>, Drop counts, thread-local.
    assert_eq!(field(&after, "counter"), "101");
    assert_eq!(field(&after, "log"), "2");
    assert_eq!(field(&after, "last"), "Some(\"patched");
    assert_eq!(field(&after, "drops"), "4");
    assert_eq!(field(&after, "tl"), "1001");

    // Thread-locals are the host's, per thread: a new thread starts at 0.
    let threaded = program.send("spawn 7");
    let parts: Vec<&str> = threaded.trim_start_matches("thread: ").split(" | ").collect();
    assert!(parts[0].starts_with("patched#1 round=7"), "{threaded}");
    let tls: Vec<&str> = threaded.split(" tl=").skip(1).map(|s| s.split(' ').next().unwrap()).collect();
    assert_eq!(tls, ["1000", "2000"], "{threaded}");
    assert_eq!(field(&program.send("call 2"), "tl"), "2001");

    // A panic in the patch unwinds into the host's catch_unwind, at the
    // user's file and line.
    let panic_line = fn_line + PATCH_1.lines().position(|l| l.contains("panic!")).unwrap() as u32;
    let caught = program.send("call 99");
    assert!(
        caught.starts_with(&format!("caught panic: patched panic at round 99 @ {LOGIC_RS}:{panic_line} |")),
        "{caught}"
    );

    // Disarming restores the native body; its static kept counting.
    dbg.disarm(applied.function).unwrap();
    let native = program.send("call 3");
    assert!(native.starts_with("native round=3 calls=7 token=#3 "), "{native}");

    // A second and a third patch of the same function.
    for n in [2, 3] {
        patcher.replace_function(&mut dbg, LOGIC_RS, fn_line, &numbered(n)).unwrap();
        let out = program.send("call 4");
        assert!(out.starts_with(&format!("patched#{n} round=4 |")), "{out}");
    }
    dbg.disarm(applied.function).unwrap();
    assert!(program.send("call 4").starts_with("native round=4"));
    drop(program);
    dbg.child.wait().unwrap();
}

#[test]
fn one_patch_links_into_two_runs_at_different_addresses() {
    let host = fixture_host();
    let fn_line = line_of(LOGIC_RS, "fn step(");
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/aslr")).unwrap();
    let prepared = patcher.prepare(LOGIC_RS, fn_line, &numbered(9)).unwrap();
    let mut anchors = Vec::new();
    for _ in 0..2 {
        let (mut dbg, mut program) = Fixture::launch(host);
        patcher.apply(&prepared, &mut dbg).unwrap();
        let out = program.send("call 8");
        assert!(out.starts_with("patched#9 round=8 | counter=0"), "{out}");
        anchors.push(dbg.hello.anchor);
        drop(program);
        dbg.child.wait().unwrap();
    }
    let aslr = std::fs::read_to_string("/proc/sys/kernel/randomize_va_space").map(|s| s.trim() != "0").unwrap_or(true);
    if aslr {
        assert_ne!(anchors[0], anchors[1], "both runs loaded at the same address");
    }
}

#[test]
fn without_the_tool_the_program_runs_unchanged_and_starts_no_thread() {
    let host = fixture_host();
    let script = ["call 1", "call 2", "spawn 3"];
    let (mut child, mut plain) = Fixture::plain(&host.executable);
    let plain_out: Vec<String> = script.iter().map(|c| plain.send(c)).collect();
    assert_eq!(plain.send("threads"), "threads=1");
    drop(plain);
    child.wait().unwrap();

    let (mut dbg, mut under_tool) = Fixture::launch(host);
    let tool_out: Vec<String> = script.iter().map(|c| under_tool.send(c)).collect();
    assert_eq!(under_tool.send("threads"), "threads=2", "the agent is the one extra thread");
    assert_eq!(plain_out, tool_out);
    drop(under_tool);
    dbg.child.wait().unwrap();
}

#[test]
fn losing_the_tool_restores_native_code() {
    let host = fixture_host();
    let fn_line = line_of(LOGIC_RS, "fn step(");
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/disconnect")).unwrap();
    let (mut dbg, mut program) = Fixture::launch(host);
    patcher.replace_function(&mut dbg, LOGIC_RS, fn_line, &numbered(4)).unwrap();
    assert!(program.send("call 1").starts_with("patched#4 round=1 |"));
    dbg.disconnect();
    assert_eq!(program.next_error_line(), "hotbreak: debugger disconnected; native code restored");
    let out = program.send("call 2");
    assert!(out.starts_with("native round=2 calls=1 "), "{out}");
    drop(program);
    dbg.child.wait().unwrap();
}

#[test]
fn a_patch_that_does_not_compile_reports_rustcs_errors_at_the_users_line() {
    let host = fixture_host();
    let fn_line = line_of(LOGIC_RS, "fn step(");
    let mut patcher = Patcher::for_program(host, &host.config.hotbreak_dir.join("test-work/bad")).unwrap();
    let bad = "fn step(round: u32) -> String {\n    let n: u32 = \"text\";\n    format!(\"{n}{round}\")\n}";
    let err = patcher.prepare(LOGIC_RS, fn_line, bad).err().expect("must not compile");
    let Some(hotbreak_hotreload::PatchError::Compile(diags)) = err.downcast_ref() else { panic!("{err:#}") };
    let error = diags.iter().find(|d| d.level == "error").expect("an error diagnostic");
    assert_eq!(error.message, "mismatched types");
    assert_eq!(error.file.as_deref(), Some(LOGIC_RS));
    assert_eq!(error.line, Some(fn_line + 1));
    assert!(err.to_string().contains("expected `u32`, found `&str`"), "{err}");
}

/// Release and debug host builds keep their own rustc commands: a debug
/// build that cargo finds fresh after a release build (so it runs no rustc
/// and records nothing) still patches with its own runtime.
#[test]
fn release_and_debug_hosts_each_patch_with_their_own_build() {
    // A target dir of its own, so each build below really compiles.
    let mut config = support::config();
    config.hotbreak_dir = support::workspace().join("target/hotbreak-profiles-test");
    let _ = std::fs::remove_dir_all(&config.hotbreak_dir);
    let build = |extra: &[&str]| HostBuild::build(&config, &[&["-p", "fixture"], extra].concat(), "fixture").unwrap();
    build(&[]);
    let release = build(&["--release"]);
    let debug = build(&[]);
    // A breakpoint's patch calls into the host's runtime, which the two
    // builds name differently.
    let line = line_of(LOGIC_RS, "COUNTER.fetch_add(1, Ordering::SeqCst);");
    for (host, profile) in [(&debug, "debug"), (&release, "release")] {
        let mut patcher = Patcher::for_program(host, &config.hotbreak_dir.join(format!("work-{profile}"))).unwrap();
        let (mut dbg, mut program) = Fixture::launch(host);
        let bp = Breakpoint { id: 1, line, ..Breakpoint::default() };
        patcher.arm_breakpoints(&mut dbg, LOGIC_RS, line, &[bp]).unwrap_or_else(|e| panic!("{profile}: {e:#}"));
        program.post("call 1");
        let stop = dbg.wait_stop(Duration::from_secs(120)).unwrap();
        assert_eq!((stop.name.as_str(), stop.line), ("step", line), "{profile}");
        dbg.resume(stop.stop, Resume::Continue).unwrap();
        assert!(program.answer().starts_with("native round=1 "), "{profile}");
        drop(program);
        dbg.child.wait().unwrap();
    }
}
