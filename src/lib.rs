//! cargo-hotbreak as a library: the session driver the CLI (and the tests)
//! use. See `ARCHITECTURE.md` at the repository root for the map.

pub mod debuggee;
pub mod coverage;
pub mod dap;
pub mod demo;
mod eval_errors;
pub mod hidden_type;
pub mod host;
pub mod line_mode;
pub mod osr;
pub mod patcher;
mod private_dir;
pub mod session;
pub mod tui;
pub mod watch;

pub use debuggee::Debuggee;
pub use host::{HostBuild, HostConfig};
pub use patcher::{AppliedPatch, Patcher, Timings};
