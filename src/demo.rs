//! `cargo hotbreak demo`: hot-patches a function of the bundled fixture
//! program while it runs, and shows what the program prints before, during
//! and after.

use crate::{Debuggee, HostBuild, HostConfig, Patcher};
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const FILE: &str = "examples/fixture/src/logic.rs";

const NEW_BODY: &str = r#"fn step(round: u32) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    COUNTER.fetch_add(100, Ordering::SeqCst);
    let token = Token::new(round);
    format!("PATCHED round={round} calls={calls} token={token:?} mix={}", crate::helpers::secret_mix(round as u64))
}"#;

pub fn run(wrapper: &Path) -> Result<()> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = HostConfig::for_workspace(workspace, wrapper);
    eprintln!("hotbreak: building the fixture under hotbreak into {}", config.hotbreak_dir.display());
    let host = HostBuild::build(&config, &["-p", "fixture"], "fixture")?;
    let mut command = Command::new(&host.executable);
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut dbg = Debuggee::launch(command)?;
    let patchable = dbg.hello.functions.iter().filter(|f| f.unpatchable.is_none()).count();
    println!("started pid {} with {patchable} patchable function(s)", dbg.hello.pid);
    let mut stdin = dbg.child.stdin.take().context("no stdin")?;
    let mut stdout = BufReader::new(dbg.child.stdout.take().context("no stdout")?);
    let mut ask = |command: &str| -> Result<()> {
        writeln!(stdin, "{command}")?;
        let mut line = String::new();
        loop {
            line.clear();
            if stdout.read_line(&mut line)? == 0 {
                anyhow::bail!("the program exited");
            }
            if let Some(answer) = line.strip_prefix("> ") {
                println!("  program: {}", answer.trim_end());
                return Ok(());
            }
        }
    };

    ask("call 1")?;
    let fn_line = std::fs::read_to_string(workspace.join(FILE))?
        .lines()
        .position(|l| l.contains("fn step("))
        .context("fixture changed")? as u32
        + 1;
    println!("patching {FILE}:{fn_line} `step` while the program runs...");
    let mut patcher = Patcher::new(&host, "fixture", "bin", &config.hotbreak_dir.join("demo"))?;
    let applied = patcher.replace_function(&mut dbg, FILE, fn_line, NEW_BODY)?;
    println!("armed: {} ({} byte patch)", applied.timings, applied.size);
    ask("call 2")?;
    ask("call 3")?;
    dbg.disarm(applied.function)?;
    println!("disarmed: native code again");
    ask("call 4")?;
    drop(ask);
    drop(stdin); // end of input: the program's loop ends
    dbg.child.wait()?;
    Ok(())
}
