//! The real-crates harness: fetch, build plain and under hotbreak, compare,
//! put log points on a sample of functions, judge them against gdb.

pub mod fetch;
pub mod gdb;
pub mod plain;
pub mod report;
pub mod sample;
pub mod session;
pub mod source;

use source::Cfg;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// One crate from crates.io and how to run it.
pub struct Crate {
    pub name: &'static str,
    /// Exact version (`=` in the fetch manifest).
    pub version: &'static str,
    pub target: Target,
    /// The program's arguments (a test binary's come after `--nocapture`,
    /// which `cargo hotbreak test` passes).
    pub args: &'static [&'static str],
    /// A file of the package given to the program as its stdin.
    pub stdin: Option<&'static str>,
    /// How many functions to sample, and the most statement lines they
    /// may hold together (each line's log point is a patch build).
    pub functions: usize,
    pub max_statements: usize,
}

pub enum Target {
    Bin(&'static str),
    Example(&'static str),
    /// The library's unit tests.
    LibTests,
    /// An integration test target.
    Tests(&'static str),
}

impl Crate {
    pub fn is_test(&self) -> bool {
        matches!(self.target, Target::LibTests | Target::Tests(_))
    }

    /// The arguments the program gets, under hotbreak as in the plain run.
    pub fn program_args(&self) -> Vec<String> {
        let mut args: Vec<String> = if self.is_test() { vec!["--nocapture".into()] } else { Vec::new() };
        args.extend(self.args.iter().map(|a| a.to_string()));
        args
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: Option<i32>,
}

impl Output {
    /// libtest prints its run time; nothing else may differ.
    pub fn normalized(&self) -> Output {
        let strip = |s: &str| {
            s.lines()
                .map(|l| match l.find("; finished in ") {
                    Some(at) => format!("{}; finished in (time)", &l[..at]),
                    None => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        Output { stdout: strip(&self.stdout), stderr: strip(&self.stderr), code: self.code }
    }
}

/// Runs cargo in `dir` (its own workspace, its own target dir); returns
/// stdout.
pub fn cargo(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir(dir))
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo {} in {}: {}\n{}", args.join(" "), dir.display(), out.status, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Each copy builds into a target dir of its own, outside the copy.
pub fn target_dir(package: &Path) -> PathBuf {
    fetch::scratch().join("target").join(package.file_name().unwrap())
}

/// The crates of the program: root file (relative to the package) and its
/// `cfg`; the last one is the executable's.
fn layout(c: &Crate, package: &Path) -> Result<Vec<(String, Cfg)>, String> {
    let meta: serde_json::Value = serde_json::from_str(&cargo(package, &["metadata", "--format-version", "1"])?).map_err(|e| e.to_string())?;
    let id = meta["resolve"]["root"].as_str().ok_or("no root package")?;
    let pkg = meta["packages"].as_array().into_iter().flatten().find(|p| p["id"] == id).ok_or("no root package")?;
    let features: BTreeSet<String> = meta["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["id"] == id)
        .map(|n| n["features"].as_array().into_iter().flatten().filter_map(|f| f.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let root_of = |kind: &str, name: Option<&str>| {
        pkg["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k.as_str().is_some_and(|k| k == kind || (kind == "lib" && k.ends_with("lib"))))) && name.is_none_or(|n| t["name"] == n))
            .and_then(|t| t["src_path"].as_str())
            .map(|p| Path::new(p).strip_prefix(package).map(|r| r.to_string_lossy().into_owned()).unwrap_or_else(|_| p.to_string()))
    };
    let cfg = |test| Cfg { test, features: features.clone() };
    let lib = root_of("lib", None).map(|r| (r, cfg(false)));
    let missing = |what: &str| format!("{} has no {what}", c.name);
    Ok(match &c.target {
        Target::LibTests => vec![(lib.ok_or_else(|| missing("lib"))?.0, cfg(true))],
        Target::Bin(n) => lib.into_iter().chain([(root_of("bin", Some(n)).ok_or_else(|| missing(n))?, cfg(false))]).collect(),
        Target::Example(n) => lib.into_iter().chain([(root_of("example", Some(n)).ok_or_else(|| missing(n))?, cfg(false))]).collect(),
        Target::Tests(n) => lib.into_iter().chain([(root_of("test", Some(n)).ok_or_else(|| missing(n))?, cfg(true))]).collect(),
    })
}

/// The fixed seed of the function sample.
const SEED: u64 = 0x686f_7462_726b;

/// Every crate fetched once per test binary.
fn copies(all: &'static [Crate]) -> &'static Result<BTreeMap<&'static str, PathBuf>, String> {
    static COPIES: OnceLock<Result<BTreeMap<&'static str, PathBuf>, String>> = OnceLock::new();
    COPIES.get_or_init(|| fetch::fetch_all(all))
}

/// The whole check of one crate of `all`; panics with every miss.
pub fn check(all: &'static [Crate], name: &str) {
    let c = all.iter().find(|c| c.name == name).expect("a listed crate");
    let copies = copies(all).as_ref().unwrap_or_else(|e| panic!("fetching the crates: {e}"));
    let package = &copies[c.name];
    let started = std::time::Instant::now();
    let report = run(c, package).unwrap_or_else(|e| panic!("{} {}: {e}", c.name, c.version));
    report::print(c, &report, started.elapsed());
    report::print_overall(c, &report, &fetch::scratch().join("reach"));
    assert!(report.misses.is_empty(), "{} {}: {} misses:\n{}", c.name, c.version, report.misses.len(), report.misses.join("\n"));
}

/// A session of `script` on crate `name` of `all` (fetched, copied, built
/// unmodified).
pub fn session_on(all: &'static [Crate], name: &str, script: &str) -> session::Session {
    let c = all.iter().find(|c| c.name == name).expect("a listed crate");
    let package = fetched(all, name);
    let target = target_dir(&package);
    let state = fetch::scratch().join("work").join(c.name).join("session");
    let stdin = c.stdin.map(|f| package.join(f));
    let run = forget_other_tools(&target)
        .and_then(|_| share_runtime(&target))
        .and_then(|_| session::run(c, &package, &target, &state, script, stdin.as_deref()))
        .unwrap_or_else(|e| panic!("{} {}: {e}", c.name, c.version));
    run
}

/// Where crate `name` of `all` is copied, fetched first if need be.
pub fn fetched(all: &'static [Crate], name: &str) -> PathBuf {
    let copies = copies(all).as_ref().unwrap_or_else(|e| panic!("fetching the crates: {e}"));
    copies[name].clone()
}

fn run(c: &Crate, package: &Path) -> Result<report::Report, String> {
    let mut clock = Clock::start();
    let roots = layout(c, package)?;
    let exe = plain::build(c, package, &roots.last().unwrap().0)?;
    clock.lap("plain build");
    let stdin = c.stdin.map(|f| package.join(f));
    let plain = plain::run(&exe, package, &c.program_args(), stdin.as_deref())?;
    let mut functions = Vec::new();
    for (root, cfg) in &roots {
        functions.extend(source::crate_functions(package, root, cfg)?);
    }
    let sampled = sample::sample(&functions, SEED, c.functions, c.max_statements);
    // Statement lines, and lines with code inside a statement (to count
    // those that run but take no log point).
    let code_lines: BTreeSet<(String, u32)> =
        sampled.iter().flat_map(|f| f.own_lines().filter(|l| f.code.contains(l)).map(|l| (f.file.clone(), l))).collect();
    let work = fetch::scratch().join("work").join(c.name);
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let listing: Vec<String> =
        sampled.iter().map(|f| format!("{}:{} {} statements {:?} unpatchable {:?}", f.file, f.fn_line, f.name, f.statements, f.unpatchable)).collect();
    let _ = std::fs::write(work.join("sample.txt"), listing.join("\n"));
    let mut ran = gdb::ran_lines(&exe, package, &c.program_args(), stdin.as_deref(), &code_lines, &work.join("gdb"))?;
    // A function none of whose lines has code in the plain build is not in
    // it (nothing calls it): it cannot run.
    for f in &sampled {
        let keys: Vec<(String, u32)> = f.statements.iter().map(|l| (f.file.clone(), *l)).collect();
        if keys.iter().all(|k| ran[k].is_none()) {
            for k in keys {
                ran.insert(k, Some(false));
            }
        }
    }
    clock.lap("gdb");
    // The plain build wrote Cargo.lock if it had to; from here on, the
    // copy's files must stay as they are.
    let before = fetch::snapshot(package);
    let target = target_dir(package);
    forget_other_tools(&target)?;
    share_runtime(&target)?;
    let bare = session::run(c, package, &target, &work.join("bare"), "continue\n", stdin.as_deref())?;
    clock.lap("hotbreak build and run");
    let mut script = String::new();
    let mut tried = Vec::new();
    for f in &sampled {
        for line in f.own_lines() {
            script.push_str(&format!("break {}:{line} log \"hit\"\n", f.file));
            tried.push((f, line));
        }
    }
    script.push_str("continue\n");
    let logged = if bare.debuggable.is_some() { Some(session::run(c, package, &target, &work.join("logged"), &script, stdin.as_deref())?) } else { None };
    clock.lap("log points");
    let after = fetch::snapshot(package);
    let mut report = report::judge(report::Inputs {
        package,
        functions: functions.len(),
        sampled: &sampled,
        tried: &tried,
        ran: &ran,
        plain: &plain,
        bare: &bare,
        logged: logged.as_ref(),
        files_changed: changed(&before, &after),
        normalize: c.is_test(),
    });
    report.phases = clock.laps;
    let lines = |patchable_only: bool| functions.iter().filter(|f| !patchable_only || f.unpatchable.is_none()).map(|f| f.statements.len()).sum::<usize>();
    report.predicted = (lines(true), lines(false));
    let _ = std::fs::write(work.join("lines.tsv"), report.table.join("\n"));
    Ok(report)
}

/// Host builds made by another build of cargo-hotbreak are dropped: cargo
/// would find a crate the old wrapper built fresh and not ask the new one.
fn forget_other_tools(target: &Path) -> Result<(), String> {
    let tool = std::fs::metadata(env!("CARGO_BIN_EXE_cargo-hotbreak")).map_err(|e| e.to_string())?;
    let stamp = format!("{:?} {}", tool.modified().ok(), tool.len());
    let marker = target.join("hotbreak-tool");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(&stamp) {
        return Ok(());
    }
    for entry in std::fs::read_dir(target.join("hotbreak")).into_iter().flatten().flatten() {
        if entry.file_name() != "runtime" {
            let _ = std::fs::remove_dir_all(entry.path()).or_else(|_| std::fs::remove_file(entry.path()));
        }
    }
    std::fs::create_dir_all(target).and_then(|_| std::fs::write(&marker, stamp)).map_err(|e| e.to_string())
}

/// Zero-annotation builds build the hotbreak runtime (and its proc macro
/// with syn, optimized) once per target dir, in `hotbreak/runtime`: the
/// copies share one, which saves minutes of a cold CI run. Only speed
/// depends on this path; cargo's lock keeps concurrent builds apart.
fn share_runtime(target: &Path) -> Result<(), String> {
    let link = target.join("hotbreak/runtime");
    if link.symlink_metadata().is_ok() {
        return Ok(());
    }
    let shared = fetch::scratch().join("runtime");
    std::fs::create_dir_all(&shared).and_then(|_| std::fs::create_dir_all(link.parent().unwrap())).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(&shared, &link).map_err(|e| format!("{}: {e}", link.display()))
}

/// How long each phase took.
struct Clock {
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Clock {
    fn start() -> Clock {
        Clock { last: std::time::Instant::now(), laps: Vec::new() }
    }

    fn lap(&mut self, what: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((what, now - self.last));
        self.last = now;
    }
}

fn changed(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    let keys: BTreeSet<&PathBuf> = before.keys().chain(after.keys()).collect();
    keys.into_iter().filter(|k| before.get(*k) != after.get(*k)).map(|k| k.display().to_string()).collect()
}
