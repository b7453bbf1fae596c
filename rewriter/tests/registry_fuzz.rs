//! The rewriter never panics: every `.rs` file of crates from the registry
//! (the ones this workspace depends on, so they are on disk after a build),
//! a breakpoint on every line, each either instrumented or refused with a
//! clean error.

use hotbreak_rewriter::{instrument_parsed, Breakpoint, InstrumentError, Request};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Crates of our dependency tree to read, by directory-name prefix.
const CRATES: &[&str] = &["syn-2.", "serde_core-", "serde_json-", "proc-macro2-", "quote-", "linkme-", "libloading-", "rustc-demangle-", "anyhow-"];

fn registry_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let mut out = Vec::new();
    for index in std::fs::read_dir(home.join("registry/src")).into_iter().flatten().flatten() {
        for krate in std::fs::read_dir(index.path()).into_iter().flatten().flatten() {
            let name = krate.file_name().to_string_lossy().into_owned();
            if CRATES.iter().any(|c| name.starts_with(c)) {
                out.push(krate.path());
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn any_line_of_real_crates_is_instrumented_or_cleanly_refused() {
    let dirs = registry_dirs();
    assert!(dirs.len() >= 5, "registry crates not found: {dirs:?}");
    let mut files = Vec::new();
    for d in &dirs {
        rust_files(d, &mut files);
    }
    let (mut lines, mut instrumented, mut refused, mut unparsable) = (0, 0, 0, 0);
    let mut panics = Vec::new();
    for path in &files {
        let Ok(source) = std::fs::read_to_string(path) else { continue };
        if source.len() > 1 << 20 {
            continue;
        }
        // Files that are not Rust on their own (templates, fragments).
        let Ok(file) = syn::parse_file(&source) else {
            unparsable += 1;
            continue;
        };
        for line in 1..=source.lines().count() as u32 {
            lines += 1;
            let bp = [Breakpoint { id: 1, line, condition: Some("true".into()), log: None, hits: None }];
            let req = Request { source: &source, key: "k", file: "f.rs", function_line: line, breakpoints: &bp, getter: "g", pruned: &BTreeSet::new(), watches: &[], any_function: true, eval: None };
            match std::panic::catch_unwind(|| instrument_parsed(&file, &req)) {
                Ok(Ok(out)) => {
                    assert_eq!(out.text.lines().count(), source.lines().count(), "{}:{line}: lines moved", path.display());
                    // The patched text is still Rust (checked on a sample: parsing is the slow part).
                    if instrumented % 97 == 0 {
                        if let Err(e) = syn::parse_file(&out.text) {
                            panics.push(format!("{}:{line}: patched text does not parse: {e}", path.display()));
                        }
                    }
                    instrumented += 1;
                }
                Ok(Err(e)) => {
                    assert!(!e.to_string().is_empty());
                    if let InstrumentError::NoStatement { nearest: Some(n), .. } = e {
                        assert_ne!(n, line);
                    }
                    refused += 1;
                }
                Err(_) => panics.push(format!("{}:{line}", path.display())),
            }
        }
    }
    eprintln!("{} files, {lines} lines: {instrumented} instrumented, {refused} refused, {unparsable} files not standalone Rust", files.len());
    assert!(panics.is_empty(), "the rewriter panicked at:\n{}", panics.join("\n"));
    assert!(instrumented > 10_000 && refused > 0 && lines > 50_000, "too little was read");
}
