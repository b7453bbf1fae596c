//! The line-mode command language (gdb-like, with short forms).

use hotbreak::protocol::CatchMode;
use hotbreak_rewriter::HitCount;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `FILE:LINE`; the file as typed (a suffix of a crate file is enough).
    Line { file: String, line: u32 },
    /// A function's name or the tail of its path (`step`, `Acc::add`).
    Function(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakSpec {
    pub location: Location,
    pub condition: Option<String>,
    pub hits: Option<HitCount>,
    pub log: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Break(BreakSpec),
    Delete(Option<u32>),
    Disable(u32),
    Enable(u32),
    InfoBreakpoints,
    Continue,
    /// `continue &`: resume and take commands while the program runs.
    ContinueBackground,
    /// Run to a location (a breakpoint removed once reached).
    Until(Location),
    Next,
    Step,
    Finish,
    Locals,
    /// Any Rust expression at the stop (`stats.items[2].name`, `v.len()`).
    Print(String),
    /// `set PLACE = EXPR`: an assignment run at the stop.
    Set { place: String, value: String },
    Backtrace,
    /// `frame N`, `up`, `down`: select a frame of the stopped thread.
    Frame(super::frames::FrameMove),
    /// A breakpoint on the selected frame's line.
    BreakHere,
    Threads,
    Thread(usize),
    Watch(String),
    /// `catch panic [uncaught]`, `catch off`; `None`: show the setting.
    Catch(Option<CatchMode>),
    Help,
    /// Start the program again.
    Run,
    Quit,
}

pub const HELP: &str = "\
commands (short forms in brackets):
  break [b] FILE:LINE [if COND] [hits N | hits >= N | hits % N] [log \"text {expr}\"]
  break [b] FUNCTION          break at the first statement of a debuggable function
  delete [d] N | all          remove breakpoints
  disable N / enable N        switch a breakpoint off / on (no rebuild)
  info breakpoints [i b]      list breakpoints
  continue [c]                resume; in scripts, wait for the next stop or exit
  until [u] FILE:LINE         continue to a line (a one-time breakpoint)
  next [n] / step [s]         next statement in this function / into a call
  finish [fin]                run until this function returns; show the value
  locals                      the locals at the stop
  print [p] EXPR              any Rust expression at the stop: locals, self, calls, the module's items
  set PLACE = EXPR            assign to a `let mut` local, a field through &mut, an element, a static
  backtrace [bt]              the stopped thread's frames (`<- selected`: the one `frame` chose)
  frame [f] N / up / down     select a frame: `locals` and `print` then read its locals (from debug info)
  break here                  a breakpoint on the selected frame's line (hits on the function's next call)
  threads / thread N          list threads / select a stopped thread
  watch EXPR                  a Rust expression shown at each stop
  catch panic                 stop a thread that panics, before it unwinds (`continue`: the panic goes on)
  catch panic uncaught        only panics no catch_unwind of the program will catch, read from the unwind
                              tables of the thread's frames as the unwinder reads them; a panic that ends
                              its thread or main is uncaught; a catch in FFI/C++ code, or a framework's
                              (tokio's task harness), counts as caught; panic=abort: all are uncaught
  catch off [uncatch]         stop catching panics; `catch` alone shows the setting
  run [r]                     start the program again (killing it if it runs)
  help [h] / quit [q]";

/// Parses one command line. Errors say what was expected.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    let (word, rest) = line.split_once(char::is_whitespace).map(|(w, r)| (w, r.trim())).unwrap_or((line, ""));
    let number = |what: &str| rest.parse::<u32>().map_err(|_| format!("`{word}` needs {what}, got `{rest}`"));
    let cmd = match word {
        "break" | "b" | "br" if rest == "here" => Command::BreakHere,
        "break" | "b" | "br" => Command::Break(parse_break(rest)?),
        "delete" | "d" if rest == "all" => Command::Delete(None),
        "delete" | "d" => Command::Delete(Some(number("a breakpoint number or `all`")?)),
        "disable" => Command::Disable(number("a breakpoint number")?),
        "enable" => Command::Enable(number("a breakpoint number")?),
        "info" | "i" if matches!(rest, "breakpoints" | "b" | "break") => Command::InfoBreakpoints,
        // gdb's background form: the session takes commands while it runs.
        "continue" | "c" if rest == "&" => Command::ContinueBackground,
        "continue" | "c" => Command::Continue,
        "until" | "u" | "advance" => Command::Until(parse_break(rest)?.location),
        "next" | "n" => Command::Next,
        "step" | "s" => Command::Step,
        "finish" | "fin" => Command::Finish,
        "locals" => Command::Locals,
        "info" | "i" if rest == "locals" => Command::Locals,
        "print" | "p" if rest.is_empty() => return Err("`print` needs a Rust expression".into()),
        "print" | "p" => Command::Print(rest.to_string()),
        "set" => {
            let (place, value) = split_assignment(rest).ok_or("`set` needs `PLACE = EXPR`")?;
            Command::Set { place, value }
        }
        "backtrace" | "bt" | "where" => Command::Backtrace,
        "frame" | "f" if rest.is_empty() => return Err(format!("`{word}` needs a frame number (see `backtrace`)")),
        "frame" | "f" => Command::Frame(super::frames::FrameMove::To(number("a frame number (see `backtrace`)")? as usize)),
        "up" if rest.is_empty() => Command::Frame(super::frames::FrameMove::Up),
        "down" if rest.is_empty() => Command::Frame(super::frames::FrameMove::Down),
        "threads" => Command::Threads,
        "thread" => Command::Thread(number("a thread number")? as usize),
        "watch" if !rest.is_empty() => Command::Watch(rest.to_string()),
        "watch" => return Err("`watch` needs a Rust expression".into()),
        "catch" => Command::Catch(parse_catch(rest)?),
        "uncatch" if rest.is_empty() || rest == "panic" => Command::Catch(Some(CatchMode::Off)),
        "help" | "h" | "?" => Command::Help,
        "run" | "r" | "restart" => Command::Run,
        "quit" | "q" | "exit" => Command::Quit,
        "" => return Err("empty command".into()),
        other => return Err(format!("unknown command `{other}` (type `help`)")),
    };
    Ok(cmd)
}

fn parse_catch(rest: &str) -> Result<Option<CatchMode>, String> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    Ok(Some(match words.as_slice() {
        [] => return Ok(None),
        ["panic"] | ["panic", "all"] => CatchMode::All,
        ["panic", "uncaught"] => CatchMode::Uncaught,
        ["off"] | ["panic", "off"] => CatchMode::Off,
        ["panic", other, ..] => return Err(format!("`catch panic` takes `uncaught` or nothing, got `{other}`")),
        [other, ..] => return Err(format!("cannot catch `{other}`: the event to catch is `panic` (catch panic, catch panic uncaught, catch off)")),
    }))
}

fn parse_break(rest: &str) -> Result<BreakSpec, String> {
    if rest.is_empty() {
        return Err("`break` needs a location: FILE:LINE or a function name".into());
    }
    let (location, mut tail) = rest.split_once(char::is_whitespace).map(|(l, t)| (l, t.trim())).unwrap_or((rest, ""));
    let location = match location.rsplit_once(':') {
        Some((file, line)) if !file.ends_with(':') && !file.is_empty() => {
            let line = line.parse().map_err(|_| format!("`{location}`: the line must be a number"))?;
            Location::Line { file: file.to_string(), line }
        }
        _ => Location::Function(location.to_string()),
    };
    let mut spec = BreakSpec { location, condition: None, hits: None, log: None };
    while !tail.is_empty() {
        let (word, after) = tail.split_once(char::is_whitespace).map(|(w, a)| (w, a.trim())).unwrap_or((tail, ""));
        match word {
            "log" => {
                let text = after.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or("`log` needs its text in double quotes")?;
                spec.log = Some(text.to_string());
                tail = "";
            }
            "hits" => {
                let (hits, left) = parse_hits(after)?;
                spec.hits = Some(hits);
                tail = left;
            }
            "if" => {
                // The condition runs to a following `hits` or `log` clause.
                let end = [" hits ", " log "].iter().filter_map(|k| after.find(k)).min().unwrap_or(after.len());
                let cond = after[..end].trim();
                if cond.is_empty() {
                    return Err("`if` needs a condition".into());
                }
                spec.condition = Some(cond.to_string());
                tail = after[end..].trim();
            }
            other => return Err(format!("unexpected `{other}` after the location (expected `if`, `hits` or `log`)")),
        }
    }
    Ok(spec)
}

fn parse_hits(text: &str) -> Result<(HitCount, &str), String> {
    let (op, rest) = if let Some(r) = text.strip_prefix(">=") {
        (">=", r)
    } else if let Some(r) = text.strip_prefix('%') {
        ("%", r)
    } else if let Some(r) = text.strip_prefix("==") {
        ("=", r)
    } else if let Some(r) = text.strip_prefix('=') {
        ("=", r)
    } else {
        ("=", text)
    };
    let rest = rest.trim_start();
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let n: u64 = rest[..digits].parse().map_err(|_| "`hits` needs a count: hits N, hits >= N or hits % N".to_string())?;
    if n == 0 {
        return Err("`hits` counts from 1".into());
    }
    let hits = match op {
        ">=" => HitCount::AtLeast(n),
        "%" => HitCount::Every(n),
        _ => HitCount::Equal(n),
    };
    Ok((hits, rest[digits..].trim()))
}

/// `PLACE = EXPR` split at its first `=` that is not part of `==`, `<=`,
/// `>=`, `!=`, `=>` or a compound assignment.
fn split_assignment(text: &str) -> Option<(String, String)> {
    let bytes = text.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if c != b'=' {
            continue;
        }
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + 1).copied();
        if matches!(after, Some(b'=' | b'>')) || matches!(before, Some(b'=' | b'<' | b'>' | b'!' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^')) {
            continue;
        }
        let (place, value) = (text[..i].trim(), text[i + 1..].trim());
        return (!place.is_empty() && !value.is_empty()).then(|| (place.to_string(), value.to_string()));
    }
    None
}

/// `a.b[2].c` -> (`a`, [`b`, `[2]`, `c`]), when `text` is only that: a
/// name and fields, indices or keys (what a value's tree can answer
/// without compiling).
pub fn parse_path(text: &str) -> Result<(String, Vec<String>), String> {
    if text.is_empty() {
        return Err("`print` needs a local's name".into());
    }
    let mut parts = Vec::new();
    for piece in text.split('.') {
        let mut rest = piece;
        let name_end = rest.find('[').unwrap_or(rest.len());
        let name = rest[..name_end].trim();
        if !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '$') || (name.is_empty() && parts.is_empty()) {
            return Err(format!("`{text}` is not a path of fields"));
        }
        if !name.is_empty() {
            parts.push(name.to_string());
        }
        rest = &rest[name_end..];
        while let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']').ok_or_else(|| format!("unclosed `[` in `{text}`"))?;
            parts.push(format!("[{}]", &r[..close]));
            rest = &r[close + 1..];
        }
        if !rest.trim().is_empty() {
            return Err(format!("`{text}` is not a path of fields"));
        }
    }
    let name = parts.remove(0);
    Ok((name, parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brk(line: &str) -> BreakSpec {
        match parse(line).unwrap() {
            Command::Break(b) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn break_takes_location_condition_hits_and_log() {
        let b = brk("b src/main.rs:12 if x > 3 && y.len() == 2 hits >= 4");
        assert_eq!(b.location, Location::Line { file: "src/main.rs".into(), line: 12 });
        assert_eq!(b.condition.as_deref(), Some("x > 3 && y.len() == 2"));
        assert_eq!(b.hits, Some(HitCount::AtLeast(4)));
        let b = brk("break main.rs:3 hits % 10 log \"x={x} {{}}\"");
        assert_eq!((b.hits, b.log.as_deref()), (Some(HitCount::Every(10)), Some("x={x} {{}}")));
        assert_eq!(brk("break Acc::add").location, Location::Function("Acc::add".into()));
        assert_eq!(brk("b main.rs:3 hits 2").hits, Some(HitCount::Equal(2)));
    }

    #[test]
    fn catch_knows_panic_and_says_what_else_it_takes() {
        assert_eq!(parse("catch panic").unwrap(), Command::Catch(Some(CatchMode::All)));
        assert_eq!(parse("catch panic uncaught").unwrap(), Command::Catch(Some(CatchMode::Uncaught)));
        assert_eq!(parse("catch off").unwrap(), Command::Catch(Some(CatchMode::Off)));
        assert_eq!(parse("uncatch").unwrap(), Command::Catch(Some(CatchMode::Off)));
        assert_eq!(parse("catch").unwrap(), Command::Catch(None));
        assert!(parse("catch foo").unwrap_err().contains("cannot catch `foo`"));
        assert!(parse("catch panic sometimes").unwrap_err().contains("`uncaught`"));
    }

    #[test]
    fn short_forms_and_paths() {
        assert_eq!(parse("c").unwrap(), Command::Continue);
        assert_eq!(parse("continue &").unwrap(), Command::ContinueBackground);
        assert_eq!(parse("i b").unwrap(), Command::InfoBreakpoints);
        assert_eq!(parse("d all").unwrap(), Command::Delete(None));
        assert_eq!(
            parse("p reading.tags[0]").unwrap(),
            Command::Print("reading.tags[0]".into())
        );
    }

    #[test]
    fn wrong_input_says_what_was_expected() {
        assert_eq!(parse("frobnicate").unwrap_err(), "unknown command `frobnicate` (type `help`)");
        assert_eq!(parse("b").unwrap_err(), "`break` needs a location: FILE:LINE or a function name");
        assert_eq!(parse("b main.rs:x").unwrap_err(), "`main.rs:x`: the line must be a number");
        assert_eq!(parse("b main.rs:3 log oops").unwrap_err(), "`log` needs its text in double quotes");
        assert_eq!(parse("b main.rs:3 hits").unwrap_err(), "`hits` needs a count: hits N, hits >= N or hits % N");
        assert_eq!(parse("disable x").unwrap_err(), "`disable` needs a breakpoint number, got `x`");
    }

    #[test]
    fn set_splits_at_the_assignment_not_at_comparisons() {
        let split = |t: &str| split_assignment(t).map(|(p, v)| format!("{p}|{v}"));
        assert_eq!(split("x = 5").as_deref(), Some("x|5"));
        assert_eq!(split("v[0] = a == b").as_deref(), Some("v[0]|a == b"));
        assert_eq!(split("self.k = |x| x >= 2").as_deref(), Some("self.k||x| x >= 2"));
        assert_eq!(split("a == b"), None);
        assert_eq!(split("x += 1"), None);
        assert_eq!(parse("set x"), Err("`set` needs `PLACE = EXPR`".into()));
        assert_eq!(parse("p v.len()"), Ok(Command::Print("v.len()".into())));
    }

    #[test]
    fn only_fields_and_indices_make_a_path() {
        assert_eq!(parse_path("self.items[2].name"), Ok(("self".into(), vec!["items".into(), "[2]".into(), "name".into()])));
        assert!(parse_path("v.len()").is_err());
        assert!(parse_path("a + b").is_err());
    }
}
