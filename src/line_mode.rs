//! The line-mode front end: commands from the terminal, a script or stdin
//! (`--batch`), output for people or as JSON lines (`--json`).

use crate::debuggee::Event;
use crate::session::output::Out;
use crate::session::{Launch, Session};
use crate::HostBuild;
use anyhow::{Context, Result};
use std::io::{BufRead, IsTerminal, Write};
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
    let launch = Launch { args: program_args.to_vec(), stdin: program_stdin, capture_output: false, hold: !interactive };
    let mut session = Session::start(host, launch, emit)?;
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
                prompt();
            }
            Event::InputEnd => {
                session.quit();
                break;
            }
            other => session.absorb(other),
        }
    }
    Ok(())
}
