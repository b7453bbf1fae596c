//! A package that knows nothing of hotbreak (no dependency, no attribute;
//! a lib and a bin of one name, edition 2024, `mod` files in a subfolder,
//! `#[path]`, `include!`, a build script, macro-made functions), debugged
//! as it is with `cargo hotbreak run`. Its files stay byte for byte.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{line_of, workspace};

const LEDGER: &str = "examples/plain/src/ledger.rs";

/// Every file of the package and the workspace's lock file, with contents.
fn snapshot() -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(&workspace().join("examples/plain"), &mut files);
    let lock = workspace().join("Cargo.lock");
    files.insert(lock.clone(), std::fs::read(lock).unwrap());
    files
}

/// The program's own lines (it prefixes them), in order.
fn program_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("plain: ")).collect()
}

/// `plain` built by plain cargo (its own target dir: the test's cargo holds
/// the workspace's), run with `args`.
fn plain_build() -> PathBuf {
    let target = workspace().join("target/hotbreak/test-plain-cargo");
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "plain", "--target-dir"])
        .arg(&target)
        .current_dir(workspace())
        .status()
        .unwrap();
    assert!(status.success());
    target.join("debug/plain")
}

fn run_plain(exe: &Path, args: &[&str]) -> String {
    let out = Command::new(exe).args(args).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `cargo hotbreak ARGS` with `script` on stdin.
fn hotbreak(args: &[&str], script: &str, state: &str) -> (String, String, bool) {
    let state_dir = workspace().join("target/hotbreak/test-state").join(state);
    let _ = std::fs::remove_dir_all(&state_dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .args(args)
        .current_dir(workspace())
        .env("HOTBREAK_STATE", &state_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned(), out.status.success())
}

fn assert_in_order(text: &str, needles: &[&str]) {
    let mut rest = text;
    for n in needles {
        match rest.find(n) {
            Some(at) => rest = &rest[at + n.len()..],
            None => panic!("missing (in order) {n:?} in:\n{text}"),
        }
    }
}

#[test]
fn a_library_method_of_an_unmodified_lib_bin_package_stops_steps_and_lets_go() {
    let before = snapshot();
    let at = line_of(LEDGER, "let before = self.balance;");
    let script = format!("break ledger.rs:{at}\ncontinue\nlocals\nnext\nprint before\ndelete 1\ncontinue\n");
    let (out, err, ok) = hotbreak(&["run", "-p", "plain", "--batch", "--", "5"], &script, "zero-annotation");
    assert!(ok, "{out}\n{err}");
    assert_in_order(
        &out,
        &[
            &format!("breakpoint 1 at {LEDGER}:{at} in `post`: armed in "),
            &format!("stopped (breakpoint 1) at {LEDGER}:{at} in `post`"),
            "entry: plain::ledger::entry::Entry = Entry { amount: 100, credit: true }\ndelta: i64 = 100",
            &format!("stopped (step) at {LEDGER}:{} in `post`", at + 1),
            "before: i64 = 0",
            "breakpoint 1 deleted",
            "program exited with status 0",
        ],
    );
    let plain = plain_build();
    assert_eq!(program_lines(&out), program_lines(&run_plain(&plain, &["5"])));
    assert!(snapshot() == before, "hotbreak changed a file of the package or the lock file");
    // A plain build afterwards holds no trace of hotbreak.
    let symbols = hotbreak_hotreload::HostSymbols::read(&plain).unwrap();
    assert_eq!(symbols.lookup(hotbreak::protocol::ANCHOR_SYMBOL), hotbreak_hotreload::host::Lookup::Missing);
}

#[test]
fn each_file_is_patched_with_its_own_crate_in_subfolders_path_modules_and_the_bin() {
    let files = [
        ("examples/plain/src/main.rs", "Entry::try_from(words.as_slice())", "words {words:?}"),
        ("examples/plain/src/lib.rs", "sum = sum.wrapping_mul(31)", "fold {i}"),
        ("examples/plain/src/generated/tables.rs", "WEIGHTS[i % WEIGHTS.len()]", "weight {i}"),
        ("examples/plain/src/ledger/entry.rs", "if self.credit", "signed entry"),
        ("examples/plain/src/util.rs", "let n = CLOSED.fetch_add(1, Ordering::Relaxed) + 1;", "closing {name}"),
    ];
    let mut script = String::new();
    for (file, needle, text) in &files {
        script.push_str(&format!("break {file}:{} log \"{text}\"\n", line_of(file, needle)));
    }
    script.push_str("continue\n");
    let (out, err, ok) = hotbreak(&["run", "-p", "plain", "--batch", "--", "2"], &script, "zero-annotation-crates");
    assert!(ok, "{out}\n{err}");
    for (id, (file, needle, _)) in files.iter().enumerate() {
        assert_in_order(&out, &[&format!("breakpoint {} at {file}:{}", id + 1, line_of(file, needle))]);
    }
    assert!(!out.contains("error"), "{out}");
    // Each fired: the log lines carry the program's values.
    for logged in ["words [\"credit\", \"0\"]", "fold 0", "weight 0", "signed entry", "closing cash"] {
        assert!(out.contains(logged), "no log line {logged:?} in:\n{out}");
    }
    assert_eq!(program_lines(&out), program_lines(&run_plain(&plain_build(), &["2"])));
}

#[test]
fn narrowing_to_no_crate_leaves_a_program_without_the_runtime_refused_at_once() {
    let (out, err, ok) = hotbreak(&["run", "-p", "plain", "--batch", "--debug-crates", "some_other_crate"], "continue\n", "zero-annotation-none");
    assert!(!ok, "{out}\n{err}");
    assert!(err.contains("holds no hotbreak runtime"), "{err}");
}
