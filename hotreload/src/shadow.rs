//! A mirror of a package's sources, under the hotbreak target dir, in which
//! some files are replaced by their patched text. Unchanged files are
//! symlinks, so rustc resolves `mod x;` exactly as in the real tree, and
//! relative paths (`file!()`, panics) come out the same.

use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub struct ShadowTree {
    /// Mirrors `origin` (the directory rustc ran in).
    pub root: PathBuf,
    origin: PathBuf,
    /// Files currently holding patched text, relative to the root.
    replaced: BTreeSet<PathBuf>,
}

impl ShadowTree {
    /// Mirrors `package_dir` (inside `origin`) under `root`.
    pub fn create(root: &Path, origin: &Path, package_dir: &Path) -> Result<ShadowTree> {
        let rel = package_dir.strip_prefix(origin).with_context(|| {
            format!("package {} is outside the build directory {}", package_dir.display(), origin.display())
        })?;
        if root.exists() {
            std::fs::remove_dir_all(root)?;
        }
        mirror(&origin.join(rel), &root.join(rel), &std::path::absolute(root)?)?;
        Ok(ShadowTree { root: root.to_path_buf(), origin: origin.to_path_buf(), replaced: BTreeSet::new() })
    }

    /// Puts exactly `files` (relative path, text) in place of their originals;
    /// files patched before and not now go back to the original.
    pub fn set_files(&mut self, files: &[(PathBuf, String)]) -> Result<()> {
        let now: BTreeSet<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
        for old in self.replaced.difference(&now) {
            let shadow = self.root.join(old);
            std::fs::remove_file(&shadow)?;
            std::os::unix::fs::symlink(self.origin.join(old), &shadow)?;
        }
        for (rel, text) in files {
            let shadow = self.root.join(rel);
            if let Some(dir) = shadow.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let _ = std::fs::remove_file(&shadow);
            std::fs::write(&shadow, text).with_context(|| format!("cannot write {}", shadow.display()))?;
        }
        self.replaced = now;
        Ok(())
    }
}

/// Directories that hold no sources of the package: cargo's build output
/// and hidden ones (`.git`). Also what the tool's source watcher skips.
pub fn is_build_output_or_hidden(name: &std::ffi::OsStr) -> bool {
    name == "target" || name.to_string_lossy().starts_with('.')
}

/// Links every file of `from` under `to`, leaving out build output, hidden
/// directories and the directory holding `shadow_root` (the state dir may
/// live inside the package: mirroring it would recurse forever).
fn mirror(from: &Path, to: &Path, shadow_root: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let (src, dst) = (entry.path(), to.join(&name));
        let skip = is_build_output_or_hidden(&name) || shadow_root.starts_with(&src);
        if skip {
            continue;
        }
        if entry.file_type()?.is_dir() {
            mirror(&src, &dst, shadow_root)?;
        } else {
            std::os::unix::fs::symlink(&src, &dst)?;
        }
    }
    Ok(())
}
