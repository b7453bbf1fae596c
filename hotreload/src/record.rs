//! Recording rustc command lines as cargo builds the host.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// The crate's files as rustc names them (its module tree): a function
    /// is patched with the command of the crate whose files hold it.
    #[serde(default)]
    pub files: Vec<String>,
    /// Compiled with `#[debuggable]` applied to every item (zero-annotation
    /// build): patch sources get it too.
    #[serde(default)]
    pub annotated: bool,
}

impl Invocation {
    /// Directory of the package's manifest, as cargo told rustc.
    pub fn manifest_dir(&self) -> Option<PathBuf> {
        self.env.iter().find(|(k, _)| k == "CARGO_MANIFEST_DIR").map(|(_, v)| PathBuf::from(v))
    }

    /// `bin`, `lib`, `test`...: how it is recorded and reported.
    pub fn kind(&self) -> String {
        if self.is_test {
            "test".to_string()
        } else {
            self.crate_types.join("+")
        }
    }

    /// `--edition` (rustc's default when absent).
    pub fn edition(&self) -> &str {
        flag_values(&self.args, "--edition").next().unwrap_or("2015")
    }

    /// The crate root's absolute path (what cargo reports as `src_path`).
    pub fn root_path(&self) -> PathBuf {
        self.cwd.join(&self.root_source)
    }

    /// File name this invocation is recorded under: one per crate, kind and
    /// root (a lib and a bin of one package share the crate name, and so do
    /// their test harnesses).
    pub fn record_name(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.root_path().hash(&mut hasher);
        format!("{}.{}.{:08x}.json", self.crate_name, self.kind(), hasher.finish() as u32)
    }

    /// Every invocation recorded in `dir`.
    pub fn load_all(dir: &Path) -> anyhow::Result<Vec<Invocation>> {
        let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("no recorded rustc commands in {}: {e}", dir.display()))?;
        let mut all = Vec::new();
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path)?;
                let inv: Invocation =
                    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("unreadable record {}: {e}", path.display()))?;
                all.push(inv);
            }
        }
        all.sort_by_key(Invocation::record_name);
        Ok(all)
    }
}

/// Value of a `-C name=value` codegen option.
pub fn codegen_value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let prefix = format!("{name}=");
    let mut values = args.iter().enumerate().filter_map(|(i, a)| match a.as_str() {
        "-C" => args.get(i + 1).map(String::as_str),
        other => other.strip_prefix("-C"),
    });
    values.find_map(|v| v.strip_prefix(prefix.as_str()))
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
