//! A debugging session: one running program, its breakpoints, its stops.
//! Front ends (line mode, scripts, the terminal UI) feed it commands and
//! events and show what it emits.
//!
//! Stop policy: only a thread that reaches a breakpoint or step point pauses;
//! the others run on. Several threads may be stopped at once; one of them is
//! current (the first to stop, or the one chosen with `thread N`), and
//! `continue`/`next`/`step`/`finish` resume only the current one.

pub mod breakpoints;
mod catch;
pub mod command;
mod evaluate;
mod frame_eval;
pub mod frames;
mod values;
pub mod output;
pub mod parts;

use crate::debuggee::{Event, ProgramGone};
use crate::patcher::BuiltFrom;
use crate::{Debuggee, HostBuild, Patcher};
use anyhow::{anyhow, bail, Result};
use breakpoints::{Bp, State, Table};
use command::{BreakSpec, Command, Location};
use hotbreak::protocol::{Resume, StopEvent, StopReason};
use hotbreak_hotreload::PatchError;
use hotbreak_rewriter::{Breakpoint, FnSite, LocateError};
use output::{BreakpointRow, DiagnosticRow, Out, PanicView, StopView, ThreadRow};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

/// How long a command waits for the program before checking again that it
/// is alive (a stop may legitimately take forever to come).
const WAIT_SLICE: Duration = Duration::from_secs(3600);

pub struct Session {
    host: HostBuild,
    dbg: Debuggee,
    /// By the record name of the crate they patch.
    patchers: HashMap<String, Patcher>,
    /// Which of them patches each file (see `HostBuild::crate_of`).
    slot_of_file: HashMap<String, String>,
    bps: Table,
    /// Patch index armed for each registry function with breakpoints.
    patches: HashMap<usize, usize>,
    watches: Vec<String>,
    /// Which panics stop their thread (`catch`), saved like breakpoints.
    catch_mode: hotbreak::protocol::CatchMode,
    /// The mode was sent to this process (else it was never caught).
    catch_sent: bool,
    /// Threads stopped now, in the order they stopped.
    stops: Vec<StopEvent>,
    current: Option<u64>,
    exited: bool,
    /// Waiting before `main` for the first command that resumes.
    held: bool,
    /// `continue` and friends wait for the next stop (scripts) or return at
    /// once (the terminal UI shows stops as they come).
    wait_after_resume: bool,
    /// Each file with debuggable code as last parsed: the text the registry
    /// lines in `moved` refer to.
    sources: HashMap<String, String>,
    /// Files as the program was built (before the first edit seen): what
    /// its native frames run, which an edit may resume only unchanged.
    host_sources: HashMap<String, String>,
    /// Registry functions whose `fn` line moved with edits.
    moved: HashMap<usize, u32>,
    /// Generic functions whose last patch covers none of the instances the
    /// program runs (their breakpoints are armed but cannot hit).
    covers_none: HashSet<usize>,
    /// Each source file's size and mtime when `source_changed` last read it.
    stamps: HashMap<String, (u64, Option<std::time::SystemTime>)>,
    /// Functions a patch of which running frames could switch to: such a
    /// frame stays on that patch (see `say_switching`).
    switched: HashSet<usize>,
    /// Functions running an edited body without breakpoints: the patch of
    /// it, or `None` when the edit was only built with breakpoints (it is
    /// built plain when they go).
    edited: HashMap<usize, Option<usize>>,
    /// Functions whose running code is older than their source because the
    /// last edit did not build: rebuilt with the next save of their file.
    dirty: HashSet<usize>,
    /// How each function's running patch with step points was built, and
    /// which build it is: what evaluations at its stops start from.
    built: HashMap<usize, (u64, BuiltFrom)>,
    /// Generic functions whose patch covers several instances: an
    /// expression compiled at their stops cannot be told which one stopped.
    several_instances: std::collections::HashSet<usize>,
    builds: u64,
    /// Eval libraries loaded in the program (see `evaluate.rs`).
    evals: HashMap<evaluate::EvalKey, evaluate::LoadedEval>,
    /// How the last eval library was built (for the benchmark).
    last_eval: Option<crate::Timings>,
    /// Debug info for values without `Debug`, read on first need.
    values: Option<values::Values>,
    /// The current stop's frames and the one selected (`frames.rs`).
    stack: Option<frames::Stack>,
    launch: Launch,
    emit: Box<dyn FnMut(&Out)>,
}

/// How the program is started (each `run` the same way).
#[derive(Debug, Clone, Default)]
pub struct Launch {
    pub args: Vec<String>,
    /// The program reads the tool's stdin (else an empty one).
    pub stdin: bool,
    /// Its stdout and stderr are pipes the front end takes from
    /// `debuggee().child` (else the tool's own).
    pub capture_output: bool,
    /// Keep the program before `main` until the first `continue`.
    pub hold: bool,
    /// Set in the program's environment.
    pub env: Vec<(String, String)>,
    /// Breakpoints and the catch setting are loaded from the state dir and
    /// saved there. Off for front ends that own them (an editor sends its
    /// own at every start).
    pub remember: bool,
}

impl Launch {
    fn command(&self, executable: &std::path::Path) -> Process {
        let mut command = Process::new(executable);
        let out = || if self.capture_output { Stdio::piped() } else { Stdio::inherit() };
        command.args(&self.args).envs(self.env.iter().map(|(k, v)| (k, v))).stdin(if self.stdin { Stdio::inherit() } else { Stdio::null() }).stdout(out()).stderr(out());
        command
    }
}

/// Where a session keeps what outlives it (saved breakpoints) and its patch
/// builds: `$HOTBREAK_STATE`, else the hotbreak target dir.
pub fn state_dir(host: &HostBuild) -> PathBuf {
    std::env::var_os("HOTBREAK_STATE").map(PathBuf::from).unwrap_or_else(|| host.config.hotbreak_dir.clone())
}

impl Session {
    /// Starts the built program with `args` and re-arms the breakpoints saved
    /// for this workspace. With `hold`, the program waits before `main`
    /// until the first `continue`/`next`/`step`/`finish` (scripts set their
    /// breakpoints first); otherwise it runs once they are re-armed.
    pub fn start(host: HostBuild, launch: Launch, emit: Box<dyn FnMut(&Out)>) -> Result<Session> {
        host.require_runtime()?;
        let dbg = Debuggee::launch_held(launch.command(&host.executable))?;
        let (bps, catch_mode) = match launch.remember {
            true => (Table::load(&state_dir(&host).join("breakpoints.json")), catch::load(&state_dir(&host))),
            false => (Table::unsaved(), Default::default()),
        };
        let mut session = Session {
            host,
            dbg,
            patchers: HashMap::new(),
            slot_of_file: HashMap::new(),
            bps,
            patches: HashMap::new(),
            built: HashMap::new(),
            several_instances: Default::default(),
            builds: 0,
            evals: HashMap::new(),
            last_eval: None,
            values: None,
            stack: None,
            watches: Vec::new(),
            catch_mode,
            catch_sent: false,
            stops: Vec::new(),
            current: None,
            exited: false,
            held: true,
            wait_after_resume: true,
            sources: HashMap::new(),
            host_sources: HashMap::new(),
            covers_none: HashSet::new(),
            switched: HashSet::new(),
            stamps: HashMap::new(),
            moved: HashMap::new(),
            edited: HashMap::new(),
            dirty: HashSet::new(),
            launch,
            emit,
        };
        for file in session.debuggable_files() {
            if let Ok(text) = session.read_source(&file) {
                session.sources.insert(file, text);
            }
        }
        session.announce_start();
        session.rearm_saved();
        session.apply_saved_catch();
        if !session.launch.hold {
            session.release()?;
        }
        Ok(session)
    }

    /// Starts the program again (killing it if it runs), with the same
    /// arguments: breakpoints are re-armed and edits re-applied.
    fn rerun(&mut self) -> Result<()> {
        if !self.exited {
            let _ = self.dbg.child.kill();
            self.wait_for_exit();
        }
        let dbg = self.dbg.relaunch_held(self.launch.command(&self.host.executable))?;
        self.dbg = dbg;
        self.exited = false;
        self.held = true;
        self.stops.clear();
        self.current = None;
        self.patches.clear();
        self.built.clear();
        self.evals.clear();
        self.values = None;
        self.stack = None;
        // The new process runs the build's code: edits are built again.
        let edited: Vec<usize> = self.edited.keys().copied().collect();
        self.edited.clear();
        self.dirty.extend(edited.iter().copied());
        self.announce_start();
        self.rearm_saved();
        self.apply_saved_catch();
        for index in edited {
            if self.patches.contains_key(&index) {
                self.edited.insert(index, None);
                continue;
            }
            if let Err(e) = self.patch_edit(index) {
                let function = self.dbg.hello.functions[index].name.clone();
                let file = self.dbg.hello.functions[index].file.clone();
                self.report_build_error(&file, &function, &e);
            }
        }
        if !self.launch.hold {
            self.release()?;
        }
        Ok(())
    }

    /// The files holding registered functions, sorted.
    fn debuggable_files(&self) -> Vec<String> {
        let mut files: Vec<String> = self.dbg.hello.functions.iter().map(|f| f.file.clone()).collect();
        files.sort();
        files.dedup();
        files
    }

    fn announce_start(&mut self) {
        let debuggable = self.dbg.hello.functions.iter().filter(|f| f.unpatchable.is_none()).count();
        let program = self.host.artifact.name.clone();
        let files = self.debuggable_files();
        self.say(Out::Started { pid: self.dbg.hello.pid, program, debuggable, files });
    }

    /// Waits for the killed program's connection to close; input that
    /// arrives meanwhile waits its turn.
    fn wait_for_exit(&mut self) {
        let mut held = Vec::new();
        loop {
            match self.dbg.next_event(Duration::from_secs(30)) {
                Ok(Event::Disconnected) | Err(_) => break,
                Ok(e @ (Event::Input(_) | Event::InputEnd | Event::SourcesChanged(_))) => held.push(e),
                // The dead program's last words.
                Ok(_) => {}
            }
        }
        self.program_ended();
        for e in held {
            self.dbg.defer(e);
        }
    }

    fn release(&mut self) -> Result<()> {
        if self.held {
            self.held = false;
            if let Err(e) = self.dbg.release() {
                // A program that runs to its end at once closes the
                // connection before the answer comes: report its exit.
                if self.dbg.child.try_wait()?.is_some() || e.is::<ProgramGone>() {
                    self.program_ended();
                    return Ok(());
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// With `false`, `continue`/`next`/`step`/`finish` return as soon as the
    /// thread runs; the stop is shown when it comes (see [`Session::absorb`]).
    pub fn set_wait_after_resume(&mut self, wait: bool) {
        self.wait_after_resume = wait;
    }

    /// The workspace root the session's file names are relative to.
    pub fn workspace(&self) -> PathBuf {
        self.host.config.workspace.clone()
    }

    pub fn debuggee(&mut self) -> &mut Debuggee {
        &mut self.dbg
    }

    fn say(&mut self, out: Out) {
        (self.emit)(&out)
    }

    fn error(&mut self, message: impl Into<String>) {
        self.say(Out::Error { message: message.into() })
    }

    /// The next event: the program's, or input the front end fed in.
    pub fn next_event(&mut self) -> Event {
        loop {
            if let Ok(e) = self.dbg.next_event(WAIT_SLICE) {
                return e;
            }
        }
    }

    /// Shows an event that arrived while no command waited for it.
    pub fn absorb(&mut self, event: Event) {
        match event {
            Event::Stopped(stop) => self.stopped(stop),
            Event::Log(log) => {
                self.say(Out::Log { breakpoint: log.breakpoint, file: log.file, line: log.line, thread: log.thread, text: log.text })
            }
            Event::Disconnected => self.program_ended(),
            Event::Program(line) => println!("{line}"),
            Event::SourcesChanged(files) => self.sources_changed(&files),
            Event::Input(_) | Event::InputEnd => self.dbg.defer(event),
        }
    }

    /// Runs one command line. Returns false once the session is over.
    pub fn command(&mut self, line: &str) -> bool {
        let cmd = match command::parse(line) {
            Ok(cmd) => cmd,
            Err(e) => {
                self.error(e);
                return true;
            }
        };
        if cmd == Command::Quit {
            self.quit();
            return false;
        }
        if let Err(e) = self.execute(cmd) {
            self.error(format!("{e:#}"));
        }
        true
    }

    /// Ends the session: the program is killed if it still runs.
    pub fn quit(&mut self) {
        if !self.exited {
            let _ = self.dbg.child.kill();
            let _ = self.dbg.child.wait();
            self.exited = true;
            self.say(Out::Info { message: "program killed".into() });
        }
    }

    fn execute(&mut self, cmd: Command) -> Result<()> {
        let needs_program = !matches!(cmd, Command::Help | Command::InfoBreakpoints | Command::Quit | Command::Run | Command::Catch(_));
        if needs_program && self.exited {
            bail!("the program has exited");
        }
        match cmd {
            Command::Break(spec) => self.add_breakpoint(spec, false)?,
            Command::Delete(which) => self.delete(which)?,
            Command::Disable(id) => self.set_enabled(id, false)?,
            Command::Enable(id) => self.set_enabled(id, true)?,
            Command::InfoBreakpoints => {
                let rows = self.bps.list.iter().map(row).collect();
                self.say(Out::Breakpoints { breakpoints: rows });
            }
            Command::Continue => self.resume(Resume::Continue, true)?,
            Command::ContinueBackground => {
                let wait = std::mem::replace(&mut self.wait_after_resume, false);
                let resumed = self.resume(Resume::Continue, true);
                self.wait_after_resume = wait;
                resumed?
            }
            Command::Until(location) => {
                let spec = BreakSpec { location, condition: None, hits: None, log: None };
                self.add_breakpoint(spec, true)?;
                self.resume(Resume::Continue, true)?
            }
            Command::Next => {
                self.refuse_stepping_a_panic("next")?;
                self.resume(Resume::Next, false)?
            }
            Command::Step => {
                self.refuse_stepping_a_panic("step")?;
                self.prepare_step_in()?;
                self.resume(Resume::Step, false)?
            }
            Command::Finish => {
                self.refuse_stepping_a_panic("finish")?;
                self.resume(Resume::Finish, false)?
            }
            Command::Locals if self.in_native_frame()? => {
                let vars = self.frame_locals()?;
                self.say(Out::Locals { vars });
            }
            Command::Locals => {
                let stop = self.current_stop()?;
                let mut vars: Vec<_> = self.dbg.locals(stop)?.into_iter().filter(|v| !self.watches.contains(&v.name)).collect();
                for v in vars.iter_mut().filter(|v| !v.debug && v.marker != 0) {
                    if let Ok(node) = self.render_value(v.marker, v.address, &[]) {
                        v.value = node.summary;
                    }
                }
                self.say(Out::Locals { vars });
            }
            Command::Print(expr) if self.in_native_frame()? => self.frame_print(&expr)?,
            Command::Print(expr) => self.print(&expr)?,
            Command::Set { place, value } if self.in_native_frame()? => self.frame_set(&place, &value)?,
            Command::Set { place, value } => self.set(&place, &value)?,
            Command::Backtrace => self.backtrace()?,
            Command::Frame(to) => self.select_frame(to)?,
            Command::BreakHere => self.break_here()?,
            Command::Threads => {
                let threads = self.threads();
                self.say(Out::Threads { threads });
            }
            Command::Thread(n) => {
                let threads = self.threads();
                let row = threads.iter().find(|t| t.number == n).ok_or_else(|| anyhow!("no thread {n} (see `threads`)"))?;
                let stop = self.stops.iter().find(|s| s.thread == row.tid).ok_or_else(|| anyhow!("thread {n} is running, not stopped"))?;
                self.current = Some(stop.stop);
                let view = self.view(&stop.clone());
                self.say(Out::Stopped(view));
            }
            Command::Watch(expr) => self.watch(expr)?,
            Command::Catch(mode) => self.catch(mode)?,
            Command::Help => self.say(Out::Info { message: command::HELP.to_string() }),
            Command::Run => self.rerun()?,
            Command::Quit => self.quit(),
        }
        Ok(())
    }

    fn current_stop(&self) -> Result<u64> {
        self.current.ok_or_else(|| anyhow!("no thread is stopped (the program is running): `continue` waits for the next stop"))
    }

    /// Resumes the current thread and waits for the next stop or the end.
    /// `continue` with no thread stopped just waits.
    fn resume(&mut self, how: Resume, may_wait_only: bool) -> Result<()> {
        if self.held && may_wait_only {
            // A script's first `continue` lets the program start.
            self.release()?;
            if self.wait_after_resume && !self.exited {
                self.wait_for_stop();
            }
            return Ok(());
        }
        match self.current {
            Some(stop) => {
                match self.dbg.resume(stop, how) {
                    // The thread resumed and the program ran to its end
                    // before the answer came: its exit is reported below.
                    Err(e) if e.is::<ProgramGone>() => {}
                    other => other?,
                }
                self.stops.retain(|s| s.stop != stop);
                self.current = self.stops.first().map(|s| s.stop);
                if let Some(next) = self.stops.first().cloned() {
                    // Another thread is already stopped: it is current now.
                    let view = self.view(&next);
                    self.say(Out::Stopped(view));
                    return Ok(());
                }
            }
            None if may_wait_only => {}
            None => self.current_stop().map(drop)?,
        }
        if self.wait_after_resume {
            self.wait_for_stop();
        }
        Ok(())
    }

    /// Serves events until a thread stops or the program ends; input that
    /// arrives meanwhile waits its turn.
    fn wait_for_stop(&mut self) {
        let mut held = Vec::new();
        loop {
            match self.next_event() {
                Event::Stopped(stop) => {
                    self.stopped(stop);
                    break;
                }
                Event::Disconnected => {
                    self.program_ended();
                    break;
                }
                e @ (Event::Input(_) | Event::InputEnd) => held.push(e),
                other => self.absorb(other),
            }
        }
        for e in held {
            self.dbg.defer(e);
        }
    }

    fn stopped(&mut self, stop: StopEvent) {
        self.stops.push(stop.clone());
        if self.current.is_none() {
            self.current = Some(stop.stop);
        }
        let view = self.view(&stop);
        self.say(Out::Stopped(view));
        // `until`'s breakpoint is done once reached.
        if let StopReason::Breakpoint { id } = stop.reason {
            if self.bps.get(id).is_some_and(|b| b.temporary) {
                if let Err(e) = self.remove_breakpoints(&[id]) {
                    self.error(format!("{e:#}"));
                }
                self.save();
            }
        }
    }

    fn view(&mut self, stop: &StopEvent) -> StopView {
        let (reason, breakpoint, value) = match &stop.reason {
            StopReason::Breakpoint { id } => ("breakpoint", Some(*id), None),
            StopReason::Step => ("step", None, None),
            StopReason::Return { value } => ("return", None, Some(value.clone())),
            StopReason::Panic { .. } => ("panic", None, None),
        };
        let panic = match &stop.reason {
            StopReason::Panic { message, file, line, column } => Some(Box::new(PanicView { message: message.clone(), file: file.clone(), line: *line, column: *column })),
            _ => None,
        };
        let watches = if self.watches.is_empty() {
            Vec::new()
        } else {
            let vars = self.dbg.locals(stop.stop).unwrap_or_default();
            let watches = self.watches.clone();
            watches
                .iter()
                .map(|w| {
                    let v = vars.iter().find(|v| &v.name == w).map(|v| match v.debug || v.marker == 0 {
                        true => v.value.clone(),
                        false => self.render_value(v.marker, v.address, &[]).map_or_else(|_| v.value.clone(), |n| n.summary),
                    });
                    (w.clone(), v.unwrap_or_else(|| "<not available here>".into()))
                })
                .collect()
        };
        StopView {
            thread: stop.thread,
            thread_name: stop.thread_name.clone(),
            file: stop.file.clone(),
            line: stop.line,
            function: stop.name.clone(),
            reason: reason.into(),
            breakpoint,
            value,
            source: self.source_line(&stop.file, stop.line).unwrap_or_default(),
            watches,
            panic,
        }
    }

    fn program_ended(&mut self) {
        if self.exited {
            return;
        }
        self.exited = true;
        self.stops.clear();
        self.current = None;
        let status = self.dbg.child.wait().ok();
        use std::os::unix::process::ExitStatusExt;
        self.say(Out::Exited { code: status.and_then(|s| s.code()), signal: status.and_then(|s| s.signal()) });
    }

    fn read_source(&self, file: &str) -> Result<String> {
        self.host.config.read_source(file)
    }

    fn source_line(&self, file: &str, line: u32) -> Option<String> {
        // Line 0: a panic without a location.
        self.read_source(file).ok()?.lines().nth((line as usize).checked_sub(1)?).map(str::to_owned)
    }

    /// The file as rustc names it, from what the user typed: a path from
    /// the workspace or the current directory, or the tail of a crate file.
    fn resolve_file(&self, typed: &str) -> Result<String> {
        let known: Vec<&str> = {
            let mut v: Vec<&str> = self.dbg.hello.functions.iter().map(|f| f.file.as_str()).collect();
            v.sort();
            v.dedup();
            v
        };
        if let Some(exact) = known.iter().find(|f| **f == typed) {
            return Ok(exact.to_string());
        }
        let tails: Vec<&&str> = known.iter().filter(|f| f.ends_with(&format!("/{typed}"))).collect();
        match tails.as_slice() {
            [one] => return Ok(one.to_string()),
            [] => {}
            many => bail!("`{typed}` is ambiguous: {}", many.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")),
        }
        let ws = &self.host.config.workspace;
        let path = PathBuf::from(typed);
        let absolute = if path.is_absolute() { path } else { std::env::current_dir()?.join(path) };
        if let (Ok(canon), Ok(ws)) = (absolute.canonicalize(), ws.canonicalize()) {
            if let Ok(rel) = canon.strip_prefix(&ws) {
                return Ok(rel.display().to_string());
            }
        }
        if ws.join(typed).is_file() {
            return Ok(typed.to_string());
        }
        bail!("unknown file `{typed}` (files with debuggable code: {})", known.join(", "))
    }

    fn add_breakpoint(&mut self, spec: BreakSpec, temporary: bool) -> Result<()> {
        let (file, line) = match &spec.location {
            Location::Line { file, line } => (self.resolve_file(file)?, *line),
            Location::Function(name) => self.function_start(name)?,
        };
        let source = self.read_source(&file)?;
        let Some(text) = source.lines().nth(line as usize - 1) else {
            bail!("{file}:{line}: the file has only {} lines", source.lines().count());
        };
        let bp = Bp {
            id: 0,
            file: file.clone(),
            line,
            text: text.to_string(),
            condition: spec.condition,
            hits: spec.hits,
            log: spec.log,
            enabled: true,
            temporary,
            state: State::Pending,
        };
        let id = self.bps.add(bp);
        match self.arm_function(&file, line) {
            Ok((function, ms)) => {
                let name = self.dbg.hello.functions[function].name.clone();
                let covers_none = self.covers_none.contains(&function);
                self.say(Out::Armed { breakpoint: id, file, line, function: name, ms, moved_from: None, covers_none });
            }
            Err(e) => {
                // Nothing is armed for a breakpoint that does not build.
                self.bps.remove(id);
                self.save();
                return Err(e);
            }
        }
        self.save();
        Ok(())
    }

    /// First statement line of the debuggable function named `name`.
    fn function_start(&self, name: &str) -> Result<(String, u32)> {
        let matches: Vec<_> = self
            .dbg
            .hello
            .functions
            .iter()
            .filter(|f| f.name == name || f.key.ends_with(&format!("::{name}")))
            .collect();
        let f = match matches.as_slice() {
            [one] => *one,
            [] => bail!("no debuggable function named `{name}`"),
            many => bail!("`{name}` is ambiguous: {}", many.iter().map(|f| f.key.as_str()).collect::<Vec<_>>().join(", ")),
        };
        if let Some(why) = &f.unpatchable {
            bail!("{}:{}: `{}` cannot be debugged yet: {why}", f.file, f.first_line, f.name);
        }
        let source = self.read_source(&f.file)?;
        let lines = hotbreak_rewriter::statement_lines(&source, f.first_line).map_err(|e| anyhow!("{}:{}: {e}", f.file, f.first_line))?;
        let first = lines.first().ok_or_else(|| anyhow!("`{name}` has no statements"))?;
        Ok((f.file.clone(), *first))
    }

    /// (Re)builds the patch of the function holding `file:line` with all its
    /// breakpoints and the watches, and arms it. Returns the registry index
    /// and the milliseconds it took.
    fn arm_function(&mut self, file: &str, line: u32) -> Result<(usize, u64)> {
        let started = Instant::now();
        if std::path::Path::new(file).file_name().is_some_and(|n| n == "build.rs") {
            bail!("{file}:{line}: a build script runs while cargo builds, not in the program: hotbreak debugs the running program");
        }
        let source = self.read_source(file)?;
        let site = hotbreak_rewriter::find_function(&source, line).map_err(|e| anyhow!("{file}:{line}: {e}"))?;
        let index = self.index_at(file, &site).ok_or_else(|| {
            anyhow!(
                "{file}:{line}: `{}` is not in the running program's registry: functions nested in another function or made by a macro are not \
                 debuggable, nor crates left out with --debug-crates; in a crate that depends on hotbreak, or outside the workspace, \
                 add #[hotbreak::debuggable] to it, its impl block or its module",
                site.name
            )
        })?;
        if let Some(why) = &self.dbg.hello.functions[index].unpatchable {
            bail!("{file}:{}: `{}` cannot be debugged yet: {why}", site.fn_line, site.name);
        }
        self.say(Out::Building { file: file.to_string(), line: site.fn_line, function: site.name.clone() });
        let key = self.dbg.hello.functions[index].key.clone();
        let in_fn: Vec<&Bp> = self.bps.list.iter().filter(|b| b.file == file && (site.fn_line..=site.last_line).contains(&b.line)).collect();
        let compiled: Vec<Breakpoint> = in_fn
            .iter()
            .map(|b| Breakpoint { id: b.id, line: b.line, condition: b.condition.clone(), hits: b.hits, log: b.log.clone() })
            .collect();
        let enabled: Vec<(u32, bool)> = in_fn.iter().map(|b| (b.id, b.enabled)).collect();
        let watches = self.watches.clone();
        let slot = self.patcher_slot(&key, file)?;
        let patcher = self.patchers.get_mut(&slot).expect("created by patcher_slot");
        if let Some(host) = self.host_sources.get(file).or(self.sources.get(file)) {
            patcher.remember_host_source(file, host);
        }
        let applied = patcher.arm_at(&mut self.dbg, index, file, &source, line, &compiled, &watches)?;
        if std::env::var_os("HOTBREAK_TIMINGS").is_some() {
            eprintln!("hotbreak: arm `{}`: {}", site.name, applied.timings);
        }
        if let Some(coverage) = &applied.coverage {
            // Never a silent miss: an instance the patch lacks runs native code.
            self.say(Out::Info { message: coverage.describe(&site.name) });
        }
        match applied.coverage.as_ref().is_some_and(|c| c.covered.is_empty() && !c.not_covered.is_empty()) {
            true => self.covers_none.insert(index),
            false => self.covers_none.remove(&index),
        };
        match applied.coverage.as_ref().is_some_and(|c| c.covered.len() > 1) {
            true => self.several_instances.insert(index),
            false => self.several_instances.remove(&index),
        };
        // Never a silent miss either: what frames running it now do.
        self.say_switching(index, &site.name, applied.switching.as_ref());
        self.patches.insert(index, applied.patch);
        self.builds += 1;
        let from = BuiltFrom { file: file.to_string(), source, function_line: line, key, breakpoints: compiled, watches, pruned: applied.pruned };
        self.built.insert(index, (self.builds, from));
        self.dirty.remove(&index);
        for (id, on) in &enabled {
            self.dbg.set_breakpoint_enabled(*id, *on)?;
            if let Some(b) = self.bps.get_mut(*id) {
                b.state = State::Armed { function: index };
            }
        }
        if !enabled.is_empty() && enabled.iter().all(|(_, on)| !on) {
            self.restore(index)?;
        }
        Ok((index, started.elapsed().as_millis() as u64))
    }

    /// The patcher of the crate whose files hold `file` (the function
    /// `key`), made on first use.
    fn patcher_slot(&mut self, key: &str, file: &str) -> Result<String> {
        // The records are read once per file, not at every arm.
        if let Some(slot) = self.slot_of_file.get(file) {
            return Ok(slot.clone());
        }
        let crate_name = key.split("::").next().unwrap_or(key);
        let inv = self.host.crate_of(file, crate_name)?;
        let slot = inv.record_name().trim_end_matches(".json").to_string();
        if !self.patchers.contains_key(&slot) {
            let work = state_dir(&self.host).join("patches").join(&slot);
            let patcher = Patcher::new(&self.host, inv, &work)?;
            self.patchers.insert(slot.clone(), patcher);
        }
        self.slot_of_file.insert(file.to_string(), slot.clone());
        Ok(slot)
    }

    fn save(&mut self) {
        if let Err(e) = self.bps.save() {
            self.error(format!("cannot save breakpoints: {e}"));
        }
    }

    /// Arms the breakpoints saved by an earlier session, following their
    /// text if the source moved.
    fn rearm_saved(&mut self) {
        let ids: Vec<u32> = self.bps.list.iter().map(|b| b.id).collect();
        for id in ids {
            let bp = self.bps.get(id).cloned().expect("listed");
            let new_line = self.read_source(&bp.file).ok().and_then(|src| breakpoints::reanchor(&src, bp.line, &bp.text));
            let Some(line) = new_line else {
                self.bps.remove(id);
                self.error(format!("{}:{}: the saved breakpoint's line `{}` is gone; removed it", bp.file, bp.line, bp.text.trim()));
                continue;
            };
            if let Some(b) = self.bps.get_mut(id) {
                b.line = line;
            }
            match self.arm_function(&bp.file, line) {
                Ok((function, ms)) => {
                    let name = self.dbg.hello.functions[function].name.clone();
                    let moved_from = (line != bp.line).then_some(bp.line);
                    let covers_none = self.covers_none.contains(&function);
                    self.say(Out::Armed { breakpoint: id, file: bp.file.clone(), line, function: name, ms, moved_from, covers_none });
                }
                Err(e) => {
                    if let Some(b) = self.bps.get_mut(id) {
                        b.state = State::Failed(format!("{e:#}"));
                    }
                    self.error(format!("breakpoint {id}: {e:#}"));
                }
            }
        }
        self.save();
    }

    fn armed_function(&self, id: u32) -> Result<Option<usize>> {
        let bp = self.bps.get(id).ok_or_else(|| anyhow!("no breakpoint {id} (see `info breakpoints`)"))?;
        Ok(match bp.state {
            State::Armed { function } => Some(function),
            _ => None,
        })
    }

    fn set_enabled(&mut self, id: u32, on: bool) -> Result<()> {
        let function = self.armed_function(id)?;
        self.bps.get_mut(id).expect("checked").enabled = on;
        self.dbg.set_breakpoint_enabled(id, on)?;
        if let Some(f) = function {
            let any_on = self.bps.list.iter().any(|b| b.enabled && b.state == State::Armed { function: f });
            match (any_on, self.patches.get(&f)) {
                (true, Some(&patch)) => self.dbg.arm(f, patch)?,
                (false, _) => self.restore(f)?,
                _ => {}
            }
        }
        self.save();
        let word = if on { "enabled" } else { "disabled" };
        self.say(Out::Info { message: format!("breakpoint {id} {word}") });
        Ok(())
    }

    fn delete(&mut self, which: Option<u32>) -> Result<()> {
        let ids: Vec<u32> = match which {
            Some(id) => {
                self.armed_function(id)?;
                vec![id]
            }
            None => self.bps.list.iter().map(|b| b.id).collect(),
        };
        self.remove_breakpoints(&ids)?;
        self.save();
        let message = match which {
            Some(id) => format!("breakpoint {id} deleted"),
            None => format!("{} breakpoints deleted", ids.len()),
        };
        self.say(Out::Info { message });
        Ok(())
    }

    /// Switches breakpoints off at once, then rebuilds their functions with
    /// the breakpoints left, or puts them back on the code they ran before.
    fn remove_breakpoints(&mut self, ids: &[u32]) -> Result<()> {
        let mut touched = Vec::new();
        for id in ids {
            let bp = self.bps.remove(*id).expect("listed");
            self.dbg.set_breakpoint_enabled(*id, false)?;
            if let State::Armed { function } = bp.state {
                touched.push((function, bp.file, bp.line));
            }
        }
        for (function, file, line) in touched {
            let left = self.bps.list.iter().any(|b| b.state == State::Armed { function });
            if left {
                self.arm_function(&file, line)?;
            } else {
                self.patches.remove(&function);
                self.restore(function)?;
            }
        }
        Ok(())
    }

    /// Puts a function without breakpoints back on the code it runs
    /// natively: the build's, or its last edit.
    fn restore(&mut self, index: usize) -> Result<()> {
        match self.edited.get(&index).copied() {
            None => self.dbg.disarm(index),
            Some(Some(patch)) => self.dbg.arm(index, patch),
            Some(None) => self.patch_edit(index).map(drop),
        }
    }

    /// Where registry function `index` starts in the source as it is now.
    fn fn_line(&self, index: usize) -> u32 {
        self.moved.get(&index).copied().unwrap_or(self.dbg.hello.functions[index].first_line)
    }

    /// The registry function found at `site` of `file` (as the file is now).
    fn index_at(&self, file: &str, site: &FnSite) -> Option<usize> {
        let functions = &self.dbg.hello.functions;
        (0..functions.len()).find(|&i| functions[i].file == file && functions[i].name == site.name && self.fn_line(i) == site.fn_line)
    }

    /// What the running frames of function `index` do with its new patch;
    /// a frame that switched to an earlier patch stays there (patches have
    /// no loop sites), which is said too.
    fn say_switching(&mut self, index: usize, name: &str, switching: Option<&crate::osr::Switching>) {
        if let Some(message) = switching.and_then(|s| s.describe(name)) {
            self.say(Out::Info { message });
        }
        if self.switched.contains(&index) {
            self.say(Out::Info {
                message: format!(
                    "a running frame of `{name}` that switched to an earlier patch keeps that patch (and its breakpoints) until it returns"
                ),
            });
        }
        if switching.is_some_and(|s| !s.arms.is_empty()) {
            self.switched.insert(index);
        }
    }

    /// Builds function `index` from its source as it is now, without
    /// breakpoints, and runs it: edit and continue.
    fn patch_edit(&mut self, index: usize) -> Result<u64> {
        let started = Instant::now();
        let info = self.dbg.hello.functions[index].clone();
        let line = self.fn_line(index);
        self.say(Out::Building { file: info.file.clone(), line, function: info.name.clone() });
        let slot = self.patcher_slot(&info.key, &info.file)?;
        let patcher = self.patchers.get_mut(&slot).expect("created by patcher_slot");
        if let Some(host) = self.host_sources.get(&info.file).or(self.sources.get(&info.file)) {
            patcher.remember_host_source(&info.file, host);
        }
        let prepared = patcher.prepare_as_written(&info.file, line)?;
        let applied = patcher.apply_to(&prepared, &mut self.dbg, index)?;
        self.say_switching(index, &info.name, applied.switching.as_ref());
        self.edited.insert(index, Some(applied.patch));
        self.dirty.remove(&index);
        Ok(started.elapsed().as_millis() as u64)
    }

    /// The user saved `files`: breakpoints follow their lines, and every
    /// debuggable function whose code changed is rebuilt and swapped in,
    /// with its breakpoints. A file that does not parse, or a function that
    /// does not compile, leaves the program on its last good code.
    pub fn sources_changed(&mut self, files: &[String]) {
        for file in files {
            if let Err(e) = self.source_changed(file) {
                self.error(format!("{e:#}"));
            }
        }
    }

    fn source_changed(&mut self, file: &str) -> Result<()> {
        let Some(old) = self.sources.get(file).cloned() else { return Ok(()) };
        // The watcher also reports a file being opened: reading it (here,
        // for a patch, for a stop's source line) must not count as a save,
        // or a save that does not build is rebuilt and reported over and
        // over. Unchanged size and mtime since the last look: no save.
        let stamp = std::fs::metadata(self.host.config.workspace.join(file)).ok().map(|m| (m.len(), m.modified().ok()));
        if stamp.is_some() && self.stamps.get(file) == stamp.as_ref() {
            return Ok(());
        }
        if let Some(stamp) = stamp {
            self.stamps.insert(file.to_string(), stamp);
        }
        let Ok(new) = self.read_source(file) else { return Ok(()) };
        if new == old && !self.dirty.iter().any(|&i| self.dbg.hello.functions[i].file == file) {
            return Ok(());
        }
        let new_fns = match hotbreak_rewriter::list_functions(&new) {
            Ok(fns) => fns,
            Err(LocateError::Parse { line, message }) => {
                self.say(Out::Diagnostics { file: file.to_string(), diagnostics: vec![DiagnosticRow { line, message: message.clone() }] });
                bail!("{file}:{line}: {message}; the program keeps running its last good code");
            }
            Err(e) => bail!("{file}: {e}"),
        };
        let old_fns = hotbreak_rewriter::list_functions(&old).unwrap_or_default();
        self.host_sources.entry(file.to_string()).or_insert_with(|| old.clone());
        self.sources.insert(file.to_string(), new.clone());
        let mut changed = Vec::new();
        let mut unpatchable = Vec::new();
        for index in 0..self.dbg.hello.functions.len() {
            let info = &self.dbg.hello.functions[index];
            if info.file != file {
                continue;
            }
            let Some((before, after)) = counterpart(&old_fns, &new_fns, self.fn_line(index)) else { continue };
            let body_changed = !hotbreak_rewriter::same_tokens(before.text(&old), after.text(&new));
            if let Some(why) = &info.unpatchable {
                if body_changed {
                    // Never a silent miss: the program keeps the old code.
                    unpatchable.push(format!("{file}:{}: the edit of `{}` is not applied: it cannot be patched yet ({why})", after.fn_line, info.name));
                }
                self.moved.insert(index, after.fn_line);
                continue;
            }
            let moved = after.fn_line != before.fn_line;
            self.moved.insert(index, after.fn_line);
            // A function with breakpoints has its lines compiled in.
            let with_breakpoints = self.patches.contains_key(&index);
            if body_changed || self.dirty.contains(&index) || (moved && with_breakpoints) {
                changed.push((index, body_changed || self.dirty.contains(&index)));
            }
        }
        self.say(Out::Diagnostics { file: file.to_string(), diagnostics: Vec::new() });
        for message in unpatchable {
            self.error(message);
        }
        self.follow_breakpoints(file, &new)?;
        for (index, body_changed) in changed {
            let line = self.fn_line(index);
            let function = self.dbg.hello.functions[index].name.clone();
            let result = if self.patches.contains_key(&index) {
                if body_changed {
                    self.edited.insert(index, None);
                }
                self.arm_function(file, line).map(|(_, ms)| ms)
            } else {
                self.patch_edit(index)
            };
            match result {
                Ok(ms) if body_changed => self.say(Out::Patched { file: file.to_string(), line, function, ms }),
                Ok(_) => {}
                Err(e) => {
                    self.dirty.insert(index);
                    self.report_build_error(file, &function, &e);
                }
            }
        }
        Ok(())
    }

    /// Moves the breakpoints of `file` with their lines' text; those whose
    /// line is gone are removed.
    fn follow_breakpoints(&mut self, file: &str, source: &str) -> Result<()> {
        let mut gone = Vec::new();
        for bp in self.bps.list.iter_mut().filter(|b| b.file == file) {
            match breakpoints::reanchor(source, bp.line, &bp.text) {
                Some(line) => bp.line = line,
                None => gone.push((bp.id, bp.line, bp.text.trim().to_string())),
            }
        }
        for (id, line, text) in &gone {
            self.error(format!("{file}:{line}: breakpoint {id}'s line `{text}` is gone; removed it"));
        }
        let ids: Vec<u32> = gone.iter().map(|g| g.0).collect();
        self.remove_breakpoints(&ids)?;
        self.save();
        Ok(())
    }

    /// Shows why an edit did not build: rustc's errors at their lines.
    fn report_build_error(&mut self, file: &str, function: &str, e: &anyhow::Error) {
        if let Some(PatchError::Compile(diags)) = e.downcast_ref::<PatchError>() {
            let diagnostics = diags
                .iter()
                .filter(|d| d.level == "error" && d.file.as_deref() == Some(file))
                .filter_map(|d| Some(DiagnosticRow { line: d.line?, message: d.message.clone() }))
                .collect();
            self.say(Out::Diagnostics { file: file.to_string(), diagnostics });
        }
        self.error(format!("`{function}` keeps running its last good code: {e:#}"));
    }

    /// `step` can only enter instrumented code: before resuming, give step
    /// points to the debuggable functions the current line calls.
    fn prepare_step_in(&mut self) -> Result<()> {
        let stop_id = self.current_stop()?;
        let Some(stop) = self.stops.iter().find(|s| s.stop == stop_id).cloned() else { return Ok(()) };
        let text = self.source_line(&stop.file, stop.line).unwrap_or_default();
        let callees: Vec<(usize, String, u32)> = self
            .dbg
            .hello
            .functions
            .iter()
            .enumerate()
            .filter(|(i, f)| f.unpatchable.is_none() && !self.patches.contains_key(i) && calls(&text, &f.name))
            .map(|(i, f)| (i, f.file.clone(), self.fn_line(i)))
            .collect();
        for (_, file, line) in callees {
            if let Err(e) = self.arm_function(&file, line) {
                self.error(format!("cannot prepare stepping into {file}:{line}: {e:#}"));
            }
        }
        Ok(())
    }

    fn watch(&mut self, expr: String) -> Result<()> {
        self.watches.push(expr.clone());
        let stop = self.current.and_then(|id| self.stops.iter().find(|s| s.stop == id).cloned());
        match stop {
            Some(stop) => {
                let (_, ms) = self.arm_function(&stop.file, stop.line)?;
                self.say(Out::Info { message: format!("watching `{expr}` in `{}` (rebuilt in {ms} ms); shown from the next stop", stop.name) });
            }
            None => self.say(Out::Info { message: format!("watching `{expr}` in functions armed from now on") }),
        }
        Ok(())
    }

    fn threads(&self) -> Vec<ThreadRow> {
        let pid = self.dbg.hello.pid;
        let mut tids: Vec<u64> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
            .unwrap_or_default();
        tids.sort_unstable();
        tids.iter()
            .enumerate()
            .map(|(i, &tid)| {
                let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).unwrap_or_default().trim().to_string();
                let stop = self.stops.iter().find(|s| s.thread == tid);
                ThreadRow {
                    number: i + 1,
                    tid,
                    name,
                    stopped_at: stop.map(|s| format!("{}:{} in {}", s.file, s.line, s.name)),
                    current: stop.is_some_and(|s| Some(s.stop) == self.current),
                }
            })
            .collect()
    }
}

fn row(b: &Bp) -> BreakpointRow {
    BreakpointRow {
        id: b.id,
        file: b.file.clone(),
        line: b.line,
        enabled: b.enabled,
        state: match &b.state {
            State::Pending => "pending".into(),
            State::Armed { .. } => "armed".into(),
            State::Failed(e) => format!("failed: {e}"),
        },
        condition: b.condition.clone(),
        hits: b.hits.map(breakpoints::hits_text),
        log: b.log.clone(),
    }
}

/// `old`'s function at `fn_line` and the function of `new` that is it: the
/// same name and owner, the same rank among its namesakes.
fn counterpart<'a, 'b>(old: &'a [FnSite], new: &'b [FnSite], fn_line: u32) -> Option<(&'a FnSite, &'b FnSite)> {
    let before = old.iter().find(|s| s.fn_line == fn_line)?;
    let path = before.path_from_container();
    let rank = old.iter().take_while(|s| s.fn_line != fn_line).filter(|s| s.path_from_container() == path).count();
    let after = new.iter().filter(|s| s.path_from_container() == path).nth(rank)?;
    Some((before, after))
}

/// Whether a source line calls a function named `name`.
fn calls(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].trim_start();
        before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) && (after.starts_with('(') || after.starts_with("::<"))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn calls_finds_function_calls_not_longer_names() {
        assert!(super::calls("let d = double(x);", "double"));
        assert!(super::calls("self.scale (x)", "scale"));
        assert!(!super::calls("let doubled = 1;", "double"));
        assert!(!super::calls("redouble(x)", "double"));
    }
}
