//! Real code nobody here wrote: crates fetched from crates.io at pinned
//! versions, built unmodified under hotbreak, must compile, print what
//! their plain build prints, and take a log point on every statement line
//! of a seeded sample of their functions; those on lines that run (gdb on
//! the plain build decides which do) must fire, and the output must not
//! change. Each test prints its crate's rates; any miss fails it, named by
//! file:line with hotbreak's message.
//!
//! Needs crates.io (through cargo) and gdb with Python.

mod harness;

use harness::{check, fetched, session_on, Crate, Target};

/// Small dependency trees, each a different kind of code.
static CRATES: &[Crate] = &[
    // A lib+bin application (src/lib.rs and src/main.rs, one crate name)
    // and a parser: Markdown to HTML, its README as input, every extension on.
    Crate {
        name: "pulldown-cmark",
        version: "0.13.6",
        target: Target::Bin("pulldown-cmark"),
        args: &["-T", "-F", "-S", "-L", "-P", "-H", "-M", "-G", "-D", "-m"],
        stdin: Some("README.md"),
        functions: 12,
        max_statements: 100,
    },
    // Edition 2024, a lexer/parser (TOML), its unit tests.
    Crate {
        name: "toml_parser",
        version: "1.1.5",
        target: Target::LibTests,
        args: &["--test-threads=1"],
        stdin: None,
        functions: 12,
        max_statements: 100,
    },
    // A parser (XML): its test that parses every file of tests/files.
    Crate {
        name: "roxmltree",
        version: "0.21.2",
        target: Target::Tests("ast"),
        args: &["--test-threads=1"],
        stdin: None,
        functions: 12,
        max_statements: 100,
    },
    // Heavy in trait impls and macros (From/PartialEq/Index impls written
    // by macro_rules, `object!`/`array!`): its value tests.
    Crate {
        name: "json",
        version: "0.12.4",
        target: Target::Tests("value"),
        args: &["--test-threads=1"],
        stdin: None,
        functions: 12,
        max_statements: 100,
    },
    // Trait impls and macros (edition 2015): MIME types, its unit tests.
    Crate {
        name: "mime",
        version: "0.3.18",
        target: Target::LibTests,
        args: &["--test-threads=1"],
        stdin: None,
        functions: 12,
        max_statements: 100,
    },
    // A table-driven state machine (ANSI escape parser) through one of its
    // examples, fed a recorded terminal session.
    Crate {
        name: "vte",
        version: "0.15.0",
        target: Target::Example("parselog"),
        args: &[],
        stdin: Some("tests/demo.vte"),
        functions: 12,
        max_statements: 100,
    },
];

#[test]
fn pulldown_cmark_lib_and_bin() {
    check(CRATES, "pulldown-cmark");
}

#[test]
fn toml_parser_edition_2024() {
    check(CRATES, "toml_parser");
}

#[test]
fn roxmltree_parser() {
    check(CRATES, "roxmltree");
}

#[test]
fn json_trait_impls_and_macros() {
    check(CRATES, "json");
}

#[test]
fn mime_trait_impls() {
    check(CRATES, "mime");
}

#[test]
fn vte_state_machine() {
    check(CRATES, "vte");
}

/// Stopped in a method of a struct without `Debug` (pulldown-cmark's
/// `FirstPass`, reading its README): its fields, a method of a field and a
/// method of `self` evaluate to what the input says.
#[test]
fn pulldown_cmark_evaluates_at_a_stop_in_a_struct_without_debug() {
    const FILE: &str = "src/firstpass.rs";
    let probe = [
        "self.text.len()",
        "&self.text[..16]",
        "self.parse_refdef_label(ix).is_some()",
        "self.last_line_blank",
        "self.text.lines().filter(|l| l.starts_with('#')).count()",
    ];
    let package = fetched(CRATES, "pulldown-cmark");
    let source = std::fs::read_to_string(package.join(FILE)).unwrap();
    let line = source.lines().position(|l| l.trim() == "ix = self.parse_block(ix);").expect("the loop of FirstPass::run") + 1;
    let mut script = format!("break {FILE}:{line}\ncontinue\nlocals\n");
    for expr in probe {
        script.push_str(&format!("print {expr}\n"));
    }
    script.push_str("quit\n");
    let run = session_on(CRATES, "pulldown-cmark", &script);
    let readme = std::fs::read_to_string(package.join("README.md")).unwrap();
    let headings = readme.lines().filter(|l| l.starts_with('#')).count();
    let values: Vec<(&str, &str)> = run.values.iter().map(|(e, _, v)| (e.as_str(), v.as_str())).collect();
    let expected = [
        (probe[0], readme.len().to_string()),
        (probe[1], format!("{:?}", &readme[..16])),
        (probe[2], "false".to_string()),
        (probe[3], "false".to_string()),
        (probe[4], headings.to_string()),
    ];
    let expected: Vec<(&str, &str)> = expected.iter().map(|(e, v)| (*e, v.as_str())).collect();
    assert_eq!(values, expected, "{:?}\n{}", run.answers, run.tool_stderr);
    // `FirstPass` has no Debug: `self` shows its fields from debug info.
    let self_value = run.locals.first().and_then(|vars| vars.iter().find(|(n, _)| n == "self")).map(|(_, v)| v.clone()).unwrap_or_default();
    let text = format!("{:?}", &readme[..40]);
    assert!(self_value.starts_with(&format!("FirstPass {{ text: {}", &text[..text.len() - 1])), "self = {self_value}");
}

/// The stack of a crate nobody here wrote: stopped in `scan_containers`
/// on its third call from `FirstPass::parse_block` (the only caller that
/// passes `update_flags`), `up` is `parse_block`, which runs its native
/// code; its locals come from DWARF and agree with what the callee sees:
/// the `line_start` it passed holds `self.text[start_ix..]`.
#[test]
fn pulldown_cmark_shows_a_native_callers_locals() {
    const FILE: &str = "src/parse.rs";
    let package = fetched(CRATES, "pulldown-cmark");
    let source = std::fs::read_to_string(package.join(FILE)).unwrap();
    let body = source.find("pub(crate) fn scan_containers(").expect("scan_containers");
    let line = source[..body].lines().count() + source[body..].lines().position(|l| l.trim() == "let mut i = 0;").unwrap() + 1;
    let script = format!("break {FILE}:{line} if update_flags hits 3\ncontinue\nprint line_start.bytes[0]\nprint line_start.bytes[1]\nup\nlocals\nprint start_ix\nprint self.text\nquit\n");
    let run = session_on(CRATES, "pulldown-cmark", &script);
    let readme = std::fs::read_to_string(package.join("README.md")).unwrap();
    let context = format!("{:?}\n{:?}\n{}", run.values, run.locals, run.tool_stderr);
    let [b0, b1, start_ix, text] = &run.values[..] else { panic!("four values expected: {context}") };
    let start: usize = start_ix.2.parse().expect(&context);
    assert!(start > 0, "{context}");
    let seen = [&b0.2, &b1.2].map(|b| b.parse::<u8>().expect(&context));
    assert_eq!(seen, readme.as_bytes()[start..start + 2], "the caller's `start_ix` and the callee's `line_start` disagree: {context}");
    let quoted = format!("{:?}", &readme[..60]);
    assert!(text.2.starts_with(&quoted[..quoted.len() - 1]), "{context}");
    let frame = run.locals.first().unwrap_or_else(|| panic!("no locals: {context}"));
    assert!(frame.iter().any(|(n, v)| n == "start_ix" && *v == start.to_string()), "{context}");
    let self_value = frame.iter().find(|(n, _)| n == "self").map(|(_, v)| v.as_str()).unwrap_or_default();
    assert!(self_value.contains("text: "), "self = {self_value}: {context}");
}
