//! The stack pane: selecting a frame of the stopped thread with the keys
//! or the mouse (`frame N`), and `break here` on the selected frame.

use super::app::{App, ProgramState};
use crate::session::output::FrameView;
use crossterm::event::{KeyCode, KeyEvent};

impl App {
    /// Keys while the stack pane has the focus: ↑/↓ (k/j) move the
    /// selection one frame towards the stop / the callers.
    pub(super) fn on_stack_key(&mut self, key: KeyEvent) {
        if self.state != ProgramState::Stopped || self.backtrace.is_empty() {
            return;
        }
        let last = self.backtrace.len() - 1;
        let to = match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.frame_selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => (self.frame_selected + 1).min(last),
            KeyCode::Home | KeyCode::Char('g') => 0,
            _ => return,
        };
        if to != self.frame_selected {
            self.select_frame(to);
        }
    }

    /// A click on row `row` of the stack pane (threads first, then frames).
    pub(super) fn on_stack_click(&mut self, row: usize) {
        let threads = self.threads.iter().filter(|t| t.stopped_at.is_some()).count();
        if let Some(n) = row.checked_sub(threads).filter(|n| *n < self.backtrace.len()) {
            self.select_frame(n);
        }
    }

    pub(super) fn select_frame(&mut self, n: usize) {
        self.send_command(&format!("frame {n}"));
    }

    /// The session selected a frame: show its line and its locals.
    pub(super) fn on_frame(&mut self, view: &FrameView) {
        self.frame_selected = view.number;
        self.frame_line = (!view.file.is_empty() && view.number > 0).then(|| (view.file.clone(), view.line));
        if !view.file.is_empty() {
            if self.file.as_deref() != Some(view.file.as_str()) {
                self.open(&view.file.clone());
            }
            self.cursor = view.line.saturating_sub(1) as usize;
            self.scroll_to_cursor();
        }
        self.locals.clear();
        self.locals_selected = 0;
        self.send_command("locals");
    }
}
