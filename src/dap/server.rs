//! The adapter's loop: requests in, session commands, responses and events
//! out. Invariants: every request gets exactly one response (an error one
//! with a readable message when it cannot be served), and whatever the
//! session emits that no request asked for (stops, log points, exits,
//! edits) becomes an event.

use super::breakpoints::{self, Place, Wanted};
use super::launch::LaunchArgs;
use super::protocol::{self, Request, Sender};
use super::variables::Refs;
use super::Route;
use crate::debuggee::Event;
use crate::session::output::Out;
use crate::session::{Launch, Session};
use anyhow::{anyhow, bail, Context, Result};
use dap::requests::{ContinueArguments, SetExceptionBreakpointsArguments, SetFunctionBreakpointsArguments};
use dap::types::{Capabilities, ExceptionBreakpointsFilter, Thread};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// How long the program's output may take to drain after it exited.
const OUTPUT_DRAIN: Duration = Duration::from_secs(5);

pub struct Server {
    pub(super) exe: PathBuf,
    pub(super) out: Sender,
    route: Route,
    /// Requests before a session exists.
    own: Receiver<Event>,
    pub(super) session: Option<Session>,
    /// What the session emitted since it was last looked at.
    outs: Rc<RefCell<Vec<Out>>>,
    pub(super) workspace: PathBuf,
    pub(super) bps: breakpoints::Table,
    pub(super) refs: Refs,
    /// Each stopped thread's last stop (its watches are a scope).
    pub(super) stops: HashMap<u64, crate::session::output::StopView>,
    threads: HashSet<u64>,
    stop_on_entry: bool,
    /// The next stop is the one `stopOnEntry` asked for.
    entry_pending: bool,
    /// Forwarders of the program's output, each saying when it is done.
    drained: Vec<mpsc::Receiver<()>>,
    _watcher: Option<crate::watch::SourceWatcher>,
}

impl Server {
    pub fn new(exe: PathBuf, out: Sender, route: Route, own: Receiver<Event>) -> Server {
        Server {
            exe,
            out,
            route,
            own,
            session: None,
            outs: Rc::new(RefCell::new(Vec::new())),
            workspace: PathBuf::new(),
            bps: breakpoints::Table::default(),
            refs: Refs::default(),
            stops: HashMap::new(),
            threads: HashSet::new(),
            stop_on_entry: false,
            entry_pending: false,
            drained: Vec::new(),
            _watcher: None,
        }
    }

    /// Serves until the client disconnects or its input ends; the program
    /// does not outlive the adapter.
    pub fn serve(mut self) {
        loop {
            let event = match &mut self.session {
                Some(session) => session.next_event(),
                None => match self.own.recv() {
                    Ok(e) => e,
                    Err(_) => break,
                },
            };
            match event {
                Event::Input(text) => {
                    if !self.handle(text.as_bytes()) {
                        break;
                    }
                }
                Event::InputEnd => break,
                other => {
                    let saved = matches!(other, Event::SourcesChanged(_));
                    if let Some(session) = &mut self.session {
                        session.absorb(other);
                    }
                    if saved {
                        let outs = self.take_outs();
                        self.publish(outs);
                        // A save moves breakpoints with their lines' text.
                        self.sync_breakpoints();
                    }
                }
            }
            let outs = self.take_outs();
            self.publish(outs);
        }
        if let Some(session) = &mut self.session {
            session.quit();
        }
    }

    /// Answers one message; false once the client said goodbye.
    fn handle(&mut self, body: &[u8]) -> bool {
        let request = match protocol::parse_request(body) {
            Ok(r) => r,
            Err((seq, command, message)) => {
                self.out.fail(seq, &command, &message);
                return true;
            }
        };
        let goodbye = request.command == "disconnect";
        if let Err(e) = self.dispatch(&request) {
            self.out.fail(request.seq, &request.command, &format!("{e:#}"));
        }
        !goodbye
    }

    fn dispatch(&mut self, r: &Request) -> Result<()> {
        match r.command.as_str() {
            "initialize" => self.out.respond(r, capabilities()),
            "launch" => self.launch(r)?,
            "configurationDone" => self.configuration_done(r)?,
            "setBreakpoints" => self.set_breakpoints(r)?,
            "setFunctionBreakpoints" => self.set_function_breakpoints(r)?,
            "setExceptionBreakpoints" => self.set_exception_breakpoints(r)?,
            "threads" => self.threads(r)?,
            "stackTrace" => self.stack_trace(r)?,
            "scopes" => self.scopes(r)?,
            "variables" => self.variables(r)?,
            "setVariable" => self.set_variable(r)?,
            "evaluate" => self.evaluate(r)?,
            "continue" => self.resume(r, "continue")?,
            "next" => self.resume(r, "next")?,
            "stepIn" => self.resume(r, "step")?,
            "stepOut" => self.resume(r, "finish")?,
            "pause" => bail!(
                "hotbreak cannot pause a running thread: it stops threads only at code compiled in (set a breakpoint; it arms while the program runs)"
            ),
            "restart" => self.restart(r)?,
            "terminate" => {
                self.kill();
                self.out.respond(r, Value::Null);
                self.out.event("terminated", Value::Null);
            }
            "disconnect" => {
                self.kill();
                self.out.respond(r, Value::Null);
            }
            "attach" => bail!("hotbreak launches the program it debugs (it builds it with every function patchable): use a `launch` configuration"),
            other => bail!("unknown request `{other}`: hotbreak's adapter does not serve it"),
        }
        Ok(())
    }

    /// The request's arguments as `T`, or an error naming what is wrong.
    pub(super) fn args<T: DeserializeOwned>(r: &Request) -> Result<T> {
        serde_json::from_value(r.arguments.clone()).with_context(|| format!("`{}`: its arguments do not fit the protocol", r.command))
    }

    pub(super) fn session(&mut self) -> Result<&mut Session> {
        self.session.as_mut().ok_or_else(|| anyhow!("no program yet: send `launch` first"))
    }

    fn take_outs(&mut self) -> Vec<Out> {
        std::mem::take(&mut *self.outs.borrow_mut())
    }

    /// Runs one line-mode command; returns what the session said.
    pub(super) fn command(&mut self, line: &str) -> Result<Vec<Out>> {
        self.session()?.command(line);
        Ok(self.take_outs())
    }

    /// Runs a command whose errors fail the request; the rest of what it
    /// said is returned.
    pub(super) fn command_ok(&mut self, line: &str) -> Result<Vec<Out>> {
        let mut outs = self.command(line)?;
        let errors = take_errors(&mut outs);
        match errors {
            Some(e) => {
                self.publish(outs);
                Err(anyhow!("{e}"))
            }
            None => Ok(outs),
        }
    }

    fn launch(&mut self, r: &Request) -> Result<()> {
        if self.session.is_some() {
            bail!("this adapter already debugs a program: use `restart`, or `disconnect` and launch again");
        }
        let args = LaunchArgs::parse(&r.arguments)?;
        self.out.output("console", "hotbreak: building the program (every workspace function patchable)…\n");
        let host = args.build(&self.exe).context("the program did not build")?;
        self.workspace = host.config.workspace.clone();
        let outs = self.outs.clone();
        let emit = Box::new(move |out: &Out| outs.borrow_mut().push(out.clone()));
        let env = args.env.clone().into_iter().collect();
        // Held before `main` until `configurationDone`; the editor owns the
        // breakpoints, so none are loaded or saved.
        let launch = Launch { args: args.program_args(), stdin: false, capture_output: true, hold: true, env, remember: false };
        let mut session = Session::start(host, launch, emit)?;
        session.set_wait_after_resume(false);
        // From now on requests come through the session's event stream;
        // those already read go first.
        let events = session.debuggee().event_sender();
        *self.route.lock().unwrap_or_else(|e| e.into_inner()) = events.clone();
        while let Ok(e) = self.own.try_recv() {
            session.debuggee().defer(e);
        }
        let saves = events;
        self._watcher = crate::watch::watch(&self.workspace, move |files| {
            let _ = saves.send(Event::SourcesChanged(files));
        })
        .map_err(|e| self.out.output("stderr", &format!("hotbreak: not watching the sources (no edit and continue): {e:#}\n")))
        .ok();
        self.session = Some(session);
        self.forward_program_output();
        self.stop_on_entry = args.stop_on_entry;
        self.out.respond(r, Value::Null);
        // Breakpoints a client sent before launching.
        let early: Vec<i64> = self.bps.list.iter().filter(|b| b.session.is_none()).map(|b| b.id).collect();
        self.arm(early)?;
        self.out.event("initialized", Value::Null);
        Ok(())
    }

    fn configuration_done(&mut self, r: &Request) -> Result<()> {
        self.session()?;
        if self.stop_on_entry {
            // `main`'s first line, as a breakpoint removed once reached.
            let mut outs = self.command("until main")?;
            match take_errors(&mut outs) {
                Some(why) => {
                    self.out.output("stderr", &format!("hotbreak: cannot stop on entry ({why}): running\n"));
                    self.command_ok("continue")?;
                }
                None => self.entry_pending = true,
            }
            self.publish(outs);
        } else {
            self.command_ok("continue")?;
        }
        self.out.respond(r, Value::Null);
        Ok(())
    }

    fn set_breakpoints(&mut self, r: &Request) -> Result<()> {
        let args: breakpoints::SetBreakpointsArgs = Self::args(r)?;
        let path = args.source.path.clone().ok_or_else(|| anyhow!("`setBreakpoints` needs `source.path` (hotbreak debugs files of the workspace)"))?;
        let path = self.absolute(&path);
        let wanted: Vec<Wanted> = args
            .breakpoints
            .into_iter()
            .map(|b| Wanted { place: Place::Line { path: path.clone(), line: b.line.max(0) as u32 }, condition: b.condition, hits: b.hit_condition, log: b.log_message })
            .collect();
        let same_file = |p: &Place| matches!(p, Place::Line { path: q, .. } if *q == path);
        let change = self.bps.replace(same_file, wanted);
        self.apply(r, change, "breakpoints")
    }

    fn set_function_breakpoints(&mut self, r: &Request) -> Result<()> {
        let args: SetFunctionBreakpointsArguments = Self::args(r)?;
        let wanted = args
            .breakpoints
            .into_iter()
            .map(|b| Wanted { place: Place::Function(b.name.trim().to_string()), condition: b.condition, hits: b.hit_condition, log: None })
            .collect();
        let change = self.bps.replace(|p| matches!(p, Place::Function(_)), wanted);
        self.apply(r, change, "breakpoints")
    }

    /// Answers at once with the new breakpoints unverified, then arms them
    /// one by one: each gets a `breakpoint` event, verified or with why not.
    fn apply(&mut self, r: &Request, change: breakpoints::Change, key: &str) -> Result<()> {
        if self.session.is_none() {
            // Armed at `launch`.
            for id in &change.add {
                if let Some(b) = self.bps.get_mut(*id) {
                    b.message = Some("the program is not launched yet".into());
                }
            }
        }
        let answer: Vec<_> = change.ids.iter().filter_map(|id| self.bps.get_mut(*id).map(|b| b.to_dap(None, &PathBuf::new()))).collect();
        self.out.respond(r, json!({ key: answer }));
        if self.session.is_none() {
            return Ok(());
        }
        for id in change.delete {
            let outs = self.command(&format!("delete {id}"))?;
            self.publish(outs);
        }
        self.arm(change.add)
    }

    /// Sets the adapter's breakpoints `ids` in the session, one by one,
    /// each followed by its `breakpoint` event.
    fn arm(&mut self, ids: Vec<i64>) -> Result<()> {
        for id in ids {
            let Some(command) = self.bps.get_mut(id).map(|b| b.command()) else { continue };
            let mut outs = self.command(&command)?;
            let error = take_errors(&mut outs);
            let armed = outs.iter().find_map(|o| match o {
                Out::Armed { breakpoint, file, line, covers_none, .. } => Some((*breakpoint, file.clone(), *line, *covers_none)),
                _ => None,
            });
            // Why a generic function's breakpoint cannot hit (the session's note).
            let coverage = outs.iter().find_map(|o| match o {
                Out::Info { message } if message.contains("covers none") => Some(message.clone()),
                _ => None,
            });
            let workspace = self.workspace.clone();
            let Some(bp) = self.bps.get_mut(id) else { continue };
            let file = match (armed, error) {
                (Some((session, file, line, true)), _) => {
                    (bp.session, bp.line, bp.verified) = (Some(session), Some(line), false);
                    bp.message = Some(coverage.unwrap_or_else(|| "no instance the program runs has the patch".into()));
                    Some(file)
                }
                (Some((session, file, line, false)), _) => {
                    (bp.session, bp.line, bp.verified, bp.message) = (Some(session), Some(line), true, None);
                    Some(file)
                }
                (None, e) => {
                    bp.verified = false;
                    bp.message = Some(e.unwrap_or_else(|| "not armed".into()));
                    None
                }
            };
            let body = bp.to_dap(file.as_deref(), &workspace);
            outs.retain(|o| !matches!(o, Out::Armed { .. }));
            self.out.event("breakpoint", json!({ "reason": "changed", "breakpoint": body }));
            self.publish(outs);
        }
        Ok(())
    }

    /// Tells the editor where the session's breakpoints are now: those an
    /// edit moved, and those whose line went away.
    fn sync_breakpoints(&mut self) {
        let Ok(outs) = self.command("info breakpoints") else { return };
        let rows = outs.into_iter().find_map(|o| match o {
            Out::Breakpoints { breakpoints } => Some(breakpoints),
            _ => None,
        });
        let rows = rows.unwrap_or_default();
        let workspace = self.workspace.clone();
        for bp in self.bps.list.iter_mut().filter(|b| b.session.is_some()) {
            let body = match rows.iter().find(|r| Some(r.id) == bp.session) {
                Some(row) if bp.line == Some(row.line) => continue,
                Some(row) => {
                    bp.line = Some(row.line);
                    bp.to_dap(Some(&row.file), &workspace)
                }
                None => {
                    (bp.session, bp.verified) = (None, false);
                    bp.message = Some("its line is gone from the source (removed)".into());
                    bp.to_dap(None, &workspace)
                }
            };
            self.out.event("breakpoint", json!({ "reason": "changed", "breakpoint": body }));
        }
    }

    fn set_exception_breakpoints(&mut self, r: &Request) -> Result<()> {
        let args: SetExceptionBreakpointsArguments = Self::args(r)?;
        let has = |f: &str| args.filters.iter().any(|g| g == f);
        let line = match (has("panic"), has("uncaught")) {
            (true, _) => "catch panic",
            (false, true) => "catch panic uncaught",
            (false, false) => "catch off",
        };
        if self.session.is_some() {
            let outs = self.command_ok(line)?;
            self.publish(outs);
        }
        self.out.respond(r, json!({}));
        Ok(())
    }

    fn threads(&mut self, r: &Request) -> Result<()> {
        let rows = match &self.session {
            None => Vec::new(),
            Some(_) => {
                let outs = self.command("threads")?;
                outs.into_iter()
                    .find_map(|o| match o {
                        Out::Threads { threads } => Some(threads),
                        _ => None,
                    })
                    .unwrap_or_default()
            }
        };
        let threads: Vec<Thread> = rows.iter().map(|t| Thread { id: t.tid as i64, name: format!("{} ({})", t.name, t.tid) }).collect();
        self.out.respond(r, json!({ "threads": threads }));
        Ok(())
    }

    /// Makes the stopped thread `tid` the session's current one.
    pub(super) fn select_thread(&mut self, tid: u64) -> Result<()> {
        let outs = self.command_ok("threads")?;
        let rows = outs.into_iter().find_map(|o| match o {
            Out::Threads { threads } => Some(threads),
            _ => None,
        });
        let row = rows.unwrap_or_default().into_iter().find(|t| t.tid == tid).ok_or_else(|| anyhow!("no thread {tid} in the program"))?;
        if row.current {
            return Ok(());
        }
        if row.stopped_at.is_none() {
            bail!("thread {tid} is running: only a stopped thread has frames and values");
        }
        // It shows the stop again: nothing new for the editor.
        self.command_ok(&format!("thread {}", row.number)).map(drop)
    }

    fn resume(&mut self, r: &Request, how: &str) -> Result<()> {
        let args: ContinueArguments = Self::args(r)?;
        self.session()?;
        self.select_thread(args.thread_id as u64)?;
        self.refs.clear();
        self.stops.remove(&(args.thread_id as u64));
        let outs = self.command_ok(how)?;
        let body = if how == "continue" { json!({ "allThreadsContinued": false }) } else { Value::Null };
        self.out.respond(r, body);
        self.out.event("continued", json!({ "threadId": args.thread_id, "allThreadsContinued": false }));
        self.publish(outs);
        Ok(())
    }

    fn restart(&mut self, r: &Request) -> Result<()> {
        self.session()?;
        self.refs.clear();
        self.stops.clear();
        let mut outs = self.command_ok("run")?;
        // The old process's end is part of the restart, not the session's.
        outs.retain(|o| !matches!(o, Out::Exited { .. }));
        self.drained.clear();
        self.forward_program_output();
        self.command_ok("continue")?;
        self.out.respond(r, Value::Null);
        self.publish(outs);
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(session) = &mut self.session {
            session.quit();
        }
        let outs = self.take_outs();
        self.publish(outs);
    }

    /// Says what the session emitted on its own.
    pub(super) fn publish(&mut self, outs: Vec<Out>) {
        for out in outs {
            match out {
                Out::Started { pid, program, .. } => {
                    self.out.output("console", &format!("hotbreak: started {program} (pid {pid})\n"));
                    self.out.event("process", json!({ "name": program, "systemProcessId": pid, "startMethod": "launch", "isLocalProcess": true }));
                    self.threads.insert(pid as u64);
                    self.out.event("thread", json!({ "reason": "started", "threadId": pid }));
                }
                Out::Stopped(view) => self.stopped(view),
                Out::Log { file, line, text, .. } => {
                    let source = breakpoints::source(self.workspace.join(&file).display().to_string());
                    self.out.event("output", json!({ "category": "console", "output": format!("{text}\n"), "source": source, "line": line }));
                }
                Out::Armed { breakpoint, file, line, .. } => {
                    // An edit moved it, or `run` armed it again.
                    let workspace = self.workspace.clone();
                    if let Some(bp) = self.bps.by_session(breakpoint) {
                        (bp.line, bp.verified, bp.message) = (Some(line), true, None);
                        let body = bp.to_dap(Some(&file), &workspace);
                        self.out.event("breakpoint", json!({ "reason": "changed", "breakpoint": body }));
                    }
                }
                Out::Exited { code, signal } => {
                    // The program's last output comes before its end.
                    let deadline = std::time::Instant::now() + OUTPUT_DRAIN;
                    for done in self.drained.drain(..) {
                        let _ = done.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()));
                    }
                    let code = code.unwrap_or(128 + signal.unwrap_or(0));
                    for tid in self.threads.drain() {
                        self.out.event("thread", json!({ "reason": "exited", "threadId": tid }));
                    }
                    self.stops.clear();
                    self.refs.clear();
                    self.out.event("exited", json!({ "exitCode": code }));
                    self.out.event("terminated", Value::Null);
                }
                Out::Diagnostics { diagnostics, .. } if diagnostics.is_empty() => {}
                e @ (Out::Error { .. } | Out::Diagnostics { .. }) => self.out.output("stderr", &format!("hotbreak: {e}\n")),
                other => self.out.output("console", &format!("hotbreak: {other}\n")),
            }
        }
    }

    fn stopped(&mut self, view: crate::session::output::StopView) {
        let tid = view.thread;
        if self.threads.insert(tid) {
            self.out.event("thread", json!({ "reason": "started", "threadId": tid }));
        }
        let bp = view.breakpoint.and_then(|id| self.bps.by_session(id).map(|b| (b.id, matches!(b.wanted.place, Place::Function(_)))));
        let (reason, description) = match (view.reason.as_str(), bp) {
            _ if std::mem::take(&mut self.entry_pending) => ("entry", "entry".to_string()),
            ("breakpoint", Some((_, true))) => ("function breakpoint", "function breakpoint".into()),
            ("breakpoint", _) => ("breakpoint", "breakpoint".into()),
            ("panic", _) => ("exception", "panic".into()),
            ("return", _) => ("step", format!("returned {}", view.value.as_deref().unwrap_or("?"))),
            _ => ("step", "step".into()),
        };
        let mut body = json!({ "reason": reason, "description": description, "threadId": tid, "allThreadsStopped": false, "preserveFocusHint": false });
        if let Some((id, _)) = bp {
            body["hitBreakpointIds"] = json!([id]);
        }
        if let Some(p) = &view.panic {
            body["text"] = json!(format!("panicked at {}:{}:{}: {}", p.file, p.line, p.column, p.message));
        }
        self.stops.insert(tid, view);
        self.out.event("stopped", body);
    }

    /// The program's stdout and stderr as `output` events, once per process.
    fn forward_program_output(&mut self) {
        let Some(session) = &mut self.session else { return };
        let child = &mut session.debuggee().child;
        let streams: Vec<(Box<dyn Read + Send>, &'static str)> = [
            child.stdout.take().map(|s| (Box::new(s) as Box<dyn Read + Send>, "stdout")),
            child.stderr.take().map(|s| (Box::new(s) as Box<dyn Read + Send>, "stderr")),
        ]
        .into_iter()
        .flatten()
        .collect();
        for (stream, category) in streams {
            let (done, drained) = mpsc::channel();
            self.drained.push(drained);
            let out = self.out.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut piece = Vec::new();
                // Whole lines, newline kept: the pieces add up to the output.
                while reader.read_until(b'\n', &mut piece).is_ok_and(|n| n > 0) {
                    out.output(category, &String::from_utf8_lossy(&piece));
                    piece.clear();
                }
                let _ = done.send(());
            });
        }
    }

    /// A client's path as the session takes it: absolute, as typed if it
    /// is not in the workspace (the session then names the problem).
    fn absolute(&self, path: &str) -> String {
        let p = std::path::Path::new(path);
        if p.is_absolute() {
            return path.to_string();
        }
        self.workspace.join(p).display().to_string()
    }
}

/// Removes the session's errors from `outs`, joined as one message.
pub(super) fn take_errors(outs: &mut Vec<Out>) -> Option<String> {
    let mut errors = Vec::new();
    outs.retain(|o| match o {
        Out::Error { message } => {
            errors.push(message.clone());
            false
        }
        _ => true,
    });
    (!errors.is_empty()).then(|| errors.join("\n"))
}

/// What the adapter does, and only that.
fn capabilities() -> Capabilities {
    let filter = |filter: &str, label: &str, description: &str| ExceptionBreakpointsFilter {
        filter: filter.into(),
        label: label.into(),
        description: Some(description.into()),
        default: Some(false),
        // (its `supports_condition` would go out in snake case)
        supports_condition: None,
        condition_description: None,
    };
    Capabilities {
        supports_configuration_done_request: Some(true),
        supports_function_breakpoints: Some(true),
        supports_conditional_breakpoints: Some(true),
        supports_hit_conditional_breakpoints: Some(true),
        supports_log_points: Some(true),
        supports_evaluate_for_hovers: Some(true),
        supports_set_variable: Some(true),
        supports_restart_request: Some(true),
        supports_terminate_request: Some(true),
        exception_breakpoint_filters: Some(vec![
            filter("panic", "Panics", "Stop a thread that panics, before it unwinds (`catch panic`)"),
            filter("uncaught", "Uncaught panics", "Stop only panics no catch_unwind of the program catches (`catch panic uncaught`)"),
        ]),
        ..Default::default()
    }
}
