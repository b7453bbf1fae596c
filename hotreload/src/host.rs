//! The host program: building it with recorded rustc commands, and reading
//! its symbol table.

use anyhow::{bail, Context, Result};
use hotbreak::__private::{shim_of, NATIVE};
use object::{Object, ObjectSymbol, SymbolKind};
use std::collections::{HashMap, HashSet};
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
    /// Make every function of the workspace debuggable (no attribute, no
    /// dependency in the user's code).
    pub zero_annotation: Option<ZeroAnnotation>,
}

/// What a zero-annotation build tells the rustc wrapper.
#[derive(Debug, Clone)]
pub struct ZeroAnnotation {
    pub runtime: crate::runtime_lib::RuntimeLib,
    /// Shadow trees of the annotated crates.
    pub annotate_dir: PathBuf,
    /// Only these crates (all workspace crates when empty).
    pub only: Vec<String>,
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
    /// The target's crate root (absolute).
    pub src_path: PathBuf,
}

/// Profile settings of the user's that a host build overrides.
const PROFILE_OVERRIDES: [&str; 4] = ["profile.dev.strip=false", "profile.release.strip=false", "profile.dev.lto=false", "profile.release.lto=false"];

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
        // Patches resolve the program's symbols by name: a stripped or
        // link-time-optimized program has lost them (real crates set both
        // in their release profile).
        .args(PROFILE_OVERRIDES.iter().flat_map(|o| ["--config", o]))
        .arg("--message-format=json-render-diagnostics")
        .arg("--target-dir")
        .arg(&opts.target_dir)
        .args(&opts.cargo_args)
        .current_dir(&opts.workspace)
        .env("RUSTC_WORKSPACE_WRAPPER", &opts.wrapper)
        .env(crate::record::ENV_RECORD_DIR, &opts.record_dir)
        .envs(opts.zero_annotation.iter().flat_map(zero_annotation_env))
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
                let src_path = msg["target"]["src_path"].as_str().unwrap_or_default().into();
                artifacts.push(HostArtifact { name, kinds, test, executable: exe.into(), src_path });
            }
        }
    }
    if !child.wait()?.success() {
        bail!("the host build failed (cargo {} {})", opts.subcommand, opts.cargo_args.join(" "));
    }
    Ok(artifacts)
}

fn zero_annotation_env(z: &ZeroAnnotation) -> Vec<(&'static str, std::ffi::OsString)> {
    use crate::wrapper::{ENV_ANNOTATE_DIR, ENV_DEBUG_CRATES, ENV_RUNTIME_DEPS, ENV_RUNTIME_RLIB};
    let mut env = vec![
        (ENV_ANNOTATE_DIR, z.annotate_dir.clone().into_os_string()),
        (ENV_RUNTIME_RLIB, z.runtime.rlib.clone().into_os_string()),
        (ENV_RUNTIME_DEPS, z.runtime.deps.clone().into_os_string()),
    ];
    if !z.only.is_empty() {
        env.push((ENV_DEBUG_CRATES, z.only.join(",").into()));
    }
    env
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
    symbols: HashMap<String, HostSymbol>,
    /// Every address of a name defined at more than one (local copies).
    duplicates: HashMap<String, Vec<u64>>,
    /// Debug-build shims by their function's demangled path: the address of
    /// the slot whose `call` field they jump through.
    shim_slots: HashMap<String, u64>,
    /// Function symbols by address: (start, end, name), sorted.
    functions: Vec<(u64, u64, String)>,
    pub build_id: String,
    pub path: PathBuf,
}

/// What the linker script may point a name at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Address(u64),
    /// No symbol, but a debug-build shim: inlined into its callers, it has
    /// only its nested native body and this slot (link-time address), whose
    /// `call` field a trampoline can jump through.
    Shim(u64),
    Missing,
    Tls,
    Ambiguous,
}

impl HostSymbols {
    pub fn read(path: &Path) -> Result<HostSymbols> {
        let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let file = object::File::parse(&*data)?;
        let mut symbols: HashMap<String, HostSymbol> = HashMap::new();
        let mut duplicates: HashMap<String, Vec<u64>> = HashMap::new();
        let mut functions = Vec::new();
        for sym in file.symbols() {
            if sym.is_undefined() || matches!(sym.kind(), SymbolKind::Section | SymbolKind::File) {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            if name.is_empty() {
                continue;
            }
            if sym.kind() == SymbolKind::Text && sym.size() > 0 {
                functions.push((sym.address(), sym.address() + sym.size(), name.to_string()));
            }
            let new = HostSymbol { address: sym.address(), tls: sym.kind() == SymbolKind::Tls, ambiguous: false };
            let entry = symbols.entry(name.to_string()).or_insert(new);
            if entry.address != new.address {
                entry.ambiguous = true;
                let all = duplicates.entry(name.to_string()).or_insert_with(|| vec![entry.address]);
                if !all.contains(&new.address) {
                    all.push(new.address);
                }
            }
        }
        if symbols.is_empty() {
            bail!("{} has no symbol table (was it stripped?)", path.display());
        }
        let shim_slots = shim_slots(&symbols);
        let build_id = match file.build_id()? {
            Some(id) => id.iter().map(|b| format!("{b:02x}")).collect(),
            None => String::new(),
        };
        functions.sort();
        Ok(HostSymbols { symbols, duplicates, shim_slots, functions, build_id, path: path.to_path_buf() })
    }

    /// Link-time address of `name` in the host (add the load bias for runtime).
    pub fn lookup(&self, name: &str) -> Lookup {
        match self.symbols.get(name) {
            None => self.shim_slot(name).map_or(Lookup::Missing, Lookup::Shim),
            Some(s) if s.tls => Lookup::Tls,
            Some(s) if s.ambiguous => Lookup::Ambiguous,
            Some(s) => Lookup::Address(s.address),
        }
    }

    /// The slot of the function `name` when the program compiled it as a
    /// debug-build shim.
    fn shim_slot(&self, name: &str) -> Option<u64> {
        if !name.starts_with("_R") {
            return None;
        }
        let path = rustc_demangle::try_demangle(name).ok()?.to_string();
        self.shim_slots.get(&path).copied()
    }

    /// Every instance of a generic function (`pattern`) in the host
    /// (`krate::m::f::<u8>`, demangled without hashes) and the link-time
    /// address it looks itself up by (its own, or its marker's). An instance defined at two addresses (local copies that
    /// differ) is listed once per address.
    pub fn instances(&self, pattern: &crate::instances::InstancePattern) -> Vec<(String, u64)> {
        let mut found: Vec<(String, u64)> = self.instance_symbols(pattern).into_iter().map(|(name, _, a)| (name, a)).collect();
        found.sort();
        found.dedup();
        found
    }

    /// [`HostSymbols::instances`] with each one's symbol, without a
    /// `.llvm.` suffix ([`crate::instances::symbol_key`]): an instance a
    /// downstream crate makes has its very symbol in a patch, and two
    /// crates of one name (a package's lib and bin) make instances whose
    /// demangled names are the same for different types.
    pub fn instance_symbols(&self, pattern: &crate::instances::InstancePattern) -> Vec<(String, String, u64)> {
        // v0 spells each identifier as is: a cheap filter before demangling.
        let ident = pattern.path.rsplit("::").next().unwrap_or(&pattern.path);
        let mut found: Vec<(String, String, u64)> = self
            .symbols
            .iter()
            .filter(|(name, s)| !s.tls && name.starts_with("_R") && name.contains(ident))
            .flat_map(|(name, s)| {
                let demangled = format!("{:#}", rustc_demangle::demangle(name));
                let addresses = match self.duplicates.get(name) {
                    Some(all) => all.clone(),
                    None => vec![s.address],
                };
                // (An async fn's instances by their markers: see `host_entry`.)
                let found = pattern.host_entry(name, &demangled);
                let key = crate::instances::symbol_key(name).to_string();
                addresses.into_iter().filter_map(move |a| found.clone().map(|n| (n, key.clone(), a)))
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Link-time addresses of every function whose symbol contains `part`
    /// (spelled as is in both manglings: `__rust_begin_short_backtrace`).
    pub fn addresses_containing(&self, part: &str) -> Vec<u64> {
        let mut found: Vec<u64> = self
            .symbols
            .iter()
            .filter(|(name, s)| !s.tls && name.contains(part))
            .flat_map(|(name, s)| self.duplicates.get(name).cloned().unwrap_or_else(|| vec![s.address]))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The function whose code holds link-time address `addr`, demangled
    /// without its hash (`krate::m::f`, `<krate::T>::m`).
    pub fn function_at(&self, addr: u64) -> Option<String> {
        let i = self.functions.partition_point(|f| f.0 <= addr).checked_sub(1)?;
        let (_, end, name) = &self.functions[i];
        (addr < *end).then(|| format!("{:#}", rustc_demangle::demangle(name)))
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

/// Name of the slot static in every debuggable function (emitted by
/// `hotbreak-macros`; native bodies' names are `hotbreak::__private`'s).
const SLOT_NAME: &str = "__HOTBREAK_SLOT";

/// Slots of the functions that are shims: those with a native body beside
/// their slot (`f::__hotbreak_native` in a free fn, a method's sibling
/// `<T>::__hotbreak_native_m` or its nested trait impl; see
/// `shim_of`). Keyed by the function's demangled path,
/// crate hashes included (`fixture[1a2b..]::logic::double`).
fn shim_slots(symbols: &HashMap<String, HostSymbol>) -> HashMap<String, u64> {
    let demangled = |name: &str| Some(rustc_demangle::try_demangle(name).ok()?.to_string());
    let with_native: HashSet<String> =
        symbols.keys().filter(|n| n.contains(NATIVE)).filter_map(|n| shim_of(&demangled(n)?)).collect();
    symbols
        .iter()
        .filter(|(n, s)| n.contains(SLOT_NAME) && !s.tls && !s.ambiguous)
        .filter_map(|(n, s)| Some((demangled(n)?.strip_suffix(SLOT_NAME)?.strip_suffix("::")?.to_owned(), s.address)))
        .filter(|(function, _)| with_native.contains(function))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names as rustc 1.95 mangles them in the fixture's debug build.
    #[test]
    fn a_shim_is_found_by_its_slot_beside_its_native_body() {
        let sym = |address| HostSymbol { address, tls: false, ambiguous: false };
        let symbols: HashMap<String, HostSymbol> = [
            ("_RNvNvNtCsnvAR09JXE5_7fixture5logic6double15___HOTBREAK_SLOT", sym(0x277608)),
            ("_RNvNvNtCsnvAR09JXE5_7fixture5logic6double17___hotbreak_native", sym(0xb7aa0)),
            // A function with its check in the body: a slot, no nested body.
            ("_RNvNvNtCsnvAR09JXE5_7fixture5logic8describe15___HOTBREAK_SLOT", sym(0x277620)),
            ("_RNvNtCsnvAR09JXE5_7fixture5logic8describe", sym(0xb71f0)),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect();
        let host = HostSymbols { shim_slots: shim_slots(&symbols), symbols, duplicates: HashMap::new(), functions: Vec::new(), build_id: String::new(), path: PathBuf::new() };
        assert_eq!(host.lookup("_RNvNtCsnvAR09JXE5_7fixture5logic6double"), Lookup::Shim(0x277608));
        assert_eq!(host.lookup("_RNvNtCsnvAR09JXE5_7fixture5logic8describe"), Lookup::Address(0xb71f0));
        // Another crate's function of the same path is another function.
        assert_eq!(host.lookup("_RNvNtCsaaAR09JXE5_7fixture5logic6double"), Lookup::Missing);
    }

    /// A method's native body is its sibling: `<T>::__hotbreak_native_write`
    /// beside `<T>::write::__HOTBREAK_SLOT` (bench workload, debug build).
    #[test]
    fn a_method_shim_is_found_by_its_slot_beside_its_sibling_native_body() {
        let sym = |address| HostSymbol { address, tls: false, ambiguous: false };
        let symbols: HashMap<String, HostSymbol> = [
            ("_RNvNvMNtCs75Vpomxxe89_14bench_workload7kernelsNtB4_6Hasher5write15___HOTBREAK_SLOT", sym(0x1660f8)),
            ("_RNvMNtCs75Vpomxxe89_14bench_workload7kernelsNtB2_6Hasher23___hotbreak_native_write", sym(0x62d10)),
            // A method with its check in the body (a trait impl's).
            ("_RNvNvMNtCs75Vpomxxe89_14bench_workload7kernelsNtB4_6Hasher4read15___HOTBREAK_SLOT", sym(0x166100)),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect();
        let host = HostSymbols { shim_slots: shim_slots(&symbols), symbols, duplicates: HashMap::new(), functions: Vec::new(), build_id: String::new(), path: PathBuf::new() };
        assert_eq!(host.lookup("_RNvMNtCs75Vpomxxe89_14bench_workload7kernelsNtB2_6Hasher5write"), Lookup::Shim(0x1660f8));
        assert_eq!(host.lookup("_RNvMNtCs75Vpomxxe89_14bench_workload7kernelsNtB2_6Hasher4read"), Lookup::Missing);
    }

    /// A trait method's native body is a nested trait impl:
    /// `<Lcg as <Lcg as Iterator>::next::__HotbreakNative>::__hotbreak_native`
    /// beside `<Lcg as Iterator>::next::__HOTBREAK_SLOT` (bench workload).
    #[test]
    fn a_trait_method_shim_is_found_by_its_slot_beside_its_nested_native_body() {
        let sym = |address| HostSymbol { address, tls: false, ambiguous: false };
        let next = "_RNvXs_NtCseD0qgNDlSht_14bench_workload7kernelsNtB4_3LcgNtNtNtNtCsgEmfK2I1SDS_4core4iter6traits8iterator8Iterator4next";
        let symbols: HashMap<String, HostSymbol> = [
            ("_RNvNvXs_NtCseD0qgNDlSht_14bench_workload7kernelsNtB6_3LcgNtNtNtNtCsgEmfK2I1SDS_4core4iter6traits8iterator8Iterator4next15___HOTBREAK_SLOT", sym(0x168828)),
            ("_RNvXNvXs_NtCseD0qgNDlSht_14bench_workload7kernelsNtB7_3LcgNtNtNtNtCsgEmfK2I1SDS_4core4iter6traits8iterator8Iterator4nextBL_NtB2_16___HotbreakNative17___hotbreak_native", sym(0x65530)),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect();
        let host = HostSymbols { shim_slots: shim_slots(&symbols), symbols, duplicates: HashMap::new(), functions: Vec::new(), build_id: String::new(), path: PathBuf::new() };
        assert_eq!(host.lookup(next), Lookup::Shim(0x168828));
    }
}
