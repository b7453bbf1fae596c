//! Drawing the terminal UI: a source pane with its breakpoint gutter, a
//! side column (Locals, Breakpoints, Stack), the program's output, the
//! command line and a status bar. Adapts to the terminal's size.

use super::app::{App, Hit, OutLine, Overlay, Pane, ProgramState, Prompt};
use crate::session::output::BreakpointRow;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub const HELP: &[(&str, &str)] = &[
    ("↑↓ j k PgUp PgDn g G", "move in the source"),
    ("b  F9", "toggle a breakpoint on the cursor line"),
    ("B", "conditional breakpoint on the cursor line"),
    ("c  F5", "continue"),
    ("n  F10", "next line"),
    ("s  F11", "step into"),
    ("f  shift-F11", "finish (run to return)"),
    ("t  F4", "run to the cursor line"),
    (".", "back to the stop line"),
    ("o  ctrl-P", "open a file (fuzzy)"),
    ("/", "search in the source (Enter again: next)"),
    (":", "command line: any line-mode command; N: go to line N"),
    ("Tab  shift-Tab", "focus the next / previous pane"),
    ("Enter ← →", "expand / collapse in Locals"),
    ("e  d", "enable-disable / delete in Breakpoints"),
    ("↑↓ in Stack, click", "select a frame: its line and locals"),
    ("H", "break here: a breakpoint on the selected frame's line"),
    ("mouse", "click the gutter: breakpoint; click a value: expand"),
    ("P", "catch panics on / off (a panicking thread stops before it unwinds)"),
    ("r", "run the program again (restarts it if it runs)"),
    ("q", "quit (asks first)"),
    ("?", "this help"),
];

pub fn draw(frame: &mut Frame, app: &mut App) {
    let area = frame.area();
    let output_rows = (area.height / 4).clamp(3, 12);
    let [main, output, command, status] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(output_rows), Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let side_width = if area.width >= 60 { (area.width * 2 / 5).min(60) } else { 0 };
    let [source, side] = Layout::horizontal([Constraint::Min(20), Constraint::Length(side_width)]).areas(main);
    let mut hit = Hit::default();
    draw_source(frame, app, source, &mut hit);
    if side_width > 0 {
        let [locals, breakpoints, stack] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(25), Constraint::Percentage(25)]).areas(side);
        draw_locals(frame, app, locals, &mut hit);
        draw_breakpoints(frame, app, breakpoints, &mut hit);
        draw_stack(frame, app, stack, &mut hit);
    }
    draw_output(frame, app, output);
    draw_command(frame, app, command);
    draw_status(frame, app, status);
    app.hit = hit;
    match app.overlay.clone() {
        Some(Overlay::Help) => draw_help(frame, area),
        Some(Overlay::ConfirmQuit) => {
            let text = if app.state == ProgramState::Exited { "Quit hotbreak? (y/n)" } else { "Quit? The program will be killed. (y/n)" };
            let rect = centered(area, text.len() as u16 + 4, 3);
            frame.render_widget(Clear, rect);
            frame.render_widget(Paragraph::new(text).block(Block::bordered().title(" quit ")), rect);
        }
        Some(Overlay::Picker { query, selected }) => draw_picker(frame, app, area, &query, selected),
        None => {}
    }
}

fn pane_block(title: String, focused: bool) -> Block<'static> {
    let style = if focused { Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD) } else { Style::default().fg(Color::Gray) };
    Block::default().borders(Borders::ALL).border_style(style).title(Span::styled(title, style))
}

fn draw_source(frame: &mut Frame, app: &mut App, area: Rect, hit: &mut Hit) {
    let title = format!(" {} ", app.file.as_deref().unwrap_or("Source"));
    let block = pane_block(title, app.focus == Pane::Source);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    app.source_rows = inner.height as usize;
    app.scroll_to_cursor();
    let digits = app.lines.len().max(1).to_string().len();
    let gutter = digits as u16 + 3;
    hit.source = inner;
    hit.gutter_width = gutter;
    let spinner = spinner_char(app);
    let diagnostics = app.file.as_ref().and_then(|f| app.diagnostics.get(f)).cloned().unwrap_or_default();
    let stop_line = app.stop.as_ref().filter(|s| Some(&s.file) == app.file.as_ref()).map(|s| s.line as usize);
    // The selected caller frame's line (the call it waits in).
    let frame_line = app.frame_line.as_ref().filter(|(f, _)| Some(f) == app.file.as_ref()).map(|(_, l)| *l as usize);
    let mut rows = Vec::new();
    for i in app.top..(app.top + inner.height as usize).min(app.lines.len()) {
        let number = i as u32 + 1;
        let (mark, mark_style) = gutter_mark(app, number, spinner);
        let error = diagnostics.iter().find(|(l, _)| *l == number);
        let (mark, mark_style) = if error.is_some() { ("E".to_string(), Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)) } else { (mark, mark_style) };
        let is_stop = stop_line == Some(number as usize);
        let number_style = if i == app.cursor && app.focus == Pane::Source {
            Style::default().add_modifier(Modifier::REVERSED)
        } else if i == app.cursor {
            Style::default().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::default().fg(Color::DarkGray)
        };
        let arrow = if is_stop {
            Span::styled("▶", Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD))
        } else if frame_line == Some(number as usize) {
            Span::styled("▷", Style::default().fg(Color::Cyan).add_modifier(Modifier::BOLD))
        } else {
            Span::raw(" ")
        };
        let mut spans = vec![Span::styled(mark, mark_style), Span::styled(format!("{number:>digits$}"), number_style), arrow, Span::raw(" ")];
        spans.extend(app.styled.get(i).cloned().unwrap_or_default());
        if let Some((_, message)) = error {
            spans.push(Span::styled(format!("  ◀ {message}"), Style::default().fg(Color::Red)));
        }
        let mut line = Line::from(spans);
        if is_stop {
            line = line.style(Style::default().bg(Color::Rgb(60, 60, 0)));
        }
        rows.push(line);
    }
    frame.render_widget(Paragraph::new(rows), inner);
}

fn spinner_char(app: &App) -> char {
    let tick = app.building.as_ref().map_or(0, |(_, since)| since.elapsed().as_millis() / 100) as usize;
    SPINNER[tick % SPINNER.len()]
}

/// The breakpoint mark of a line: armed ●, disabled ○, building (spinner),
/// failed ✗.
fn gutter_mark(app: &App, line: u32, spinner: char) -> (String, Style) {
    let file = app.file.clone().unwrap_or_default();
    if app.pending.contains(&(file, line)) {
        return (spinner.to_string(), Style::default().fg(Color::Yellow));
    }
    match app.breakpoint_at(line) {
        Some(b) => {
            let (mark, style) = breakpoint_mark(b);
            (mark.to_string(), style)
        }
        None => (" ".into(), Style::default()),
    }
}

/// A breakpoint's mark, in the gutter and in the Breakpoints pane.
fn breakpoint_mark(b: &BreakpointRow) -> (&'static str, Style) {
    if b.state.starts_with("failed") {
        ("✗", Style::default().fg(Color::Red))
    } else if !b.enabled {
        ("○", Style::default().fg(Color::Red))
    } else if b.state == "armed" {
        ("●", Style::default().fg(Color::Red).add_modifier(Modifier::BOLD))
    } else {
        ("◌", Style::default().fg(Color::Yellow))
    }
}

fn draw_locals(frame: &mut Frame, app: &App, area: Rect, hit: &mut Hit) {
    let block = pane_block(" Locals ".into(), app.focus == Pane::Locals);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    hit.locals = inner;
    let mut rows: Vec<Line> = Vec::new();
    if let Some(stop) = &app.stop {
        for (expr, value) in &stop.watches {
            rows.push(Line::from(vec![Span::styled(format!("⊙ {expr} = "), Style::default().fg(Color::Cyan)), Span::raw(value.clone())]));
        }
        if let Some(value) = &stop.value {
            rows.push(Line::from(Span::styled(format!("⏎ returned {value}"), Style::default().fg(Color::Green))));
        }
    } else if app.state != ProgramState::Stopped {
        rows.push(Line::from(Span::styled("(running: no stop)", Style::default().fg(Color::DarkGray))));
    }
    let room = (inner.height as usize).saturating_sub(rows.len()).max(1);
    let offset = app.locals_selected.saturating_sub(room - 1);
    hit.locals_offset = offset;
    for (i, node) in app.locals.iter().enumerate().skip(offset).take(room) {
        let marker = if node.leaf {
            "  "
        } else if node.loading {
            "… "
        } else if node.expanded {
            "▾ "
        } else {
            "▸ "
        };
        let mut spans = vec![
            Span::raw("  ".repeat(node.depth)),
            Span::styled(marker, Style::default().fg(Color::DarkGray)),
            Span::styled(node.label.clone(), Style::default().fg(Color::Cyan)),
        ];
        if !node.type_name.is_empty() {
            spans.push(Span::styled(format!(": {}", short_type(&node.type_name)), Style::default().fg(Color::DarkGray)));
        }
        spans.push(Span::raw(" = "));
        spans.push(Span::raw(node.value.clone()));
        let mut line = Line::from(spans);
        if i == app.locals_selected && app.focus == Pane::Locals {
            line = line.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        rows.push(line);
    }
    frame.render_widget(Paragraph::new(rows), inner);
}

/// `alloc::vec::Vec<alloc::string::String>` -> `Vec<String>`.
fn short_type(name: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or(&word));
    out
}

fn draw_breakpoints(frame: &mut Frame, app: &App, area: Rect, hit: &mut Hit) {
    let block = pane_block(" Breakpoints ".into(), app.focus == Pane::Breakpoints);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    hit.breakpoints = inner;
    let rows: Vec<Line> = app
        .breakpoints
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let file = b.file.rsplit('/').next().unwrap_or(&b.file);
            let (mark, style) = breakpoint_mark(b);
            let state = if b.state.starts_with("failed") { "failed" } else { &b.state };
            let mut line = Line::from(vec![Span::styled(mark, style), Span::raw(format!(" {} {file}:{} {state}{}", b.id, b.line, b.clauses()))]);
            if i == app.breakpoints_selected && app.focus == Pane::Breakpoints {
                line = line.style(Style::default().add_modifier(Modifier::REVERSED));
            }
            line
        })
        .collect();
    frame.render_widget(Paragraph::new(rows), inner);
}

fn draw_stack(frame: &mut Frame, app: &App, area: Rect, hit: &mut Hit) {
    let block = pane_block(" Threads & stack ".into(), app.focus == Pane::Stack);
    let inner = block.inner(area);
    hit.stack = inner;
    frame.render_widget(block, area);
    let mut rows: Vec<Line> = app
        .threads
        .iter()
        .filter(|t| t.stopped_at.is_some())
        .map(|t| {
            let mark = if t.current { "*" } else { " " };
            Line::from(format!("{mark}{} {}: {}", t.number, t.name, t.stopped_at.as_deref().unwrap_or("")))
        })
        .collect();
    rows.extend(app.backtrace.iter().enumerate().map(|(i, f)| {
        let mark = if i == app.frame_selected { "▸" } else { " " };
        let line = Line::from(Span::styled(format!("{mark}#{i} {f}"), Style::default().fg(Color::Gray)));
        if i == app.frame_selected && app.focus == Pane::Stack {
            line.style(Style::default().add_modifier(Modifier::REVERSED))
        } else {
            line
        }
    }));
    frame.render_widget(Paragraph::new(rows), inner);
}

fn draw_output(frame: &mut Frame, app: &App, area: Rect) {
    let block = pane_block(" Output ".into(), app.focus == Pane::Output);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = inner.height as usize;
    let end = app.output.len().saturating_sub(app.output_back);
    let start = end.saturating_sub(rows);
    let lines: Vec<Line> = app.output[start..end]
        .iter()
        .map(|l| match l {
            OutLine::Program(s) => Line::raw(s.clone()),
            OutLine::ProgramErr(s) => Line::styled(s.clone(), Style::default().fg(Color::LightRed)),
            OutLine::Tool(s) => Line::styled(format!("» {s}"), Style::default().fg(Color::Cyan)),
            OutLine::ToolErr(s) => Line::styled(format!("» {s}"), Style::default().fg(Color::Red)),
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_command(frame: &mut Frame, app: &App, area: Rect) {
    match &app.prompt {
        Some((kind, text)) => {
            let lead = if *kind == Prompt::Search { "/" } else { ":" };
            frame.render_widget(Paragraph::new(format!("{lead}{text}")), area);
            frame.set_cursor_position((area.x + 1 + text.chars().count() as u16, area.y));
        }
        None => frame.render_widget(
            Paragraph::new(Span::styled(": command  b breakpoint  c n s f run  o open  P panics  ? help  q quit", Style::default().fg(Color::DarkGray))),
            area,
        ),
    }
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let (state, color) = match app.state {
        ProgramState::Starting => ("starting", Color::Yellow),
        ProgramState::Running => ("running", Color::Green),
        ProgramState::Stopped => ("stopped", Color::Yellow),
        ProgramState::Exited => ("exited", Color::Red),
    };
    let mut spans = vec![Span::styled(format!(" {state} "), Style::default().fg(Color::Black).bg(color).add_modifier(Modifier::BOLD))];
    let pid = app.pid.map(|p| format!(" pid {p}")).unwrap_or_default();
    spans.push(Span::raw(format!(" {}{pid} ", app.program)));
    match app.catching {
        hotbreak::protocol::CatchMode::Off => {}
        hotbreak::protocol::CatchMode::All => spans.push(Span::styled("│ catch panic ", Style::default().fg(Color::Magenta))),
        hotbreak::protocol::CatchMode::Uncaught => spans.push(Span::styled("│ catch uncaught ", Style::default().fg(Color::Magenta))),
    }
    if let Some(stop) = &app.stop {
        spans.push(Span::raw(format!("│ {}:{} `{}` ", stop.file.rsplit('/').next().unwrap_or(&stop.file), stop.line, stop.function)));
    }
    if let Some((function, since)) = &app.building {
        spans.push(Span::styled(
            format!("│ {} building `{function}` {:.1}s ", spinner_char(app), since.elapsed().as_secs_f64()),
            Style::default().fg(Color::Yellow),
        ));
    } else if let Some((message, error)) = &app.status {
        let style = if *error { Style::default().fg(Color::Red) } else { Style::default().fg(Color::Cyan) };
        spans.push(Span::styled(format!("│ {message}"), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(Style::default().bg(Color::Rgb(30, 30, 30))), area);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}

fn draw_help(frame: &mut Frame, area: Rect) {
    let rect = centered(area, 76, HELP.len() as u16 + 2);
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| Line::from(vec![Span::styled(format!("{keys:<22}"), Style::default().fg(Color::Yellow)), Span::raw(*what)]))
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }).block(Block::bordered().title(" keys — any key closes ")), rect);
}

fn draw_picker(frame: &mut Frame, app: &App, area: Rect, query: &str, selected: usize) {
    let rect = centered(area, 70, area.height.saturating_sub(4).min(16));
    let choices = app.picked(query);
    let room = rect.height.saturating_sub(3) as usize;
    let offset = selected.saturating_sub(room.saturating_sub(1));
    let mut lines = vec![Line::from(vec![Span::styled("open: ", Style::default().fg(Color::Yellow)), Span::raw(query.to_string())])];
    for (i, file) in choices.iter().enumerate().skip(offset).take(room) {
        let mut line = Line::raw(file.clone());
        if i == selected {
            line = line.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" files ")), rect);
}
