//! Instances of a patched generic function that only a downstream crate
//! makes (issue 18 step 5).
//!
//! The patch build compiles the defining crate, so it makes only the
//! instances that crate names itself. An instance the executable's own
//! crate makes (a bin, an example or a test crate instantiating
//! `lib::f::<TheirType>`) is compiled again: the downstream crate's
//! recorded rustc command runs once more with `--extern lib=<the patched
//! crate's metadata>` (the patch build also emits `lib<name>.rmeta`, which
//! carries the patched generic body's MIR) and `--emit=obj`. Its crate name
//! and `-C metadata` are the host build's, and so are the patched crate's,
//! so an instance it makes has exactly the symbol the program links
//! (`_RINv<lib>1fNt<bin>5ThingE<bin>`), and `plan_link` roots it beside the
//! patch's own: the instance table then points the program's instance at
//! it. Everything else in those objects is the program's and is resolved to
//! it by name, as for the patch itself; the nested statics of the patched
//! body (`__HB_FN`, hit counters) come from the patch's own objects, which
//! are linked into the same library.

use crate::patch::patch_args;
use crate::record::{codegen_value, Invocation};
use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The executable's own crate, when it links the crate being patched.
#[derive(Debug, Clone)]
pub struct Downstream {
    inv: Invocation,
    /// The index in `inv.args` of the `--extern name=path` value naming the
    /// patched crate's rlib (or rmeta).
    extern_at: usize,
    /// Its objects, incremental state and diagnostics live here.
    work: PathBuf,
}

/// Objects of the downstream crate compiled against one patch.
#[derive(Debug, Clone)]
pub struct DownstreamObjects {
    pub objdir: PathBuf,
    pub crate_name: String,
    pub rustc_time: Duration,
}

impl Downstream {
    /// `own` (the executable's crate) when it is another crate than `lib`
    /// and names `lib`'s output in an `--extern`; `work` is a directory of
    /// its own.
    pub fn of(own: &Invocation, lib: &Invocation, work: &Path) -> Option<Downstream> {
        if own.root_path() == lib.root_path() && own.is_test == lib.is_test {
            return None;
        }
        let extra = codegen_value(&lib.args, "extra-filename").unwrap_or("");
        let stem = format!("lib{}{extra}", lib.crate_name);
        let extern_at = own.args.iter().enumerate().find_map(|(i, a)| {
            let value = if own.args.get(i.wrapping_sub(1)).is_some_and(|p| p == "--extern") { a.as_str() } else { a.strip_prefix("--extern=")? };
            let (_, path) = value.split_once('=')?;
            let file = Path::new(path).file_stem()?.to_str()?;
            (file == stem).then_some(i)
        })?;
        Some(Downstream { inv: own.clone(), extern_at, work: work.to_path_buf() })
    }

    pub fn crate_name(&self) -> &str {
        &self.inv.crate_name
    }

    /// Compiles the downstream crate, as the host build did, against the
    /// patched crate's metadata `rmeta`. A crate that does not compile is
    /// an error naming rustc's first errors.
    pub fn compile(&self, rmeta: &Path, id: u64) -> Result<DownstreamObjects> {
        let objdir = self.work.join(format!("obj-{id}"));
        // Only the latest patch's objects are kept.
        if let Ok(entries) = std::fs::read_dir(&self.work) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("obj-") {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        std::fs::create_dir_all(&objdir)?;
        let mut recorded = self.inv.args.clone();
        let value = &mut recorded[self.extern_at];
        let (prefix, _) = value.split_once('=').ok_or_else(|| anyhow!("unexpected --extern {value}"))?;
        let name = prefix.strip_prefix("--extern=").unwrap_or(prefix);
        let with = format!("{name}={}", rmeta.display());
        *value = if prefix.starts_with("--extern=") { format!("--extern={with}") } else { with };
        let mut args = patch_args(&recorded, &objdir, &self.work.join("incremental"), &self.work, &self.inv.cwd);
        // No shadow tree: the crate compiles from its own files as they are.
        args.retain(|a| !a.starts_with("--remap-path-prefix="));
        let started = Instant::now();
        let out = Command::new(&self.inv.rustc)
            .args(&args)
            .current_dir(&self.inv.cwd)
            .envs(self.inv.env.iter().map(|(k, v)| (k, v)))
            .env(crate::patch::PATCH_BUILD_ENV, "1")
            .output()
            .context("cannot run rustc")?;
        let rustc_time = started.elapsed();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let errors: Vec<String> = stderr
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|v| v["level"] == "error")
                .take(3)
                .map(|v| v["rendered"].as_str().unwrap_or_default().trim_end().to_string())
                .collect();
            let said = if errors.is_empty() { stderr.trim().to_string() } else { errors.join("\n") };
            return Err(anyhow!("`{}` ({}) does not compile against the patch: {said}", self.inv.crate_name, self.inv.kind()));
        }
        Ok(DownstreamObjects { objdir, crate_name: self.inv.crate_name.clone(), rustc_time })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(name: &str, root: &str, args: &str) -> Invocation {
        Invocation {
            rustc: "rustc".into(),
            args: args.split(' ').map(String::from).collect(),
            cwd: "/w".into(),
            env: Vec::new(),
            crate_name: name.into(),
            root_source: root.into(),
            is_test: false,
            crate_types: vec![],
            files: vec![],
            annotated: false,
        }
    }

    #[test]
    fn a_downstream_crate_is_one_that_links_the_library_s_output() {
        let lib = inv("plain", "src/lib.rs", "--crate-name plain -C extra-filename=-60b1");
        let bin = inv("plain", "src/main.rs", "--crate-name plain --extern plain=/t/deps/libplain-60b1.rlib --extern x=/t/deps/libx-1.rlib");
        let ds = Downstream::of(&bin, &lib, Path::new("/d")).expect("the bin links the lib");
        assert_eq!(ds.extern_at, 3);
        assert!(Downstream::of(&lib, &lib, Path::new("/d")).is_none());
        let other = inv("other", "src/main.rs", "--crate-name other --extern plain=/t/deps/libplain-9999.rlib");
        assert!(Downstream::of(&other, &lib, Path::new("/d")).is_none(), "another build of the library");
    }
}
