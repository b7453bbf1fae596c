//! Judging a crate's sessions: rates, and every miss with its file:line
//! and message.

use super::session::{Answer, Session};
use super::source::Function;
use super::{Crate, Output};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub struct Inputs<'a> {
    pub package: &'a Path,
    /// Functions found in the program's crates.
    pub functions: usize,
    pub sampled: &'a [Function],
    /// Each line a log point was asked for, in script order.
    pub tried: &'a [(&'a Function, u32)],
    /// gdb's verdict on the statement lines.
    pub ran: &'a BTreeMap<(String, u32), Option<bool>>,
    pub plain: &'a Output,
    /// Under hotbreak without breakpoints, then with the log points.
    pub bare: &'a Session,
    pub logged: Option<&'a Session>,
    pub files_changed: Vec<String>,
    /// Test binaries print their run time.
    pub normalize: bool,
}

#[derive(Debug, Default)]
pub struct Report {
    pub functions: usize,
    pub debuggable: Option<u64>,
    pub sampled: usize,
    pub sampled_unpatchable: usize,
    pub statement_lines: usize,
    pub armed: usize,
    /// Statement lines of functions hotbreak says it cannot patch yet (and
    /// that have a shape it documents as such).
    pub unpatchable_lines: usize,
    pub other_lines: usize,
    pub refused: usize,
    /// Of the other lines: those with no code at all (blank, comments,
    /// brackets), and those inside a statement that starts on another line.
    pub no_code: usize,
    pub no_code_refused: usize,
    pub inside: usize,
    pub inside_refused: usize,
    /// Refused lines inside a statement where gdb stopped: code that runs
    /// and takes no log point (the statement's line does).
    pub inside_ran: usize,
    pub ran: usize,
    pub fired_ran: usize,
    /// Ran without firing in instances the tool named as not covered (a
    /// generic function instantiated by another crate).
    pub said_not_covered: usize,
    pub not_ran: usize,
    pub silent_not_ran: usize,
    /// Armed lines gdb could not decide (no code of their own).
    pub undecided: usize,
    /// Median and slowest time from `break` to armed.
    pub arm_ms: Option<(u64, u64)>,
    pub bare_identical: bool,
    pub logged_identical: bool,
    pub misses: Vec<String>,
    /// One row per tried line: class, gdb's verdict, hotbreak's answer, log
    /// events (kept in the work dir, for a reader chasing a miss).
    pub table: Vec<String>,
    /// How long each phase took.
    pub phases: Vec<(&'static str, Duration)>,
    /// Statement lines of every function found in the crate: those in
    /// functions the shapes rule counts as patchable, and all.
    pub predicted: (usize, usize),
}

impl Report {
    /// The reach figure: the share of sampled statement lines where a
    /// breakpoint armed, in percent.
    pub fn reach(&self) -> f64 {
        percent(self.armed, self.statement_lines)
    }
}

pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

pub fn judge(i: Inputs<'_>) -> Report {
    let mut r = Report {
        functions: i.functions,
        debuggable: i.bare.debuggable,
        sampled: i.sampled.len(),
        sampled_unpatchable: i.sampled.iter().filter(|f| f.unpatchable.is_some()).count(),
        ..Report::default()
    };
    for f in &i.files_changed {
        r.misses.push(format!("{f}: the copy's file changed during the sessions"));
    }
    let plain = if i.normalize { i.plain.normalized() } else { i.plain.clone() };
    r.bare_identical = session_sane("without breakpoints", i.bare, &plain, i.normalize, &mut r.misses);
    let Some(logged) = i.logged else {
        r.misses.push("no session with log points: the program never started under hotbreak".into());
        return r;
    };
    r.logged_identical = session_sane("with log points", logged, &plain, i.normalize, &mut r.misses);
    let mut ms = logged.arm_ms.clone();
    ms.sort_unstable();
    r.arm_ms = ms.last().map(|max| (ms[ms.len() / 2], *max));
    let source = |file: &str, line: u32| {
        std::fs::read_to_string(i.package.join(file)).ok().and_then(|t| t.lines().nth(line as usize - 1).map(|l| l.trim().to_string())).unwrap_or_default()
    };
    let same_file = |reported: &str, ours: &str| reported == ours || reported.ends_with(&format!("/{ours}"));
    let mut armed_at = Vec::new();
    // Per function and kind of miss: its lines, and the first one's detail.
    let mut grouped: BTreeMap<(String, u32, String, &str), (Vec<u32>, String)> = BTreeMap::new();
    let mut miss = |f: &Function, line: u32, kind: &'static str, detail: String| {
        let entry = grouped.entry((f.file.clone(), f.fn_line, f.name.clone(), kind)).or_insert_with(|| (Vec::new(), detail));
        entry.0.push(line);
    };
    for (k, (f, line)) in i.tried.iter().enumerate() {
        let line = *line;
        let at = format!("{}:{line}", f.file);
        let statement = f.statements.contains(&line);
        let fired = logged.logs.iter().filter(|((file, l), _)| same_file(file, &f.file) && *l == line).map(|(_, n)| n).sum::<usize>();
        r.table.push(format!(
            "{at}\t{}\t{}\tran={:?}\t{:?}\tlogs={fired}\t{}",
            f.name,
            if statement { "statement" } else if f.code.contains(&line) { "inside" } else { "no-code" },
            i.ran.get(&(f.file.clone(), line)).copied().flatten(),
            logged.answers.get(k),
            source(&f.file, line)
        ));
        match (logged.answers.get(k), statement) {
            (None, _) => miss(f, line, "no answer to `break`", format!("`{}`", source(&f.file, line))),
            (Some(Answer::Armed { file, line: l, .. }), _) if !same_file(file, &f.file) || *l != line => {
                miss(f, line, "armed elsewhere", format!("`break {at}` armed {file}:{l}"));
            }
            (Some(Answer::Armed { not_covered, .. }), true) => {
                r.statement_lines += 1;
                r.armed += 1;
                armed_at.push((f.file.clone(), line));
                match i.ran.get(&(f.file.clone(), line)).copied().flatten() {
                    Some(true) => {
                        r.ran += 1;
                        if fired > 0 {
                            r.fired_ran += 1;
                        } else if *not_covered {
                            // The instances that ran were named, at `break`,
                            // as running their native code: not a silent miss.
                            r.said_not_covered += 1;
                        } else if f.tested.contains(&line) {
                            // gdb may have stopped at the pattern's test
                            // of an arm not taken: it cannot tell.
                            r.ran -= 1;
                            r.undecided += 1;
                        } else {
                            miss(f, line, "ran (gdb stopped there) but the log point never fired", format!("`{}`", source(&f.file, line)));
                        }
                    }
                    Some(false) => {
                        r.not_ran += 1;
                        if fired == 0 {
                            r.silent_not_ran += 1;
                        } else {
                            miss(f, line, "the log point fired, but gdb never saw the line run", format!("{fired} times at `{}`", source(&f.file, line)));
                        }
                    }
                    None => r.undecided += 1,
                }
            }
            (Some(Answer::Armed { .. }), false) => {
                r.other_lines += 1;
                if f.code.contains(&line) {
                    r.inside += 1;
                } else {
                    r.no_code += 1;
                }
                armed_at.push((f.file.clone(), line));
                miss(f, line, "armed, but no statement starts on the line", format!("`{}`", source(&f.file, line)));
            }
            (Some(Answer::Error(message)), true) => {
                r.statement_lines += 1;
                if message.contains("cannot be debugged yet") && f.unpatchable.is_some() {
                    r.unpatchable_lines += 1;
                } else {
                    miss(f, line, "statement line not armed", format!("`{}`: {message}", source(&f.file, line)));
                }
            }
            (Some(Answer::Error(message)), false) => {
                r.other_lines += 1;
                let has_code = f.code.contains(&line);
                if has_code {
                    r.inside += 1;
                } else {
                    r.no_code += 1;
                }
                let clear = message.contains(&format!("line {line}")) || (message.contains("cannot be debugged yet") && f.unpatchable.is_some());
                if clear {
                    r.refused += 1;
                    if has_code {
                        r.inside_refused += 1;
                        r.inside_ran += usize::from(i.ran.get(&(f.file.clone(), line)).copied().flatten() == Some(true));
                    } else {
                        r.no_code_refused += 1;
                    }
                } else {
                    miss(f, line, "refused without naming the line", message.clone());
                }
            }
        }
    }
    for ((file, fn_line, name, kind), (lines, detail)) in grouped {
        let list: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        r.misses.push(format!("{file}:{} ({} of `{name}`, fn at line {fn_line}): {kind}; the first: {detail}", list.join(","), plural(lines.len(), "line")));
    }
    for extra in logged.answers.iter().skip(i.tried.len()) {
        r.misses.push(format!("after the breakpoints: {extra:?}"));
    }
    for ((file, line), n) in &logged.logs {
        if !armed_at.iter().any(|(f, l)| same_file(file, f) && l == line) {
            r.misses.push(format!("{file}:{line}: {n} log events, but no log point was armed there"));
        }
    }
    r
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The session ended well and the program printed what the plain build
/// printed; the misses say where not.
fn session_sane(what: &str, s: &Session, plain: &Output, normalize: bool, misses: &mut Vec<String>) -> bool {
    if !s.tool_ok {
        let tail: Vec<&str> = s.tool_stderr.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
        misses.push(format!("session {what}: cargo hotbreak ended with {}:\n{}", s.tool_status, tail.join("\n")));
    }
    for l in s.tool_stderr.lines().filter(|l| l.starts_with("error")) {
        misses.push(format!("session {what}: {l}"));
    }
    if s.debuggable.is_none() {
        misses.push(format!("session {what}: the program never started under hotbreak"));
        return false;
    }
    let ours = if normalize { s.program.normalized() } else { s.program.clone() };
    let mut same = true;
    for (stream, a, b) in [("stdout", &plain.stdout, &ours.stdout), ("stderr", &plain.stderr, &ours.stderr)] {
        if a != b {
            same = false;
            let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
            let at = (0..la.len().max(lb.len())).find(|&k| la.get(k) != lb.get(k)).unwrap_or(0);
            misses.push(format!(
                "session {what}: the program's {stream} differs from the plain build's at line {}: plain {:?}, hotbreak {:?} ({} vs {} lines)",
                at + 1,
                la.get(at),
                lb.get(at),
                la.len(),
                lb.len()
            ));
        }
    }
    if plain.code != ours.code {
        same = false;
        misses.push(format!("session {what}: exit status {:?} under hotbreak, {:?} plain", ours.code, plain.code));
    }
    same
}

/// One crate's rates, written past the test harness's capture: they are
/// the point of a passing run too.
pub fn print(c: &Crate, r: &Report, took: Duration) {
    let yes = |b: bool| if b { "yes" } else { "NO" };
    let line = format!(
        "real crate {} {}: {} functions ({} debuggable under hotbreak), {} sampled ({} of unpatchable shape); \
         statement lines {}: armed {}, unpatchable {}; other lines {}: correctly refused {} \
         (no code {}/{}, inside a statement {}/{} of which gdb saw {} run); \
         ran (gdb) {}: fired {}, in instances said to be not covered {}; not run {}: silent {}; undecided {}; armed in {} ms (median), {} ms (max); output identical: bare {}, with log points {}; \
         {} misses; {:.0} s ({})\n",
        c.name,
        c.version,
        r.functions,
        r.debuggable.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
        r.sampled,
        r.sampled_unpatchable,
        r.statement_lines,
        r.armed,
        r.unpatchable_lines,
        r.other_lines,
        r.refused,
        r.no_code_refused,
        r.no_code,
        r.inside_refused,
        r.inside,
        r.inside_ran,
        r.ran,
        r.fired_ran,
        r.said_not_covered,
        r.not_ran,
        r.silent_not_ran,
        r.undecided,
        r.arm_ms.map(|m| m.0.to_string()).unwrap_or_else(|| "-".into()),
        r.arm_ms.map(|m| m.1.to_string()).unwrap_or_else(|| "-".into()),
        yes(r.bare_identical),
        yes(r.logged_identical),
        r.misses.len(),
        took.as_secs_f64(),
        r.phases.iter().map(|(what, d)| format!("{what} {:.0} s", d.as_secs_f64())).collect::<Vec<_>>().join(", "),
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
    let reach = format!(
        "reach {} {}: a breakpoint arms on {} of {} sampled statement lines ({:.1}%); over the whole crate, {} of {} statement lines \
         are in functions of a patchable shape ({:.1}%)\n",
        c.name,
        c.version,
        r.armed,
        r.statement_lines,
        r.reach(),
        r.predicted.0,
        r.predicted.1,
        percent(r.predicted.0, r.predicted.1)
    );
    let _ = std::io::stderr().write_all(reach.as_bytes());
}

/// Adds this crate's figures to those of the other crates checked with the
/// same scratch dir (`reach/<crate>`, one file each) and prints the
/// overall reach of every crate recorded there.
pub fn print_overall(c: &Crate, r: &Report, dir: &Path) {
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join(c.name), format!("{} {} {} {}", r.armed, r.statement_lines, r.predicted.0, r.predicted.1));
    let mut sums = [0usize; 4];
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let numbers: Vec<usize> = text.split(' ').filter_map(|n| n.parse().ok()).collect();
        if numbers.len() == 4 {
            for (sum, n) in sums.iter_mut().zip(numbers) {
                *sum += n;
            }
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    let line = format!(
        "reach overall ({}): a breakpoint arms on {} of {} sampled statement lines ({:.1}%); {} of {} statement lines in patchable shapes ({:.1}%)\n",
        names.join(", "),
        sums[0],
        sums[1],
        percent(sums[0], sums[1]),
        sums[2],
        sums[3],
        percent(sums[2], sums[3])
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}
