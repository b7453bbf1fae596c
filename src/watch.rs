//! Watching the workspace's Rust sources: saves arrive debounced, named as
//! rustc names them (relative to the workspace).

use anyhow::{Context, Result};
use hotbreak_hotreload::shadow::is_build_output_or_hidden;
use notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, Debouncer};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Editors write a file in several steps (truncate, write, rename): one
/// save is the changes within this long.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Watches while alive.
pub struct SourceWatcher {
    _debouncer: Debouncer<RecommendedWatcher>,
}

/// Calls `on_change` with the `.rs` files of `workspace` saved together.
/// Build output (`target`) and hidden directories are not watched.
pub fn watch(workspace: &Path, mut on_change: impl FnMut(Vec<String>) + Send + 'static) -> Result<SourceWatcher> {
    let root = workspace.canonicalize().with_context(|| format!("cannot watch {}", workspace.display()))?;
    let base = root.clone();
    let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| {
        let Ok(events) = result else { return };
        let mut files: Vec<String> = events.iter().filter_map(|e| relative_source(&base, &e.path)).collect();
        files.sort();
        files.dedup();
        if !files.is_empty() {
            on_change(files);
        }
    })?;
    let watcher = debouncer.watcher();
    watcher.watch(&root, RecursiveMode::NonRecursive)?;
    for entry in std::fs::read_dir(&root)?.flatten() {
        let path = entry.path();
        if path.is_dir() && !ignored(&path) {
            watcher.watch(&path, RecursiveMode::Recursive)?;
        }
    }
    Ok(SourceWatcher { _debouncer: debouncer })
}

fn ignored(dir: &Path) -> bool {
    dir.file_name().is_none_or(is_build_output_or_hidden)
}

/// `path` relative to `root` if it is a Rust file outside build output.
fn relative_source(root: &Path, path: &Path) -> Option<String> {
    if path.extension().is_none_or(|e| e != "rs") || !path.is_file() {
        return None;
    }
    let path: PathBuf = path.canonicalize().ok()?;
    let relative = path.strip_prefix(root).ok()?;
    if relative.components().any(|c| is_build_output_or_hidden(c.as_os_str())) {
        return None;
    }
    relative.to_str().map(str::to_owned)
}

/// Every `.rs` file of the workspace outside build output, sorted: what the
/// file picker offers.
pub fn source_files(workspace: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !ignored(&path) {
                    walk(root, &path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                if let Ok(rel) = path.strip_prefix(root) {
                    out.push(rel.display().to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(workspace, workspace, &mut out);
    out.sort();
    out
}
