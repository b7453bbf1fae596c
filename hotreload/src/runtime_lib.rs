//! The runtime that zero-annotation builds link: the `hotbreak` crate built
//! on its own, in a package generated under the hotbreak dir, so that the
//! user's manifest and lock file stay as they are.

use anyhow::{bail, Context, Result};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A built runtime: what the wrapper passes to rustc as `--extern hotbreak`
/// and `-L dependency`.
#[derive(Debug, Clone)]
pub struct RuntimeLib {
    pub rlib: PathBuf,
    pub deps: PathBuf,
}

/// The runtime's sources: `HOTBREAK_RUNTIME_SRC`, else those this binary was
/// built from (`cargo install --path .` leaves them in place).
pub fn runtime_source() -> PathBuf {
    std::env::var_os("HOTBREAK_RUNTIME_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime"))
}

/// The versions the runtime is tested with.
const LOCK: &str = include_str!("../../Cargo.lock");

/// Builds the runtime into `dir` (cargo keeps it fresh: a no-op after the
/// first time), optimized or not like the program.
pub fn build_runtime(dir: &Path, release: bool) -> Result<RuntimeLib> {
    let source = runtime_source();
    if !source.join("Cargo.toml").is_file() {
        bail!(
            "the hotbreak runtime's sources are not at {} (set HOTBREAK_RUNTIME_SRC to the `runtime` folder of hotbreak)",
            source.display()
        );
    }
    std::fs::create_dir_all(dir)?;
    let manifest = format!(
        "[package]\nname = \"hotbreak-runtime-build\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [lib]\npath = \"lib.rs\"\n\n[dependencies]\nhotbreak = {{ path = {:?} }}\n\n[workspace]\n\n\
         # The attribute expands in every crate of the program: build it fast.\n\
         [profile.dev.build-override]\nopt-level = 3\n",
        std::path::absolute(&source)?.display().to_string()
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    write_if_changed(&dir.join("lib.rs"), "")?;
    if !dir.join("Cargo.lock").exists() {
        std::fs::write(dir.join("Cargo.lock"), LOCK)?;
    }
    let mut command = crate::host::cargo();
    command.args(["build", "--message-format=json-render-diagnostics", "--manifest-path"]).arg(dir.join("Cargo.toml"));
    command.arg("--target-dir").arg(dir.join("target"));
    if release {
        command.arg("--release");
    }
    let mut child = command.stdout(Stdio::piped()).spawn().context("cannot run cargo to build the hotbreak runtime")?;
    let mut rlib = None;
    for line in std::io::BufReader::new(child.stdout.take().expect("piped")).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line?) else { continue };
        if msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "hotbreak" {
            let files = msg["filenames"].as_array().into_iter().flatten().filter_map(|f| f.as_str());
            rlib = files.filter(|f| f.ends_with(".rlib")).map(PathBuf::from).next().or(rlib);
        }
    }
    if !child.wait()?.success() {
        bail!("building the hotbreak runtime failed (in {})", dir.display());
    }
    let rlib = rlib.context("building the hotbreak runtime made no rlib")?;
    let deps = rlib.parent().context("odd rlib path")?.to_path_buf();
    Ok(RuntimeLib { rlib, deps })
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text)?;
    }
    Ok(())
}
