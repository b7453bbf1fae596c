//! hotbreak's benchmark: `cargo run --release -p hotbreak-bench [-- OPTIONS]`.
//!
//! Measures the performance bars of the design brief side by side in one
//! run (A and B interleaved, medians with min/max) and prints a table:
//! nothing armed, armed elsewhere, compiled conditions vs gdb, arming
//! latency on generated crates vs edit-build-restart, memory, and real
//! crates from crates.io as they are (builds, arming, their own workload),
//! and evaluation at a stop (`print EXPR`: a new expression, the same again).
//!
//! Options: `--reps N` (default 11; arming always takes at least 10),
//! `--layouts N` (code layouts of the nothing-armed workload, default 4),
//! `--sizes 1000,5000,20000,50000`, `--only SECTION[,SECTION]` (overhead,
//! tool, gdb, arming, memory, real, realwork (real crates' workloads
//! alone), eval), `--kernels calls,generic,..`
//! (section 1's kernels).

mod eval;
mod gen;
mod real;
mod stats;

use anyhow::{bail, Context, Result};
use cargo_hotbreak::debuggee::Event;
use cargo_hotbreak::{Debuggee, HostBuild, HostConfig, Patcher};
use hotbreak::protocol::Resume;
use hotbreak_rewriter::{Breakpoint, HitCount};
use stats::{fmt_ns, Samples};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const KERNELS: &str = "bench/workload/src/kernels.rs";
const LIMIT: Duration = Duration::from_secs(600);

struct Options {
    reps: usize,
    layouts: usize,
    sizes: Vec<usize>,
    only: Vec<String>,
    /// Section 1's kernels to run (all when empty).
    kernels: Vec<String>,
}

impl Options {
    fn parse() -> Result<Options> {
        let mut o = Options { reps: 11, layouts: 4, sizes: vec![1000, 5000, 20000, 50000], only: Vec::new(), kernels: Vec::new() };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut i = 0;
        while i < args.len() {
            let value = args.get(i + 1).cloned().unwrap_or_default();
            match args[i].as_str() {
                "--reps" => o.reps = value.parse()?,
                "--layouts" => o.layouts = value.parse()?,
                "--sizes" => o.sizes = value.split(',').map(|s| s.parse()).collect::<Result<_, _>>()?,
                "--only" => o.only = value.split(',').map(str::to_owned).collect(),
                "--kernels" => o.kernels = value.split(',').map(str::to_owned).collect(),
                other => bail!("unknown option {other}"),
            }
            i += 2;
        }
        Ok(o)
    }

    fn wants(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

fn main() -> Result<()> {
    // The bench builds hosts itself, so it is its own rustc wrapper.
    if let Some(dir) = std::env::var_os(hotbreak_hotreload::record::ENV_RECORD_DIR) {
        let mut args = std::env::args_os().skip(1);
        let rustc = args.next().context("rustc")?;
        std::process::exit(hotbreak_hotreload::wrapper::wrap_rustc(dir.as_ref(), rustc, args.collect())?);
    }
    let opts = Options::parse()?;
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("repo root")?.to_path_buf();
    println!("# hotbreak benchmark");
    println!("machine: {} cores, {}; rustc {}", num_cpus(), cpu_model(), rustc_version());
    println!("medians of {} interleaved runs (min..max); nothing armed: {} code layouts each\n", opts.reps, opts.layouts);
    if opts.wants("overhead") {
        nothing_armed(&ws, &opts)?;
    }
    if opts.wants("tool") || opts.wants("gdb") {
        tool_and_gdb(&ws, &opts)?;
    }
    if opts.wants("arming") {
        arming(&ws, &opts)?;
    }
    if opts.wants("memory") {
        memory(&ws, &opts)?;
    }
    if opts.wants("real") {
        real::real_crates(&ws, opts.reps)?;
    } else if opts.only.iter().any(|s| s == "realwork") {
        real::real_workloads(&ws, opts.reps)?;
    }
    if opts.wants("eval") {
        let size = opts.sizes.iter().copied().find(|&s| s >= 20_000).unwrap_or(20_000);
        eval::evaluation(&ws, opts.reps, size)?;
    }
    Ok(())
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into())
}

fn rustc_version() -> String {
    Command::new("rustc").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

/// `osr`: the attribute emits loop sites (issue 19), as `cargo hotbreak`'s
/// wrapper has it do in opt-level-0 builds.
fn cargo(ws: &Path, args: &[&str], osr: bool) -> Result<()> {
    let mut command = hotbreak_hotreload::cargo();
    if osr {
        command.env("HOTBREAK_OSR", "1");
    }
    let status = command
        .args(args)
        .current_dir(ws)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// Builds the workload in one variant and returns its executable.
fn workload(ws: &Path, release: bool, debuggable: bool) -> Result<PathBuf> {
    Ok(workload_layouts(ws, release, debuggable, 1)?.remove(0))
}

/// Builds the workload in one variant, linked in `layouts` code layouts:
/// as cargo links it, then with the linker's sections shuffled by seeds
/// 1, 2, ... Where a tight loop falls relative to cache lines and 32-byte
/// fetch windows moves its time by up to ±30% on its own (seen on this
/// benchmark's `fib`: the same machine code ran 1.0x or 1.4x the native
/// loop, only by its address), so a ratio of one layout each says as much
/// about the linker as about the code. Only the link differs between
/// layouts: the machine code of every function is the same.
fn workload_layouts(ws: &Path, release: bool, debuggable: bool, layouts: usize) -> Result<Vec<PathBuf>> {
    let name = format!("{}-{}", if release { "release" } else { "debug" }, if debuggable { "debuggable" } else { "plain" });
    let dir = ws.join("target/hotbreak-bench/variants").join(&name);
    let profile_dir = dir.join(if release { "release" } else { "debug" });
    let mut args = vec!["rustc", "-q", "-p", "bench-workload", "--bin", "bench-workload", "--target-dir", dir.to_str().context("path")?];
    if release {
        args.push("--release");
    }
    if debuggable {
        args.extend(["--features", "debuggable"]);
    }
    let mut exes = Vec::new();
    for layout in 0..layouts.max(1) {
        let shuffle = format!("-Clink-arg=-Wl,--shuffle-sections=.text.*={layout}");
        let mut with_layout = args.clone();
        if layout > 0 {
            // Seed 0 would mean a fresh random seed each build.
            with_layout.extend(["--", &shuffle]);
        }
        // A debug debuggable build has loop sites, as under the tool.
        if let Err(e) = cargo(ws, &with_layout, debuggable && !release) {
            if layout == 0 {
                return Err(e);
            }
            println!("(only {layout} code layout(s): the linker cannot shuffle sections: {e})\n");
            break;
        }
        let exe = profile_dir.join(format!("bench-workload-layout{layout}"));
        std::fs::copy(profile_dir.join("bench-workload"), &exe)?;
        exes.push(exe);
    }
    Ok(exes)
}

/// Runs `exe once KERNEL N` and returns the nanoseconds it measured.
fn once(exe: &Path, kernel: &str, n: u64) -> Result<f64> {
    let out = Command::new(exe).args(["once", kernel, &n.to_string()]).output()?;
    parse_ns(&String::from_utf8_lossy(&out.stdout))
}

fn parse_ns(line: &str) -> Result<f64> {
    let ns = line.trim().strip_prefix("ns=").and_then(|r| r.split(' ').next()).with_context(|| format!("odd output {line:?}"))?;
    Ok(ns.parse()?)
}

/// Part 1, nothing armed: every function debuggable vs none, each in several
/// code layouts (see [`workload_layouts`]). Every rep runs every layout.
fn nothing_armed(ws: &Path, opts: &Options) -> Result<()> {
    println!("## 1. Nothing armed: #[debuggable] on every function vs none (bar: release <= 1.02x, debug <= 1.05x)\n");
    println!("| profile | kernel | plain ns/iter | debuggable ns/iter | ratio | ratio per layout |");
    println!("|---|---|---|---|---|---|");
    for release in [true, false] {
        let plain = workload_layouts(ws, release, false, opts.layouts)?;
        let debuggable = workload_layouts(ws, release, true, opts.layouts)?;
        let layouts = plain.len().min(debuggable.len());
        // Iterations of the loop kernels, and fib's depth (debug builds run ~10x slower).
        let hot: u64 = if release { 200_000_000 } else { 20_000_000 };
        let depth = if release { 32 } else { 27 };
        // Loops like user code (workload `user.rs`), per element; the
        // slower ones over fewer elements.
        let (user, slow) = (hot, hot / 4);
        for (kernel, n, iters) in [
            ("calls", hot, hot as f64),
            ("methods", hot, hot as f64),
            ("traits", hot, hot as f64),
            ("fib", depth, fib_calls(depth)),
            ("generic", hot, hot as f64),
            ("awaits", hot, hot as f64),
            ("awaits_task", hot, hot as f64),
            ("loop", hot, hot as f64),
            ("sum_steps", user, user as f64),
            ("map_slice", user, elements(user)),
            ("chain", user, elements(user)),
            ("lexer", slow, elements(slow)),
            ("stats", user, elements(user)),
            ("tree", slow, elements(slow)),
        ] {
            if !opts.kernels.is_empty() && !opts.kernels.iter().any(|k| k == kernel) {
                continue;
            }
            let mut per_layout = vec![(Samples::default(), Samples::default()); layouts];
            for _ in 0..opts.reps {
                for (layout, (a, b)) in per_layout.iter_mut().enumerate() {
                    a.push(once(&plain[layout], kernel, n)? / iters);
                    b.push(once(&debuggable[layout], kernel, n)? / iters);
                }
            }
            let (mut a, mut b) = (Samples::default(), Samples::default());
            for (pa, pb) in &per_layout {
                a.extend(pa);
                b.extend(pb);
            }
            let ratios: Vec<String> = per_layout.iter().map(|(pa, pb)| format!("{:.2}", pb.median() / pa.median())).collect();
            println!(
                "| {} | {kernel} | {} | {} | {} | {} |",
                if release { "release" } else { "debug" },
                a.show(),
                b.show(),
                b.ratio_to(&a),
                ratios.join(" ")
            );
        }
    }
    println!();
    Ok(())
}

/// Elements a `user.rs` kernel runs over for `n` (whole 4096-element rounds).
fn elements(n: u64) -> f64 {
    (n.div_ceil(4096) * 4096) as f64
}

fn fib_calls(n: u64) -> f64 {
    let (mut a, mut b) = (1u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a + b + 1);
    }
    a as f64
}

/// A workload process in `serve` mode.
struct Served {
    child: Option<Child>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Served {
    fn plain(exe: &Path) -> Result<Served> {
        let mut child = Command::new(exe).arg("serve").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let served = Served::wrap(child.stdin.take().context("stdin")?, child.stdout.take().context("stdout")?, Some(child))?;
        Ok(served)
    }

    fn wrap(stdin: ChildStdin, stdout: ChildStdout, child: Option<Child>) -> Result<Served> {
        let mut s = Served { child, stdin, stdout: BufReader::new(stdout) };
        let mut line = String::new();
        s.stdout.read_line(&mut line)?;
        if line.trim() != "ready" {
            bail!("workload said {line:?}");
        }
        Ok(s)
    }

    fn run(&mut self, kernel: &str, n: u64) -> Result<f64> {
        writeln!(self.stdin, "{kernel} {n}")?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        parse_ns(&line)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn bench_config(ws: &Path) -> Result<HostConfig> {
    let mut config = HostConfig::for_workspace(ws, &std::env::current_exe()?);
    config.hotbreak_dir = ws.join("target/hotbreak-bench/host");
    Ok(config)
}

pub(crate) fn line_of(ws: &Path, file: &str, needle: &str) -> Result<u32> {
    let text = std::fs::read_to_string(ws.join(file))?;
    Ok(text.lines().position(|l| l.contains(needle)).with_context(|| format!("{needle} not in {file}"))? as u32 + 1)
}

/// 2-3. Under the tool: no breakpoint vs plain, armed elsewhere, compiled
/// conditions, log points and hit counts vs gdb.
fn tool_and_gdb(ws: &Path, opts: &Options) -> Result<()> {
    for release in [false, true] {
        let profile = if release { "release" } else { "debug" };
        let config = bench_config(ws)?;
        let mut args = vec!["-p".to_string(), "bench-workload".into(), "--features".into(), "debuggable".into()];
        if release {
            args.push("--release".into());
        }
        let host = HostBuild::build_with(&config, "build", &args, |a| a.name == "bench-workload")?;
        let mut patcher = Patcher::for_program(&host, &config.hotbreak_dir.join(format!("patches-{profile}")))?;
        let mut plain = Served::plain(&host.executable)?;
        let mut command = Command::new(&host.executable);
        command.arg("serve").stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut dbg = Debuggee::launch(command)?;
        let (stdin, stdout) = (dbg.child.stdin.take().context("stdin")?, dbg.child.stdout.take().context("stdout")?);
        let mut under = Served::wrap(stdin, stdout, None)?;
        let n = if release { 200_000_000 } else { 20_000_000 };

        if opts.wants("tool") {
            println!("## 2. Under the tool ({profile} host build, the same executable)\n");
            println!("| case | kernel | A ns/iter | B ns/iter | B/A |");
            println!("|---|---|---|---|---|");
            for kernel in ["calls", "loop"] {
                let (mut a, mut b) = (Samples::default(), Samples::default());
                for _ in 0..opts.reps {
                    a.push(plain.run(kernel, n)? / n as f64);
                    b.push(under.run(kernel, n)? / n as f64);
                }
                println!("| A started plainly, B under hotbreak, nothing armed | {kernel} | {} | {} | {} |", a.show(), b.show(), b.ratio_to(&a));
            }
            // Armed elsewhere: a breakpoint in `cold`, which the loops never call.
            let cold = line_of(ws, KERNELS, "let y = x + 1;")?;
            let applied = patcher.arm_breakpoints(&mut dbg, KERNELS, cold, &[Breakpoint { id: 1, line: cold, ..Breakpoint::default() }])?;
            for kernel in ["calls", "loop"] {
                let (mut a, mut b) = (Samples::default(), Samples::default());
                for _ in 0..opts.reps {
                    dbg.disarm(applied.function)?;
                    a.push(under.run(kernel, n)? / n as f64);
                    dbg.arm(applied.function, applied.patch)?;
                    b.push(under.run(kernel, n)? / n as f64);
                }
                println!("| A nothing armed, B breakpoint armed in another function | {kernel} | {} | {} | {} |", a.show(), b.show(), b.ratio_to(&a));
            }
            dbg.disarm(applied.function)?;

            // Compiled condition, hit count, log point on a line of the hot loop.
            let line = line_of(ws, KERNELS, "BENCH-LINE")?;
            let cases: [(&str, Breakpoint, u64); 3] = [
                ("never-true condition `if i == u64::MAX`", Breakpoint { id: 2, line, condition: Some("i == u64::MAX".into()), ..Breakpoint::default() }, n),
                ("hit count never reached `hits = u64::MAX`", Breakpoint { id: 3, line, hits: Some(HitCount::Equal(u64::MAX)), ..Breakpoint::default() }, n),
                ("log point `log \"i={i}\"` (every hit logs)", Breakpoint { id: 4, line, log: Some("i={i}".into()), ..Breakpoint::default() }, n / 1000),
            ];
            println!("\nA breakpoint on the hot loop's line, compiled in (bar for the condition: <= 1.5x native):\n");
            println!("| breakpoint | native ns/iter | armed ns/iter | ratio | cost per hit |");
            println!("|---|---|---|---|---|");
            for (what, bp, iters) in cases {
                let applied = patcher.arm_breakpoints(&mut dbg, KERNELS, line, &[bp])?;
                let (mut a, mut b) = (Samples::default(), Samples::default());
                for _ in 0..opts.reps {
                    dbg.disarm(applied.function)?;
                    a.push(under.run("loop", iters)? / iters as f64);
                    dbg.arm(applied.function, applied.patch)?;
                    b.push(under.run("loop", iters)? / iters as f64);
                    dbg.drain_events();
                }
                dbg.disarm(applied.function)?;
                let per_hit = b.median() - a.median();
                println!("| {what} | {} | {} | {} | {} |", a.show(), b.show(), b.ratio_to(&a), fmt_ns(per_hit));
                HOTBREAK_PER_HIT.with(|h| h.borrow_mut().push((profile.to_string(), what.to_string(), per_hit)));
            }
            println!();
        }
        if opts.wants("gdb") && !release {
            gdb(ws, opts)?;
        }
        let _ = dbg.child.kill();
        let _ = dbg.child.wait();
    }
    Ok(())
}

thread_local! {
    /// hotbreak's per-hit costs, kept for the side-by-side with gdb.
    static HOTBREAK_PER_HIT: std::cell::RefCell<Vec<(String, String, f64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// gdb's conditional breakpoint, dprintf and ignore count on the same line
/// of the same program (the plain debug build), per hit.
fn gdb(ws: &Path, opts: &Options) -> Result<()> {
    if Command::new("gdb").arg("--version").output().is_err() {
        println!("gdb not found: skipping the gdb comparison\n");
        return Ok(());
    }
    let exe = workload(ws, false, false)?;
    let line = line_of(ws, KERNELS, "BENCH-LINE")?;
    let n: u64 = 5_000;
    let at = format!("kernels.rs:{line}");
    let cases: [(&str, Vec<String>); 3] = [
        ("never-true condition", vec![format!("break {at} if i == 18446744073709551615")]),
        ("hit count never reached", vec![format!("break {at}"), format!("ignore 1 {}", n + 1)]),
        ("dprintf (every hit prints)", vec![format!("dprintf {at},\"i=%lu\\n\",i")]),
    ];
    println!("## 3. gdb 13 on the same line of the same program (debug build), {n} hits\n");
    println!("| breakpoint | gdb per hit | hotbreak per hit (debug / release host) | gdb / hotbreak (debug) |");
    println!("|---|---|---|---|");
    let reps = opts.reps.min(5);
    for (i, (what, commands)) in cases.iter().enumerate() {
        let (mut without, mut with) = (Samples::default(), Samples::default());
        for _ in 0..reps {
            without.push(gdb_run(&exe, &[], n)?);
            with.push(gdb_run(&exe, commands, n)?);
        }
        let gdb_hit = (with.median() - without.median()) / n as f64;
        let ours: Vec<f64> = HOTBREAK_PER_HIT.with(|h| h.borrow().iter().filter(|(_, w, _)| w_index(w) == i).map(|(_, _, v)| *v).collect());
        let debug_hit = ours.first().copied().unwrap_or(f64::NAN);
        let shown: Vec<String> = ours.iter().map(|v| fmt_ns(*v)).collect();
        println!("| {what} | {} | {} | {:.0}x |", fmt_ns(gdb_hit), shown.join(" / "), gdb_hit / debug_hit.max(0.01));
    }
    println!();
    Ok(())
}

fn w_index(what: &str) -> usize {
    if what.starts_with("never-true") {
        0
    } else if what.starts_with("hit count") {
        1
    } else {
        2
    }
}

/// The loop's own measured time under gdb with `commands` set, in ns.
fn gdb_run(exe: &Path, commands: &[String], n: u64) -> Result<f64> {
    let mut cmd = Command::new("gdb");
    cmd.args(["-nx", "-batch", "-ex", "set pagination off", "-ex", "set debuginfod enabled off"]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    cmd.args(["-ex", "run", "--args"]).arg(exe).args(["once", "loop", &n.to_string()]);
    let out = cmd.output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("ns=")).with_context(|| format!("gdb run printed no result:\n{text}"))?;
    parse_ns(line)
}

/// Part 4: set breakpoint -> armed, by phase, on the fixture and generated
/// crates; vs edit + cargo build + restart; disarm and step round trips.
fn arming(ws: &Path, opts: &Options) -> Result<()> {
    println!("## 4. Arming latency (bar: <= 300 ms example crate, <= 1 s at 20k lines, <= 3 s at 50k; disarm <= 5 ms; step <= 10 ms)\n");
    println!("| crate | lines | first patch | set -> armed | rewrite | prune | rustc | link | load | edit+build+restart | disarm | step |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut crates: Vec<gen::Crate> = vec![gen::Crate::fixture(ws)];
    for &size in &opts.sizes {
        crates.push(gen::Crate::generate(ws, size)?);
    }
    for c in &crates {
        let row = measure_arming(ws, c, opts)?;
        println!("{row}");
    }
    println!();
    Ok(())
}

fn measure_arming(ws: &Path, c: &gen::Crate, opts: &Options) -> Result<String> {
    let mut config = HostConfig::for_workspace(&c.workspace, &std::env::current_exe()?);
    config.hotbreak_dir = c.workspace.join("target/hotbreak");
    if c.workspace == ws {
        config.hotbreak_dir = ws.join("target/hotbreak-bench/host");
    }
    let host = HostBuild::build_with(&config, "build", &["-p".into(), c.package.clone()], |a| a.name == c.package)?;
    let mut patcher = Patcher::for_program(&host, &config.hotbreak_dir.join("arming"))?;
    let mut command = Command::new(&host.executable);
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut dbg = Debuggee::launch(command)?;
    let mut stdin = dbg.child.stdin.take().context("stdin")?;
    let stdout = dbg.child.stdout.take().context("stdout")?;
    let events = dbg.event_sender();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = events.send(Event::Program(line));
        }
    });

    let line = c.break_line;
    let bp = |id| Breakpoint { id, line, ..Breakpoint::default() };
    let first = Instant::now();
    let applied = patcher.arm_breakpoints(&mut dbg, &c.file, line, &[bp(1)])?;
    let first = first.elapsed();
    dbg.disarm(applied.function)?;
    let (mut total, mut rewrite, mut prune, mut rustc, mut link, mut load, mut disarm) =
        (Samples::default(), Samples::default(), Samples::default(), Samples::default(), Samples::default(), Samples::default(), Samples::default());
    // Latency is a median of at least 10 arms at every size, however few
    // reps the other sections take.
    let reps = opts.reps.max(10);
    for id in 0..reps as u32 {
        let started = Instant::now();
        let applied = patcher.arm_breakpoints(&mut dbg, &c.file, line, &[bp(id + 2)])?;
        total.push(started.elapsed().as_nanos() as f64);
        let t = applied.timings;
        rewrite.push(t.rewrite.as_nanos() as f64);
        prune.push(t.prune.as_nanos() as f64);
        rustc.push(t.rustc.as_nanos() as f64);
        link.push((t.symbols + t.link).as_nanos() as f64);
        load.push(t.load.as_nanos() as f64);
        let started = Instant::now();
        dbg.disarm(applied.function)?;
        disarm.push(started.elapsed().as_nanos() as f64);
    }

    // Step round trip: stop in the function, then `next` repeatedly.
    let applied = patcher.arm_breakpoints(&mut dbg, &c.file, line, &[bp(900)])?;
    let mut step = Samples::default();
    while step.len() < 20 {
        writeln!(stdin, "{}", c.call_command)?;
        let mut stop = dbg.wait_stop(LIMIT)?;
        for _ in 0..6 {
            let started = Instant::now();
            dbg.resume(stop.stop, Resume::Next)?;
            match dbg.wait_stop(Duration::from_secs(5)) {
                Ok(s) => {
                    step.push(started.elapsed().as_nanos() as f64);
                    stop = s;
                }
                Err(_) => break,
            }
        }
        dbg.set_breakpoint_enabled(900, false)?;
        dbg.resume(stop.stop, Resume::Continue)?;
        loop {
            match dbg.next_event(LIMIT)? {
                Event::Program(l) if l.starts_with("> ") => break,
                Event::Stopped(s) => dbg.resume(s.stop, Resume::Continue)?,
                _ => {}
            }
        }
        dbg.set_breakpoint_enabled(900, true)?;
    }
    dbg.disarm(applied.function)?;
    let _ = dbg.child.kill();
    let _ = dbg.child.wait();

    let status_quo = edit_build_restart(c, if c.lines >= 20_000 { 3 } else { opts.reps.min(5) })?;
    Ok(format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        c.name,
        c.lines,
        fmt_ns(first.as_nanos() as f64),
        total.show_ms(),
        fmt_ns(rewrite.median()),
        fmt_ns(prune.median()),
        fmt_ns(rustc.median()),
        fmt_ns(link.median()),
        fmt_ns(load.median()),
        status_quo.show_ms(),
        fmt_ns(disarm.median()),
        fmt_ns(step.median()),
    ))
}

/// The status quo: add a `println!` to the function, `cargo build`, and
/// restart the program until it is ready again. Works on a copy of the
/// crate's sources for the bundled example (never on the repo's files).
fn edit_build_restart(c: &gen::Crate, reps: usize) -> Result<Samples> {
    let copy = c.editable_copy()?;
    let file = copy.workspace.join(&copy.file);
    let original = std::fs::read_to_string(&file)?;
    let mut samples = Samples::default();
    cargo(&copy.workspace, &["build", "-q", "-p", &copy.package], false)?;
    for rep in 0..reps {
        let edited: String = original
            .lines()
            .enumerate()
            .map(|(i, l)| if i + 1 == copy.break_line as usize { format!("println!(\"edit {rep}\"); {l}\n") } else { format!("{l}\n") })
            .collect();
        let started = Instant::now();
        std::fs::write(&file, edited)?;
        cargo(&copy.workspace, &["build", "-q", "-p", &copy.package], false)?;
        let exe = copy.workspace.join("target/debug").join(&copy.package);
        let mut child = Command::new(exe).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let mut out = BufReader::new(child.stdout.take().context("stdout")?);
        let mut line = String::new();
        out.read_line(&mut line)?;
        samples.push(started.elapsed().as_nanos() as f64);
        let _ = child.kill();
        let _ = child.wait();
    }
    std::fs::write(&file, original)?;
    Ok(samples)
}

/// 5. Resident memory of the debuggee as breakpoints are armed.
fn memory(ws: &Path, opts: &Options) -> Result<()> {
    let size = opts.sizes.iter().copied().find(|&s| s >= 5000).unwrap_or(5000);
    let c = gen::Crate::generate(ws, size)?;
    let mut config = HostConfig::for_workspace(&c.workspace, &std::env::current_exe()?);
    config.hotbreak_dir = c.workspace.join("target/hotbreak");
    let host = HostBuild::build_with(&config, "build", &["-p".into(), c.package.clone()], |a| a.name == c.package)?;
    let mut patcher = Patcher::for_program(&host, &config.hotbreak_dir.join("memory"))?;
    let mut command = Command::new(&host.executable);
    command.stdin(Stdio::piped()).stdout(Stdio::null());
    let mut dbg = Debuggee::launch(command)?;
    let pid = dbg.hello.pid;
    println!("## 5. Memory of the debuggee ({} lines generated crate)\n", c.lines);
    println!("| breakpoints armed | RSS | patch files (total, mean) |");
    println!("|---|---|---|");
    let mut sizes: Vec<u64> = Vec::new();
    println!("| 0 | {} | - |", rss_kib(pid)?);
    let targets = c.functions_with_lines(100)?;
    for (i, (file, line)) in targets.iter().enumerate() {
        let applied = patcher.arm_breakpoints(&mut dbg, file, *line, &[Breakpoint { id: i as u32 + 1, line: *line, ..Breakpoint::default() }])?;
        sizes.push(applied.size);
        if [1, 10, 100].contains(&(i + 1)) {
            let total: u64 = sizes.iter().sum();
            println!("| {} | {} | {} KiB, {} KiB |", i + 1, rss_kib(pid)?, total / 1024, total / 1024 / sizes.len() as u64);
        }
    }
    let _ = dbg.child.kill();
    let _ = dbg.child.wait();
    println!();
    Ok(())
}

fn rss_kib(pid: u32) -> Result<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).context("VmRSS")?.trim().trim_end_matches(" kB").trim().parse()?;
    Ok(format!("{:.1} MiB", kb as f64 / 1024.0))
}
