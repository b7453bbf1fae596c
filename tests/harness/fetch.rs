//! Real crates, fetched through cargo from crates.io at pinned versions and
//! copied, unmodified, to a scratch dir outside the repository (inside it,
//! cargo would take a copy for a member of the repository's workspace).

use super::{cargo, Crate};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the harness keeps its copies, builds and sessions: under the temp
/// dir, one per checkout of this repository (two checkouts' test runs
/// must not share it).
pub fn scratch() -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_MANIFEST_DIR").hash(&mut h);
    std::env::temp_dir().join(format!("hotbreak-real-crates-{:016x}", h.finish()))
}

/// Fetches every crate (one `cargo metadata` of a throwaway project that
/// depends on them all) and returns each one's copy, made once.
pub fn fetch_all(crates: &[Crate]) -> Result<BTreeMap<&'static str, PathBuf>, String> {
    let project = scratch().join("fetch");
    std::fs::create_dir_all(project.join("src")).map_err(|e| e.to_string())?;
    let mut manifest =
        String::from("[package]\nname = \"hotbreak-real-crates-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\n");
    for c in crates {
        manifest.push_str(&format!("{} = \"={}\"\n", c.name, c.version));
    }
    write_if_changed(&project.join("Cargo.toml"), &manifest)?;
    write_if_changed(&project.join("src/lib.rs"), "")?;
    let meta = cargo(&project, &["metadata", "--format-version", "1"])?;
    let meta: serde_json::Value = serde_json::from_str(&meta).map_err(|e| e.to_string())?;
    let mut copies = BTreeMap::new();
    for c in crates {
        let package = meta["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == c.name && p["version"].as_str().is_some_and(|v| v.split('+').next() == Some(c.version)))
            .ok_or_else(|| format!("cargo did not fetch {} {}", c.name, c.version))?;
        let source = Path::new(package["manifest_path"].as_str().unwrap()).parent().unwrap().to_path_buf();
        let copy = scratch().join("crates").join(source.file_name().unwrap());
        copy_once(&source, &copy)?;
        copies.insert(c.name, copy);
    }
    Ok(copies)
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Copies `from` to `to` unless a finished copy is there (a marker beside
/// it, written last): later runs build incrementally.
fn copy_once(from: &Path, to: &Path) -> Result<(), String> {
    let done = to.with_extension("copied");
    if done.exists() {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(to);
    copy_dir(from, to).map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))?;
    std::fs::write(&done, "").map_err(|e| e.to_string())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Every file of a copy and its bytes: what the session must leave as is.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}
