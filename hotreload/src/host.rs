//! The host program: building it with recorded rustc commands, and reading
//! its symbol table.

use anyhow::{bail, Context, Result};
use object::{Object, ObjectSymbol, SymbolKind};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct HostBuildOptions {
    /// Directory to run cargo in (the user's workspace or package).
    pub workspace: PathBuf,
    /// Cargo target dir for host builds, separate from the user's own.
    pub target_dir: PathBuf,
    /// Where the wrapper writes rustc records.
    pub record_dir: PathBuf,
    /// The executable that acts as the rustc wrapper (the hotbreak binary).
    pub wrapper: PathBuf,
    /// `build`, or `test` (then `--no-run` is added) for test binaries.
    pub subcommand: String,
    /// Extra cargo arguments (`--bin x`, `-p y`, `--features z`...).
    pub cargo_args: Vec<String>,
}

/// A binary cargo produced.
#[derive(Debug, Clone)]
pub struct HostArtifact {
    /// The cargo target's name (`my-app`, a test file's name...).
    pub name: String,
    /// The target's kinds as cargo says: `bin`, `lib`, `test`, `example`...
    pub kinds: Vec<String>,
    /// Built with the test harness.
    pub test: bool,
    pub executable: PathBuf,
}

/// The cargo that runs us (as a cargo subcommand or under `cargo run`),
/// else the one on `PATH`.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds the host with `cargo build`, recording each workspace crate's rustc
/// command. Cargo's progress and diagnostics go to our stderr.
pub fn build_host(opts: &HostBuildOptions) -> Result<Vec<HostArtifact>> {
    let mut command = cargo();
    command.arg(&opts.subcommand);
    if opts.subcommand == "test" {
        command.arg("--no-run");
    }
    let mut child = command
        // Proc macros run again in every patch build: build them optimized.
        .args(["--config", "profile.dev.build-override.opt-level=3"])
        .arg("--message-format=json-render-diagnostics")
        .arg("--target-dir")
        .arg(&opts.target_dir)
        .args(&opts.cargo_args)
        .current_dir(&opts.workspace)
        .env("RUSTC_WORKSPACE_WRAPPER", &opts.wrapper)
        .env(crate::record::ENV_RECORD_DIR, &opts.record_dir)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run cargo")?;
    let mut artifacts = Vec::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let msg: serde_json::Value = match serde_json::from_str(&line?) {
            Ok(v) => v,
            Err(_) => continue,
        };
        if msg["reason"] == "compiler-artifact" {
            if let Some(exe) = msg["executable"].as_str() {
                let name = msg["target"]["name"].as_str().unwrap_or_default().to_string();
                let kinds = msg["target"]["kind"].as_array().into_iter().flatten().filter_map(|k| k.as_str().map(str::to_owned)).collect();
                let test = msg["profile"]["test"] == true;
                artifacts.push(HostArtifact { name, kinds, test, executable: exe.into() });
            }
        }
    }
    if !child.wait()?.success() {
        bail!("the host build failed (cargo {} {})", opts.subcommand, opts.cargo_args.join(" "));
    }
    Ok(artifacts)
}

/// One name in the host's `.symtab`.
#[derive(Debug, Clone, Copy)]
struct HostSymbol {
    address: u64,
    tls: bool,
    /// Defined more than once (local symbols of different objects).
    ambiguous: bool,
}

/// The host executable's full symbol table, local symbols included.
pub struct HostSymbols {
    /// Sorted, so that the local copies of one item (its name followed by
    /// an instantiating crate) are neighbours of its plain name.
    symbols: BTreeMap<String, HostSymbol>,
    pub build_id: String,
    pub path: PathBuf,
}

/// What the linker script may point a name at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Address(u64),
    Missing,
    Tls,
    Ambiguous,
}

impl HostSymbols {
    pub fn read(path: &Path) -> Result<HostSymbols> {
        let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let file = object::File::parse(&*data)?;
        let mut symbols: BTreeMap<String, HostSymbol> = BTreeMap::new();
        for sym in file.symbols() {
            if sym.is_undefined() || matches!(sym.kind(), SymbolKind::Section | SymbolKind::File) {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            if name.is_empty() {
                continue;
            }
            let new = HostSymbol { address: sym.address(), tls: sym.kind() == SymbolKind::Tls, ambiguous: false };
            symbols
                .entry(name.to_string())
                .and_modify(|old| old.ambiguous |= old.address != new.address)
                .or_insert(new);
        }
        if symbols.is_empty() {
            bail!("{} has no symbol table (was it stripped?)", path.display());
        }
        let build_id = match file.build_id()? {
            Some(id) => id.iter().map(|b| format!("{b:02x}")).collect(),
            None => String::new(),
        };
        Ok(HostSymbols { symbols, build_id, path: path.to_path_buf() })
    }

    /// Link-time address of `name` in the host (add the load bias for runtime).
    /// A v0 name the host lacks resolves to a local copy of the same item,
    /// if the host has one: an `#[inline(always)]` function, such as a
    /// debug-build shim, exists only as such copies.
    pub fn lookup(&self, name: &str) -> Lookup {
        match self.symbols.get(name).or_else(|| self.local_copy(name)) {
            None => Lookup::Missing,
            Some(s) if s.tls => Lookup::Tls,
            Some(s) if s.ambiguous => Lookup::Ambiguous,
            Some(s) => Lookup::Address(s.address),
        }
    }

    /// A local copy of the item named `name` instantiated in its own crate:
    /// v0 appends the instantiating crate, here a back reference to the
    /// path's crate root (`B<base-62>_`). A v0 path is self-delimiting, so
    /// `name` followed by such a suffix names the same item. All local
    /// copies of one instance are the same code: any of them will do.
    fn local_copy(&self, name: &str) -> Option<&HostSymbol> {
        if !name.starts_with("_R") {
            return None;
        }
        self.symbols
            .range::<str, _>((std::ops::Bound::Excluded(name), std::ops::Bound::Unbounded))
            .take_while(|(other, _)| other.starts_with(name))
            .find(|(other, _)| is_crate_backref(&other[name.len()..]))
            .map(|(_, s)| s)
    }

    /// Runtime minus link-time address of the anchor symbol: the load bias.
    pub fn load_bias(&self, anchor_symbol: &str, anchor_runtime: u64) -> Result<u64> {
        match self.lookup(anchor_symbol) {
            Lookup::Address(a) => Ok(anchor_runtime.wrapping_sub(a)),
            other => bail!("anchor symbol {anchor_symbol} is {other:?} in {}", self.path.display()),
        }
    }

    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }
}

/// `B<base-62>_`: a v0 back reference, as an instantiating-crate suffix.
fn is_crate_backref(suffix: &str) -> bool {
    suffix
        .strip_prefix('B')
        .and_then(|s| s.strip_suffix('_'))
        .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crate_backref_is_b_base62_underscore() {
        assert!(is_crate_backref("B3_"));
        assert!(is_crate_backref("B_"));
        assert!(is_crate_backref("B1aZ_"));
        assert!(!is_crate_backref("B3"));
        assert!(!is_crate_backref("3_"));
        assert!(!is_crate_backref("Cs1234_5other"));
        assert!(!is_crate_backref("B3_.llvm.1"));
    }
}
