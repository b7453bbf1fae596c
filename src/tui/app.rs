//! The terminal UI's state and what keys, mouse and session messages do to
//! it. Drawing is in `view.rs`; everything the UI does to the program goes
//! through line-mode commands sent to the session.

use super::highlight::highlight;
use crate::debuggee::Event;
use crate::session::output::{BreakpointRow, Out, StopView, ThreadRow};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Instant;

/// What reaches the UI loop.
pub enum Msg {
    Out(Out),
    /// A line the program printed (`true`: on stderr).
    Program(String, bool),
    Term(TermEvent),
    /// The session took its first commands: where to send more.
    Ready(Sender<Event>),
    /// Files saved (relative to the workspace).
    Saved(Vec<String>),
    SessionEnded(Option<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Source,
    Locals,
    Breakpoints,
    Stack,
    Output,
}

const PANES: [Pane; 5] = [Pane::Source, Pane::Locals, Pane::Breakpoints, Pane::Stack, Pane::Output];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramState {
    Starting,
    Running,
    Stopped,
    Exited,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Picker { query: String, selected: usize },
    ConfirmQuit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Command,
    Search,
}

/// A line of the output pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutLine {
    Program(String),
    ProgramErr(String),
    Tool(String),
    ToolErr(String),
}

/// A value in the Locals tree.
#[derive(Debug, Clone)]
pub struct Node {
    pub depth: usize,
    pub label: String,
    pub type_name: String,
    pub value: String,
    /// What `print` takes to expand it: `reading.origin`.
    pub expr: String,
    pub expanded: bool,
    /// Children asked for and not yet shown.
    pub loading: bool,
    /// Expanded and found to have no parts.
    pub leaf: bool,
}

/// Where the last frame drew what the mouse can hit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hit {
    pub source: Rect,
    pub gutter_width: u16,
    pub locals: Rect,
    /// The first tree row shown (the tree scrolls with the selection).
    pub locals_offset: usize,
    pub breakpoints: Rect,
    pub stack: Rect,
}

pub struct App {
    pub workspace: PathBuf,
    pub program: String,
    pub pid: Option<u32>,
    pub state: ProgramState,
    /// Files with debuggable code, and every Rust file (for the picker).
    pub debuggable_files: Vec<String>,
    pub all_files: Vec<String>,
    pub file: Option<String>,
    pub lines: Vec<String>,
    pub styled: Vec<Vec<Span<'static>>>,
    pub cursor: usize,
    pub top: usize,
    pub focus: Pane,
    pub stop: Option<StopView>,
    pub breakpoints: Vec<BreakpointRow>,
    /// Lines whose breakpoint was asked for and is being built.
    pub pending: HashSet<(String, u32)>,
    pub building: Option<(String, Instant)>,
    /// rustc's and the parser's errors of the last save, per file.
    pub diagnostics: HashMap<String, Vec<(u32, String)>>,
    pub locals: Vec<Node>,
    pub locals_selected: usize,
    pub breakpoints_selected: usize,
    pub backtrace: Vec<String>,
    /// The frame `locals` reads (`frame N`), and its line when it is not
    /// the stop's (drawn in the source pane).
    pub frame_selected: usize,
    pub frame_line: Option<(String, u32)>,
    pub threads: Vec<ThreadRow>,
    pub output: Vec<OutLine>,
    /// Lines scrolled back from the end of the output.
    pub output_back: usize,
    pub prompt: Option<(Prompt, String)>,
    pub history: Vec<String>,
    history_at: usize,
    last_search: String,
    pub overlay: Option<Overlay>,
    pub status: Option<(String, bool)>,
    /// Which panics stop their thread, as the session last said.
    pub catching: hotbreak::protocol::CatchMode,
    pub hit: Hit,
    sender: Option<Sender<Event>>,
    /// Commands typed before the session was ready.
    queued: Vec<String>,
    pub quit: bool,
    /// The session thread is done.
    pub session_over: bool,
    /// Rows of the source pane in the last frame (for paging).
    pub source_rows: usize,
}

impl App {
    pub fn new(workspace: PathBuf, program: String, all_files: Vec<String>) -> App {
        App {
            workspace,
            program,
            pid: None,
            state: ProgramState::Starting,
            debuggable_files: Vec::new(),
            all_files,
            file: None,
            lines: Vec::new(),
            styled: Vec::new(),
            cursor: 0,
            top: 0,
            focus: Pane::Source,
            stop: None,
            breakpoints: Vec::new(),
            pending: HashSet::new(),
            building: None,
            diagnostics: HashMap::new(),
            locals: Vec::new(),
            locals_selected: 0,
            breakpoints_selected: 0,
            backtrace: Vec::new(),
            frame_selected: 0,
            frame_line: None,
            threads: Vec::new(),
            output: Vec::new(),
            output_back: 0,
            prompt: None,
            history: Vec::new(),
            history_at: 0,
            last_search: String::new(),
            overlay: None,
            status: None,
            catching: hotbreak::protocol::CatchMode::Off,
            hit: Hit::default(),
            sender: None,
            queued: Vec::new(),
            quit: false,
            session_over: false,
            source_rows: 10,
        }
    }

    /// Asks the session to kill the program and end.
    pub fn end_session(&mut self) {
        match self.sender.take() {
            Some(tx) => {
                let _ = tx.send(Event::InputEnd);
            }
            None => self.state = ProgramState::Exited,
        }
    }

    /// Whether something moves on screen without input (the spinner).
    pub fn animating(&self) -> bool {
        self.building.is_some()
    }

    pub fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Out(out) => self.on_out(out),
            Msg::Program(line, err) => self.push_output(if err { OutLine::ProgramErr(line) } else { OutLine::Program(line) }),
            Msg::Term(event) => self.on_term(event),
            Msg::Ready(sender) => {
                self.sender = Some(sender);
                for cmd in std::mem::take(&mut self.queued) {
                    self.send(&cmd);
                }
            }
            Msg::Saved(files) => {
                if self.file.as_ref().is_some_and(|f| files.contains(f)) {
                    self.reload();
                }
                if let Some(tx) = &self.sender {
                    let _ = tx.send(Event::SourcesChanged(files));
                }
                self.send("info breakpoints");
            }
            Msg::SessionEnded(error) => {
                if let Some(e) = error {
                    self.push_output(OutLine::ToolErr(format!("error: {e}")));
                    self.status = Some((e, true));
                }
                self.state = ProgramState::Exited;
                self.sender = None;
                self.session_over = true;
            }
        }
    }

    /// Sends a command line to the session.
    pub(super) fn send_command(&mut self, command: &str) {
        self.send(command)
    }

    fn send(&mut self, command: &str) {
        match &self.sender {
            Some(tx) => {
                let _ = tx.send(Event::Input(command.to_string()));
            }
            None if self.state != ProgramState::Exited => self.queued.push(command.to_string()),
            None => {}
        }
    }

    fn push_output(&mut self, line: OutLine) {
        const KEEP: usize = 5000;
        self.output.push(line);
        if self.output.len() > KEEP {
            self.output.drain(..self.output.len() - KEEP);
        }
    }

    fn on_out(&mut self, out: Out) {
        // The session answers in order: whatever follows a build ends it
        // (stepping in and `watch` build without an `Armed`).
        if !matches!(out, Out::Building { .. } | Out::Log { .. }) {
            self.building = None;
        }
        match &out {
            Out::Started { pid, files, .. } => {
                self.pid = Some(*pid);
                self.state = ProgramState::Running;
                self.stop = None;
                self.locals.clear();
                self.backtrace.clear();
                self.threads.clear();
                self.debuggable_files = files.clone();
                if self.file.is_none() {
                    if let Some(first) = files.iter().find(|f| f.ends_with("main.rs")).or(files.first()).cloned() {
                        self.open(&first);
                    }
                }
                self.send("info breakpoints");
            }
            Out::Building { function, .. } => {
                self.building = Some((function.clone(), Instant::now()));
            }
            Out::Armed { file, line, ms, function, .. } => {
                self.building = None;
                self.pending.clear();
                self.status = Some((format!("breakpoint at {file}:{line} in `{function}` armed in {ms} ms"), false));
                self.send("info breakpoints");
            }
            Out::Patched { file, line, function, ms } => {
                self.building = None;
                self.status = Some((format!("`{function}` ({file}:{line}) hot-patched in {ms} ms"), false));
                self.send("info breakpoints");
            }
            Out::Diagnostics { file, diagnostics } => {
                let rows: Vec<(u32, String)> = diagnostics.iter().map(|d| (d.line, d.message.clone())).collect();
                if rows.is_empty() {
                    self.diagnostics.remove(file);
                } else {
                    self.building = None;
                    // Show the first error where it is.
                    if self.file.as_ref() == Some(file) {
                        self.reload();
                        self.move_cursor(rows[0].0 as isize - 1);
                    }
                    self.diagnostics.insert(file.clone(), rows);
                }
            }
            Out::Stopped(view) => {
                self.state = ProgramState::Stopped;
                self.stop = Some(view.clone());
                if self.file.as_deref() != Some(view.file.as_str()) {
                    self.open(&view.file.clone());
                }
                self.cursor = view.line.saturating_sub(1) as usize;
                self.scroll_to_cursor();
                self.locals.clear();
                self.locals_selected = 0;
                self.frame_selected = 0;
                self.frame_line = None;
                self.send("locals");
                self.send("backtrace");
                self.send("threads");
            }
            Out::Locals { vars } => {
                self.locals = vars
                    .iter()
                    .map(|v| Node {
                        depth: 0,
                        label: v.name.clone(),
                        type_name: v.type_name.clone(),
                        value: v.value.clone(),
                        expr: v.name.clone(),
                        expanded: false,
                        loading: false,
                        leaf: false,
                    })
                    .collect();
                self.locals_selected = self.locals_selected.min(self.locals.len().saturating_sub(1));
                return;
            }
            Out::Value { expr, fields, .. } => {
                if let Some(at) = self.locals.iter().position(|n| n.loading && &n.expr == expr) {
                    self.fill_children(at, fields);
                    return;
                }
                self.show_evaluated(&out);
            }
            Out::Backtrace { frames, selected, .. } => {
                self.backtrace = frames.clone();
                self.frame_selected = *selected;
                return;
            }
            Out::Frame(view) => self.on_frame(view),
            Out::Threads { threads } => {
                self.threads = threads.clone();
                return;
            }
            Out::Breakpoints { breakpoints } => {
                self.breakpoints = breakpoints.clone();
                self.breakpoints_selected = self.breakpoints_selected.min(self.breakpoints.len().saturating_sub(1));
                return;
            }
            Out::Exited { .. } => {
                self.state = ProgramState::Exited;
                self.stop = None;
                self.building = None;
            }
            Out::Error { message } => {
                self.building = None;
                self.pending.clear();
                self.status = Some((message.lines().next().unwrap_or_default().to_string(), true));
                self.send("info breakpoints");
            }
            Out::Catching { panic, message } => {
                self.catching = *panic;
                self.status = Some((message.clone(), false));
            }
            Out::Info { message } => {
                self.status = Some((message.lines().next().unwrap_or_default().to_string(), false));
                if message.starts_with("breakpoint") || message.ends_with("deleted") {
                    self.send("info breakpoints");
                }
            }
            Out::Log { .. } => {}
        }
        let text = out.to_string();
        if text.is_empty() || matches!(out, Out::Building { .. }) {
            return;
        }
        let error = matches!(out, Out::Error { .. } | Out::Diagnostics { .. });
        for line in text.lines() {
            self.push_output(if error { OutLine::ToolErr(line.to_string()) } else { OutLine::Tool(line.to_string()) });
        }
    }

    /// A value the user asked for with `:print EXPR` goes on top of the
    /// locals tree, expanded one level (replacing an earlier one of the same
    /// expression); its parts expand like a local's.
    fn show_evaluated(&mut self, out: &Out) {
        let Out::Value { expr, type_name, value, fields, .. } = out else { return };
        if let Some(old) = self.locals.iter().position(|n| n.depth == 0 && &n.label == expr) {
            let end = self.locals[old + 1..].iter().position(|n| n.depth == 0).map_or(self.locals.len(), |p| old + 1 + p);
            self.locals.drain(old..end);
        }
        // A path of fields extends as it is; anything else is parenthesized.
        let plain = expr.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
        let node = Node {
            depth: 0,
            label: expr.clone(),
            type_name: type_name.clone(),
            value: value.clone(),
            expr: if plain { expr.clone() } else { format!("({expr})") },
            expanded: true,
            loading: false,
            leaf: fields.is_empty(),
        };
        self.locals.insert(0, node);
        self.locals_selected = 0;
        if !fields.is_empty() {
            self.fill_children(0, fields);
        }
    }

    fn fill_children(&mut self, at: usize, fields: &[(String, String)]) {
        let parent = self.locals[at].clone();
        self.locals[at].loading = false;
        if fields.is_empty() {
            self.locals[at].leaf = true;
            self.locals[at].expanded = false;
            return;
        }
        let children: Vec<Node> = fields
            .iter()
            .map(|(label, value)| {
                let expr = if label.starts_with('[') { format!("{}{label}", parent.expr) } else { format!("{}.{label}", parent.expr) };
                let value = value.strip_prefix(&format!("{label}: ")).unwrap_or(value).to_string();
                Node { depth: parent.depth + 1, label: label.clone(), type_name: String::new(), value, expr, expanded: false, loading: false, leaf: false }
            })
            .collect();
        self.locals.splice(at + 1..at + 1, children);
    }

    /// Expands or collapses the selected value.
    fn toggle_node(&mut self, at: usize) {
        let Some(node) = self.locals.get(at) else { return };
        if node.leaf {
            return;
        }
        if node.expanded {
            let depth = node.depth;
            let end = self.locals[at + 1..].iter().position(|n| n.depth <= depth).map(|p| at + 1 + p).unwrap_or(self.locals.len());
            self.locals.drain(at + 1..end);
            self.locals[at].expanded = false;
        } else {
            self.locals[at].expanded = true;
            self.locals[at].loading = true;
            let cmd = format!("print {}", self.locals[at].expr);
            self.send(&cmd);
        }
    }

    pub fn open(&mut self, file: &str) {
        self.file = Some(file.to_string());
        self.cursor = 0;
        self.top = 0;
        self.reload();
    }

    /// Reads the shown file again (it was saved).
    fn reload(&mut self) {
        let Some(file) = &self.file else { return };
        let text = std::fs::read_to_string(self.workspace.join(file)).unwrap_or_else(|e| format!("// cannot read {file}: {e}"));
        self.lines = text.lines().map(str::to_owned).collect();
        self.styled = highlight(&text);
        self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
    }

    pub fn scroll_to_cursor(&mut self) {
        let rows = self.source_rows.max(1);
        if self.cursor < self.top || self.cursor >= self.top + rows {
            self.top = self.cursor.saturating_sub(rows / 3);
        }
    }

    /// The breakpoint drawn on `line` of the shown file.
    pub fn breakpoint_at(&self, line: u32) -> Option<&BreakpointRow> {
        let file = self.file.as_deref()?;
        self.breakpoints.iter().find(|b| b.file == file && b.line == line)
    }

    fn toggle_breakpoint(&mut self, line: u32) {
        let Some(file) = self.file.clone() else { return };
        match self.breakpoint_at(line).map(|b| b.id) {
            Some(id) => self.send(&format!("delete {id}")),
            None => {
                self.pending.insert((file.clone(), line));
                self.send(&format!("break {file}:{line}"));
            }
        }
    }

    fn resume(&mut self, command: &str) {
        if self.state == ProgramState::Stopped {
            self.state = ProgramState::Running;
            self.stop = None;
            self.locals.clear();
            self.backtrace.clear();
            self.frame_selected = 0;
            self.frame_line = None;
        }
        self.send(command);
        self.send("threads");
    }

    fn on_term(&mut self, event: TermEvent) {
        match event {
            TermEvent::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            TermEvent::Mouse(mouse) => self.on_mouse(mouse),
            _ => {}
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        if let Some(overlay) = self.overlay.clone() {
            return self.on_overlay_key(overlay, key);
        }
        if self.prompt.is_some() {
            return self.on_prompt_key(key);
        }
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        match key.code {
            KeyCode::Char('?') => self.overlay = Some(Overlay::Help),
            KeyCode::Char('q') if self.state == ProgramState::Exited => self.quit = true,
            KeyCode::Char('q') => self.overlay = Some(Overlay::ConfirmQuit),
            KeyCode::Char(':') => self.prompt = Some((Prompt::Command, String::new())),
            KeyCode::Char('/') => self.prompt = Some((Prompt::Search, String::new())),
            KeyCode::Char('o') => self.overlay = Some(Overlay::Picker { query: String::new(), selected: 0 }),
            KeyCode::Char('p') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.overlay = Some(Overlay::Picker { query: String::new(), selected: 0 })
            }
            KeyCode::Tab => self.cycle_focus(1),
            KeyCode::BackTab => self.cycle_focus(PANES.len() - 1),
            KeyCode::Char('c') | KeyCode::F(5) => self.resume("continue"),
            // Catching panics on and off (`uncaught` is a `:catch` away).
            KeyCode::Char('P') => {
                let command = if self.catching == hotbreak::protocol::CatchMode::Off { "catch panic" } else { "catch off" };
                self.send(command);
            }
            KeyCode::Char('r') => {
                self.state = ProgramState::Starting;
                self.send("run");
            }
            KeyCode::Char('n') | KeyCode::F(10) => self.resume("next"),
            KeyCode::F(11) if shift => self.resume("finish"),
            KeyCode::F(23) => self.resume("finish"),
            KeyCode::Char('s') | KeyCode::F(11) => self.resume("step"),
            KeyCode::Char('f') => self.resume("finish"),
            KeyCode::Char('H') if self.state == ProgramState::Stopped => self.send("break here"),
            _ => match self.focus {
                Pane::Source => self.on_source_key(key),
                Pane::Locals => self.on_locals_key(key),
                Pane::Breakpoints => self.on_breakpoints_key(key),
                Pane::Stack => self.on_stack_key(key),
                Pane::Output => self.on_output_key(key),
            },
        }
    }

    fn cycle_focus(&mut self, by: usize) {
        let at = PANES.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = PANES[(at + by) % PANES.len()];
    }

    fn move_cursor(&mut self, to: isize) {
        let last = self.lines.len().saturating_sub(1) as isize;
        self.cursor = to.clamp(0, last.max(0)) as usize;
        self.scroll_to_cursor();
    }

    fn on_source_key(&mut self, key: KeyEvent) {
        let c = self.cursor as isize;
        let page = self.source_rows.max(1) as isize;
        let line = self.cursor as u32 + 1;
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.move_cursor(c - 1),
            KeyCode::Down | KeyCode::Char('j') => self.move_cursor(c + 1),
            KeyCode::PageUp => self.move_cursor(c - page),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_cursor(c + page),
            KeyCode::Home | KeyCode::Char('g') => self.move_cursor(0),
            KeyCode::End | KeyCode::Char('G') => self.move_cursor(isize::MAX / 2),
            KeyCode::Char('b') | KeyCode::F(9) => self.toggle_breakpoint(line),
            KeyCode::Char('B') => {
                if let Some(file) = &self.file {
                    self.prompt = Some((Prompt::Command, format!("break {file}:{line} if ")));
                }
            }
            KeyCode::Char('t') | KeyCode::F(4) => {
                if let Some(file) = self.file.clone() {
                    self.resume(&format!("until {file}:{line}"));
                }
            }
            KeyCode::Char('.') => {
                if let Some(stop) = self.stop.clone() {
                    self.open(&stop.file);
                    self.move_cursor(stop.line as isize - 1);
                }
            }
            _ => {}
        }
    }

    fn on_locals_key(&mut self, key: KeyEvent) {
        let n = self.locals.len();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.locals_selected = self.locals_selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.locals_selected = (self.locals_selected + 1).min(n.saturating_sub(1)),
            KeyCode::Enter | KeyCode::Char(' ') => self.toggle_node(self.locals_selected),
            KeyCode::Right | KeyCode::Char('l') if self.locals.get(self.locals_selected).is_some_and(|n| !n.expanded) => {
                self.toggle_node(self.locals_selected)
            }
            KeyCode::Left | KeyCode::Char('h') if self.locals.get(self.locals_selected).is_some_and(|n| n.expanded) => {
                self.toggle_node(self.locals_selected)
            }
            _ => {}
        }
    }

    fn on_breakpoints_key(&mut self, key: KeyEvent) {
        let n = self.breakpoints.len();
        let selected = self.breakpoints.get(self.breakpoints_selected).cloned();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.breakpoints_selected = self.breakpoints_selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => self.breakpoints_selected = (self.breakpoints_selected + 1).min(n.saturating_sub(1)),
            KeyCode::Enter => {
                if let Some(b) = selected {
                    self.open(&b.file);
                    self.move_cursor(b.line as isize - 1);
                    self.focus = Pane::Source;
                }
            }
            KeyCode::Char('d') | KeyCode::Delete => {
                if let Some(b) = selected {
                    self.send(&format!("delete {}", b.id));
                }
            }
            KeyCode::Char('e') => {
                if let Some(b) = selected {
                    let cmd = if b.enabled { "disable" } else { "enable" };
                    self.send(&format!("{cmd} {}", b.id));
                }
            }
            _ => {}
        }
    }

    fn on_output_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.output_back = (self.output_back + 1).min(self.output.len()),
            KeyCode::Down | KeyCode::Char('j') => self.output_back = self.output_back.saturating_sub(1),
            KeyCode::End | KeyCode::Char('G') => self.output_back = 0,
            _ => {}
        }
    }

    fn on_prompt_key(&mut self, key: KeyEvent) {
        let Some((kind, mut text)) = self.prompt.take() else { return };
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Enter => return self.submit(kind, text),
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Up if kind == Prompt::Command && self.history_at > 0 => {
                self.history_at -= 1;
                text = self.history[self.history_at].clone();
            }
            KeyCode::Down if kind == Prompt::Command && self.history_at < self.history.len() => {
                self.history_at += 1;
                text = self.history.get(self.history_at).cloned().unwrap_or_default();
            }
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
        self.prompt = Some((kind, text));
    }

    fn submit(&mut self, kind: Prompt, text: String) {
        let text = text.trim().to_string();
        match kind {
            Prompt::Search => {
                let needle = if text.is_empty() { self.last_search.clone() } else { text };
                self.search(&needle);
                self.last_search = needle;
            }
            Prompt::Command if text.is_empty() => {}
            Prompt::Command => {
                self.history.push(text.clone());
                self.history_at = self.history.len();
                if let Ok(line) = text.parse::<isize>() {
                    self.focus = Pane::Source;
                    return self.move_cursor(line - 1);
                }
                self.push_output(OutLine::Tool(format!("(hb) {text}")));
                let word = text.split_whitespace().next().unwrap_or_default();
                if matches!(word, "continue" | "c" | "next" | "n" | "step" | "s" | "finish" | "fin" | "until" | "u" | "advance") {
                    self.resume(&text);
                } else if matches!(word, "run" | "r" | "restart") {
                    self.state = ProgramState::Starting;
                    self.send(&text);
                } else if matches!(word, "quit" | "q" | "exit") {
                    self.quit = true;
                } else {
                    self.send(&text);
                }
            }
        }
    }

    /// Moves the cursor to the next line containing `needle` (any case).
    fn search(&mut self, needle: &str) {
        if needle.is_empty() || self.lines.is_empty() {
            return;
        }
        let lower = needle.to_lowercase();
        let n = self.lines.len();
        let found = (1..=n).map(|d| (self.cursor + d) % n).find(|&i| self.lines[i].to_lowercase().contains(&lower));
        match found {
            Some(i) => self.move_cursor(i as isize),
            None => self.status = Some((format!("`{needle}` not found"), true)),
        }
    }

    /// The picker's choices for `query`, best first.
    pub fn picked(&self, query: &str) -> Vec<String> {
        if query.is_empty() {
            let mut files = self.debuggable_files.clone();
            files.extend(self.all_files.iter().filter(|f| !self.debuggable_files.contains(f)).cloned());
            return files;
        }
        let matcher = SkimMatcherV2::default();
        let mut scored: Vec<(i64, &String)> = self.all_files.iter().filter_map(|f| Some((matcher.fuzzy_match(f, query)?, f))).collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.len().cmp(&b.1.len())));
        scored.into_iter().map(|(_, f)| f.clone()).collect()
    }

    fn on_overlay_key(&mut self, overlay: Overlay, key: KeyEvent) {
        match overlay {
            Overlay::Help => self.overlay = None,
            Overlay::ConfirmQuit => {
                self.overlay = None;
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('q') | KeyCode::Enter) {
                    self.quit = true;
                }
            }
            Overlay::Picker { mut query, mut selected } => {
                match key.code {
                    KeyCode::Esc => {
                        self.overlay = None;
                        return;
                    }
                    KeyCode::Enter => {
                        self.overlay = None;
                        if let Some(file) = self.picked(&query).get(selected).cloned() {
                            self.open(&file);
                            self.focus = Pane::Source;
                        }
                        return;
                    }
                    KeyCode::Up => selected = selected.saturating_sub(1),
                    KeyCode::Down => selected += 1,
                    KeyCode::Backspace => {
                        query.pop();
                        selected = 0;
                    }
                    KeyCode::Char(c) => {
                        query.push(c);
                        selected = 0;
                    }
                    _ => {}
                }
                let n = self.picked(&query).len();
                selected = selected.min(n.saturating_sub(1));
                self.overlay = Some(Overlay::Picker { query, selected });
            }
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) {
        let inside = |r: Rect| mouse.column >= r.x && mouse.column < r.x + r.width && mouse.row >= r.y && mouse.row < r.y + r.height;
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) if self.overlay.is_none() => {
                if inside(self.hit.source) {
                    self.focus = Pane::Source;
                    let row = self.top + (mouse.row - self.hit.source.y) as usize;
                    if row < self.lines.len() {
                        if mouse.column < self.hit.source.x + self.hit.gutter_width {
                            self.toggle_breakpoint(row as u32 + 1);
                        } else {
                            self.cursor = row;
                        }
                    }
                } else if inside(self.hit.locals) {
                    self.focus = Pane::Locals;
                    let row = (mouse.row - self.hit.locals.y) as usize;
                    if let Some(at) = row.checked_sub(self.watch_rows()).map(|r| r + self.hit.locals_offset) {
                        if at < self.locals.len() {
                            self.locals_selected = at;
                            self.toggle_node(at);
                        }
                    }
                } else if inside(self.hit.stack) {
                    self.focus = Pane::Stack;
                    self.on_stack_click((mouse.row - self.hit.stack.y) as usize);
                } else if inside(self.hit.breakpoints) {
                    self.focus = Pane::Breakpoints;
                    let row = (mouse.row - self.hit.breakpoints.y) as usize;
                    if row < self.breakpoints.len() {
                        self.breakpoints_selected = row;
                    }
                }
            }
            MouseEventKind::ScrollDown if inside(self.hit.source) => {
                self.top = (self.top + 3).min(self.lines.len().saturating_sub(1));
            }
            MouseEventKind::ScrollUp if inside(self.hit.source) => self.top = self.top.saturating_sub(3),
            _ => {}
        }
    }

    /// Rows the watches take above the locals.
    pub fn watch_rows(&self) -> usize {
        self.stop.as_ref().map_or(0, |s| s.watches.len())
    }
}
