//! The agent thread: started before `main` only when the tool launched us.

use crate::protocol::{self, FromDebuggee, FunctionDesc, Hello, Op, Reply, Request};
use crate::registry::functions;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

/// The ASLR anchor; also what every registry entry points at, so the start-up
/// hook below is linked whenever a debuggable function is.
#[derive(Debug)]
pub struct AgentAnchor(#[allow(dead_code)] u8);

#[unsafe(no_mangle)]
#[used]
pub static hotbreak_anchor: AgentAnchor = AgentAnchor(0);

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
    let spawned = std::thread::Builder::new()
        .name("hotbreak-agent".into())
        .spawn(move || serve(stream, token));
    if let Err(e) = spawned {
        eprintln!("hotbreak: cannot start the agent thread: {e}");
    }
}

fn serve(stream: UnixStream, token: String) {
    let mut agent = Agent { patches: Vec::new() };
    let result = agent.run(&stream, token);
    // Whatever ended the session, the program goes on with native code.
    agent.disarm_all();
    match result {
        Ok(()) => eprintln!("hotbreak: debugger disconnected; native code restored"),
        Err(e) => eprintln!("hotbreak: debugger connection lost ({e}); native code restored"),
    }
}

struct Agent {
    /// Entry addresses of loaded patches. Libraries are never unloaded: a
    /// thread may still be running their code.
    patches: Vec<usize>,
}

impl Agent {
    fn run(&mut self, stream: &UnixStream, token: String) -> std::io::Result<()> {
        let mut writer = stream;
        let hello = Hello {
            token,
            pid: std::process::id(),
            build_id: crate::build_id::main_build_id(),
            anchor: &hotbreak_anchor as *const AgentAnchor as u64,
            functions: functions().iter().map(describe).collect(),
        };
        send(&mut writer, &FromDebuggee::Hello(hello))?;
        for line in BufReader::new(stream).lines() {
            let line = line?;
            let reply = match serde_json::from_str::<Request>(&line) {
                Ok(req) => FromDebuggee::Reply { id: req.id, result: self.handle(req.op) },
                Err(e) => FromDebuggee::Reply { id: 0, result: Err(format!("bad request: {e}")) },
            };
            send(&mut writer, &reply)?;
        }
        Ok(())
    }

    fn handle(&mut self, op: Op) -> Result<Reply, String> {
        match op {
            Op::LoadPatch { path, getter } => {
                let entry = load_patch(&path, &getter)?;
                self.patches.push(entry);
                Ok(Reply::PatchLoaded { patch: self.patches.len() - 1, entry: entry as u64 })
            }
            Op::Arm { function, patch } => {
                let entry = *self.patches.get(patch).ok_or_else(|| format!("no patch #{patch}"))?;
                slot_of(function)?.store(entry);
                Ok(Reply::Done)
            }
            Op::Disarm { function } => {
                slot_of(function)?.store(0);
                Ok(Reply::Done)
            }
        }
    }

    fn disarm_all(&self) {
        for slot in functions().iter().filter_map(|f| f.slot) {
            slot.store(0);
        }
    }
}

fn slot_of(function: usize) -> Result<&'static crate::slot::Slot, String> {
    let info = functions().get(function).ok_or_else(|| format!("no function #{function}"))?;
    info.slot.ok_or_else(|| format!("{} cannot be patched: {}", info.key, info.unpatchable.unwrap_or("?")))
}

fn load_patch(path: &str, getter: &str) -> Result<usize, String> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    // SAFETY: the patch was built by the tool for this very executable; its
    // constructors are rustc's own (none run user code).
    let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| e.to_string())?;
    let entry = unsafe {
        let get = lib
            .get::<extern "C" fn() -> usize>(getter.as_bytes())
            .map_err(|e| format!("{path}: {e}"))?;
        get()
    };
    std::mem::forget(lib);
    if entry == 0 {
        return Err(format!("{path}: entry getter returned null"));
    }
    Ok(entry)
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
    }
}

fn send(w: &mut impl Write, msg: &FromDebuggee) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(msg).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line)
}
