//! Evaluation at a stop, in real sessions (`cargo_hotbreak::session`, as
//! line mode drives it): `print EXPR` of an expression not seen before
//! (each one builds an eval library: the stopped function again with an
//! eval site, linked and loaded into the program, then run by the stopped
//! thread), and the same expression again (its library runs again, no
//! build). On the bundled `plain` package (zero-annotation mode, like
//! `cargo hotbreak run -p plain`), the real crate pulldown-cmark as it is
//! (zero annotation), and a generated crate of about 20k lines (attribute).

use crate::gen;
use crate::real;
use crate::stats::{fmt_ns, Samples};
use anyhow::{bail, Context, Result};
use cargo_hotbreak::session::output::Out;
use cargo_hotbreak::session::{state_dir, Launch, Session};
use cargo_hotbreak::{HostBuild, HostConfig, Timings};
use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

/// A program, where it stops, and expressions over the locals there.
struct Target {
    name: String,
    lines: usize,
    host: HostBuild,
    args: Vec<String>,
    /// `FILE:LINE`, as typed after `break`.
    at: String,
    /// Expressions with `{k}` for the sample's number: each sample a new
    /// expression, each a build.
    templates: &'static [&'static str],
}

pub fn evaluation(ws: &Path, reps: usize, size: usize) -> Result<()> {
    println!("## 7. Evaluation at a stop (goal: stop -> value of a new expression <= 300 ms on the example crate, <= 1 s at 20k lines; the same expression again <= 20 ms)\n");
    println!("| crate | lines | first print | new expression | rewrite | rustc | symbols | link | load + run + session | same expression again |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let samples = reps.max(10);
    let targets: [&dyn Fn() -> Result<Target>; 3] = [&|| plain(ws), &|| pulldown_cmark(ws), &|| generated(ws, size)];
    for target in targets {
        let row = measure(target()?, samples)?;
        println!("{row}");
    }
    println!(
        "\nEach row is one session stopped at one line: `break FILE:LINE`, `continue`, then `print` of {samples} expressions over the \
         locals never printed before (`delta + 1`, `self.balance * 2`, ...; each one builds), median (min..max), then one of them {samples} \
         times more (its library runs again). The first print of the session is shown apart (not in the median); the build's phases are \
         medians over the new expressions (`Patcher::build_eval`'s timings, what `HOTBREAK_TIMINGS` prints); the last column but one is \
         the rest of the print: loading the library, running it on the stopped thread, showing the value.\n"
    );
    Ok(())
}

/// `examples/plain` as `cargo hotbreak run -p plain -- 5` builds it (no
/// attribute, no hotbreak dependency), stopped in `Account::post`.
fn plain(ws: &Path) -> Result<Target> {
    let mut config = HostConfig::for_workspace(ws, &std::env::current_exe()?);
    config.hotbreak_dir = ws.join("target/hotbreak-bench/host");
    let host = HostBuild::build_with(&config, "build", &["-p".into(), "plain".into()], |a| a.kinds.iter().any(|k| k == "bin"))?;
    let line = crate::line_of(ws, "examples/plain/src/ledger.rs", "let before = self.balance;")?;
    Ok(Target {
        name: "examples/plain (zero annotation)".into(),
        lines: real::rust_lines(&ws.join("examples/plain/src")),
        host,
        args: vec!["5".into()],
        at: format!("ledger.rs:{line}"),
        templates: &["delta + {k}", "self.balance * {k}", "self.name.len() + {k}", "entry.signed() - {k}", "delta.max({k})"],
    })
}

/// pulldown-cmark from crates.io, unmodified (zero annotation), on its own
/// README, stopped in `scan_containers` (as section 6 arms it).
fn pulldown_cmark(ws: &Path) -> Result<Target> {
    let (dir, lines, name) = real::fetched(ws, "pulldown-cmark")?;
    let mut config = HostConfig::for_workspace(&dir, &std::env::current_exe()?);
    config.hotbreak_dir = dir.join("target/hotbreak");
    let host = HostBuild::build_with(&config, "build", &["--bin".into(), "pulldown-cmark".into()], |a| a.name == "pulldown-cmark")?;
    let file = "src/parse.rs";
    let source = std::fs::read_to_string(dir.join(file))?;
    let line = source.lines().position(|l| l.contains("let mut spine_iter = tree.walk_spine();")).context("no spine line")? + 1;
    Ok(Target {
        name: format!("{name} (crates.io, zero annotation)"),
        lines,
        host,
        args: vec![dir.join("README.md").display().to_string()],
        at: format!("{file}:{line}"),
        templates: &["i + {k}", "update_flags as usize + {k}", "i * {k}", "(i as u64).wrapping_mul({k})", "i.max({k})"],
    })
}

/// The generated crate of `size` lines (`#[hotbreak::debuggable]` on every
/// function), stopped in the loop of its first function.
fn generated(ws: &Path, size: usize) -> Result<Target> {
    let c = gen::Crate::generate(ws, size)?;
    let mut config = HostConfig::for_workspace(&c.workspace, &std::env::current_exe()?);
    config.hotbreak_dir = c.workspace.join("target/hotbreak");
    let host = HostBuild::build_with(&config, "build", &["-p".into(), c.package.clone()], |a| a.name == c.package)?;
    Ok(Target {
        name: format!("{} (attribute)", c.name),
        lines: c.lines,
        host,
        // `call 0`: runs `f_0_0`, whose loop holds the break line.
        args: vec!["0".into()],
        at: format!("{}:{}", c.file, c.break_line),
        templates: &["x + {k}", "acc ^ {k}", "i * {k}", "x.wrapping_mul({k}) + acc", "acc.max({k})"],
    })
}

/// What the session emitted, with when.
type Record = Rc<RefCell<Vec<(Instant, Out)>>>;

fn measure(t: Target, samples: usize) -> Result<String> {
    // Breakpoints saved by an earlier run would be armed again at start.
    let saved = state_dir(&t.host).join("breakpoints.json");
    let (name, lines) = (t.name.clone(), t.lines);
    let _ = std::fs::remove_file(&saved);
    let record: Record = Rc::default();
    let sink = record.clone();
    let launch = Launch { args: t.args.clone(), stdin: false, capture_output: true, hold: true, env: Vec::new(), remember: true };
    let mut session = Session::start(t.host, launch, Box::new(move |out: &Out| sink.borrow_mut().push((Instant::now(), out.clone()))))?;
    // The program's output goes nowhere (it must not fill a pipe).
    let child = &mut session.debuggee().child;
    let pipes: Vec<Box<dyn Read + Send>> =
        [child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>), child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>)]
            .into_iter()
            .flatten()
            .collect();
    for mut pipe in pipes {
        std::thread::spawn(move || std::io::copy(&mut pipe, &mut std::io::sink()));
    }

    let result = (|| -> Result<String> {
        run(&mut session, &record, &format!("break {}", t.at), |o| matches!(o, Out::Armed { .. }))?;
        run(&mut session, &record, "continue", |o| matches!(o, Out::Stopped(_)))?;
        let expr = |k: usize| t.templates[k % t.templates.len()].replace("{k}", &(k + 1).to_string());
        // The first print of the session (k = 0), then new ones.
        let first = print(&mut session, &record, &expr(0), true)?;
        let (mut new, mut rewrite, mut rustc, mut symbols, mut link, mut rest) =
            (Samples::default(), Samples::default(), Samples::default(), Samples::default(), Samples::default(), Samples::default());
        for k in 1..=samples {
            let took = print(&mut session, &record, &expr(k), true)?;
            let Timings { rewrite: r, rustc: c, symbols: s, link: l, .. } = session.last_eval_timings().context("no eval timings")?;
            new.push(took);
            rewrite.push(r.as_nanos() as f64);
            rustc.push(c.as_nanos() as f64);
            symbols.push(s.as_nanos() as f64);
            link.push(l.as_nanos() as f64);
            rest.push(took - (r + c + s + l).as_nanos() as f64);
        }
        // The same expression again: no build.
        let mut again = Samples::default();
        for _ in 0..samples {
            again.push(print(&mut session, &record, &expr(1), false)?);
        }
        Ok(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            name,
            lines,
            fmt_ns(first),
            new.show_ms(),
            fmt_ns(rewrite.median()),
            fmt_ns(rustc.median()),
            fmt_ns(symbols.median()),
            fmt_ns(link.median()),
            fmt_ns(rest.median()),
            again.show(),
        ))
    })();
    session.quit();
    drop(session);
    let _ = std::fs::remove_file(&saved);
    result
}

/// Runs `command` and fails unless the session emitted what `wanted` matches.
fn run(session: &mut Session, record: &Record, command: &str, wanted: impl Fn(&Out) -> bool) -> Result<()> {
    record.borrow_mut().clear();
    session.command(command);
    let events = record.borrow();
    if !events.iter().any(|(_, o)| wanted(o)) {
        bail!("`{command}`: {:?}", events.iter().map(|(_, o)| o.to_string()).collect::<Vec<_>>());
    }
    Ok(())
}

/// `print expr`: the nanoseconds from the command to its value. Fails
/// unless it built a library (`build`) or did not.
fn print(session: &mut Session, record: &Record, expr: &str, build: bool) -> Result<f64> {
    let started = Instant::now();
    run(session, record, &format!("print {expr}"), |o| matches!(o, Out::Value { .. }))?;
    let events = record.borrow();
    let built = events.iter().any(|(_, o)| matches!(o, Out::Info { message } if message.starts_with("compiling")));
    if built != build {
        bail!("`print {expr}` {}", if build { "built nothing" } else { "built its library again" });
    }
    let at = events.iter().find(|(_, o)| matches!(o, Out::Value { .. })).map(|(at, _)| *at).context("value")?;
    Ok((at - started).as_nanos() as f64)
}
