//! The rewriter against a corpus of function shapes: a breakpoint on every
//! line that holds a statement, in every patchable function of
//! `examples/corpus`, each built, armed and run in the live program. Every
//! run must print what the native function printed; every stop must be at
//! the breakpoint's line and render its locals.

mod support;

use cargo_hotbreak::debuggee::Event;
use cargo_hotbreak::{Debuggee, HostBuild, Patcher};
use hotbreak::protocol::Resume;
use hotbreak_rewriter::{statement_lines, Breakpoint};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{config, workspace};

const SHAPES: &str = "examples/corpus/src/shapes.rs";
/// Generic async shapes, in a file of their own.
const ASYNC_SHAPES: &str = "examples/corpus/src/async_shapes.rs";
const SOURCES: [&str; 2] = [SHAPES, ASYNC_SHAPES];
const LIMIT: Duration = Duration::from_secs(300);

/// Runs a shape and returns its printed result, serving every stop on the way.
fn run(dbg: &mut Debuggee, stdin: &mut impl Write, name: &str, expect_line: Option<u32>, stops: &mut usize) -> Result<String, String> {
    writeln!(stdin, "{name}").unwrap();
    stdin.flush().unwrap();
    loop {
        match dbg.next_event(LIMIT).map_err(|e| e.to_string())? {
            Event::Program(line) => {
                if let Some(answer) = line.strip_prefix("> ") {
                    return Ok(answer.to_string());
                }
            }
            Event::Stopped(stop) => {
                *stops += 1;
                if Some(stop.line) != expect_line {
                    return Err(format!("stopped at line {} ({:?})", stop.line, stop.reason));
                }
                let vars = dbg.locals(stop.stop).map_err(|e| e.to_string())?;
                for v in &vars {
                    if v.value.is_empty() {
                        return Err(format!("local {} rendered empty", v.name));
                    }
                }
                dbg.resume(stop.stop, Resume::Continue).map_err(|e| e.to_string())?;
            }
            Event::Log(_) | Event::Input(_) | Event::InputEnd | Event::SourcesChanged(_) => {}
            Event::Disconnected => return Err("the program disconnected".into()),
        }
    }
}

#[test]
fn a_breakpoint_on_every_line_of_every_shape_keeps_its_behaviour() {
    let host = HostBuild::build(&config(), &["-p", "corpus"], "corpus").expect("host build of the corpus");
    let mut patcher = Patcher::for_program(&host, &host.config.hotbreak_dir.join("test-work/corpus")).unwrap();
    let mut command = Command::new(&host.executable);
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut dbg = Debuggee::launch(command).unwrap();
    let mut stdin = dbg.child.stdin.take().unwrap();
    let stdout = dbg.child.stdout.take().unwrap();
    let events = dbg.event_sender();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = events.send(Event::Program(line));
        }
    });

    let functions: Vec<_> = dbg.hello.functions.iter().filter(|f| SOURCES.contains(&f.file.as_str()) && f.unpatchable.is_none()).cloned().collect();
    assert!(functions.len() >= 40, "only {} patchable shapes", functions.len());
    let unpatchable: Vec<_> = dbg.hello.functions.iter().filter(|f| SOURCES.contains(&f.file.as_str()) && f.unpatchable.is_some()).map(|f| f.name.clone()).collect();
    // Generic fns and impls, `impl Trait` in either position, provided
    // methods: all patchable, each instance looks itself up.
    assert!(unpatchable.is_empty(), "{unpatchable:?}");
    for name in ["shout", "adder", "squares", "doubled", "make_evens", "chunked", "top_two", "headline", "async_largest", "async_len", "take_front", "peek_len", "async_size_twice"] {
        assert!(functions.iter().any(|f| f.name == name), "{name} is a patchable shape");
    }

    let mut stops = 0;
    let native: BTreeMap<String, String> = functions
        .iter()
        .map(|f| (f.name.clone(), run(&mut dbg, &mut stdin, &f.name, None, &mut stops).unwrap()))
        .collect();
    assert!(native.values().all(|v| !v.ends_with("= unknown")), "{native:?}");

    let sources: BTreeMap<&str, String> = SOURCES.iter().map(|f| (*f, std::fs::read_to_string(workspace().join(f)).unwrap())).collect();
    let (mut failures, mut points, mut id, mut escaping_said) = (Vec::new(), 0, 0, 0);
    for f in &functions {
        let file = f.file.as_str();
        for line in statement_lines(&sources[file], f.first_line).unwrap() {
            id += 1;
            points += 1;
            let bp = Breakpoint { id, line, ..Breakpoint::default() };
            let applied = match patcher.arm_breakpoints(&mut dbg, file, line, &[bp]) {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("{file}:{line} `{}`: {e:#}", f.name));
                    continue;
                }
            };
            // `adder` returns its closure: the caller runs the program's copy.
            let escaping = applied.coverage.as_ref().map(|c| c.escaping.clone()).unwrap_or_default();
            if f.name == "adder" && line > f.first_line + 2 && line < f.last_line - 1 {
                assert_eq!(escaping, [line], "{line}");
                escaping_said += 1;
            } else {
                assert!(escaping.is_empty(), "{}:{line}: {escaping:?}", f.name);
            }
            match run(&mut dbg, &mut stdin, &f.name, Some(line), &mut stops) {
                Ok(out) if out == native[&f.name] => {}
                Ok(out) => failures.push(format!("{file}:{line} `{}`: printed {out:?}, natively {:?}", f.name, native[&f.name])),
                Err(e) => failures.push(format!("{file}:{line} `{}`: {e}", f.name)),
            }
            dbg.disarm(applied.function).unwrap();
        }
    }
    eprintln!("{} shapes, {points} breakpoint lines, {stops} stops served", functions.len());
    assert_eq!(escaping_said, 2, "adder's closure lines are said to run outside it");
    assert!(failures.is_empty(), "{} of {points} failed:\n{}", failures.len(), failures.join("\n"));
}
