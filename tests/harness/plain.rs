//! The plain build of a copy, with cargo as anyone would build it, and a
//! run of it: what hotbreak's build must match.

use super::{cargo, Crate, Output, Target};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Builds what `c` runs (its crate rooted at `root`); returns the
/// executable.
pub fn build(c: &Crate, package: &Path, root: &str) -> Result<PathBuf, String> {
    let mut args: Vec<String> = match &c.target {
        Target::Bin(name) => vec!["build".into(), "--bin".into(), name.to_string()],
        Target::Example(name) => vec!["build".into(), "--example".into(), name.to_string()],
        Target::LibTests => vec!["test".into(), "--no-run".into(), "--lib".into()],
        Target::Tests(name) => vec!["test".into(), "--no-run".into(), "--test".into(), name.to_string()],
    };
    args.extend(["--message-format".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let messages = cargo(package, &args)?;
    let root = package.join(root);
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["src_path"].as_str().map(Path::new) == Some(&root))
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo {args:?} built no executable of {}", root.display()))
}

/// Runs the plain executable as hotbreak will: same args, input and dir.
pub fn run(exe: &Path, package: &Path, args: &[String], stdin: Option<&Path>) -> Result<Output, String> {
    let input = match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => Stdio::null(),
    };
    let out = Command::new(exe)
        .args(args)
        .current_dir(package)
        .env("RUST_BACKTRACE", "0")
        .stdin(input)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    Ok(Output {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    })
}
