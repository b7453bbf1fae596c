//! A package that knows nothing of hotbreak (no dependency, no attribute;
//! a lib and a bin of one name, edition 2024, `mod` files in a subfolder,
//! `#[path]`, `include!`, a build script, macro-made functions), debugged
//! as it is with `cargo hotbreak run`. Its files stay byte for byte.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{assert_in_order, fresh_state, hotbreak, line_of, workspace};

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

/// `cargo hotbreak ARGS` with `script` on stdin, from a fresh state dir.
fn session(args: &[&str], script: &str, state: &str) -> (String, String, bool) {
    let run = hotbreak(args, script, &fresh_state(state));
    (run.stdout, run.stderr, run.success)
}

#[test]
fn a_library_method_of_an_unmodified_lib_bin_package_stops_steps_and_lets_go() {
    let before = snapshot();
    let at = line_of(LEDGER, "let before = self.balance;");
    let script = format!("break ledger.rs:{at}\ncontinue\nlocals\nnext\nprint before\ndelete 1\ncontinue\n");
    let (out, err, ok) = session(&["run", "-p", "plain", "--batch", "--", "5"], &script, "zero-annotation");
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
        // A trait impl with elided lifetimes in its header.
        ("examples/plain/src/ledger/entry.rs", "let amount = amount.parse()", "amount {amount}"),
        // An elided borrow of `self` beside another reference.
        ("examples/plain/src/ledger.rs", "        kept", "kept {kept:?}"),
    ];
    let mut script = String::new();
    for (file, needle, text) in &files {
        script.push_str(&format!("break {file}:{} log \"{text}\"\n", line_of(file, needle)));
    }
    script.push_str("continue\n");
    let (out, err, ok) = session(&["run", "-p", "plain", "--batch", "--", "2"], &script, "zero-annotation-crates");
    assert!(ok, "{out}\n{err}");
    for (id, (file, needle, _)) in files.iter().enumerate() {
        assert_in_order(&out, &[&format!("breakpoint {} at {file}:{}", id + 1, line_of(file, needle))]);
    }
    assert!(!out.contains("error"), "{out}");
    // Each fired: the log lines carry the program's values.
    for logged in ["words [\"credit\", \"0\"]", "fold 0", "weight 0", "signed entry", "closing cash", "amount 0", "kept [Entry { amount: 100, credit: true }]"] {
        // (Seen once under load with none of them: the tool's stderr says more.)
        assert!(out.contains(logged), "no log line {logged:?} in:\n{out}\n-- stderr:\n{err}");
    }
    assert_eq!(program_lines(&out), program_lines(&run_plain(&plain_build(), &["2"])));
}

#[test]
fn narrowing_to_no_crate_leaves_a_program_without_the_runtime_refused_at_once() {
    // Its own target dir: a narrowed build left in the shared one poisons
    // the next full session there (its log points never fire; a tool bug,
    // see the session 12 note), which the other tests here would meet.
    let run = Command::new(env!("CARGO_BIN_EXE_cargo-hotbreak"))
        .args(["run", "-p", "plain", "--batch", "--debug-crates", "some_other_crate"])
        .current_dir(workspace())
        .env("CARGO_TARGET_DIR", workspace().join("target/hotbreak/test-narrowed"))
        .env("HOTBREAK_STATE", workspace().join("target/hotbreak/test-state").join(fresh_state("zero-annotation-none")))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let (out, err, ok) = (String::from_utf8_lossy(&run.stdout).into_owned(), String::from_utf8_lossy(&run.stderr).into_owned(), run.status.success());
    assert!(!ok, "{out}\n{err}");
    assert!(err.contains("holds no hotbreak runtime"), "{err}");
}

#[test]
fn tests_of_the_package_stop_in_the_library_and_in_the_lib_test_harness() {
    // The integration test links the library: `ledger.rs` is the lib's.
    let at = line_of(LEDGER, "let delta = entry.signed();");
    let script = format!("break ledger.rs:{at}\ncontinue\nlocals\ncontinue\ncontinue\n");
    let (out, err, ok) = session(&["test", "-p", "plain", "--test", "posting", "--batch"], &script, "zero-annotation-test");
    assert!(ok, "{out}\n{err}");
    assert_in_order(
        &out,
        &[
            &format!("stopped (breakpoint 1) at {LEDGER}:{at} in `post`, thread "),
            "entry: plain::ledger::entry::Entry = Entry { amount: 10, credit: true }",
            &format!("stopped (breakpoint 1) at {LEDGER}:{at} in `post`"),
            "test debits_lower_the_balance ... ok",
        ],
    );
    // The lib's own test harness compiles `lib.rs` again, with its tests.
    let lib = "examples/plain/src/lib.rs";
    let at = line_of(lib, "let backward = checksum(&[3, 2, 1]);");
    let script = format!("break {lib}:{at}\ncontinue\nlocals\ncontinue\n");
    let (out, err, ok) = session(&["test", "-p", "plain", "--lib", "--batch"], &script, "zero-annotation-lib-test");
    assert!(ok, "{out}\n{err}");
    assert_in_order(
        &out,
        &[
            &format!("stopped (breakpoint 1) at {lib}:{at} in `checksum_depends_on_order`"),
            "forward: u64 = ",
            "test tests::checksum_depends_on_order ... ok",
        ],
    );
}

/// A fn nested in another's body (`util::fold`'s `halves`) gets its own
/// attribute from the wrapper: a breakpoint there stops with its locals,
/// and the program's output is the plain build's.
#[test]
fn a_fn_nested_in_a_body_stops_with_its_locals() {
    let util = "examples/plain/src/util.rs";
    let at = line_of(util, "(high, x & 0xffff_ffff)");
    let script = format!("break util.rs:{at}\ncontinue\nlocals\ndelete 1\ncontinue\n");
    let (out, err, ok) = session(&["run", "-p", "plain", "--batch", "--", "5"], &script, "nested-fn");
    assert!(ok, "{out}\n{err}");
    assert_in_order(
        &out,
        &[
            &format!("breakpoint 1 at {util}:{at} in `halves`: armed in "),
            &format!("stopped (breakpoint 1) at {util}:{at} in `halves`"),
            "x: u64 = ",
            "high: u64 = ",
            "program exited with status 0",
        ],
    );
    assert_eq!(program_lines(&out), program_lines(&run_plain(&plain_build(), &["5"])));
}
