//! Compiling a patched crate and linking the patch.
//!
//! Compile: replay the crate's recorded rustc command on the shadow tree with
//! `--emit=obj -C relocation-model=static -C code-model=large` and many
//! codegen units with patch-only incremental state, so rustc leaves one
//! object per unit and recompiles only what changed. The large code model
//! makes every reference to another item a 64-bit absolute address.
//!
//! Link: starting from the object that defines the patch's entry getter,
//! follow references that the host cannot satisfy; give every other name the
//! host defines its host address in a linker script (a script assignment
//! overrides the object's own definition, and `--gc-sections` drops the stale
//! copy). Only the replaced function's code (with its closures, nested fns
//! and generic instances over them) stays in the patch; statics, other
//! functions and types' impls are the host's.

use crate::downstream::{Downstream, DownstreamObjects};
use crate::host::{HostSymbols, Lookup};
use crate::instances::{generic_patch, names_path, InstancePattern};
use crate::record::Invocation;
use crate::shadow::ShadowTree;
use crate::trampolines;
use anyhow::{anyhow, bail, Context};
use hotbreak::__private::method_native;
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SymbolKind};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One rustc diagnostic, located at the user's file and line.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub level: String,
    pub message: String,
    pub rendered: String,
    /// The primary span's file and line.
    pub file: Option<String>,
    pub line: Option<u32>,
    /// Every span, primary and labels (1-based, char columns, end exclusive).
    pub spans: Vec<DiagSpan>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagSpan {
    pub file: String,
    pub line_start: u32,
    pub col_start: u32,
    pub line_end: u32,
    pub col_end: u32,
    pub primary: bool,
    pub label: Option<String>,
}

#[derive(Debug)]
pub enum PatchError {
    /// rustc rejected the patched source.
    Compile(Vec<Diagnostic>),
    Other(anyhow::Error),
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatchError::Compile(diags) => {
                writeln!(f, "the patch does not compile:")?;
                for d in diags.iter().filter(|d| d.level == "error") {
                    write!(f, "{}", d.rendered)?;
                }
                Ok(())
            }
            PatchError::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for PatchError {}

impl From<anyhow::Error> for PatchError {
    fn from(e: anyhow::Error) -> Self {
        PatchError::Other(e)
    }
}

impl From<std::io::Error> for PatchError {
    fn from(e: std::io::Error) -> Self {
        PatchError::Other(e.into())
    }
}

/// Objects of one compiled patch, ready to link.
#[derive(Debug)]
pub struct CompiledPatch {
    pub id: u64,
    pub getter: String,
    objdir: PathBuf,
    pub rustc_time: Duration,
    pub warnings: Vec<Diagnostic>,
    /// The patched crate's metadata, when asked for (a generic function's
    /// patch, whose instances a downstream crate may make).
    pub metadata: Option<PathBuf>,
}

/// A patch shared library, ready to load.
#[derive(Debug, Clone)]
pub struct LinkedPatch {
    pub path: PathBuf,
    pub getter: String,
    pub size: u64,
    pub objects_linked: usize,
    pub objects_total: usize,
    pub redirected: usize,
    pub symbols_time: Duration,
    pub link_time: Duration,
    /// For a generic function: its instances in the library.
    pub generic: Option<GenericPatch>,
    /// For any other: the replaced function's symbol.
    pub replaced: Option<String>,
    /// The downstream crates compiled for instances only they make: their
    /// names, rustc's time, and why one did not compile (the crates before
    /// it are linked).
    pub downstream: Option<(String, Duration, Option<String>)>,
}

/// What the library of a generic function's patch holds: the instances its
/// entry checks look up (see the runtime's `instances.rs`).
#[derive(Debug, Clone)]
pub struct GenericPatch {
    /// Which symbols are the function's instances.
    pub pattern: InstancePattern,
    /// Link-time address of the anchor static the getter returns: the
    /// getter's value minus this is the library's load base.
    pub anchor: u64,
    /// Each instance's demangled name (`krate::m::f::<u8>`) and link-time
    /// address in the library.
    pub instances: Vec<(String, u64)>,
    /// The same instances by symbol ([`crate::instances::symbol_key`]).
    pub symbols: Vec<(String, u64)>,
}

/// Builds patches of one crate against one host executable.
pub struct PatchBuilder {
    inv: Invocation,
    host: Arc<HostSymbols>,
    shadow: ShadowTree,
    work: PathBuf,
    next_id: u64,
    /// The executable's own crate when it links this one: compiled again
    /// for the instances of a generic function only it makes.
    downstream: Option<Downstream>,
    /// Its objects for the last patch that needed them (patch id).
    downstream_built: std::sync::Mutex<Option<(u64, Result<DownstreamObjects, String>)>>,
}

impl PatchBuilder {
    /// `work` is this crate's private patch directory under the hotbreak target dir.
    pub fn new(inv: Invocation, host: Arc<HostSymbols>, work: &Path) -> anyhow::Result<PatchBuilder> {
        let package = inv.manifest_dir().ok_or_else(|| anyhow!("record of {} lacks CARGO_MANIFEST_DIR", inv.crate_name))?;
        std::fs::create_dir_all(work)?;
        // The runtime loads only patches nobody else could have written.
        std::fs::set_permissions(work, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        let shadow = ShadowTree::create(&work.join("src"), &inv.cwd, &package)?;
        Ok(PatchBuilder { inv, host, shadow, work: work.to_path_buf(), next_id: 0, downstream: None, downstream_built: Default::default() })
    }

    /// The crate's recorded command.
    pub fn invocation(&self) -> &Invocation {
        &self.inv
    }

    /// Instances only `downstream` makes are compiled with it (see
    /// `downstream.rs`).
    pub fn set_downstream(&mut self, downstream: Downstream) {
        self.downstream = Some(downstream);
    }

    pub fn host(&self) -> &Arc<HostSymbols> {
        &self.host
    }

    /// Compiles the crate with `files` (paths relative to the build
    /// directory) replaced. `getter` is the patch's `#[no_mangle]` entry getter.
    pub fn compile(&mut self, files: &[(PathBuf, String)], getter: &str) -> Result<CompiledPatch, PatchError> {
        self.compile_for(files, getter, false)
    }

    /// [`PatchBuilder::compile`]; `generic`: the patched function is
    /// generic, so the crate's metadata is emitted too when a downstream
    /// crate may make instances of it.
    pub fn compile_for(&mut self, files: &[(PathBuf, String)], getter: &str, generic: bool) -> Result<CompiledPatch, PatchError> {
        let objdir = self.work.join("obj");
        if objdir.exists() {
            std::fs::remove_dir_all(&objdir)?;
        }
        let metadata = generic && self.downstream.is_some();
        let started = Instant::now();
        let diagnostics = self.run_rustc(files, &objdir, "incremental", if metadata { "obj,metadata" } else { "obj" })?;
        let rustc_time = started.elapsed();
        if diagnostics.iter().any(|d| d.level == "error") {
            return Err(PatchError::Compile(diagnostics));
        }
        self.next_id += 1;
        let metadata = metadata.then(|| objdir.join(format!("lib{}.rmeta", self.inv.crate_name))).filter(|p| p.exists());
        Ok(CompiledPatch { id: self.next_id, getter: getter.to_string(), objdir, rustc_time, warnings: diagnostics, metadata })
    }

    /// Type- and borrow-checks the crate with `files` replaced, without
    /// code generation (`--emit=metadata`): a cheap round of pruning.
    /// Returns rustc's diagnostics, errors included.
    pub fn check(&mut self, files: &[(PathBuf, String)]) -> Result<Vec<Diagnostic>, PatchError> {
        let outdir = self.work.join("check");
        self.run_rustc(files, &outdir, "incremental-check", "metadata")
    }

    /// Runs the recorded command on the shadow tree with `files` replaced,
    /// emitting `emit` into `outdir` with the incremental state `incremental`
    /// (one per kind of emit: they would invalidate each other). A failure
    /// always comes with at least one error diagnostic.
    fn run_rustc(&mut self, files: &[(PathBuf, String)], outdir: &Path, incremental: &str, emit: &str) -> Result<Vec<Diagnostic>, PatchError> {
        self.shadow.set_files(files)?;
        std::fs::create_dir_all(outdir)?;
        let mut args = patch_args(&self.inv.args, outdir, &self.work.join(incremental), &self.shadow.root, &self.inv.cwd);
        for a in args.iter_mut().filter(|a| *a == "--emit=obj") {
            *a = format!("--emit={emit}");
        }
        let out = Command::new(&self.inv.rustc)
            .args(&args)
            .current_dir(&self.shadow.root)
            .envs(self.inv.env.iter().map(|(k, v)| (k, v)))
            .env(PATCH_BUILD_ENV, "1")
            .output()
            .context("cannot run rustc")?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut diagnostics = parse_diagnostics(&stderr);
        if !out.status.success() && !diagnostics.iter().any(|d| d.level == "error") {
            diagnostics.push(Diagnostic {
                level: "error".into(),
                message: "rustc failed".into(),
                rendered: stderr.into_owned(),
                file: None,
                line: None,
                spans: Vec::new(),
            });
        }
        Ok(diagnostics)
    }

    /// Links a compiled patch for a host loaded with `load_bias`.
    pub fn link(&self, compiled: &CompiledPatch, load_bias: u64) -> Result<LinkedPatch, PatchError> {
        let started = Instant::now();
        let mut objects = read_objects(&compiled.objdir)?;
        let mut plan = plan_link(&objects, &compiled.getter, &self.host)?;
        let mut downstream = None;
        if let Some(built) = self.downstream_objects(compiled, &plan) {
            let read = |d: &DownstreamObjects| -> anyhow::Result<Vec<ObjectInfo>> {
                let mut all = Vec::new();
                for dir in &d.objdirs {
                    all.extend(read_objects(dir)?);
                }
                Ok(all)
            };
            let built = match built {
                Ok(d) => read(&d).map(|more| (more, d)).map_err(|e| format!("{e:#}")),
                Err(e) => Err(e),
            };
            let name = self.downstream.as_ref().map(|d| d.crate_names()).unwrap_or_default();
            match built {
                Ok((more, d)) => {
                    if !more.is_empty() {
                        objects.extend(more);
                        plan = plan_link(&objects, &compiled.getter, &self.host)?;
                    }
                    downstream = Some((name, d.rustc_time, d.failed));
                }
                Err(e) => downstream = Some((name, Duration::ZERO, Some(e))),
            }
        }
        let script = self.work.join(format!("patch-{}.ld", compiled.id));
        let mut text = String::new();
        for (name, addr) in &plan.redirects {
            writeln!(text, "\"{name}\" = {:#x};", addr.wrapping_add(load_bias)).unwrap();
        }
        let mut inputs: Vec<PathBuf> = plan.objects.iter().map(|&i| objects[i].path.clone()).collect();
        if !plan.trampolines.is_empty() {
            let slots: Vec<u64> = plan.trampolines.iter().map(|(_, slot)| slot.wrapping_add(load_bias)).collect();
            let path = self.work.join(format!("patch-{}-shims.o", compiled.id));
            std::fs::write(&path, trampolines::object(&slots)?)?;
            inputs.push(path);
            for (i, (name, _)) in plan.trampolines.iter().enumerate() {
                writeln!(text, "\"{name}\" = {};", trampolines::symbol(i)).unwrap();
            }
        }
        std::fs::write(&script, text)?;
        let symbols_time = started.elapsed();

        let started = Instant::now();
        let path = self.work.join(format!("patch-{}.so", compiled.id));
        let out = Command::new("ld")
            .args(["-shared", "--gc-sections", "--eh-frame-hdr", "-z", "notext", "-u", &compiled.getter])
            // A generic function's instances: nothing in the patch need
            // call them, the program's entry checks do.
            .args(plan.roots.iter().flat_map(|name| ["-u", name.as_str()]))
            // Kept by the script's assignments alone: make them roots.
            .args(plan.trampolines.iter().enumerate().flat_map(|(i, _)| ["-u".to_string(), trampolines::symbol(i)]))
            .arg("-o")
            .arg(&path)
            .args(&inputs)
            .arg(&script)
            .output()
            .context("cannot run ld")?;
        if !out.status.success() {
            return Err(PatchError::Other(anyhow!("ld failed: {}", String::from_utf8_lossy(&out.stderr))));
        }
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        let generic = match &plan.generic {
            Some(pattern) => Some(generic_patch(&path, pattern)?),
            None => None,
        };
        Ok(LinkedPatch {
            downstream,
            generic,
            replaced: plan.replaced.clone(),
            size: std::fs::metadata(&path)?.len(),
            path,
            getter: compiled.getter.clone(),
            objects_linked: plan.objects.len(),
            objects_total: objects.len(),
            redirected: plan.redirects.len(),
            symbols_time,
            link_time: started.elapsed(),
        })
    }
}

impl PatchBuilder {
    /// The downstream crate's objects for `compiled`, when its plan is a
    /// generic function's whose program instances the patch lacks and a
    /// downstream crate may make them (built once per patch).
    fn downstream_objects(&self, compiled: &CompiledPatch, plan: &LinkPlan) -> Option<Result<DownstreamObjects, String>> {
        let (pattern, downstream, rmeta) = (plan.generic.as_ref()?, self.downstream.as_ref()?, compiled.metadata.as_ref()?);
        let made: HashSet<String> = plan.roots.iter().filter_map(|r| pattern.patch_entry(r, &crate::instances::demangled(r))).collect();
        let lacking = self.host.instances(pattern).iter().any(|(name, _)| !made.contains(name));
        if !lacking {
            return None;
        }
        let mut built = self.downstream_built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((id, result)) = built.as_ref() {
            if *id == compiled.id {
                return Some(result.clone());
            }
        }
        let result = downstream.compile(rmeta, compiled.id).map_err(|e| format!("{e:#}"));
        *built = Some((compiled.id, result.clone()));
        Some(result)
    }
}

/// Set for patch builds: `#[debuggable]` then leaves every function but the
/// patched one as written (calls from the patch reach the host's functions
/// by name either way), which saves most of rustc's time on a large crate.
/// Read by `hotbreak-macros` under the same name.
pub const PATCH_BUILD_ENV: &str = "HOTBREAK_PATCH_BUILD";

/// The recorded command, retargeted at objects in `objdir`.
pub(crate) fn patch_args(recorded: &[String], objdir: &Path, incremental: &Path, shadow: &Path, origin: &Path) -> Vec<String> {
    let drop_with_value = ["--emit", "--out-dir", "-o", "--error-format", "--json", "--diagnostic-width", "--cap-lints"];
    let drop_codegen = ["incremental", "codegen-units", "extra-filename", "relocation-model", "code-model", "debuginfo"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < recorded.len() {
        let a = &recorded[i];
        let flag = a.split('=').next().unwrap_or(a);
        if drop_with_value.contains(&flag) {
            i += if a.contains('=') { 1 } else { 2 };
            continue;
        }
        let codegen = if a == "-C" { recorded.get(i + 1).map(|s| (s.as_str(), 2)) } else { a.strip_prefix("-C").map(|s| (s, 1)) };
        if let Some((opt, width)) = codegen {
            if drop_codegen.contains(&opt.split('=').next().unwrap_or(opt)) {
                i += width;
                continue;
            }
        }
        out.push(a.clone());
        i += 1;
    }
    out.extend([
        "--emit=obj".to_string(),
        "--out-dir".into(),
        objdir.display().to_string(),
        "-C".into(),
        format!("incremental={}", incremental.display()),
        "-C".into(),
        "codegen-units=256".into(),
        "-C".into(),
        "relocation-model=static".into(),
        "-C".into(),
        "code-model=large".into(),
        // Full debug info in every profile: values without `Debug` at a
        // stop are read through the types a patch's debug info describes
        // (a release host has none).
        "-C".into(),
        "debuginfo=2".into(),
        "--error-format=json".into(),
        // The user's lint levels (`#![deny(warnings)]`, `#![forbid(unsafe_code)]`)
        // were checked by the host build; in a patch they would only judge
        // the code hotbreak inserts (the getter, step points).
        "--cap-lints=allow".into(),
        format!("--remap-path-prefix={}={}", shadow.display(), origin.display()),
    ]);
    // At opt-level 0 the only inlining is LLVM's of `#[inline(always)]`
    // callees, which a patch build compiles as written (no entry check):
    // inlined into the patch, a breakpoint of theirs would never fire while
    // the caller runs patched code. Without LLVM's pass pipeline the patch
    // calls the program's (checked) copies by name.
    if crate::record::codegen_value(recorded, "opt-level").is_none_or(|o| o == "0") {
        out.extend(["-C".to_string(), "no-prepopulate-passes".into()]);
    }
    out
}

fn parse_diagnostics(stderr: &str) -> Vec<Diagnostic> {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["$message_type"] == "diagnostic")
        .map(|v| {
            let primary = v["spans"].as_array().and_then(|s| s.iter().find(|s| s["is_primary"] == true)).cloned();
            let num = |s: &serde_json::Value, k: &str| s[k].as_u64().unwrap_or(0) as u32;
            let spans = v["spans"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .map(|s| DiagSpan {
                            file: s["file_name"].as_str().unwrap_or_default().to_string(),
                            line_start: num(s, "line_start"),
                            col_start: num(s, "column_start"),
                            line_end: num(s, "line_end"),
                            col_end: num(s, "column_end"),
                            primary: s["is_primary"] == true,
                            label: s["label"].as_str().map(str::to_owned),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Diagnostic {
                spans,
                level: v["level"].as_str().unwrap_or_default().to_string(),
                message: v["message"].as_str().unwrap_or_default().to_string(),
                rendered: v["rendered"].as_str().unwrap_or_default().to_string(),
                file: primary.as_ref().and_then(|s| s["file_name"].as_str()).map(str::to_owned),
                line: primary.as_ref().and_then(|s| s["line_start"].as_u64()).map(|l| l as u32),
            }
        })
        .collect()
}

/// What one relocatable object defines and needs.
struct ObjectInfo {
    path: PathBuf,
    /// Names defined here with their kind, global or local.
    defined: HashMap<String, SymbolKind>,
    undefined: HashSet<String>,
    /// Names the getter's code refers to, when the getter lives here.
    getter_targets: Option<Vec<String>>,
}

fn read_objects(objdir: &Path) -> anyhow::Result<Vec<ObjectInfo>> {
    let mut infos = Vec::new();
    for entry in std::fs::read_dir(objdir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "o") {
            infos.push(read_object(path)?);
        }
    }
    infos.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(infos)
}

fn read_object(path: PathBuf) -> anyhow::Result<ObjectInfo> {
    let data = std::fs::read(&path)?;
    let file = object::File::parse(&*data)?;
    let mut defined = HashMap::new();
    let mut undefined = HashSet::new();
    let mut getter_section = None;
    for sym in file.symbols() {
        let Ok(name) = sym.name() else { continue };
        if name.is_empty() || matches!(sym.kind(), SymbolKind::Section | SymbolKind::File) {
            continue;
        }
        if sym.is_undefined() {
            undefined.insert(name.to_string());
        } else {
            if name.starts_with(GETTER_PREFIX) {
                getter_section = sym.section_index();
            }
            defined.insert(name.to_string(), sym.kind());
        }
    }
    let getter_targets = getter_section.map(|idx| {
        let Ok(section) = file.section_by_index(idx) else { return Vec::new() };
        section
            .relocations()
            .filter_map(|(_, rel)| match rel.target() {
                RelocationTarget::Symbol(s) => file.symbol_by_index(s).ok().and_then(|s| {
                    if s.kind() == SymbolKind::Section {
                        // A section-relative reference: name the function
                        // (or a generic fn's anchor static) at that offset.
                        let addend = rel.addend() as u64;
                        file.symbols()
                            .find(|f| {
                                f.section_index() == s.section_index() && matches!(f.kind(), SymbolKind::Text | SymbolKind::Data) && f.address() == addend
                            })
                            .and_then(|f| f.name().ok().map(str::to_owned))
                    } else {
                        s.name().ok().map(str::to_owned)
                    }
                }),
                _ => None,
            })
            .collect()
    });
    Ok(ObjectInfo { path, defined, undefined, getter_targets })
}

/// Prefix of the `#[no_mangle]` entry getters the rewriter emits.
pub const GETTER_PREFIX: &str = "__hotbreak_patch_entry_";

struct LinkPlan {
    objects: Vec<usize>,
    /// Names given the host's address (link-time).
    redirects: Vec<(String, u64)>,
    /// Names of debug-build shims given a trampoline through the host's
    /// slot at this (link-time) address.
    trampolines: Vec<(String, u64)>,
    /// Names kept whether referenced or not (`ld -u`): a generic
    /// function's instances.
    roots: Vec<String>,
    /// A generic function's instances, when the patch is one.
    generic: Option<InstancePattern>,
    /// The replaced function's symbol, when it is not generic.
    replaced: Option<String>,
}

fn plan_link(objects: &[ObjectInfo], getter: &str, host: &HostSymbols) -> anyhow::Result<LinkPlan> {
    let getter_obj = objects
        .iter()
        .position(|o| o.defined.contains_key(getter))
        .ok_or_else(|| anyhow!("no object defines the patch entry {getter}"))?;
    let targets = objects[getter_obj].getter_targets.clone().unwrap_or_default();
    // A generic function's getter returns its anchor static instead (no
    // path outside the function names an instance of it).
    let generic = targets.iter().find_map(|n| InstancePattern::from_anchor(&format!("{:#}", rustc_demangle::demangle(n))));
    let (replaced_path, replaced_symbol) = match &generic {
        Some(pattern) => (pattern.path.clone(), None),
        None => {
            // An async fn's getter names the function and, beside it, the
            // runtime's adapter that boxes its future (and `black_box`).
            let runtime_helper = |n: &str| {
                let demangled = format!("{:#}", rustc_demangle::demangle(n));
                ["hotbreak::", "core::"].iter().any(|p| demangled.starts_with(p))
            };
            let replaced_fn = targets
                .iter()
                .filter(|n| objects.iter().any(|o| o.defined.get(*n) == Some(&SymbolKind::Text)))
                .find(|n| !runtime_helper(n))
                .ok_or_else(|| anyhow!("the patch entry {getter} does not point at a function"))?;
            (format!("{:#}", rustc_demangle::demangle(replaced_fn)), Some(replaced_fn.clone()))
        }
    };

    // The replaced function's code: it, its closures and nested fns, and
    // generic instances over them. Their names all carry its path, or, for
    // a method's new body in a debug build, its sibling's.
    let replaced_paths: Vec<String> = [Some(replaced_path.clone()), method_native(&replaced_path)].into_iter().flatten().collect();
    let mut replaced: HashSet<&str> = HashSet::new();
    let mut definer: HashMap<&str, usize> = HashMap::new();
    let mut roots: Vec<(String, usize)> = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        for (name, kind) in &o.defined {
            definer.entry(name.as_str()).or_insert(i);
            if *kind != SymbolKind::Text {
                continue;
            }
            let demangled = format!("{:#}", rustc_demangle::demangle(name));
            let holds = match &generic {
                Some(pattern) => pattern.holds(name, &demangled),
                None => replaced_paths.iter().any(|p| names_path(&demangled, p)),
            };
            if holds {
                replaced.insert(name.as_str());
                // Every instance of a generic function the crate makes (an
                // async fn's: their adapters): the program's entry checks
                // call them by address.
                if generic.as_ref().is_some_and(|pattern| pattern.patch_entry(name, &demangled).is_some()) {
                    roots.push((name.clone(), i));
                }
            }
        }
    }
    roots.sort();
    // What the host gives a name: its address, or, for a debug-build shim
    // of the program (no symbol), a trampoline on its slot, never the
    // patch's own copy. Missing for the patch's own code.
    let host_target = |name: &str| -> Lookup {
        if replaced.contains(name) || name.starts_with("DW.ref.") {
            return Lookup::Missing;
        }
        host.lookup(name)
    };
    let in_host = |name: &str| matches!(host_target(name), Lookup::Address(_) | Lookup::Shim(_));

    let mut included = vec![false; objects.len()];
    let mut queue = vec![getter_obj];
    included[getter_obj] = true;
    for &(_, i) in &roots {
        if !included[i] {
            included[i] = true;
            queue.push(i);
        }
    }
    while let Some(i) = queue.pop() {
        for name in &objects[i].undefined {
            if in_host(name) {
                continue;
            }
            if let Some(&d) = definer.get(name.as_str()) {
                if !included[d] {
                    included[d] = true;
                    queue.push(d);
                }
            }
        }
    }
    let chosen: Vec<usize> = (0..objects.len()).filter(|&i| included[i]).collect();
    let mut redirects = HashMap::new();
    let mut trampolines = HashMap::new();
    for &i in &chosen {
        let o = &objects[i];
        for name in o.defined.keys().chain(o.undefined.iter()) {
            match host_target(name) {
                Lookup::Address(a) => {
                    redirects.insert(name.clone(), a);
                }
                Lookup::Shim(slot) => {
                    trampolines.insert(name.clone(), slot);
                }
                Lookup::Missing | Lookup::Tls | Lookup::Ambiguous => {}
            }
        }
    }
    // A generic function the crate itself never instantiates (only other
    // crates do) has no instance in the patch: it links with none, and the
    // tool names every instance in the program as not covered.
    if replaced.is_empty() && generic.is_none() {
        bail!("found no code of {replaced_path} in the patch");
    }
    let mut redirects: Vec<(String, u64)> = redirects.into_iter().collect();
    redirects.sort();
    let mut trampolines: Vec<(String, u64)> = trampolines.into_iter().collect();
    trampolines.sort();
    let roots = roots.into_iter().map(|(name, _)| name).collect();
    Ok(LinkPlan { objects: chosen, redirects, trampolines, roots, generic, replaced: replaced_symbol })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_args_retarget_the_recorded_command() {
        let rec: Vec<String> = "--crate-name x --edition=2021 src/main.rs --emit=dep-info,link -C embed-bitcode=no -C incremental=/t/i --out-dir /t/deps -C extra-filename=-abc --error-format=json --json=artifacts -C link-dead-code"
            .split(' ')
            .map(String::from)
            .collect();
        let args = patch_args(&rec, Path::new("/o"), Path::new("/inc"), Path::new("/s"), Path::new("/w"));
        let line = args.join(" ");
        assert!(line.starts_with("--crate-name x --edition=2021 src/main.rs -C embed-bitcode=no -C link-dead-code --emit=obj --out-dir /o -C incremental=/inc"), "{line}");
        assert!(!line.contains("/t/"), "{line}");
        assert!(line.contains("code-model=large") && line.contains("--remap-path-prefix=/s=/w"), "{line}");
    }
}
