//! The line-mode front end: commands from the terminal, a script or stdin
//! (`--batch`), output for people or as JSON lines (`--json`). In JSON mode
//! the program's own output comes as `output` events, so that a tool can
//! tell it from the session's.

use crate::debuggee::Event;
use crate::session::output::{Out, ProgramOutput};
use crate::session::{Launch, Session};
use crate::HostBuild;
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct LineOptions {
    /// Read commands from this file (the program keeps the terminal's stdin).
    pub script: Option<PathBuf>,
    /// Print JSON lines instead of text.
    pub json: bool,
}

pub fn run(host: HostBuild, program_args: &[String], opts: LineOptions) -> Result<()> {
    let json = opts.json;
    let emit = Box::new(move |out: &Out| {
        let mut stdout = std::io::stdout().lock();
        let _ = match out {
            _ if json => writeln!(stdout, "{}", serde_json::to_string(out).unwrap_or_default()),
            // Cleared diagnostics say nothing to a reader.
            Out::Diagnostics { diagnostics, .. } if diagnostics.is_empty() => Ok(()),
            _ => writeln!(stdout, "{out}"),
        };
    });
    // Commands come from stdin unless a script gives them; then the program
    // may have stdin.
    let program_stdin = opts.script.is_some();
    let interactive = opts.script.is_none() && std::io::stdin().is_terminal();
    // Scripts set breakpoints before the program starts; people expect
    // `run` to run.
    let launch = Launch { args: program_args.to_vec(), stdin: program_stdin, capture_output: json, hold: !interactive, env: Vec::new(), remember: true };
    let mut session = Session::start(host, launch, emit)?;
    let mut forwarders = Vec::new();
    if json {
        forwarders.extend(forward_output(&mut session));
    }
    let input = session.debuggee().event_sender();
    // Saving a file hot-patches the functions it changed.
    let saves = input.clone();
    let _watcher = crate::watch::watch(&session.workspace(), move |files| {
        let _ = saves.send(Event::SourcesChanged(files));
    })
    .map_err(|e| eprintln!("hotbreak: not watching the sources: {e:#}"))
    .ok();
    match &opts.script {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read script {}", path.display()))?;
            std::thread::spawn(move || {
                for line in text.lines() {
                    let _ = input.send(Event::Input(line.to_string()));
                }
                let _ = input.send(Event::InputEnd);
            });
        }
        None => {
            std::thread::spawn(move || {
                for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                    let _ = input.send(Event::Input(line));
                }
                let _ = input.send(Event::InputEnd);
            });
        }
    }
    let prompt = || {
        if interactive {
            print!("(hb) ");
            let _ = std::io::stdout().flush();
        }
    };
    prompt();
    loop {
        match session.next_event() {
            Event::Input(line) => {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    prompt();
                    continue;
                }
                if !interactive && !json {
                    println!("(hb) {line}");
                }
                if !session.command(line) {
                    break;
                }
                if json {
                    // `run` starts a new process with new pipes.
                    forwarders.extend(forward_output(&mut session));
                }
                prompt();
            }
            Event::InputEnd => {
                session.quit();
                break;
            }
            other => session.absorb(other),
        }
    }
    // The program is gone: its last output is still in the pipes.
    drop(session);
    for f in forwarders {
        let _ = f.join();
    }
    Ok(())
}

/// Emits the running program's stdout and stderr as `output` events, once
/// per process (the pipes are taken).
fn forward_output(session: &mut Session) -> Vec<std::thread::JoinHandle<()>> {
    let child = &mut session.debuggee().child;
    let mut threads = Vec::new();
    if let Some(out) = child.stdout.take() {
        threads.push(forward(out, "stdout"));
    }
    if let Some(err) = child.stderr.take() {
        threads.push(forward(err, "stderr"));
    }
    threads
}

fn forward(stream: impl Read + Send + 'static, name: &'static str) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut piece = Vec::new();
        // Whole lines, newline kept: the pieces add up to the exact output.
        while reader.read_until(b'\n', &mut piece).is_ok_and(|n| n > 0) {
            let out = ProgramOutput { stream: name, text: String::from_utf8_lossy(&piece).into_owned() };
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", serde_json::to_string(&out).unwrap_or_default());
            piece.clear();
        }
    })
}
