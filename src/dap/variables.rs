//! Frame ids and `variablesReference`s: what the editor may ask about at
//! a stop, and the session commands that answer it. Both are numbered
//! from 1 and forgotten when a thread resumes (the protocol's rule: they
//! are valid while the program is suspended).

use crate::session::parts::Part;
use dap::types::Variable;

/// A frame the editor can name: a stopped thread and its frame number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef {
    pub thread: u64,
    pub frame: usize,
}

#[derive(Debug, Clone)]
pub enum VarRef {
    /// `locals` in that frame.
    Locals(FrameRef),
    /// The watch expressions of the thread's last stop.
    Watches(u64),
    /// `print PATH` in that frame: a value reached again by its path.
    Path(FrameRef, String),
    /// The parts of an evaluated value, kept (no path reaches it again).
    Parts(Vec<Part>),
}

#[derive(Default)]
pub struct Refs {
    frames: Vec<FrameRef>,
    vars: Vec<VarRef>,
}

impl Refs {
    pub fn frame_id(&mut self, frame: FrameRef) -> i64 {
        if let Some(at) = self.frames.iter().position(|f| *f == frame) {
            return at as i64 + 1;
        }
        self.frames.push(frame);
        self.frames.len() as i64
    }

    pub fn frame(&self, id: i64) -> Option<FrameRef> {
        self.frames.get(usize::try_from(id).ok()?.checked_sub(1)?).copied()
    }

    pub fn add(&mut self, var: VarRef) -> i64 {
        self.vars.push(var);
        self.vars.len() as i64
    }

    pub fn get(&self, id: i64) -> Option<&VarRef> {
        self.vars.get(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    /// The program runs again: nothing named so far holds.
    pub fn clear(&mut self) {
        self.frames.clear();
        self.vars.clear();
    }

    /// A part as a variable, expandable when it has parts of its own.
    pub fn part(&mut self, frame: Option<FrameRef>, part: &Part) -> Variable {
        let reference = match (&part.path, frame) {
            (Some(path), Some(frame)) => self.add(VarRef::Path(frame, path.clone())),
            _ => 0,
        };
        Variable { name: part.label.clone(), value: part.value.clone(), evaluate_name: part.path.clone(), variables_reference: reference, ..Default::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one_and_go_when_cleared() {
        let mut refs = Refs::default();
        let f = FrameRef { thread: 7, frame: 1 };
        assert_eq!(refs.frame_id(f), 1);
        assert_eq!(refs.frame_id(f), 1);
        assert_eq!(refs.frame(1), Some(f));
        assert_eq!(refs.add(VarRef::Locals(f)), 1);
        assert!(refs.get(0).is_none());
        refs.clear();
        assert!(refs.get(1).is_none() && refs.frame(1).is_none());
    }
}
