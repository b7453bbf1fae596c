//! Replacing a function of a running program: rewrite, compile, link, load, arm.

use crate::debuggee::Debuggee;
use crate::host::{HostBuild, HostConfig};
use anyhow::{anyhow, Result};
use hotbreak::protocol::ANCHOR_SYMBOL;
use hotbreak_hotreload::downstream::Downstream;
use hotbreak_hotreload::patch::GETTER_PREFIX;
pub use crate::coverage::Coverage;
use crate::coverage::instance_table;
use hotbreak_hotreload::{CompiledPatch, Diagnostic, HostSymbols, Invocation, PatchBuilder, PatchError};
use hotbreak_rewriter::{Breakpoint, CaptureId, Instrumented};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Time spent in each step of one patch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub rewrite: Duration,
    /// Builds that failed on captures rustc rejected, and the metadata-only
    /// rounds that pruned them.
    pub prune: Duration,
    pub prune_rounds: u32,
    pub rustc: Duration,
    pub symbols: Duration,
    pub link: Duration,
    pub load: Duration,
    /// rustc compiling the executable's own crate against a generic
    /// function's patch, for the instances only it makes.
    pub downstream: Duration,
}

impl std::fmt::Display for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        write!(
            f,
            "rewrite {:.1} ms, prune {:.0} ms ({} rounds), rustc {:.0} ms, symbols {:.1} ms, link {:.1} ms, load {:.2} ms",
            ms(self.rewrite),
            ms(self.prune),
            self.prune_rounds,
            ms(self.rustc),
            ms(self.symbols),
            ms(self.link),
            ms(self.load)
        )?;
        if !self.downstream.is_zero() {
            write!(f, ", downstream rustc {:.0} ms", ms(self.downstream))?;
        }
        Ok(())
    }
}

/// A function compiled from new source, not yet linked for a process.
pub struct PreparedPatch {
    compiled: CompiledPatch,
    file: String,
    name: String,
    fn_line: u32,
    timings: Timings,
    /// Captures rustc rejected (what the stopped frames of this patch hold).
    pruned: BTreeSet<CaptureId>,
    /// The function returns `impl Trait`: its hidden type is checked.
    opaque: bool,
    /// Breakpoint lines inside its closures, when it returns `impl Trait`.
    escaping: Vec<u32>,
    /// The loops whose running frames it can continue (issue 19), or why
    /// it cannot continue any.
    resumed: Result<hotbreak_rewriter::Resumed, String>,
}

/// A patch running in a debuggee.
#[derive(Debug, Clone)]
pub struct AppliedPatch {
    /// Index of the function in the debuggee's registry.
    pub function: usize,
    pub patch: usize,
    pub library: PathBuf,
    pub size: u64,
    pub timings: Timings,
    /// Captures rustc rejected: its stops hold every other local in scope.
    pub pruned: BTreeSet<CaptureId>,
    /// A generic function's instances the patch covers and those it does
    /// not (they run native code), named from the function's name on.
    pub coverage: Option<Coverage>,
    /// What its running frames do (a function with loop sites).
    pub switching: Option<crate::osr::Switching>,
}

/// How a function's running patch was built: what an evaluation at one of
/// its stops rebuilds it from.
#[derive(Debug, Clone)]
pub struct BuiltFrom {
    pub file: String,
    /// The file's text as it was read for the build.
    pub source: String,
    pub function_line: u32,
    pub key: String,
    pub breakpoints: Vec<Breakpoint>,
    pub watches: Vec<String>,
    pub pruned: BTreeSet<CaptureId>,
}

/// An expression compiled for one stop line, ready to load.
#[derive(Debug, Clone)]
pub struct EvalLibrary {
    pub path: PathBuf,
    /// The locals its site takes, in order (`self` included).
    pub names: Vec<String>,
    pub timings: Timings,
}

/// Builds and applies patches of one crate of a host build.
pub struct Patcher {
    builder: PatchBuilder,
    config: HostConfig,
    /// The crate was built with `#[debuggable]` applied to every item, so
    /// its sources are annotated the same way before rewriting (with this
    /// attribute, which depends on the edition).
    annotated: Option<&'static str>,
    /// An annotated 2015 crate's root (as rustc names it), which declares
    /// `extern crate hotbreak;` in its builds, so in patches too.
    root_declares_runtime: Option<String>,
    /// The program's debug info, read on the first patch of a function
    /// with loop sites.
    program: std::sync::OnceLock<hotbreak_dwarf::Program>,
    /// Files as the program was built, where the session knows them: a
    /// patch resumes running frames only at loops whose locals it declares
    /// exactly as they did.
    host_sources: HashMap<String, String>,
}

impl Patcher {
    /// Patches the crate `inv` recorded; `work` is a directory of its own
    /// under the hotbreak dir.
    pub fn new(host: &HostBuild, inv: Invocation, work: &Path) -> Result<Patcher> {
        let annotated = inv.annotated.then(|| hotbreak_rewriter::attribute_for_edition(inv.edition()));
        let root_declares_runtime = (inv.annotated && inv.edition() == "2015").then(|| inv.root_source.display().to_string());
        let mut builder = PatchBuilder::new(inv, host.symbols.clone(), work)?;
        // Instances only the executable's own crate makes (issue 18 step 5).
        let records = Invocation::load_all(&host.record_dir).unwrap_or_default();
        if let Some(downstream) = host.own_crate().ok().and_then(|own| Downstream::of(&own, builder.invocation(), &records, &work.join("downstream"))) {
            builder.set_downstream(downstream);
        }
        Ok(Patcher { builder, config: host.config.clone(), annotated, root_declares_runtime, program: std::sync::OnceLock::new(), host_sources: HashMap::new() })
    }

    /// Patches the executable's own crate (its `main`'s crate, or the test
    /// harness).
    pub fn for_program(host: &HostBuild, work: &Path) -> Result<Patcher> {
        Patcher::new(host, host.own_crate()?, work)
    }

    /// `text` is `file` as the program was built (kept from the first call).
    pub fn remember_host_source(&mut self, file: &str, text: &str) {
        self.host_sources.entry(file.to_string()).or_insert_with(|| text.to_string());
    }

    /// The loop lines a patch of the function at `fn_line` of `source` may
    /// resume: `None` when the file is as built (all of them).
    fn resumable_lines(&self, file: &str, source: &str, fn_line: u32) -> Option<Result<Vec<u32>, String>> {
        let host = self.host_sources.get(file)?;
        if host == source {
            return None;
        }
        let plan = || -> Result<Vec<u32>, String> {
            let host = self.as_compiled(file, host).map_err(|e| e.to_string())?;
            let now = self.as_compiled(file, source).map_err(|e| e.to_string())?;
            let host_site = hotbreak_rewriter::find_function(&host, fn_line).map_err(|_| "the edit moved the function".to_string())?;
            let mut edit = hotbreak_rewriter::resume(&now, fn_line, &[])?;
            let host = hotbreak_rewriter::resume(&host, host_site.fn_line, &[])?;
            let refused = hotbreak_rewriter::keep_unchanged(&mut edit, &host);
            if edit.sites.is_empty() {
                return Err(refused.join("; "));
            }
            Ok(edit.sites.iter().map(|s| s.line).collect())
        };
        Some(plan())
    }

    /// An async fn whose body had no `.await` when the program was built
    /// runs its patch to the end inside one poll (the attribute's armed
    /// path, runtime `complete_now`): an edit giving it one is refused.
    fn refuse_new_wait(&self, file: &str, source: &str, fn_line: u32) -> Result<()> {
        let Some(host) = self.host_sources.get(file).filter(|h| *h != source) else { return Ok(()) };
        let Some((name, true)) = hotbreak_rewriter::async_body_suspends(source, fn_line) else { return Ok(()) };
        match hotbreak_rewriter::async_body_suspends(host, fn_line) {
            Some((was, false)) if was == name => anyhow::bail!(
                "{file}:{fn_line}: refusing the edit of `{name}`: it adds an `.await` (or a macro that may await) to an async fn \
                 that had none when the program was built, whose futures run to their end in one poll; `run` restarts \
                 the program with it"
            ),
            _ => Ok(()),
        }
    }

    /// `source` as the crate was compiled: annotated in a zero-annotation
    /// build (same lines; the rewriter then finds every function debuggable).
    fn as_compiled(&self, file: &str, source: &str) -> Result<String> {
        let Some(attribute) = self.annotated else { return Ok(source.to_string()) };
        hotbreak_rewriter::annotate(source, attribute).map(|a| a.text).map_err(|e| anyhow!("{file}: {e}"))
    }

    /// The files a patch build replaces: `file`'s patched text, and a 2015
    /// root declaring the runtime (the root's own text gets it too).
    fn patch_files(&self, file: &str, text: String) -> Result<Vec<(PathBuf, String)>> {
        let Some(root) = &self.root_declares_runtime else { return Ok(vec![(PathBuf::from(file), text)]) };
        let declare = |text: &str| hotbreak_rewriter::declare_extern_crate(text).map_err(|e| anyhow!("{root}: {e}"));
        if root == file {
            return Ok(vec![(PathBuf::from(file), declare(&text)?)]);
        }
        let root_text = self.as_compiled(root, &self.config.read_source(root)?)?;
        Ok(vec![(PathBuf::from(file), text), (PathBuf::from(root), declare(&root_text)?)])
    }

    /// Compiles the crate with the function containing `file:line` replaced
    /// by `new_fn` (from its visibility or `fn` keyword to its closing brace).
    /// `file` is relative to the workspace, as rustc names it.
    pub fn prepare(&mut self, file: &str, line: u32, new_fn: &str) -> Result<PreparedPatch> {
        let source = self.config.read_source(file)?;
        self.prepare_in(file, &source, line, new_fn, false)
    }

    /// Compiles the function containing `file:line` as the file now says:
    /// edit and continue.
    pub fn prepare_as_written(&mut self, file: &str, line: u32) -> Result<PreparedPatch> {
        let source = self.config.read_source(file)?;
        let site = hotbreak_rewriter::find_function(&source, line).map_err(|e| anyhow!("{file}:{line}: {e}"))?;
        self.prepare_in(file, &source, line, site.text(&source), true)
    }

    /// [`Patcher::prepare`] on the file's text, already read.
    /// `as_written`: `new_fn` is the file's own text (an edit), which may
    /// resume running frames; other text never does.
    fn prepare_in(&mut self, file: &str, source: &str, line: u32, new_fn: &str, as_written: bool) -> Result<PreparedPatch> {
        let started = Instant::now();
        let getter = next_getter();
        let original = source;
        let source = &self.as_compiled(file, source)?;
        let patched = hotbreak_rewriter::replace_function(source, line, new_fn, &getter).map_err(|e| anyhow!("{file}:{line}: {e}"))?;
        self.refuse_new_wait(file, original, patched.site.fn_line)?;
        let rewrite = started.elapsed();
        // Resume mode, as for breakpoints (see there), for an edit of the
        // file as it is now: only at loops declared as the program has them.
        let allowed = self.resumable_lines(file, original, patched.site.fn_line);
        let mut moves: Vec<(u32, u32)> = Vec::new();
        let mut resume_off: Option<String> = (!as_written).then(|| "the new code is not the file's".to_string());
        loop {
            let resumed = match &resume_off {
                Some(why) => Err(why.clone()),
                None => hotbreak_rewriter::resume(&patched.text, patched.site.fn_line, &moves).and_then(|r| restrict(r, &allowed)),
            };
            let text = resumed.as_ref().map_or_else(|_| patched.text.clone(), |r| r.text.clone());
            match self.builder.compile_for(&self.patch_files(file, text)?, &getter, patched.site.generic) {
                Ok(compiled) => {
                    return Ok(PreparedPatch {
                        timings: Timings { rewrite, rustc: compiled.rustc_time, ..Timings::default() },
                        compiled,
                        file: file.to_string(),
                        opaque: patched.site.returns_opaque,
                        escaping: Vec::new(),
                        name: patched.site.name.clone(),
                        fn_line: patched.site.fn_line,
                        pruned: BTreeSet::new(),
                        resumed,
                    })
                }
                Err(PatchError::Compile(diagnostics)) => {
                    let Ok(r) = &resumed else { return Err(PatchError::Compile(diagnostics).into()) };
                    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.level == "error").collect();
                    let found: Vec<(u32, u32)> = crate::osr::moves_in(r, &errors).into_iter().filter(|m| !moves.contains(m)).collect();
                    if found.is_empty() || moves.len() > 64 {
                        let first = errors.first().map(|e| e.message.clone()).unwrap_or_default();
                        resume_off = Some(format!("{RESUME_FAILED}{first}"));
                    }
                    moves.extend(found);
                }
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// Compiles the function of `file` holding `breakpoints` with its
    /// debug-mode region. Captures of locals that rustc rejects (moved,
    /// mutably borrowed, not yet initialised) are removed exactly, guided by
    /// its diagnostics over cheap metadata-only rounds; errors in the user's
    /// own conditions and log expressions are reported at their line.
    /// `function_line` is a line inside the function; with no breakpoints
    /// the whole body gets step points (a function to step into).
    pub fn prepare_breakpoints(
        &mut self,
        file: &str,
        function_line: u32,
        key: &str,
        breakpoints: &[Breakpoint],
        watches: &[String],
    ) -> Result<PreparedPatch> {
        let source = self.config.read_source(file)?;
        self.prepare_breakpoints_in(file, &source, function_line, key, breakpoints, watches)
    }

    /// [`Patcher::prepare_breakpoints`] on the file's text, already read.
    fn prepare_breakpoints_in(
        &mut self,
        file: &str,
        source: &str,
        function_line: u32,
        key: &str,
        breakpoints: &[Breakpoint],
        watches: &[String],
    ) -> Result<PreparedPatch> {
        const MAX_ROUNDS: u32 = 8;
        let started = Instant::now();
        let getter = next_getter();
        let source = &self.as_compiled(file, source)?;
        let mut pruned = BTreeSet::new();
        let mut timings = Timings::default();
        // Resume mode (running frames, `hotbreak_rewriter::resume`) is the
        // last rewrite: rustc's moves out of resident locals (E0507) are fed
        // back; any other error turns it off, and it is tried once more
        // after the captures are pruned.
        let mut moves: Vec<(u32, u32)> = Vec::new();
        let allowed = hotbreak_rewriter::find_function(source, function_line).ok().and_then(|site| self.resumable_lines(file, source, site.fn_line));
        let mut resume_off: Option<String> = None;
        let mut resume_retried = false;
        // Most patches need no pruning: try the real build first, and only
        // after it failed on captures go through cheap metadata-only rounds.
        let mut checking = false;
        loop {
            let request =
                hotbreak_rewriter::Request { source, key, file, function_line, breakpoints, getter: &getter, pruned: &pruned, watches, any_function: false, eval: None };
            let instrumented = hotbreak_rewriter::instrument(&request).map_err(|e| anyhow!("{file}:{function_line}: {e}"))?;
            let resumed = match &resume_off {
                Some(why) => Err(why.clone()),
                None => hotbreak_rewriter::resume(&instrumented.text, instrumented.site.fn_line, &moves).and_then(|r| restrict(r, &allowed)),
            };
            let text = resumed.as_ref().map_or_else(|_| instrumented.text.clone(), |r| r.text.clone());
            let files = self.patch_files(file, text)?;
            if timings.rewrite.is_zero() {
                timings.rewrite = started.elapsed();
            }
            let round = Instant::now();
            let diagnostics = if checking {
                let diagnostics = self.builder.check(&files)?;
                timings.prune += round.elapsed();
                timings.prune_rounds += 1;
                diagnostics
            } else {
                match self.builder.compile_for(&files, &getter, instrumented.site.generic) {
                    Ok(compiled) => {
                        timings.rustc = compiled.rustc_time;
                        return Ok(PreparedPatch {
                            compiled,
                            file: file.to_string(),
                            opaque: instrumented.site.returns_opaque,
                            escaping: escaping_lines(&instrumented.site, source, breakpoints),
                            name: instrumented.site.name,
                            fn_line: instrumented.site.fn_line,
                            timings,
                            pruned,
                            resumed,
                        });
                    }
                    Err(PatchError::Compile(diagnostics)) => {
                        timings.prune += round.elapsed();
                        timings.prune_rounds += 1;
                        diagnostics
                    }
                    Err(other) => return Err(other.into()),
                }
            };
            let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.level == "error").collect();
            if std::env::var_os("HOTBREAK_TIMINGS").is_some() {
                eprintln!("round: checking={checking} resumed={:?} errors={:?}", resumed.as_ref().map(|r| r.sites.len()), errors.iter().map(|e| &e.message).collect::<Vec<_>>());
            }
            if errors.is_empty() {
                if resume_off.is_some() && !resume_retried && resume_failed_on_errors(&resume_off) {
                    resume_retried = true;
                    resume_off = None;
                    checking = true;
                    continue;
                }
                // The checks pass: the real build.
                checking = false;
                continue;
            }
            if let Ok(r) = &resumed {
                let found: Vec<(u32, u32)> = crate::osr::moves_in(r, &errors).into_iter().filter(|m| !moves.contains(m)).collect();
                if !found.is_empty() && timings.prune_rounds < MAX_ROUNDS {
                    moves.extend(found);
                    checking = true;
                    continue;
                }
                let first = errors.first().map(|e| e.message.clone()).unwrap_or_default();
                resume_off = Some(format!("{RESUME_FAILED}{first}"));
                checking = true;
                continue;
            }
            let rejected = rejected_captures(&instrumented, file, &errors, breakpoints)?;
            if rejected.is_empty() || timings.prune_rounds >= MAX_ROUNDS {
                return Err(PatchError::Compile(diagnostics).into());
            }
            pruned.extend(rejected);
            checking = true;
        }
    }

    /// Instruments the function of `file` containing `function_line` with
    /// `breakpoints` (none: step points only) and arms it in `debuggee`.
    pub fn arm_breakpoints(&mut self, debuggee: &mut Debuggee, file: &str, function_line: u32, breakpoints: &[Breakpoint]) -> Result<AppliedPatch> {
        self.arm_breakpoints_watching(debuggee, file, function_line, breakpoints, &[])
    }

    /// [`Patcher::arm_breakpoints`] with watch expressions shown at each stop.
    pub fn arm_breakpoints_watching(
        &mut self,
        debuggee: &mut Debuggee,
        file: &str,
        function_line: u32,
        breakpoints: &[Breakpoint],
        watches: &[String],
    ) -> Result<AppliedPatch> {
        let source = self.config.read_source(file)?;
        let site = hotbreak_rewriter::find_function(&source, function_line).map_err(|e| anyhow!("{file}:{function_line}: {e}"))?;
        let index = debuggee
            .function_index(file, &site.name, site.fn_line)
            .ok_or_else(|| anyhow!("{file}:{}: `{}` is not registered in the running program (is it #[hotbreak::debuggable]?)", site.fn_line, site.name))?;
        self.arm_at(debuggee, index, file, &source, function_line, breakpoints, watches)
    }

    /// [`Patcher::arm_breakpoints_watching`] for the registry function
    /// `index`, which the caller located (its lines may have moved since
    /// the program was built) in `source`, the text of `file` it read.
    #[allow(clippy::too_many_arguments)]
    pub fn arm_at(
        &mut self,
        debuggee: &mut Debuggee,
        index: usize,
        file: &str,
        source: &str,
        function_line: u32,
        breakpoints: &[Breakpoint],
        watches: &[String],
    ) -> Result<AppliedPatch> {
        let key = debuggee.hello.functions[index].key.clone();
        let prepared = self.prepare_breakpoints_in(file, source, function_line, &key, breakpoints, watches)?;
        self.apply_to(&prepared, debuggee, index)
    }

    /// Links a prepared patch for `debuggee`'s address space, loads it and
    /// points the function at it.
    pub fn apply(&self, prepared: &PreparedPatch, debuggee: &mut Debuggee) -> Result<AppliedPatch> {
        self.refuse_stale(debuggee)?;
        let function = debuggee
            .function_index(&prepared.file, &prepared.name, prepared.fn_line)
            .ok_or_else(|| anyhow!("{}:{}: `{}` is not registered in the running program", prepared.file, prepared.fn_line, prepared.name))?;
        self.apply_to(prepared, debuggee, function)
    }

    /// [`Patcher::apply`] to the registry function `function`.
    pub fn apply_to(&self, prepared: &PreparedPatch, debuggee: &mut Debuggee, function: usize) -> Result<AppliedPatch> {
        self.refuse_stale(debuggee)?;
        let host = self.builder.host();
        let bias = host.load_bias(ANCHOR_SYMBOL, debuggee.hello.anchor)?;
        let linked = self.builder.link(&prepared.compiled, bias)?;
        if prepared.opaque {
            crate::hidden_type::refuse_another(host, &linked, &prepared.file, prepared.fn_line, &prepared.name)?;
        }
        let started = Instant::now();
        let patch = debuggee.load_patch(&linked.path, &linked.getter)?;
        let coverage = match &linked.generic {
            Some(generic) => {
                let base = debuggee.libraries.last().map_or(0, |(_, base)| *base);
                let (table, mut coverage) = instance_table(&host.instance_symbols(&generic.pattern), generic, bias, base);
                debuggee.set_instance_table(patch, table);
                if let Some((_, _, Some(why))) = &linked.downstream {
                    coverage.downstream_failed = Some(why.clone());
                }
                Some(coverage)
            }
            None => None,
        };
        let coverage = match (coverage, prepared.escaping.is_empty()) {
            (coverage, true) => coverage,
            (coverage, false) => Some(Coverage { escaping: prepared.escaping.clone(), ..coverage.unwrap_or_default() }),
        };
        debuggee.arm(function, patch)?;
        let switching = self.arm_loops(debuggee, function, &prepared.resumed, bias)?;
        let coverage = match inlined_into(host, debuggee, function, &prepared.name, bias)? {
            into if into.is_empty() => coverage,
            into => Some(Coverage { inlined_into: into, ..coverage.unwrap_or_default() }),
        };
        let downstream = linked.downstream.as_ref().map_or(Duration::ZERO, |(_, time, _)| *time);
        let timings = Timings { symbols: linked.symbols_time.saturating_sub(downstream), link: linked.link_time, load: started.elapsed(), downstream, ..prepared.timings };
        Ok(AppliedPatch { function, patch, library: linked.path, size: linked.size, timings, pruned: prepared.pruned.clone(), coverage, switching })
    }

    /// Running frames (issue 19): points the function's loop sites at the
    /// patch where it can resume them (all back to nops otherwise).
    fn arm_loops(&self, debuggee: &mut Debuggee, function: usize, resumed: &Result<hotbreak_rewriter::Resumed, String>, bias: u64) -> Result<Option<crate::osr::Switching>> {
        let sites = debuggee.loop_sites(function)?;
        if sites.is_empty() {
            return Ok(None);
        }
        let switching = match resumed {
            Ok(r) => {
                let program = self.program(bias)?;
                crate::osr::loop_arms(program, &sites, r)
            }
            Err(why) => crate::osr::Switching { arms: Vec::new(), refused: vec![why.clone()] },
        };
        debuggee.arm_loops(function, switching.arms.clone())?;
        Ok(Some(switching))
    }

    fn program(&self, bias: u64) -> Result<&hotbreak_dwarf::Program> {
        if let Some(p) = self.program.get() {
            return Ok(p);
        }
        let mut program = hotbreak_dwarf::Program::new();
        program.add_object(&self.builder.host().path, bias).map_err(|e| anyhow!("{e}"))?;
        Ok(self.program.get_or_init(|| program))
    }

    /// A patch is linked against one build: refuse any other program.
    fn refuse_stale(&self, debuggee: &Debuggee) -> Result<()> {
        let host = self.builder.host();
        if host.build_id != debuggee.hello.build_id {
            anyhow::bail!(
                "refusing a stale patch: it was built for {} (build id {}), the running program (pid {}) has build id {}",
                host.path.display(),
                host.build_id,
                debuggee.hello.pid,
                debuggee.hello.build_id
            );
        }
        Ok(())
    }

    /// [`Patcher::prepare`] then [`Patcher::apply`].
    pub fn replace_function(&mut self, debuggee: &mut Debuggee, file: &str, line: u32, new_fn: &str) -> Result<AppliedPatch> {
        let prepared = self.prepare(file, line, new_fn)?;
        self.apply(&prepared, debuggee)
    }
}

impl Patcher {
    /// Compiles `expr` for a stop at `line` of a function whose running
    /// patch was built from `from`, and links it for `debuggee`: the same
    /// function with an eval site at that line (see the rewriter's
    /// `eval.rs`). Errors point into the expression.
    pub fn build_eval(&mut self, debuggee: &Debuggee, from: &BuiltFrom, line: u32, expr: &str) -> Result<EvalLibrary> {
        self.refuse_stale(debuggee)?;
        let started = Instant::now();
        let getter = next_getter();
        let source = &self.as_compiled(&from.file, &from.source)?;
        let eval = hotbreak_rewriter::Eval { line, expr: expr.to_string() };
        let request = hotbreak_rewriter::Request {
            source,
            key: &from.key,
            file: &from.file,
            function_line: from.function_line,
            breakpoints: &from.breakpoints,
            getter: &getter,
            pruned: &from.pruned,
            watches: &from.watches,
            any_function: false,
            eval: Some(&eval),
        };
        let instrumented = hotbreak_rewriter::instrument(&request).map_err(|e| anyhow!("{}:{line}: {e}", from.file))?;
        let files = self.patch_files(&from.file, instrumented.text.clone())?;
        let rewrite = started.elapsed();
        let compiled = match self.builder.compile(&files, &getter) {
            Ok(compiled) => compiled,
            Err(PatchError::Compile(diagnostics)) => return Err(crate::eval_errors::explain(&instrumented, &from.file, expr, &diagnostics)),
            Err(other) => return Err(other.into()),
        };
        let bias = self.builder.host().load_bias(ANCHOR_SYMBOL, debuggee.hello.anchor)?;
        let linked = self.builder.link(&compiled, bias)?;
        let timings = Timings { rewrite, rustc: compiled.rustc_time, symbols: linked.symbols_time, link: linked.link_time, ..Timings::default() };
        Ok(EvalLibrary { path: linked.path, names: instrumented.eval_names, timings })
    }
}

/// The functions holding an inlined copy of `function` (named `name`):
/// those of its flag sites (optimized builds only) that lie in another
/// function's code. Its own copies are the functions named `name` (an
/// instance `name::<..>` too).
fn inlined_into(host: &HostSymbols, debuggee: &mut Debuggee, function: usize, name: &str, bias: u64) -> Result<Vec<String>> {
    let mut into: Vec<String> = debuggee
        .flag_sites(function)?
        .into_iter()
        .filter_map(|at| host.function_at(at.wrapping_sub(bias)))
        .filter(|f| !is_named(f, name))
        .collect();
    into.sort();
    into.dedup();
    Ok(into)
}

/// Whether the demangled path `path` names a function `name`
/// (`krate::m::name`, `<krate::T>::name`, `krate::name::<u8>`).
fn is_named(path: &str, name: &str) -> bool {
    let path = match path.strip_suffix('>') {
        Some(_) => path.rfind("::<").map_or(path, |i| &path[..i]),
        None => path,
    };
    path.rsplit("::").next() == Some(name)
}

/// The breakpoint lines inside closures of a function returning `impl
/// Trait`, which may run after it returned (see the rewriter's `closures.rs`).
fn escaping_lines(site: &hotbreak_rewriter::FnSite, source: &str, breakpoints: &[Breakpoint]) -> Vec<u32> {
    if !site.returns_opaque {
        return Vec::new();
    }
    let inside = hotbreak_rewriter::closure_body_lines(source, site.fn_line).unwrap_or_default();
    let mut lines: Vec<u32> = breakpoints.iter().map(|b| b.line).filter(|l| inside.contains(l)).collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// A getter name unique among the patches this process builds.
/// Keeps the loops an edit may resume (`allowed`; `None`: all).
fn restrict(mut resumed: hotbreak_rewriter::Resumed, allowed: &Option<Result<Vec<u32>, String>>) -> Result<hotbreak_rewriter::Resumed, String> {
    match allowed {
        None => Ok(resumed),
        Some(Err(why)) => Err(why.clone()),
        Some(Ok(lines)) => {
            resumed.sites.retain(|s| lines.contains(&s.line));
            Ok(resumed)
        }
    }
}

/// How a resume rewrite that rustc refused is named (then retried once).
const RESUME_FAILED: &str = "its resume code did not compile: ";

fn resume_failed_on_errors(off: &Option<String>) -> bool {
    off.as_deref().is_some_and(|w| w.starts_with(RESUME_FAILED))
}

fn next_getter() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!("{GETTER_PREFIX}{}_{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// The captures rustc's errors point at. An error that points at none is
/// the user's: in a condition or log expression it is reported as such,
/// anything else as rustc said it.
fn rejected_captures(inst: &Instrumented, file: &str, errors: &[&Diagnostic], breakpoints: &[Breakpoint]) -> Result<BTreeSet<CaptureId>> {
    let mut rejected = BTreeSet::new();
    for error in errors {
        let spans = || error.spans.iter().filter(|s| s.file == file);
        let hit_by = |primary: bool| -> Vec<&CaptureId> {
            inst.captures
                .iter()
                .filter(|c| spans().filter(|s| s.primary == primary).any(|s| c.place.overlaps(s.line_start, s.col_start, s.line_end, s.col_end)))
                .map(|c| &c.id)
                .collect()
        };
        // The capture the error is about; a label elsewhere may merely
        // mention another capture ("borrow later used here").
        let mut hits = hit_by(true);
        let mentioned = hits.is_empty();
        if mentioned {
            hits = hit_by(false);
        }
        if !hits.is_empty() {
            // A binding declared without a value (`let x;`) is refused at
            // each point before its assignment, but rustc reports one a
            // round: drop all its captures at once (such a local is then
            // not shown in that function).
            if error.message.contains("isn't initialized") || error.message.contains("possibly-uninitialized") {
                let names: Vec<String> = hits.iter().map(|h| h.name.clone()).collect();
                rejected.extend(inst.captures.iter().filter(|c| names.contains(&c.id.name)).map(|c| c.id.clone()));
            }
            // Likewise a value moved away (into a thread's closure): every
            // later point is refused, one a round; drop them all at once
            // (a local assigned again after the move is then not shown).
            // And a capture that keeps a borrow alive past a use of what it
            // borrows ("borrow later used here": `tally = &mut seen` shown at
            // each point after `seen.len()`): every later capture does too.
            if error.message.starts_with("borrow of moved value") || mentioned {
                for hit in &hits {
                    rejected.extend(inst.captures.iter().filter(|c| c.id.name == hit.name && c.id.at >= hit.at).map(|c| c.id.clone()));
                }
            }
            rejected.extend(hits.into_iter().cloned());
            continue;
        }
        let in_user_code = inst
            .user_code
            .iter()
            .find(|u| spans().any(|s| u.place.overlaps(s.line_start, s.col_start, s.line_end, s.col_end)));
        if let Some(user) = in_user_code {
            let labels: Vec<&str> = spans().filter_map(|s| s.label.as_deref()).collect();
            let detail = if labels.is_empty() { String::new() } else { format!(" ({})", labels.join("; ")) };
            // The breakpoint's line: its code may sit at the end of the line
            // before (step points keep their statement's columns).
            let line = breakpoints.iter().find(|b| b.id == user.breakpoint).map_or(user.place.line, |b| b.line);
            anyhow::bail!("{file}:{line}: the breakpoint's expression does not compile: {}{detail}", error.message);
        }
    }
    Ok(rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Optimized builds: the copies of a function inlined into others are
    /// named at arming, never a silent miss in a loop already running.
    #[test]
    fn copies_inlined_into_other_functions_are_named() {
        assert!(is_named("k::m::step", "step"));
        assert!(is_named("<k::Stats>::add", "add"));
        assert!(is_named("k::f::<u8>", "f"));
        assert!(is_named("<k::Lcg as core::iter::traits::iterator::Iterator>::next", "next"));
        assert!(!is_named("k::sum_steps", "step"));
        assert!(!is_named("k::chain::{closure#0}", "weight"));
        let inlined = Coverage { inlined_into: vec!["k::sum_steps".into()], ..Coverage::default() };
        assert_eq!(
            inlined.describe("step"),
            "optimized build: `step` is inlined into k::sum_steps; a call of those already running keeps \
             its native code there (its check may be read once, before a loop) until that function is called again"
        );
    }
}
