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
    /// dlopen a patch and call its entry getter; replies `PatchLoaded`.
    LoadPatch { path: String, getter: String },
    /// Point a function's slot at a loaded patch.
    Arm { function: usize, patch: usize },
    /// Restore a function's native body.
    Disarm { function: usize },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromDebuggee {
    Hello(Hello),
    Reply { id: u64, result: Result<Reply, String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    PatchLoaded { patch: usize, entry: u64 },
    Done,
}
