//! `catch panic`: which panics stop their thread. Kept in the state dir
//! beside the breakpoints, so it outlives the session, and sent to every
//! process the session starts (the runtime's `debug/panics.rs` does the
//! catching).

use super::output::Out;
use super::Session;
use anyhow::Result;
use hotbreak::protocol::{CatchMode, ANCHOR_SYMBOL};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What is saved: `catch.json` in the state dir.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    panic: CatchMode,
}

/// Where std's own catching frames begin: every thread std starts, and
/// `main`, run the program's code inside a `__rust_begin_short_backtrace`
/// (never inlined); a panic caught only outside it ends its thread or
/// the program.
const OUTERMOST: &str = "__rust_begin_short_backtrace";

pub(super) fn load(state_dir: &Path) -> CatchMode {
    std::fs::read_to_string(state_dir.join("catch.json")).ok().and_then(|t| serde_json::from_str::<Saved>(&t).ok()).unwrap_or_default().panic
}

fn save(state_dir: &Path, mode: CatchMode) -> std::io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    std::fs::write(state_dir.join("catch.json"), serde_json::to_vec_pretty(&Saved { panic: mode }).map_err(std::io::Error::other)?)
}

pub(super) fn describe(mode: CatchMode) -> &'static str {
    match mode {
        CatchMode::Off => "not catching panics",
        CatchMode::All => "catching every panic: a panicking thread stops before it unwinds",
        CatchMode::Uncaught => "catching panics no catch_unwind of the program catches: such a thread stops before it unwinds",
    }
}

impl Session {
    /// `catch ...`: sets (and saves) the mode, or shows it.
    pub(super) fn catch(&mut self, mode: Option<CatchMode>) -> Result<()> {
        if let Some(mode) = mode {
            self.catch_mode = mode;
            let saved = if self.launch.remember { save(&super::state_dir(&self.host), mode) } else { Ok(()) };
            if let Err(e) = saved {
                self.error(format!("cannot save the catch setting: {e}"));
            }
            if !self.exited {
                self.apply_catch()?;
            }
        }
        self.say(Out::Catching { panic: self.catch_mode, message: describe(self.catch_mode).into() });
        Ok(())
    }

    /// Tells the program (just started, or running) the mode. Nothing is
    /// sent to a new process while it is off: its hook stays untouched.
    pub(super) fn apply_catch(&mut self) -> Result<()> {
        if self.catch_mode == CatchMode::Off && !self.catch_sent {
            return Ok(());
        }
        let bias = self.host.symbols.load_bias(ANCHOR_SYMBOL, self.dbg.hello.anchor)?;
        let outermost = self.host.symbols.addresses_containing(OUTERMOST).into_iter().map(|a| a.wrapping_add(bias)).collect();
        self.catch_sent = true;
        self.dbg.set_catch(self.catch_mode, outermost)
    }

    /// A thread stopped at a panic can only go on panicking: `next`,
    /// `step` and `finish` say so instead of acting as `continue`.
    pub(super) fn refuse_stepping_a_panic(&self, what: &str) -> Result<()> {
        let current = self.current.and_then(|id| self.stops.iter().find(|s| s.stop == id));
        if current.is_some_and(|s| matches!(s.reason, hotbreak::protocol::StopReason::Panic { .. })) {
            anyhow::bail!("`{what}` cannot step a panicking thread: `continue` lets the panic go on (unwinding, or aborting)");
        }
        Ok(())
    }

    /// At a start: the saved mode, applied and said when it is on.
    pub(super) fn apply_saved_catch(&mut self) {
        self.catch_sent = false;
        if self.catch_mode == CatchMode::Off {
            return;
        }
        match self.apply_catch() {
            Ok(()) => self.say(Out::Catching { panic: self.catch_mode, message: describe(self.catch_mode).into() }),
            Err(e) => self.error(format!("cannot catch panics: {e:#}")),
        }
    }
}

