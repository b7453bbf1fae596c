//! The agent thread: started before `main` only when the tool launched us.

use crate::debug::FnMeta;
use crate::protocol::{self, FromDebuggee, FunctionDesc, Hello, LogEvent, Op, Reply, Request, StopEvent};
use crate::registry::functions;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

/// The ASLR anchor; also what every registry entry points at, so the start-up
/// hook below and the debug entry points are linked whenever a debuggable
/// function is.
#[derive(Debug)]
pub struct AgentAnchor {
    _entry_points: crate::debug::EntryPoints,
}

#[unsafe(no_mangle)]
#[used]
pub static hotbreak_anchor: AgentAnchor = AgentAnchor { _entry_points: crate::debug::ENTRY_POINTS };

#[used]
#[unsafe(link_section = ".init_array")]
static START_AGENT: extern "C" fn() = start_agent;

extern "C" fn start_agent() {
    let Some(socket) = std::env::var_os(protocol::ENV_SOCKET) else { return };
    let token = std::env::var(protocol::ENV_TOKEN).unwrap_or_default();
    // Before main no other thread exists yet, so editing the environment is
    // sound here; children the program spawns must not inherit the session.
    std::env::remove_var(protocol::ENV_SOCKET);
    std::env::remove_var(protocol::ENV_TOKEN);
    let stream = match UnixStream::connect(&socket) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hotbreak: cannot reach the debugger at {socket:?}: {e}");
            return;
        }
    };
    let spawned = std::thread::Builder::new().name("hotbreak-agent".into()).spawn(move || serve(stream, token));
    match spawned {
        // Hold `main` until the tool has armed what it wants armed first.
        Ok(_) => wait_for_start(),
        Err(e) => eprintln!("hotbreak: cannot start the agent thread: {e}"),
    }
}

static STARTED: (Mutex<bool>, std::sync::Condvar) = (Mutex::new(false), std::sync::Condvar::new());

fn wait_for_start() {
    let (lock, cvar) = &STARTED;
    let mut started = lock.lock().unwrap_or_else(|e| e.into_inner());
    while !*started {
        started = cvar.wait(started).unwrap_or_else(|e| e.into_inner());
    }
}

/// Lets `main` run (on the tool's word, or when the session ends).
fn release_main() {
    let (lock, cvar) = &STARTED;
    *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
    cvar.notify_all();
}

/// A request for a stopped thread, served by that thread.
pub(crate) enum StopCmd {
    Locals(Answer),
    Inspect { name: String, path: Vec<String>, reply: Answer },
    Backtrace(Answer),
    Frames(Answer),
    Resume(protocol::Resume),
    Eval { entry: crate::debug::eval::Entry, names: Vec<String>, addrs: Vec<u64>, reply: Answer },
    Release(Answer),
}

/// Where a stopped thread sends its answer: straight to the tool, so the
/// agent never waits on a thread that may block (a `Debug` impl waiting for
/// a lock another stopped thread holds) and goes on serving the others.
pub(crate) struct Answer {
    id: u64,
    /// Taken when the answer is sent.
    link: Option<Arc<Link>>,
}

impl Answer {
    pub(crate) fn send(mut self, result: Result<Reply, String>) -> std::io::Result<()> {
        match self.link.take() {
            Some(link) => link.send(&FromDebuggee::Reply { id: self.id, result }),
            None => Ok(()),
        }
    }
}

/// A request dropped unanswered (its thread resumed first) still gets an
/// answer: the tool must not wait for it.
impl Drop for Answer {
    fn drop(&mut self) {
        if let Some(link) = self.link.take() {
            let result = Err("the thread resumed before answering".to_string());
            let _ = link.send(&FromDebuggee::Reply { id: self.id, result });
        }
    }
}

/// The live connection: any thread may send events on it.
struct Link {
    writer: Mutex<UnixStream>,
    stops: Mutex<HashMap<u64, Sender<StopCmd>>>,
}

impl Link {
    fn send(&self, msg: &FromDebuggee) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).write_all(&line)
    }
}

static LINK: Mutex<Option<Arc<Link>>> = Mutex::new(None);

fn link() -> Option<Arc<Link>> {
    LINK.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A registered stop: the paused thread reads its commands.
pub(crate) struct Stop {
    pub id: u64,
    pub commands: Receiver<StopCmd>,
}

/// Announces a stop; `None` when no tool is connected (then don't pause).
pub(crate) fn register_stop(mut event: StopEvent) -> Option<Stop> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let link = link()?;
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = channel();
    link.stops.lock().unwrap_or_else(|e| e.into_inner()).insert(id, tx);
    event.stop = id;
    if link.send(&FromDebuggee::Stopped(event)).is_err() {
        unregister_stop(id);
        return None;
    }
    Some(Stop { id, commands: rx })
}

pub(crate) fn unregister_stop(id: u64) {
    if let Some(link) = link() {
        link.stops.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
}

pub(crate) fn send_log(meta: &FnMeta, line: u32, breakpoint: u32, text: String) {
    if let Some(link) = link() {
        let thread = unsafe { libc::gettid() } as u64;
        let event = LogEvent { breakpoint, thread, file: meta.file.to_string(), line, text };
        let _ = link.send(&FromDebuggee::Log(event));
    }
}

fn serve(stream: UnixStream, token: String) {
    let result = stream.try_clone().and_then(|writer| {
        let link = Arc::new(Link { writer: Mutex::new(writer), stops: Mutex::new(HashMap::new()) });
        *LINK.lock().unwrap_or_else(|e| e.into_inner()) = Some(link.clone());
        Agent { patches: Vec::new(), evals: Vec::new(), link }.run(&stream, token)
    });
    // Whatever ended the session, the program goes on with native code:
    // no new stops, every slot native, every paused thread released.
    let link = LINK.lock().unwrap_or_else(|e| e.into_inner()).take();
    crate::debug::panics::disconnected();
    disarm_all();
    release_main();
    if let Some(link) = link {
        link.stops.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
    match result {
        Ok(()) => eprintln!("hotbreak: debugger disconnected; native code restored"),
        Err(e) => eprintln!("hotbreak: debugger connection lost ({e}); native code restored"),
    }
}

fn disarm_all() {
    for slot in functions().iter().filter_map(|f| f.slot).filter(|s| s.load() != 0) {
        if let Err(e) = slot.point_at(0) {
            eprintln!("hotbreak: {e}");
        }
    }
}

struct Agent {
    /// Entry addresses of loaded patches. Libraries are never unloaded: a
    /// thread may still be running their code.
    patches: Vec<usize>,
    /// Entries of loaded eval libraries (never unloaded either).
    evals: Vec<usize>,
    link: Arc<Link>,
}

impl Agent {
    fn run(&mut self, stream: &UnixStream, token: String) -> std::io::Result<()> {
        let hello = Hello {
            token,
            pid: std::process::id(),
            build_id: crate::build_id::main_build_id(),
            anchor: &hotbreak_anchor as *const AgentAnchor as u64,
            functions: functions().iter().map(describe).collect(),
        };
        self.link.send(&FromDebuggee::Hello(hello))?;
        for line in BufReader::new(stream).lines() {
            let line = line?;
            let reply = match serde_json::from_str::<Request>(&line) {
                Ok(req) => match self.handle(req.id, req.op) {
                    Some(result) => FromDebuggee::Reply { id: req.id, result },
                    // The stopped thread answers itself.
                    None => continue,
                },
                Err(e) => FromDebuggee::Reply { id: 0, result: Err(format!("bad request: {e}")) },
            };
            self.link.send(&reply)?;
        }
        Ok(())
    }

    /// The answer to request `id`, or `None` when a stopped thread was
    /// given the request and answers it.
    fn handle(&mut self, id: u64, op: Op) -> Option<Result<Reply, String>> {
        let (stop, cmd): (u64, Box<dyn FnOnce(Answer) -> StopCmd>) = match op {
            Op::Locals { stop } => (stop, Box::new(StopCmd::Locals)),
            Op::Inspect { stop, name, path } => (stop, Box::new(|reply| StopCmd::Inspect { name, path, reply })),
            Op::Backtrace { stop } => (stop, Box::new(StopCmd::Backtrace)),
            Op::Frames { stop } => (stop, Box::new(StopCmd::Frames)),
            Op::Release { stop } => (stop, Box::new(StopCmd::Release)),
            Op::Eval { stop, eval, names, addrs } => {
                let Some(&entry) = self.evals.get(eval) else { return Some(Err(format!("no eval #{eval}"))) };
                // SAFETY: the address `load_eval` read from an eval library.
                let entry: crate::debug::eval::Entry = unsafe { std::mem::transmute::<usize, crate::debug::eval::Entry>(entry) };
                (stop, Box::new(move |reply| StopCmd::Eval { entry, names, addrs, reply }))
            }
            op => return Some(self.handle_here(op)),
        };
        let answer = Answer { id, link: Some(self.link.clone()) };
        match self.stop_sender(stop).and_then(|tx| tx.send(cmd(answer)).map_err(|_| format!("stop #{stop} is gone"))) {
            Ok(()) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Requests the agent answers itself.
    fn handle_here(&mut self, op: Op) -> Result<Reply, String> {
        match op {
            Op::Start => {
                release_main();
                Ok(Reply::Done)
            }
            Op::LoadPatch { path, getter } => {
                let entry = load_patch(&path, &getter)?;
                self.patches.push(entry);
                Ok(Reply::PatchLoaded { patch: self.patches.len() - 1, entry: entry as u64, base: load_base(entry) })
            }
            Op::Arm { function, patch } => {
                let entry = *self.patches.get(patch).ok_or_else(|| format!("no patch #{patch}"))?;
                if functions().get(function).is_some_and(|f| f.generic) {
                    // Its entry checks read the slot as a table.
                    return Err(format!("function #{function} is generic: arm it with an instance table"));
                }
                slot_of(function)?.point_at(entry)?;
                Ok(Reply::Done)
            }
            Op::ArmInstances { function, table } => {
                if !functions().get(function).is_some_and(|f| f.generic) {
                    return Err(format!("function #{function} is not generic: arm it with a patch"));
                }
                slot_of(function)?.point_at(crate::instances::leak_table(table))?;
                Ok(Reply::Done)
            }
            Op::Disarm { function } => {
                let slot = slot_of(function)?;
                crate::osr::aim(slot.native_addr(), Vec::new())?;
                slot.point_at(0)?;
                Ok(Reply::Done)
            }
            Op::LoopSites { function } => {
                let slot = slot_of(function)?;
                Ok(Reply::LoopSites { sites: crate::osr::sites_of(slot.native_addr()).into_iter().map(|s| s as u64).collect() })
            }
            Op::ArmLoops { function, sites } => {
                let slot = slot_of(function)?;
                crate::osr::aim(slot.native_addr(), sites)?;
                Ok(Reply::Done)
            }
            Op::FlagSites { function } => Ok(Reply::Sites { addresses: slot_of(function)?.flag_addresses() }),
            Op::SetBreakpoint { breakpoint, enabled } => {
                crate::debug::set_breakpoint_enabled(breakpoint, enabled);
                Ok(Reply::Done)
            }
            Op::LoadEval { path } => {
                let entry = load_eval(&path)?;
                self.evals.push(entry);
                Ok(Reply::EvalLoaded { eval: self.evals.len() - 1, base: load_base(entry) })
            }
            Op::ReadMemory { addr, len } => read_memory(addr, len),
            Op::SetCatch { mode, outermost } => crate::debug::panics::set_catch(mode, outermost).map(|()| Reply::Done),
            Op::Locals { .. } | Op::Inspect { .. } | Op::Backtrace { .. } | Op::Frames { .. } | Op::Eval { .. } | Op::Release { .. } => {
                unreachable!("answered by the stopped thread")
            }
            Op::Resume { stop, how } => {
                self.stop_sender(stop)?.send(StopCmd::Resume(how)).map_err(|_| format!("stop #{stop} is gone"))?;
                Ok(Reply::Done)
            }
        }
    }

    fn stop_sender(&self, stop: u64) -> Result<Sender<StopCmd>, String> {
        let stops = self.link.stops.lock().unwrap_or_else(|e| e.into_inner());
        stops.get(&stop).cloned().ok_or_else(|| format!("no thread is stopped as #{stop}"))
    }

}

fn slot_of(function: usize) -> Result<&'static crate::slot::Slot, String> {
    let info = functions().get(function).ok_or_else(|| format!("no function #{function}"))?;
    info.slot.ok_or_else(|| format!("{} cannot be patched: {}", info.key, info.unpatchable.unwrap_or("?")))
}

/// Loading a library is running its code: only a file of our own user that
/// nobody else may write, in a directory nobody else may write.
fn check_patch_file(path: &str) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = unsafe { libc::geteuid() };
    let file = std::path::Path::new(path);
    let dir = file.parent().ok_or_else(|| format!("{path}: not a file path"))?;
    for (what, p) in [("patch", file), ("patch directory", dir)] {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.uid() != me {
            return Err(format!("refusing {what} {}: owned by uid {}, not {me}", p.display(), meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!("refusing {what} {}: writable by others (mode {:o})", p.display(), meta.mode() & 0o777));
        }
    }
    Ok(())
}

fn load_patch(path: &str, getter: &str) -> Result<usize, String> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    check_patch_file(path)?;
    // SAFETY: the patch was built by the tool for this very executable; its
    // constructors are rustc's own (none run user code).
    let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| with_causes(&e))?;
    let entry = unsafe {
        let get = lib.get::<extern "C" fn() -> usize>(getter.as_bytes()).map_err(|e| format!("{path}: {}", with_causes(&e)))?;
        get()
    };
    std::mem::forget(lib);
    if entry == 0 {
        return Err(format!("{path}: entry getter returned null"));
    }
    Ok(entry)
}

/// Loads an eval library: its data symbol `__hotbreak_eval_entry` holds
/// the trampoline's address (see `debug::eval`).
fn load_eval(path: &str) -> Result<usize, String> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    check_patch_file(path)?;
    // SAFETY: built by the tool for this executable, like a patch.
    let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| with_causes(&e))?;
    let entry = unsafe {
        let word = lib.get::<*const usize>(b"__hotbreak_eval_entry").map_err(|e| format!("{path}: {}", with_causes(&e)))?;
        **word
    };
    std::mem::forget(lib);
    if entry == 0 {
        return Err(format!("{path}: no eval entry"));
    }
    Ok(entry)
}

/// Where the library holding `code` was loaded: the bias of its debug
/// info's addresses, for the tool to read its types.
fn load_base(code: usize) -> u64 {
    // SAFETY: dladdr only reads the loader's tables; `info` is plain data.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    match unsafe { libc::dladdr(code as *const libc::c_void, &mut info) } {
        0 => 0,
        _ => info.dli_fbase as u64,
    }
}

/// Reads this process's memory without trusting the address: a bad one is
/// an error, not a fault.
fn read_memory(addr: u64, len: u64) -> Result<Reply, String> {
    use std::os::unix::fs::FileExt;
    const MAX: u64 = 1 << 20;
    let mut buf = vec![0u8; len.min(MAX) as usize];
    let mem = std::fs::File::open("/proc/self/mem").map_err(|e| format!("/proc/self/mem: {e}"))?;
    mem.read_exact_at(&mut buf, addr).map_err(|e| format!("cannot read {len} bytes at {addr:#x}: {e}"))?;
    let mut hex = String::with_capacity(buf.len() * 2);
    for b in buf {
        hex.push_str(&format!("{b:02x}"));
    }
    Ok(Reply::Memory { hex })
}

/// `dlopen failed: <what the dynamic loader said>`: the loader's words name
/// the missing symbol, which is what the user needs.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

fn describe(f: &crate::registry::FnInfo) -> FunctionDesc {
    FunctionDesc {
        key: f.key.into(),
        name: f.name.into(),
        module: f.module.into(),
        file: f.file.into(),
        first_line: f.first_line,
        last_line: f.last_line,
        unpatchable: f.unpatchable.map(Into::into),
        generic: f.generic,
    }
}
