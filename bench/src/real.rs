//! Real crates from crates.io, as a user has them (no dependency on
//! hotbreak, no attribute): the zero-annotation host build against a plain
//! `cargo build` (cold, and after a one-line edit), set -> armed in the
//! crate, and the crate's own workload under hotbreak, nothing armed,
//! against the plain build.

use crate::stats::Samples;
use anyhow::{bail, Context, Result};
use cargo_hotbreak::{Debuggee, HostBuild, HostConfig, Patcher};
use hotbreak_rewriter::Breakpoint;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// A crate and the work it does.
struct Real {
    name: &'static str,
    version: &'static str,
    bin: &'static str,
    args: &'static [&'static str],
    /// A file of the package, repeated `repeat` times, is the program's stdin.
    input: &'static str,
    repeat: usize,
    /// The line the edit changes and the breakpoint goes on (a hot
    /// function of the library, run by the workload).
    file: &'static str,
    line_text: &'static str,
}

const CRATES: &[Real] = &[Real {
    name: "pulldown-cmark",
    version: "0.13.6",
    bin: "pulldown-cmark",
    args: &["-T", "-F", "-S"],
    input: "README.md",
    repeat: 3000,
    file: "src/parse.rs",
    line_text: "let mut spine_iter = tree.walk_spine();",
}];

pub fn real_crates(ws: &Path, reps: usize) -> Result<()> {
    println!("## 6. Real crates, unmodified (bars: host build <= 1.3x plain cold, <= 1.5x after a one-line edit; set -> armed <= 1 s at 20k lines)\n");
    println!("| crate | lines | plain cold | hotbreak cold | ratio | plain edit | hotbreak edit | ratio | runtime build (once) | first arm | set -> armed |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut workloads = Vec::new();
    for c in CRATES {
        let dir = fetch(ws, c)?;
        let lines = rust_lines(&dir.join("src"));
        let row = builds_and_arming(c, &dir, reps)?;
        println!("| {} {} | {lines} | {row}", c.name, c.version);
        workloads.push((c, dir));
    }
    println!("\nThe crate's own workload, nothing armed: the plain build (A), the hotbreak build started plainly (B) and under hotbreak (C, connected; the launch is in the time):\n");
    println!("| crate | profile | A plain | B hotbreak build | B/A | C under hotbreak | C/A |");
    println!("|---|---|---|---|---|---|---|");
    for (c, dir) in &workloads {
        for release in [false, true] {
            println!("{}", workload(c, dir, release, reps)?);
        }
    }
    println!();
    Ok(())
}

/// Only the crates' own workloads (`--only realwork`): the plain build vs
/// the hotbreak build, started plainly and under the tool, nothing armed.
pub fn real_workloads(ws: &Path, reps: usize) -> Result<()> {
    println!("## 6b. Real crates' own workloads, nothing armed: the plain build (A), the hotbreak build started plainly (B) and under hotbreak (C, connected; the launch is in the time)\n");
    println!("| crate | profile | A plain | B hotbreak build | B/A | C under hotbreak | C/A |");
    println!("|---|---|---|---|---|---|---|");
    for c in CRATES {
        let dir = fetch(ws, c)?;
        for release in [false, true] {
            println!("{}", workload(c, &dir, release, reps)?);
        }
    }
    println!();
    Ok(())
}

/// The sources of the real crate `name` (fetched once), its lines of Rust
/// under `src/`, and its name and version: for the other sections.
pub fn fetched(ws: &Path, name: &str) -> Result<(PathBuf, usize, String)> {
    let c = CRATES.iter().find(|c| c.name == name).with_context(|| format!("no real crate {name}"))?;
    let dir = fetch(ws, c)?;
    let lines = rust_lines(&dir.join("src"));
    Ok((dir, lines, format!("{} {}", c.name, c.version)))
}

/// The package's sources, fetched through cargo at the pinned version and
/// copied outside any workspace (once).
fn fetch(ws: &Path, c: &Real) -> Result<PathBuf> {
    let scratch = std::env::temp_dir().join("hotbreak-bench-real");
    let copy = scratch.join(format!("{}-{}", c.name, c.version));
    if copy.join("Cargo.toml").exists() {
        return Ok(copy);
    }
    let project = scratch.join("fetch");
    std::fs::create_dir_all(project.join("src"))?;
    std::fs::write(
        project.join("Cargo.toml"),
        format!("[package]\nname = \"fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\n{} = \"={}\"\n", c.name, c.version),
    )?;
    std::fs::write(project.join("src/lib.rs"), "")?;
    let out = hotbreak_hotreload::cargo().args(["metadata", "--format-version", "1"]).current_dir(&project).output()?;
    if !out.status.success() {
        bail!("cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let manifest = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == c.name)
        .and_then(|p| p["manifest_path"].as_str())
        .context("cargo fetched no such package")?;
    let status = Command::new("cp").arg("-r").arg(Path::new(manifest).parent().context("path")?).arg(&copy).status()?;
    if !status.success() {
        bail!("cannot copy {manifest}");
    }
    let _ = ws;
    Ok(copy)
}

pub fn rust_lines(dir: &Path) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            n += rust_lines(&path);
        } else if path.extension().is_some_and(|e| e == "rs") {
            n += std::fs::read_to_string(&path).map(|t| t.lines().count()).unwrap_or(0);
        }
    }
    n
}

/// The crate's own target dir, even when `CARGO_TARGET_DIR` is set (the
/// cold builds clear `dir/target/hotbreak`).
fn config(dir: &Path) -> Result<HostConfig> {
    let mut config = HostConfig::for_workspace(dir, &std::env::current_exe()?);
    config.hotbreak_dir = dir.join("target/hotbreak");
    Ok(config)
}

fn host_build(dir: &Path, c: &Real, release: bool) -> Result<HostBuild> {
    let mut args = vec!["--bin".to_string(), c.bin.to_string()];
    if release {
        args.push("--release".into());
    }
    HostBuild::build_with(&config(dir)?, "build", &args, |a| a.name == c.bin)
}

fn plain_build(dir: &Path, c: &Real, release: bool) -> Result<PathBuf> {
    let target = dir.join("target/plain");
    let mut command = hotbreak_hotreload::cargo();
    command.args(["build", "-q", "--bin", c.bin, "--target-dir"]).arg(&target).current_dir(dir);
    if release {
        command.arg("--release");
    }
    if !command.status()?.success() {
        bail!("plain build of {} failed", c.name);
    }
    Ok(target.join(if release { "release" } else { "debug" }).join(c.bin))
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(f64, T)> {
    let started = Instant::now();
    let value = f()?;
    Ok((started.elapsed().as_nanos() as f64, value))
}

/// Cold builds (fresh target dirs; the runtime, built once per target dir,
/// is timed apart), builds after a one-line edit, and arming.
fn builds_and_arming(c: &Real, dir: &Path, reps: usize) -> Result<String> {
    let hotbreak_dir = dir.join("target/hotbreak");
    let (runtime, _) = timed(|| {
        let _ = std::fs::remove_dir_all(hotbreak_dir.join("runtime"));
        hotbreak_hotreload::runtime_lib::build_runtime(&hotbreak_dir.join("runtime"), false)
    })?;
    let (mut plain_cold, mut hb_cold) = (Samples::default(), Samples::default());
    for _ in 0..reps.clamp(1, 3) {
        let _ = std::fs::remove_dir_all(dir.join("target/plain"));
        plain_cold.push(timed(|| plain_build(dir, c, false))?.0);
        for sub in ["build", "records", "annotated"] {
            let _ = std::fs::remove_dir_all(hotbreak_dir.join(sub));
        }
        hb_cold.push(timed(|| host_build(dir, c, false))?.0);
    }
    let path = dir.join(c.file);
    let original = std::fs::read_to_string(&path)?;
    if !original.contains(c.line_text) {
        bail!("{}: no line `{}`", c.file, c.line_text);
    }
    let (mut plain_edit, mut hb_edit) = (Samples::default(), Samples::default());
    for i in 0..reps.clamp(1, 5) {
        // One statement more on the line: no line moves.
        std::fs::write(&path, original.replacen(c.line_text, &format!("let _ = {i}; {}", c.line_text), 1))?;
        plain_edit.push(timed(|| plain_build(dir, c, false))?.0);
        hb_edit.push(timed(|| host_build(dir, c, false))?.0);
    }
    std::fs::write(&path, &original)?;
    let host = host_build(dir, c, false)?;
    let (first, armed) = arming(c, &host, reps)?;
    Ok(format!(
        "{} | {} | {} | {} | {} | {} | {:.0} ms | {:.0} ms | {} |",
        plain_cold.show_ms(),
        hb_cold.show_ms(),
        hb_cold.ratio_to(&plain_cold),
        plain_edit.show_ms(),
        hb_edit.show_ms(),
        hb_edit.ratio_to(&plain_edit),
        runtime / 1e6,
        first / 1e6,
        armed.show_ms()
    ))
}

/// Set -> armed on the line, the first time (a cold patch cache) and then
/// a median of at least 10.
fn arming(c: &Real, host: &HostBuild, reps: usize) -> Result<(f64, Samples)> {
    let source = std::fs::read_to_string(host.config.workspace.join(c.file))?;
    let line = source.lines().position(|l| l.contains(c.line_text)).context("line")? as u32 + 1;
    let crate_name = c.name.replace('-', "_");
    let inv = host.crate_of(c.file, &crate_name)?;
    // A fresh patch dir: the first arm is a user's first breakpoint.
    let work = host.config.hotbreak_dir.join("bench-arming");
    let _ = std::fs::remove_dir_all(&work);
    let mut patcher = Patcher::new(host, inv, &work)?;
    let mut command = Command::new(&host.executable);
    command.stdin(Stdio::piped()).stdout(Stdio::null());
    let mut dbg = Debuggee::launch(command)?;
    let bp = |id| Breakpoint { id, line, ..Breakpoint::default() };
    let (first, applied) = timed(|| patcher.arm_breakpoints(&mut dbg, c.file, line, &[bp(1)]))?;
    dbg.disarm(applied.function)?;
    let mut armed = Samples::default();
    for id in 0..reps.max(10) as u32 {
        let (t, applied) = timed(|| patcher.arm_breakpoints(&mut dbg, c.file, line, &[bp(id + 2)]))?;
        armed.push(t);
        dbg.disarm(applied.function)?;
    }
    let _ = dbg.child.kill();
    let _ = dbg.child.wait();
    Ok((first, armed))
}

/// Wall time of the whole run, the plain executable and the host one under
/// the tool interleaved.
fn workload(c: &Real, dir: &Path, release: bool, reps: usize) -> Result<String> {
    let plain = plain_build(dir, c, release)?;
    let host = host_build(dir, c, release)?;
    let input = dir.join("target/bench-input");
    std::fs::write(&input, std::fs::read_to_string(dir.join(c.input))?.repeat(c.repeat * if release { 4 } else { 1 }))?;
    let stdin = || std::fs::File::open(&input);
    let run = |exe: &Path| -> Result<f64> {
        let (t, status) = timed(|| Ok(Command::new(exe).args(c.args).stdin(stdin()?).stdout(Stdio::null()).status()?))?;
        if !status.success() {
            bail!("{} failed", exe.display());
        }
        Ok(t)
    };
    let (mut a, mut b, mut under) = (Samples::default(), Samples::default(), Samples::default());
    for _ in 0..reps {
        a.push(run(&plain)?);
        b.push(run(&host.executable)?);
        let (t, _) = timed(|| {
            let mut command = Command::new(&host.executable);
            command.args(c.args).stdin(stdin()?).stdout(Stdio::null());
            let mut dbg = Debuggee::launch(command)?;
            let status = dbg.child.wait()?;
            if !status.success() {
                bail!("{} failed under hotbreak", host.executable.display());
            }
            Ok(())
        })?;
        under.push(t);
    }
    let profile = if release { "release" } else { "dev" };
    Ok(format!(
        "| {} | {profile} | {} | {} | {} | {} | {} |",
        c.name,
        a.show_ms(),
        b.show_ms(),
        b.ratio_to(&a),
        under.show_ms(),
        under.ratio_to(&a)
    ))
}
