//! A running program under hotbreak, and its agent connection.

use crate::private_dir::{random_token, PrivateDir};
use anyhow::{anyhow, bail, Context, Result};
use hotbreak::protocol::{self, FromDebuggee, Hello, LogEvent, Op, Reply, Request, Resume, StopEvent, VarDesc};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Child, Command};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// How long a stopped thread may take to render its values: user `Debug`
/// code runs there, and may block.
const RENDER_LIMIT: Duration = Duration::from_secs(10);

/// How long an evaluated expression may run before the session goes on
/// without its answer (the thread stays busy with it).
const EVAL_LIMIT: Duration = Duration::from_secs(10);

/// Symbolizing a backtrace reads the debug info: slow the first time.
const BACKTRACE_LIMIT: Duration = Duration::from_secs(120);

/// How long a started program may take to connect back.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Debuggee {
    pub child: Child,
    pub hello: Hello,
    writer: UnixStream,
    replies: Receiver<(u64, Result<Reply, String>)>,
    events: Receiver<Event>,
    event_tx: mpsc::Sender<Event>,
    /// Events taken off the channel while waiting for another kind.
    pending: VecDeque<Event>,
    next_id: u64,
    /// Libraries loaded into the program and where (for their debug info).
    pub libraries: Vec<(std::path::PathBuf, u64)>,
    /// Patches of generic functions: the instance table each is armed with
    /// (host instance, patch instance; runtime addresses).
    instance_tables: std::collections::HashMap<usize, Vec<(u64, u64)>>,
    _dir: PrivateDir,
}

/// The program closed its hotbreak connection (it exited, or is exiting):
/// a request it got may still have been carried out.
#[derive(Debug)]
pub struct ProgramGone(pub String);

impl std::fmt::Display for ProgramGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the program is gone ({})", self.0)
    }
}

impl std::error::Error for ProgramGone {}

/// A stopped thread did not answer in time.
#[derive(Debug)]
pub struct NoAnswer(pub Duration);

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the stopped thread did not answer within {:?}: a `Debug` impl may be waiting for a lock another stopped thread holds (resume that thread)",
            self.0
        )
    }
}

impl std::error::Error for NoAnswer {}

/// Something the program reported on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Stopped(StopEvent),
    Log(LogEvent),
    /// The agent connection ended (the program exited or closed it).
    Disconnected,
    /// A line the program printed, for front ends that capture its output
    /// and feed it in through [`Debuggee::event_sender`].
    Program(String),
    /// A command line typed by the user, fed in the same way, so one loop
    /// serves the user and the program.
    Input(String),
    /// The user's input ended.
    InputEnd,
    /// Files of the workspace (as rustc names them) were saved.
    SourcesChanged(Vec<String>),
}

/// What an expression evaluated at a stop gave.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Numbers the value at its stop: `Inspect` it as `$N`.
    pub result: usize,
    pub type_name: String,
    /// Rendered by its `Debug`.
    pub debug: bool,
    pub view: ValueView,
    /// Without `Debug`: where it lives in the program (0: nowhere that
    /// outlives the evaluation), and its type's marker.
    pub address: u64,
    pub marker: u64,
    /// A temporary kept alive at `address` until [`Debuggee::release`]:
    /// its thread waits meanwhile.
    pub held: bool,
}

/// A value at a stop, one level deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueView {
    pub type_name: String,
    pub summary: String,
    /// (label, one-line value) of each child.
    pub children: Vec<(String, String)>,
    pub truncated: bool,
}

impl Debuggee {
    /// Starts `command` under hotbreak and lets it run.
    pub fn launch(command: Command) -> Result<Debuggee> {
        let mut dbg = Self::launch_held(command)?;
        dbg.release()?;
        Ok(dbg)
    }

    /// Lets a program started with [`Debuggee::launch_held`] enter `main`.
    pub fn release(&mut self) -> Result<()> {
        self.request(Op::Start).map(drop)
    }

    /// Starts `command` with the session socket and token in its environment
    /// and waits for its agent's hello. The program then waits before `main`
    /// until [`Debuggee::release`], so breakpoints can be armed first.
    pub fn launch_held(command: Command) -> Result<Debuggee> {
        let connection = Connection::open(command)?;
        let (tx, rx) = mpsc::channel();
        Ok(connection.attach(tx, rx, VecDeque::new()))
    }

    /// Starts `command` like [`Debuggee::launch_held`], to replace this
    /// debuggee (which has exited, its `Disconnected` taken): the new one
    /// keeps this one's event stream, so senders from
    /// [`Debuggee::event_sender`] and deferred input carry over. On error
    /// this debuggee is untouched.
    pub fn relaunch_held(&mut self, command: Command) -> Result<Debuggee> {
        let connection = Connection::open(command)?;
        let events = std::mem::replace(&mut self.events, mpsc::channel().1);
        Ok(connection.attach(self.event_tx.clone(), events, std::mem::take(&mut self.pending)))
    }

    fn request(&mut self, op: Op) -> Result<Reply> {
        self.request_within(op, None)
    }

    /// Sends `op` and waits for its answer, at most `limit`. A late answer
    /// is dropped when it comes (answers carry their request's id).
    fn request_within(&mut self, op: Op, limit: Option<Duration>) -> Result<Reply> {
        self.next_id += 1;
        let id = self.next_id;
        let mut line = serde_json::to_vec(&Request { id, op })?;
        line.push(b'\n');
        self.writer.write_all(&line).map_err(|e| ProgramGone(format!("its hotbreak connection: {e}")))?;
        let deadline = limit.map(|l| std::time::Instant::now() + l);
        loop {
            let received = match deadline {
                None => self.replies.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                Some(at) => self.replies.recv_timeout(at.saturating_duration_since(std::time::Instant::now())),
            };
            let (got, result) = match received {
                Ok(reply) => reply,
                Err(mpsc::RecvTimeoutError::Timeout) => return Err(NoAnswer(limit.unwrap_or_default()).into()),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(ProgramGone("it closed its hotbreak connection".into()).into()),
            };
            // Id 0: the agent could not even read the request.
            if got == id || got == 0 {
                return result.map_err(|e| anyhow!(e));
            }
        }
    }

    /// Takes back an event to be returned first by the next call.
    pub fn defer(&mut self, event: Event) {
        self.pending.push_back(event);
    }

    /// The next event, waiting at most `limit` (a guard against hangs, not
    /// a synchronisation: events arrive when they happen).
    pub fn next_event(&mut self, limit: Duration) -> Result<Event> {
        if let Some(e) = self.pending.pop_front() {
            return Ok(e);
        }
        self.events.recv_timeout(limit).map_err(|_| anyhow!("no event from the program within {limit:?}"))
    }

    /// A sender into this debuggee's event stream, so one loop can wait on
    /// the program's output and its stops alike.
    pub fn event_sender(&self) -> mpsc::Sender<Event> {
        self.event_tx.clone()
    }

    /// Waits for the next stop; log events met meanwhile stay queued.
    pub fn wait_stop(&mut self, limit: Duration) -> Result<StopEvent> {
        self.wait_for(limit, |e| match e {
            Event::Stopped(s) => Some(s.clone()),
            _ => None,
        })
    }

    /// Waits for the next log point output; stops met meanwhile stay queued.
    pub fn wait_log(&mut self, limit: Duration) -> Result<LogEvent> {
        self.wait_for(limit, |e| match e {
            Event::Log(l) => Some(l.clone()),
            _ => None,
        })
    }

    fn wait_for<T>(&mut self, limit: Duration, pick: impl Fn(&Event) -> Option<T>) -> Result<T> {
        if let Some(i) = self.pending.iter().position(|e| pick(e).is_some()) {
            return Ok(pick(&self.pending.remove(i).unwrap()).unwrap());
        }
        loop {
            let e = self.events.recv_timeout(limit).map_err(|_| anyhow!("no such event from the program within {limit:?}"))?;
            if e == Event::Disconnected {
                bail!("the program disconnected");
            }
            match pick(&e) {
                Some(found) => return Ok(found),
                None => self.pending.push_back(e),
            }
        }
    }

    /// Events received and not yet taken.
    pub fn drain_events(&mut self) -> Vec<Event> {
        let mut out: Vec<Event> = self.pending.drain(..).collect();
        out.extend(self.events.try_iter());
        out
    }

    /// Switches a compiled-in breakpoint on or off; effective at once.
    pub fn set_breakpoint_enabled(&mut self, id: u32, enabled: bool) -> Result<()> {
        self.request(Op::SetBreakpoint { breakpoint: id, enabled }).map(drop)
    }

    /// Which panics stop their thread; `outermost`: runtime addresses of
    /// the program's `__rust_begin_short_backtrace` instances (see
    /// `Op::SetCatch`).
    pub fn set_catch(&mut self, mode: hotbreak::protocol::CatchMode, outermost: Vec<u64>) -> Result<()> {
        self.request(Op::SetCatch { mode, outermost }).map(drop)
    }

    pub fn locals(&mut self, stop: u64) -> Result<Vec<VarDesc>> {
        match self.request_within(Op::Locals { stop }, Some(RENDER_LIMIT))? {
            Reply::Locals { vars } => Ok(vars),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Expands local `name` at a stop, following `path` (fields, `[i]`, keys).
    pub fn inspect(&mut self, stop: u64, name: &str, path: &[&str]) -> Result<ValueView> {
        let op = Op::Inspect { stop, name: name.to_string(), path: path.iter().map(|s| s.to_string()).collect() };
        match self.request_within(op, Some(RENDER_LIMIT))? {
            Reply::Value { type_name, summary, children, truncated } => Ok(ValueView { type_name, summary, children, truncated }),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Loads an eval library; returns its index for [`Debuggee::eval`].
    pub fn load_eval(&mut self, path: &std::path::Path) -> Result<usize> {
        match self.request(Op::LoadEval { path: path.display().to_string() })? {
            Reply::EvalLoaded { eval, base } => {
                self.libraries.push((path.to_path_buf(), base));
                Ok(eval)
            }
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Runs a loaded eval at a stop over the locals `names`, on the
    /// stopped thread: the expression may block or loop, so the answer is
    /// awaited at most [`EVAL_LIMIT`].
    pub fn eval(&mut self, stop: u64, eval: usize, names: &[String]) -> Result<Evaluated> {
        self.eval_at(stop, eval, names, Vec::new())
    }

    /// [`Debuggee::eval`] over locals at `addrs` (a caller's frame), not
    /// the stop's own.
    pub fn eval_at(&mut self, stop: u64, eval: usize, names: &[String], addrs: Vec<u64>) -> Result<Evaluated> {
        let op = Op::Eval { stop, eval, names: names.to_vec(), addrs };
        // Tests shorten the wait (a looping expression costs them all of it).
        let limit = std::env::var("HOTBREAK_EVAL_LIMIT_MS").ok().and_then(|v| v.parse().ok()).map_or(EVAL_LIMIT, Duration::from_millis);
        let reply = self.request_within(op, Some(limit)).map_err(|e| match e.downcast_ref::<NoAnswer>() {
            Some(_) => anyhow!("the expression still runs after {limit:?} (it may loop, or wait for a lock): its thread stays busy with it; other threads and the session go on"),
            None => e,
        })?;
        match reply {
            Reply::Evaluated { result, type_name, debug, summary, children, truncated, address, marker, held } => Ok(Evaluated {
                result,
                type_name,
                debug,
                view: ValueView { type_name: String::new(), summary, children, truncated },
                address,
                marker,
                held,
            }),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Lets the stopped thread drop the value its evaluation held.
    pub fn release_value(&mut self, stop: u64) -> Result<()> {
        self.request_within(Op::Release { stop }, Some(RENDER_LIMIT)).map(drop)
    }

    /// `len` bytes of the program's memory at `addr`.
    pub fn read_memory(&mut self, addr: u64, len: u64) -> Result<Vec<u8>> {
        match self.request(Op::ReadMemory { addr, len })? {
            Reply::Memory { hex } => {
                (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| anyhow!("bad memory reply: {e}"))).collect()
            }
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// The stopped thread's backtrace, innermost first.
    pub fn backtrace(&mut self, stop: u64) -> Result<Vec<String>> {
        match self.request_within(Op::Backtrace { stop }, Some(BACKTRACE_LIMIT))? {
            Reply::Backtrace { frames } => Ok(frames),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// The stopped thread's physical frames with their registers, from the
    /// stopped function outwards.
    pub fn frames(&mut self, stop: u64) -> Result<Vec<protocol::RawFrame>> {
        match self.request_within(Op::Frames { stop }, Some(RENDER_LIMIT))? {
            Reply::Frames { frames } => Ok(frames),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    pub fn resume(&mut self, stop: u64, how: Resume) -> Result<()> {
        self.request(Op::Resume { stop, how }).map(drop)
    }

    /// Loads a patch library; returns its index for [`Debuggee::arm`].
    pub fn load_patch(&mut self, path: &std::path::Path, getter: &str) -> Result<usize> {
        let op = Op::LoadPatch { path: path.display().to_string(), getter: getter.to_string() };
        match self.request(op)? {
            Reply::PatchLoaded { patch, base, .. } => {
                self.libraries.push((path.to_path_buf(), base));
                Ok(patch)
            }
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Points `function` at a loaded patch: a generic function at the
    /// patch's instance table ([`Debuggee::set_instance_table`]).
    pub fn arm(&mut self, function: usize, patch: usize) -> Result<()> {
        match self.instance_tables.get(&patch) {
            Some(table) => self.request(Op::ArmInstances { function, table: table.clone() }).map(drop),
            None => self.request(Op::Arm { function, patch }).map(drop),
        }
    }

    /// Runtime addresses of the function's flag sites (optimized builds'
    /// entry checks: one per copy of its code, inlined copies too).
    pub fn flag_sites(&mut self, function: usize) -> Result<Vec<u64>> {
        match self.request(Op::FlagSites { function })? {
            Reply::Sites { addresses } => Ok(addresses),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// The patch `patch` is of a generic function: arming it sends this
    /// instance table instead of the patch's entry.
    pub fn set_instance_table(&mut self, patch: usize, table: Vec<(u64, u64)>) {
        self.instance_tables.insert(patch, table);
    }

    /// The loop sites of a function (runtime addresses of their nops).
    pub fn loop_sites(&mut self, function: usize) -> Result<Vec<u64>> {
        match self.request(Op::LoopSites { function })? {
            Reply::LoopSites { sites } => Ok(sites),
            other => anyhow::bail!("unexpected reply {other:?}"),
        }
    }

    /// After `arm`: which loop sites hand their running frames to the patch.
    pub fn arm_loops(&mut self, function: usize, sites: Vec<hotbreak::protocol::LoopArm>) -> Result<()> {
        self.request(Op::ArmLoops { function, sites }).map(drop)
    }

    pub fn disarm(&mut self, function: usize) -> Result<()> {
        self.request(Op::Disarm { function }).map(drop)
    }

    /// Index of the registered function `name` whose `fn` keyword is at
    /// `file:fn_line` (file as rustc names it).
    pub fn function_index(&self, file: &str, name: &str, fn_line: u32) -> Option<usize> {
        self.hello.functions.iter().position(|f| f.file == file && f.name == name && f.first_line == fn_line)
    }

    /// The private directory holding the session socket.
    pub fn socket_dir(&self) -> &std::path::Path {
        &self._dir.0
    }

    /// Drops the agent connection (the program goes back to native code).
    pub fn disconnect(&mut self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
    }
}

/// A started program that said hello, not yet serving events.
struct Connection {
    child: Child,
    hello: Hello,
    writer: UnixStream,
    reader: BufReader<UnixStream>,
    dir: PrivateDir,
}

impl Connection {
    /// Starts `command` with the session socket and token in its
    /// environment and waits for its agent's hello.
    fn open(mut command: Command) -> Result<Connection> {
        let dir = PrivateDir::create()?;
        let socket = dir.0.join("agent.sock");
        let listener = UnixListener::bind(&socket)?;
        let token = random_token()?;
        let mut child = command
            .env(protocol::ENV_SOCKET, &socket)
            .env(protocol::ENV_TOKEN, &token)
            .spawn()
            .context("cannot start the program")?;

        let stream = match wait_connect(&listener, &child)? {
            Waited::Connected => listener.accept()?.0,
            Waited::Exited => {
                // The program is ours alone until we return: reap it here.
                let status = child.wait()?;
                use std::os::unix::process::ExitStatusExt;
                let how = match (status.code(), status.signal()) {
                    (Some(code), _) => format!("exited with status {code}"),
                    (_, Some(signal)) => format!("was killed by signal {signal}"),
                    _ => format!("ended ({status})"),
                };
                bail!("the program {how} before the hotbreak runtime connected");
            }
            Waited::TimedOut => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the program did not connect to hotbreak within {CONNECT_TIMEOUT:?} (does it use #[hotbreak::debuggable]?)");
            }
        };
        check_peer_uid(&stream)?;
        let writer = stream.try_clone()?;
        let mut reader = BufReader::new(stream);
        let hello = match read_message(&mut reader)? {
            FromDebuggee::Hello(h) => h,
            other => bail!("expected hello, got {other:?}"),
        };
        if hello.token != token {
            let _ = child.kill();
            bail!("the connecting process presented a wrong session token");
        }
        if hello.pid != child.id() {
            bail!("hello from pid {} but the program is pid {}", hello.pid, child.id());
        }
        Ok(Connection { child, hello, writer, reader, dir })
    }

    /// Serves the program's messages into the event stream `event_tx`/`events`.
    fn attach(self, event_tx: mpsc::Sender<Event>, events: Receiver<Event>, pending: VecDeque<Event>) -> Debuggee {
        let Connection { child, hello, writer, mut reader, dir } = self;
        let (reply_tx, replies) = mpsc::channel();
        let own_tx = event_tx.clone();
        std::thread::spawn(move || loop {
            match read_message(&mut reader) {
                Ok(FromDebuggee::Reply { id, result }) => {
                    let _ = reply_tx.send((id, result));
                }
                Ok(FromDebuggee::Stopped(stop)) => {
                    let _ = event_tx.send(Event::Stopped(stop));
                }
                Ok(FromDebuggee::Log(log)) => {
                    let _ = event_tx.send(Event::Log(log));
                }
                Ok(FromDebuggee::Hello(_)) | Err(_) => {
                    let _ = event_tx.send(Event::Disconnected);
                    return;
                }
            }
        });
        Debuggee { child, hello, writer, replies, events, event_tx: own_tx, pending, next_id: 0, libraries: Vec::new(), instance_tables: Default::default(), _dir: dir }
    }
}

enum Waited {
    Connected,
    Exited,
    TimedOut,
}

/// Waits until the program connects to `listener` or exits, whichever comes
/// first, at most [`CONNECT_TIMEOUT`]. The exit is seen through a pidfd,
/// which does not reap the child (its `Child` still may); without pidfds
/// (before Linux 5.3) only the connection or the timeout ends the wait.
fn wait_connect(listener: &UnixListener, child: &Child) -> Result<Waited> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id() as libc::pid_t, 0) };
    // SAFETY: a non-negative result is a fresh fd that nothing else owns.
    let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd as i32) });
    let mut fds = vec![libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
    if let Some(fd) = &pidfd {
        fds.push(libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 });
    }
    let deadline = std::time::Instant::now() + CONNECT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        // SAFETY: `fds` is a live array of `fds.len()` pollfds.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, left.as_millis() as libc::c_int) };
        if ready < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error).context("waiting for the program to connect");
        }
        // A connection that came before the exit is served first: the
        // hello may still be in it.
        if fds[0].revents != 0 {
            return Ok(Waited::Connected);
        }
        if fds.get(1).is_some_and(|fd| fd.revents != 0) {
            return Ok(Waited::Exited);
        }
        if ready == 0 {
            return Ok(Waited::TimedOut);
        }
    }
}

fn read_message(reader: &mut BufReader<UnixStream>) -> Result<FromDebuggee> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        bail!("the program closed the hotbreak connection");
    }
    Ok(serde_json::from_str(&line)?)
}

/// Only a process of our own user may drive a session: loading a patch is
/// code execution.
fn check_peer_uid(stream: &UnixStream) -> Result<()> {
    use std::os::fd::AsRawFd;
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: SO_PEERCRED fills a ucred of the size we pass.
    let rc = unsafe {
        libc::getsockopt(stream.as_raw_fd(), libc::SOL_SOCKET, libc::SO_PEERCRED, &mut cred as *mut _ as *mut libc::c_void, &mut len)
    };
    if rc != 0 {
        bail!("cannot read the peer's credentials: {}", std::io::Error::last_os_error());
    }
    if cred.uid != unsafe { libc::getuid() } {
        bail!("refusing a connection from uid {}", cred.uid);
    }
    Ok(())
}
