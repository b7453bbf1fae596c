//! A crate's module tree as rustc finds it: which files hold its code, under
//! the names rustc gives them (`file!()`, the registry's file), and, in a
//! zero-annotation build, each file's text with the attribute applied.

use hotbreak_rewriter::{annotate, ModDecl};
use std::path::{Path, PathBuf};

/// One file of the crate.
#[derive(Debug, Clone)]
pub struct ModuleFile {
    /// As rustc names it: the root as given, joined with module paths
    /// (not normalised: `src/../x.rs` stays so, like `file!()`).
    pub path: PathBuf,
    /// The annotated text, when the file parsed and has items to mark.
    pub annotated: Option<String>,
}

/// The files of the crate rooted at `root`, annotated with `attribute` (relative to `cwd`, as rustc
/// was given it), following `mod name;` and `#[path]` from each file.
/// Modules behind `#[cfg]` are followed too when their file exists; files
/// that do not parse, or that macros declare, are left as they are.
pub fn module_tree(cwd: &Path, root: &Path, attribute: &str) -> Vec<ModuleFile> {
    let mut files = Vec::new();
    let mut pending = vec![(root.to_path_buf(), true)];
    while let Some((path, mod_rs)) = pending.pop() {
        if files.iter().any(|f: &ModuleFile| f.path == path) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(cwd.join(&path)) else { continue };
        let annotated = annotate(&text, attribute).ok();
        if let Some(a) = &annotated {
            for decl in a.modules.iter().rev() {
                if let Some(child) = child_file(cwd, &path, mod_rs, decl) {
                    pending.push(child);
                }
            }
        }
        let annotated = annotated.filter(|a| a.items > 0).map(|a| a.text);
        files.push(ModuleFile { path, annotated });
    }
    files
}

/// Where rustc looks for `decl`'s file, declared in `parent` (a mod-rs file
/// — a crate root, `mod.rs` or one loaded by `#[path]` — owns its
/// directory; another file `a.rs` owns `a/`). Returns the file and whether
/// it is mod-rs in turn.
fn child_file(cwd: &Path, parent: &Path, parent_mod_rs: bool, decl: &ModDecl) -> Option<(PathBuf, bool)> {
    let dir = parent.parent().map(Path::to_path_buf).unwrap_or_default();
    let owned = || {
        let mut d = dir.clone();
        if !parent_mod_rs {
            d.push(parent.file_stem().unwrap_or_default());
        }
        d.extend(&decl.inline_parents);
        d
    };
    match &decl.path {
        // Outside inline modules a path is relative to the file's directory.
        Some(p) if decl.inline_parents.is_empty() => Some((dir.join(p), true)),
        Some(p) => Some((owned().join(p), true)),
        None => {
            let d = owned();
            [(d.join(format!("{}.rs", decl.name)), false), (d.join(&decl.name).join("mod.rs"), true)]
                .into_iter()
                .find(|(p, _)| cwd.join(p).is_file())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn follows_mod_files_mod_rs_path_attributes_and_inline_modules() {
        let dir = std::env::temp_dir().join(format!("hotbreak-modules-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(&dir, "pkg/src/lib.rs", "mod a;\nmod b;\n#[path = \"gen/x.rs\"]\nmod x;\nmod io {\n    mod unix;\n}\n#[cfg(windows)]\nmod absent;\n");
        write(&dir, "pkg/src/a.rs", "mod deep;\nfn f() {}\n");
        write(&dir, "pkg/src/a/deep.rs", "pub fn g() {}\n");
        write(&dir, "pkg/src/b/mod.rs", "mod c;\n");
        write(&dir, "pkg/src/b/c.rs", "struct S;\n");
        write(&dir, "pkg/src/gen/x.rs", "mod y;\n");
        write(&dir, "pkg/src/gen/y.rs", "fn broken( {\n");
        write(&dir, "pkg/src/io/unix.rs", "fn u() {}\n");
        let files = module_tree(&dir, Path::new("pkg/src/lib.rs"), hotbreak_rewriter::ATTRIBUTE);
        let names: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        assert_eq!(
            names,
            [
                "pkg/src/lib.rs",
                "pkg/src/a.rs",
                "pkg/src/a/deep.rs",
                "pkg/src/b/mod.rs",
                "pkg/src/b/c.rs",
                "pkg/src/gen/x.rs",
                "pkg/src/gen/y.rs",
                "pkg/src/io/unix.rs"
            ]
        );
        let annotated: Vec<bool> = files.iter().map(|f| f.annotated.is_some()).collect();
        assert_eq!(annotated, [false, true, true, false, false, false, false, true]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
