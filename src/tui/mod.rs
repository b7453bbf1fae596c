//! The terminal UI: a front end over the same [`Session`] as the line mode.
//! The session runs on its own thread (it blocks while rustc builds a
//! patch); the UI thread draws, reads keys and mouse, and sends line-mode
//! commands. The terminal is restored on every way out: return, error,
//! panic and Ctrl-C (a key in raw mode).

mod app;
mod highlight;
mod stack;
mod view;

use crate::debuggee::Event;
use crate::session::output::Out;
use crate::session::{Launch, Session};
use crate::HostBuild;
use anyhow::Result;
use app::{App, Msg};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

/// How often the spinner turns while a patch builds.
const FRAME: Duration = Duration::from_millis(100);

pub fn run(host: HostBuild, program_args: &[String]) -> Result<()> {
    let workspace = host.config.workspace.clone();
    let program = host.artifact.name.clone();
    let (tx, rx) = mpsc::channel::<Msg>();
    start_session(host, program_args.to_vec(), tx.clone());
    let saves = tx.clone();
    let _watcher = crate::watch::watch(&workspace, move |files| {
        let _ = saves.send(Msg::Saved(files));
    })?;
    let mut app = App::new(workspace.clone(), program, crate::watch::source_files(&workspace));

    let _terminal_guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let keys = tx.clone();
    std::thread::spawn(move || {
        while let Ok(event) = crossterm::event::read() {
            if keys.send(Msg::Term(event)).is_err() {
                return;
            }
        }
    });
    loop {
        terminal.draw(|frame| view::draw(frame, &mut app))?;
        let first = if app.animating() {
            match rx.recv_timeout(FRAME) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            Some(rx.recv()?)
        };
        // Everything that arrived is shown in one frame.
        for msg in first.into_iter().chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            app.handle(msg);
        }
        if app.quit {
            break;
        }
    }
    // The session kills the program; wait for it so nothing outlives us.
    app.end_session();
    if !app.session_over {
        for msg in rx.iter() {
            match msg {
                Msg::Ready(session) => {
                    let _ = session.send(Event::InputEnd);
                }
                Msg::SessionEnded(_) => break,
                _ => {}
            }
        }
    }
    Ok(())
}

/// Starts the program and serves the session on a thread of its own.
fn start_session(host: HostBuild, args: Vec<String>, tx: Sender<Msg>) {
    std::thread::spawn(move || {
        let out_tx = tx.clone();
        let emit = Box::new(move |out: &Out| {
            let _ = out_tx.send(Msg::Out(out.clone()));
        });
        let launch = Launch { args, stdin: false, capture_output: true, hold: false, env: Vec::new(), remember: true };
        let mut session = match Session::start(host, launch, emit) {
            Ok(session) => session,
            Err(e) => {
                let _ = tx.send(Msg::SessionEnded(Some(format!("{e:#}"))));
                return;
            }
        };
        session.set_wait_after_resume(false);
        forward_output(&mut session, &tx);
        let _ = tx.send(Msg::Ready(session.debuggee().event_sender()));
        loop {
            match session.next_event() {
                Event::Input(line) => {
                    if !session.command(&line) {
                        break;
                    }
                    // `run` starts a new process.
                    forward_output(&mut session, &tx);
                }
                Event::InputEnd => {
                    session.quit();
                    break;
                }
                other => session.absorb(other),
            }
        }
        let _ = tx.send(Msg::SessionEnded(None));
    });
}

/// Shows the program's output in the UI, once per process.
fn forward_output(session: &mut Session, tx: &Sender<Msg>) {
    let child = &mut session.debuggee().child;
    if let Some(out) = child.stdout.take() {
        forward_lines(out, false, tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        forward_lines(err, true, tx.clone());
    }
}

fn forward_lines(stream: impl Read + Send + 'static, stderr: bool, tx: Sender<Msg>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(Msg::Program(line, stderr)).is_err() {
                return;
            }
        }
    });
}

/// Raw mode, the alternate screen and mouse reporting, undone on drop and
/// on panic.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
        enable_raw_mode()?;
        crossterm::execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn restore_terminal() {
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture, LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
}
