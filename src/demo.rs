//! `cargo hotbreak demo`: debugs the bundled fixture program while it runs:
//! hot-patches a function, then stops at a conditional breakpoint, shows the
//! locals, steps, and lets it go on — all without restarting it.

use crate::debuggee::Event;
use crate::{Debuggee, HostBuild, HostConfig, Patcher};
use anyhow::{bail, Context, Result};
use hotbreak::protocol::{Resume, StopEvent};
use hotbreak_rewriter::Breakpoint;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::time::Duration;

const FILE: &str = "examples/fixture/src/logic.rs";
const LIMIT: Duration = Duration::from_secs(120);

const NEW_BODY: &str = r#"fn step(round: u32) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    COUNTER.fetch_add(100, Ordering::SeqCst);
    let token = Token::new(round);
    format!("PATCHED round={round} calls={calls} token={token:?} mix={}", crate::helpers::secret_mix(round as u64))
}"#;

struct Demo {
    dbg: Debuggee,
    stdin: ChildStdin,
}

impl Demo {
    /// Sends a command and serves events until the program answers.
    fn ask(&mut self, command: &str, mut on_stop: impl FnMut(&mut Debuggee, StopEvent) -> Result<()>) -> Result<()> {
        println!("> {command}");
        writeln!(self.stdin, "{command}")?;
        loop {
            match self.dbg.next_event(LIMIT)? {
                Event::Program(line) => {
                    if let Some(answer) = line.strip_prefix("> ") {
                        println!("  program: {answer}");
                        return Ok(());
                    }
                }
                Event::Stopped(stop) => on_stop(&mut self.dbg, stop)?,
                Event::Log(log) => println!("  log {}:{}: {}", log.file, log.line, log.text),
                Event::Disconnected => bail!("the program exited"),
                Event::Input(_) | Event::InputEnd | Event::SourcesChanged(_) => {}
            }
        }
    }
}

fn line_of(workspace: &Path, needle: &str) -> Result<u32> {
    let text = std::fs::read_to_string(workspace.join(FILE))?;
    Ok(text.lines().position(|l| l.contains(needle)).context("the fixture changed")? as u32 + 1)
}

fn show_stop(dbg: &mut Debuggee, stop: &StopEvent) -> Result<()> {
    println!("  stopped at {}:{} in `{}` ({:?}), thread {}", stop.file, stop.line, stop.name, stop.reason, stop.thread);
    for var in dbg.locals(stop.stop)? {
        println!("    {}: {} = {}", var.name, var.type_name, var.value);
    }
    Ok(())
}

pub fn run(wrapper: &Path) -> Result<()> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = HostConfig::for_workspace(workspace, wrapper);
    eprintln!("hotbreak: building the fixture under hotbreak into {}", config.hotbreak_dir.display());
    let host = HostBuild::build(&config, &["-p", "fixture"], "fixture")?;
    let mut command = Command::new(&host.executable);
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut dbg = Debuggee::launch(command)?;
    let patchable = dbg.hello.functions.iter().filter(|f| f.unpatchable.is_none()).count();
    println!("started pid {} with {patchable} patchable functions", dbg.hello.pid);
    let stdin = dbg.child.stdin.take().context("no stdin")?;
    let stdout = dbg.child.stdout.take().context("no stdout")?;
    let events = dbg.event_sender();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = events.send(Event::Program(line));
        }
    });
    let mut demo = Demo { dbg, stdin };
    let mut patcher = Patcher::for_program(&host, &config.hotbreak_dir.join("demo"))?;
    let no_stop = |_: &mut Debuggee, _: StopEvent| -> Result<()> { bail!("unexpected stop") };

    println!("\n== 1. Edit a function of the running program");
    demo.ask("call 1", no_stop)?;
    let step_line = line_of(workspace, "fn step(")?;
    let applied = patcher.replace_function(&mut demo.dbg, FILE, step_line, NEW_BODY)?;
    println!("  replaced `step` ({FILE}:{step_line}): {}", applied.timings);
    demo.ask("call 2", no_stop)?;
    demo.dbg.disarm(applied.function)?;
    println!("  native `step` restored");
    demo.ask("call 3", no_stop)?;

    println!("\n== 2. A conditional breakpoint, compiled into the function");
    let line = line_of(workspace, "stats.total += square;")?;
    let bp = Breakpoint { id: 1, line, condition: Some("i == 2".into()), ..Breakpoint::default() };
    let applied = patcher.arm_breakpoints(&mut demo.dbg, FILE, line, &[bp])?;
    println!("  break {FILE}:{line} if i == 2 — armed: {}", applied.timings);
    let mut stepped = false;
    demo.ask("acc 3", |dbg, stop| {
        show_stop(dbg, &stop)?;
        let how = if stepped { Resume::Continue } else { Resume::Next };
        println!("  {}", if stepped { "continue" } else { "next" });
        stepped = true;
        dbg.resume(stop.stop, how)
    })?;
    demo.dbg.set_breakpoint_enabled(1, false)?;
    demo.dbg.disarm(applied.function)?;
    println!("  breakpoint removed: native code again");
    demo.ask("acc 4", no_stop)?;
    drop(demo.stdin); // end of input: the program's loop ends
    demo.dbg.child.wait()?;
    Ok(())
}
