//! Edit and continue from the line mode: saving a file while the program
//! runs (and while a thread is stopped in it) swaps in every function whose
//! code changed, keeps their breakpoints on their moved lines, and leaves
//! the program on its last good code when an edit does not compile — and
//! writes nothing into the crate but what the user saved.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{scratch_crate, Driver};

/// The program's run: long enough for the edits, short enough that the last
/// `continue` (which waits for a stop in batch mode) ends with the program.
const TICKS: u64 = 300;

fn tick_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("tick ")?;
    let (step, total) = rest.split_once(" total ")?;
    Some((step.parse().ok()?, total.parse().ok()?))
}

#[test]
fn saving_a_file_hot_patches_its_functions_and_keeps_their_breakpoints() {
    let dir = scratch_crate("edit-ticker");
    let main_rs = dir.join("src/main.rs");
    let original = std::fs::read_to_string(&main_rs).unwrap();
    let at = original.lines().position(|l| l.contains("history.push(total);")).unwrap() + 1;
    let mut hb = Driver::start(&dir, &[&TICKS.to_string()]);
    hb.wait_for("the start", |l| l.starts_with("started edit-ticker"));
    let before = snapshot(&dir);
    hb.send(&format!("break src/main.rs:{at} if step % 40 == 0"));
    hb.send("continue");
    hb.wait_for("the first stop", |l| l.starts_with(&format!("stopped (breakpoint 1) at src/main.rs:{at}")));

    // While stopped: a new line above both functions, `tick` and `scale`
    // changed. The breakpoint's line moves down with its text.
    let edited = original
        .replace("#[hotbreak::debuggable]\nfn tick", "// a line added above\n#[hotbreak::debuggable]\nfn tick")
        .replace("let total = scale(reading.step);", "let total = scale(reading.step) + 1;")
        .replace("let factor = 3;", "let factor = 7;");
    std::fs::write(&main_rs, &edited).unwrap();
    hb.wait_for("`scale` patched", |l| l.contains("`scale` hot-patched in"));
    hb.send("continue");
    let stop = hb.wait_for("a stop in the edited `tick`", |l| l.starts_with("stopped (breakpoint 1)"));
    assert!(stop.starts_with(&format!("stopped (breakpoint 1) at src/main.rs:{}", at + 1)), "{stop}\n{}", hb.seen.join("\n"));
    hb.send("print step");
    let step: u64 = hb.wait_for("step", |l| l.starts_with("step: u64 = ")).rsplit(' ').next().unwrap().parse().unwrap();
    hb.send("print total");
    let total = hb.wait_for("total", |l| l.starts_with("total: u64 = "));
    assert_eq!(total, format!("total: u64 = {}", 7 * step + 1), "the edited `tick` and `scale` run");
    hb.send("info breakpoints");
    hb.wait_for("the moved breakpoint", |l| l.starts_with(&format!("1 src/main.rs:{} enabled armed if step % 40 == 0", at + 1)));

    // An edit that does not compile: rustc's error at its line, the program
    // keeps running the last good code.
    std::fs::write(&main_rs, edited.replace("let factor = 7;", "let factor: u64 = \"seven\";")).unwrap();
    let error = hb.wait_for("the compile error", |l| l.contains(": error: mismatched types"));
    let bad = edited.lines().position(|l| l.contains("let factor = 7;")).unwrap() + 1;
    assert!(error.starts_with(&format!("src/main.rs:{bad}: ")), "{error}");
    hb.wait_for("the last-good-code note", |l| l.contains("`scale` keeps running its last good code"));
    hb.send("delete 1");
    hb.send("continue");
    let (step, total) = tick_line(&hb.wait_for("ticks after the failed edit", |l| tick_line(l).is_some_and(|(s, _)| s > step))).unwrap();
    assert_eq!(total, 7 * step + 1);
    hb.wait_for("the end", |l| l == format!("done after {TICKS} ticks"));
    hb.wait_for("the exit", |l| l == "program exited with status 0");
    // One save, one report: the session's own reads of the file (a watcher
    // event each) do not count as saves (they rebuilt it over and over).
    let reports = hb.seen.iter().filter(|l| l.contains(": error: mismatched types")).count();
    assert_eq!(reports, 1, "{}", hb.seen.join("\n"));
    assert!(hb.finish().success());

    // Nothing but the user's own edit changed in the crate.
    let mut after = snapshot(&dir);
    assert_eq!(after.remove(Path::new("src/main.rs")).as_deref(), Some(edited.replace("let factor = 7;", "let factor: u64 = \"seven\";").as_bytes()));
    let mut before = before;
    before.remove(Path::new("src/main.rs"));
    assert_eq!(before, after, "hotbreak wrote into the user's crate");
}

/// Every file of the crate (its state dir aside), by path.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if rel == Path::new("state") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
