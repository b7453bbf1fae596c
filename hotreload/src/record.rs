//! Recording rustc command lines as cargo builds the host.

use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment variable that turns the hotbreak binary into the rustc wrapper
/// and names the directory that receives the records.
pub const ENV_RECORD_DIR: &str = "HOTBREAK_RECORD_DIR";

/// Flags every workspace crate of the host is built with: keep every item
/// (so a patch can resolve it by name) and mangle with v0 (so generic
/// instances over a patched function's closures carry its path).
pub const HOST_FLAGS: [&str; 4] = ["-C", "link-dead-code", "-C", "symbol-mangling-version=v0"];

/// One recorded rustc run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Invocation {
    pub rustc: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// The variables cargo sets for the crate (`CARGO_*`, `OUT_DIR`), which
    /// `env!` and friends may read.
    pub env: Vec<(String, String)>,
    pub crate_name: String,
    /// The crate root as given to rustc (relative to `cwd` for workspace crates).
    pub root_source: PathBuf,
    pub is_test: bool,
    pub crate_types: Vec<String>,
}

impl Invocation {
    /// Directory of the package's manifest, as cargo told rustc.
    pub fn manifest_dir(&self) -> Option<PathBuf> {
        self.env.iter().find(|(k, _)| k == "CARGO_MANIFEST_DIR").map(|(_, v)| PathBuf::from(v))
    }

    /// File name this invocation is recorded under.
    pub fn record_name(&self) -> String {
        let kind = if self.is_test { "test".to_string() } else { self.crate_types.join("+") };
        format!("{}.{}.json", self.crate_name, kind)
    }

    /// Reads a recorded invocation.
    pub fn load(dir: &Path, crate_name: &str, kind: &str) -> anyhow::Result<Invocation> {
        let path = dir.join(format!("{crate_name}.{kind}.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("no recorded rustc command for `{crate_name}` ({kind}) at {}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Value of a `--flag value` / `--flag=value` option in a rustc command line.
pub fn flag_values<'a>(args: &'a [String], flag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let prefix = format!("{flag}=");
    args.iter().enumerate().filter_map(move |(i, a)| {
        if a == flag {
            args.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(prefix.as_str())
        }
    })
}

/// Runs as `RUSTC_WORKSPACE_WRAPPER`: adds the host flags, records the
/// command, then runs rustc. Returns rustc's exit code.
pub fn wrap_rustc(record_dir: &Path, rustc: OsString, args: Vec<OsString>) -> std::io::Result<i32> {
    let mut args: Vec<String> = args.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let crate_name = flag_values(&args, "--crate-name").next().map(str::to_owned);
    let emits_link = flag_values(&args, "--emit").any(|e| e.split(',').any(|k| k.starts_with("link")));
    if let (Some(crate_name), true) = (crate_name, emits_link) {
        args.extend(HOST_FLAGS.iter().map(|s| s.to_string()));
        let root_source = args
            .iter()
            .find(|a| a.ends_with(".rs") && !a.starts_with('-'))
            .map(PathBuf::from)
            .unwrap_or_default();
        let inv = Invocation {
            rustc: PathBuf::from(&rustc),
            crate_types: flag_values(&args, "--crate-type").map(str::to_owned).collect(),
            is_test: args.iter().any(|a| a == "--test"),
            env: std::env::vars().filter(|(k, _)| k.starts_with("CARGO") || k == "OUT_DIR").collect(),
            cwd: std::env::current_dir()?,
            args: args.clone(),
            crate_name,
            root_source,
        };
        std::fs::create_dir_all(record_dir)?;
        let json = serde_json::to_vec_pretty(&inv).map_err(std::io::Error::other)?;
        std::fs::write(record_dir.join(inv.record_name()), json)?;
    }
    let status = Command::new(&rustc).args(&args).status()?;
    Ok(status.code().unwrap_or(101))
}
