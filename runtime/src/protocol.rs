//! Messages between the hotbreak tool and the debuggee's agent: one JSON
//! object per line over a private Unix socket.

use serde::{Deserialize, Serialize};

/// Environment variable naming the tool's socket. Read (and removed) once at start.
pub const ENV_SOCKET: &str = "HOTBREAK_SOCKET";
/// Environment variable with the session token the agent presents in its hello.
pub const ENV_TOKEN: &str = "HOTBREAK_TOKEN";
/// The `#[no_mangle]` static whose runtime address is the ASLR anchor.
pub const ANCHOR_SYMBOL: &str = "hotbreak_anchor";

/// The first message the debuggee sends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    pub token: String,
    pub pid: u32,
    /// Hex GNU build id of the executable ("" when absent).
    pub build_id: String,
    /// Runtime address of [`ANCHOR_SYMBOL`].
    pub anchor: u64,
    pub functions: Vec<FunctionDesc>,
}

/// One registered function; its index in `Hello::functions` names it on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionDesc {
    pub key: String,
    pub name: String,
    pub module: String,
    pub file: String,
    pub first_line: u32,
    pub last_line: u32,
    /// Why the function cannot be patched, if it cannot.
    pub unpatchable: Option<String>,
    /// Generic: armed with an instance table ([`Op::ArmInstances`]).
    #[serde(default)]
    pub generic: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub op: Op,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Let `main` run: the program waits for this after its hello, so
    /// breakpoints can be armed before any user code runs.
    Start,
    /// dlopen a patch and call its entry getter; replies `PatchLoaded`.
    LoadPatch { path: String, getter: String },
    /// Point a function's slot at a loaded patch.
    Arm { function: usize, patch: usize },
    /// Point a generic function's slot at a table of its instances: (host
    /// instance address, patch instance address), runtime addresses. An
    /// instance not in the table keeps running its native code.
    ArmInstances { function: usize, table: Vec<(u64, u64)> },
    /// Restore a function's native body (its loop sites too).
    Disarm { function: usize },
    /// The loop sites of a function (runtime addresses of their nops);
    /// replies `LoopSites`.
    LoopSites { function: usize },
    /// After `Arm`: running frames of the function switch to the armed
    /// patch at these loop sites (every other site of it is a nop again).
    ArmLoops { function: usize, sites: Vec<LoopArm> },
    /// Where a function's flag sites are (optimized builds' entry checks,
    /// one per copy of the function, inlined ones too); replies `Sites`.
    FlagSites { function: usize },
    /// Switch a compiled-in breakpoint on or off, effective immediately.
    SetBreakpoint { breakpoint: u32, enabled: bool },
    /// The locals visible at a stop.
    Locals { stop: u64 },
    /// Expand a local (and a path of fields, `[i]` or keys inside it).
    Inspect { stop: u64, name: String, path: Vec<String> },
    /// The stopped thread's native backtrace, symbolized.
    Backtrace { stop: u64 },
    /// The stopped thread's physical frames from the stopped function
    /// outwards, with registers (see `debug::frames`); replies `Frames`.
    Frames { stop: u64 },
    /// Let a stopped thread go on.
    Resume { stop: u64, how: Resume },
    /// dlopen an eval library (see `debug::eval`); replies `EvalLoaded`.
    LoadEval { path: String },
    /// Run a loaded eval at a stop, over the locals `names` (the eval
    /// site's, in its order); replies `Value`, its `result` numbering the
    /// value for `Inspect` (as `$N`).
    Eval {
        stop: u64,
        eval: usize,
        names: Vec<String>,
        /// The locals' addresses, in the site's order, when they are not
        /// the stop's own (a caller's frame, from its debug info).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        addrs: Vec<u64>,
    },
    /// Let go of a value an evaluation holds for rendering (see
    /// `Reply::Evaluated::held`); replies `Done`.
    Release { stop: u64 },
    /// `len` bytes of the program's memory at `addr`; replies `Memory`.
    ReadMemory { addr: u64, len: u64 },
    /// Which panics stop their thread (see `debug::panics`). `outermost`:
    /// runtime addresses of the program's `__rust_begin_short_backtrace`
    /// instances, where std's own catching frames begin (a panic caught
    /// only outside them ends its thread or the program: uncaught).
    SetCatch {
        mode: CatchMode,
        #[serde(default)]
        outermost: Vec<u64>,
    },
}

/// Which panics stop the panicking thread before it unwinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchMode {
    #[default]
    Off,
    /// Every panic, caught or not.
    All,
    /// Only panics no `catch_unwind` of the program will catch.
    Uncaught,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resume {
    Continue,
    /// Stop at the next statement of this frame (or its caller's, on return).
    Next,
    /// Stop at the next statement anywhere instrumented.
    Step,
    /// Stop when this frame returns, showing the value.
    Finish,
}

/// A thread paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopEvent {
    pub stop: u64,
    /// The OS thread id.
    pub thread: u64,
    pub thread_name: String,
    /// Registry key of the function.
    pub function: String,
    pub name: String,
    pub file: String,
    pub line: u32,
    pub reason: StopReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopReason {
    Breakpoint { id: u32 },
    Step,
    /// Leaving the function with this value (rendered).
    Return { value: String },
    /// A panic, caught by the panic hook before unwinding: its message and
    /// where it panicked (the event's `file`/`line` are those too).
    Panic { message: String, file: String, line: u32, column: u32 },
}

/// A log point's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub breakpoint: u32,
    pub thread: u64,
    pub file: String,
    pub line: u32,
    pub text: String,
}

/// A local variable at a stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VarDesc {
    pub name: String,
    pub type_name: String,
    /// One-line `Debug` rendering, bounded; `<type>` without `Debug`.
    pub value: String,
    /// Whether `value` is the `Debug` rendering.
    #[serde(default)]
    pub debug: bool,
    /// Where the value lives, and the address of `type_marker::<T>`
    /// (whose debug info names its type): for rendering from debug info.
    #[serde(default)]
    pub address: u64,
    #[serde(default)]
    pub marker: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromDebuggee {
    Hello(Hello),
    Reply { id: u64, result: Result<Reply, String> },
    Stopped(StopEvent),
    Log(LogEvent),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// `base`: where the library was loaded (its addresses' bias).
    PatchLoaded {
        patch: usize,
        entry: u64,
        #[serde(default)]
        base: u64,
    },
    Done,
    Locals { vars: Vec<VarDesc> },
    Value { type_name: String, summary: String, children: Vec<(String, String)>, truncated: bool },
    EvalLoaded {
        eval: usize,
        #[serde(default)]
        base: u64,
    },
    /// An evaluated expression's value: like `Value`, numbered `result`
    /// for later `Inspect`s; without `Debug`, where it lives (0: nowhere
    /// that outlives the evaluation) and its type's marker.
    Evaluated {
        result: usize,
        type_name: String,
        debug: bool,
        summary: String,
        children: Vec<(String, String)>,
        truncated: bool,
        address: u64,
        marker: u64,
        /// A temporary without `Debug` lives on at `address` until
        /// `Release`: its thread waits, so its memory can be read.
        #[serde(default)]
        held: bool,
    },
    /// Hex of the bytes read.
    Memory { hex: String },
    /// Innermost first: `function (file:line)`.
    Backtrace { frames: Vec<String> },
    /// Runtime code addresses (of flag sites).
    Sites { addresses: Vec<u64> },
    /// Innermost first: the stopped function's frame, then its callers.
    Frames { frames: Vec<RawFrame> },
    LoopSites { sites: Vec<u64> },
}

/// One loop site to arm: where the nop is, the line of its loop body (the
/// patch names its resume points by it), and where the patch finds each
/// local it asks for: (offset from the frame's `rsp`, the slot holds a
/// pointer to the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopArm {
    pub code: u64,
    pub line: u32,
    pub vars: Vec<(i64, bool)>,
}

/// One physical frame of a stopped thread, for finding its locals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawFrame {
    /// The return address into this frame's code (the stop's own frame:
    /// where it called the runtime).
    pub ip: u64,
    /// Its canonical frame address (the `rsp` before the call into it).
    pub cfa: u64,
    /// Its `rsp` while it waits in the call below it (that callee's CFA).
    pub sp: u64,
    /// Callee-saved registers the unwinder recovered: (DWARF number, value).
    pub regs: Vec<(u16, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_survives_the_wire() {
        let ops = [
            Op::Start,
            Op::LoadPatch { path: "/p.so".into(), getter: "g".into() },
            Op::Arm { function: 1, patch: 2 },
            Op::ArmInstances { function: 1, table: vec![(16, 32)] },
            Op::Disarm { function: 1 },
            Op::FlagSites { function: 1 },
            Op::SetBreakpoint { breakpoint: 3, enabled: false },
            Op::Locals { stop: 4 },
            Op::Inspect { stop: 4, name: "x".into(), path: vec!["a".into()] },
            Op::Backtrace { stop: 4 },
            Op::Frames { stop: 4 },
            Op::Resume { stop: 4, how: Resume::Finish },
            Op::LoadEval { path: "/e.so".into() },
            Op::Eval { stop: 4, eval: 1, names: vec!["x".into(), "self".into()], addrs: vec![] },
            Op::Eval { stop: 4, eval: 1, names: vec!["x".into()], addrs: vec![4096] },
            Op::ReadMemory { addr: 4096, len: 8 },
            Op::Release { stop: 4 },
            Op::SetCatch { mode: CatchMode::Uncaught, outermost: vec![4096] },
        ];
        for op in ops {
            let line = serde_json::to_string(&Request { id: 9, op: op.clone() }).unwrap();
            let back: Request = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!((back.id, format!("{:?}", back.op)), (9, format!("{op:?}")));
        }
    }
}
