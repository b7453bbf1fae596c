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

/// The crates compiled again for one crate's generic patches: the
/// executable's own crate and every recorded crate between it and the
/// patched one (a workspace library `mid` using it, which the executable
/// links: its metadata names the host build's `lib`, and rustc refuses two
/// builds of one crate, "colliding StableCrateId values", so it is compiled
/// against the patch too, and its own instances come with it).
#[derive(Debug, Clone)]
pub struct Downstream {
    /// In dependency order, the executable's own crate last.
    steps: Vec<Step>,
    /// Objects, metadata and incremental state live here.
    work: PathBuf,
}

#[derive(Debug, Clone)]
struct Step {
    inv: Invocation,
    /// Indices in `inv.args` of `--extern name=path` values to point at a
    /// rebuilt crate's metadata: the patched crate (`None`) or an earlier step.
    externs: Vec<(usize, Option<usize>)>,
}

/// Objects of the downstream crates compiled against one patch.
#[derive(Debug, Clone)]
pub struct DownstreamObjects {
    pub objdirs: Vec<PathBuf>,
    pub rustc_time: Duration,
    /// The first crate that did not compile and rustc's first errors: it
    /// and the crates after it have no objects.
    pub failed: Option<String>,
}

/// `lib<crate><extra-filename>`: the stem of every file a crate's build
/// writes, which the `--extern`s of crates using it name.
fn output_stem(inv: &Invocation) -> String {
    format!("lib{}{}", inv.crate_name, codegen_value(&inv.args, "extra-filename").unwrap_or(""))
}

/// Where `inv`'s arguments name `stem`'s output in an `--extern` value.
fn extern_of(inv: &Invocation, stem: &str) -> Option<usize> {
    inv.args.iter().enumerate().find_map(|(i, a)| {
        let value = if i > 0 && inv.args[i - 1] == "--extern" { a.as_str() } else { a.strip_prefix("--extern=")? };
        let (_, path) = value.split_once('=')?;
        (Path::new(path).file_stem()?.to_str()? == stem).then_some(i)
    })
}

impl Downstream {
    /// The crates to compile again for `lib`'s generic patches when `own`
    /// is the executable's crate, from the build's `records`: none when
    /// `own` is `lib` or does not link it.
    pub fn of(own: &Invocation, lib: &Invocation, records: &[Invocation], work: &Path) -> Option<Downstream> {
        let same = |a: &Invocation, b: &Invocation| a.root_path() == b.root_path() && a.is_test == b.is_test && a.crate_types == b.crate_types;
        if same(own, lib) {
            return None;
        }
        let lib_stem = output_stem(lib);
        // Only this workspace's: builds of other workspaces with the same
        // target dir share the record dir, and cargo's file names of path
        // packages do not depend on where they are.
        let libs: Vec<&Invocation> = records.iter().filter(|r| r.cwd == own.cwd && !same(r, own) && !same(r, lib) && !r.is_test).collect();
        // Libraries using `lib`, directly or through each other.
        let mut users: Vec<usize> = Vec::new();
        loop {
            let before = users.len();
            for (i, r) in libs.iter().enumerate() {
                let uses = extern_of(r, &lib_stem).is_some() || users.iter().any(|&u| extern_of(r, &output_stem(libs[u])).is_some());
                if !users.contains(&i) && uses {
                    users.push(i);
                }
            }
            if users.len() == before {
                break;
            }
        }
        // Of those, the ones the executable's crate links (cargo names its
        // direct dependencies in `--extern`s; theirs in their own).
        let uses = |a: &Invocation, b: usize| extern_of(a, &output_stem(libs[b])).is_some();
        let mut linked: Vec<usize> = users.iter().copied().filter(|&u| uses(own, u)).collect();
        loop {
            let more: Vec<usize> = users.iter().copied().filter(|&u| !linked.contains(&u) && linked.iter().any(|&l| uses(libs[l], u))).collect();
            if more.is_empty() {
                break;
            }
            linked.extend(more);
        }
        // Dependency order: a crate after every one it uses.
        let mut users: Vec<usize> = Vec::new();
        while users.len() < linked.len() {
            let ready: Vec<usize> = linked.iter().copied().filter(|&u| !users.contains(&u) && linked.iter().all(|&d| d == u || users.contains(&d) || !uses(libs[u], d))).collect();
            if ready.is_empty() {
                return None;
            }
            users.extend(ready);
        }
        let mut order: Vec<&Invocation> = users.iter().map(|&u| libs[u]).collect();
        order.push(own);
        let mut steps: Vec<Step> = Vec::new();
        for inv in order {
            let mut externs: Vec<(usize, Option<usize>)> = extern_of(inv, &lib_stem).map(|i| (i, None)).into_iter().collect();
            for (j, earlier) in steps.iter().enumerate() {
                externs.extend(extern_of(inv, &output_stem(&earlier.inv)).map(|i| (i, Some(j))));
            }
            if externs.is_empty() {
                continue;
            }
            steps.push(Step { inv: inv.clone(), externs });
        }
        match steps.last() {
            Some(last) if same(&last.inv, own) => Some(Downstream { steps, work: work.to_path_buf() }),
            _ => None,
        }
    }

    /// The crates compiled, the executable's last.
    pub fn crate_names(&self) -> String {
        self.steps.iter().map(|s| format!("`{}` ({})", s.inv.crate_name, s.inv.kind())).collect::<Vec<_>>().join(", ")
    }

    /// Compiles each downstream crate, as the host build did, against the
    /// patched crate's metadata `rmeta` (and each other's). A crate that
    /// does not compile ends the list: those before it keep their objects.
    pub fn compile(&self, rmeta: &Path, id: u64) -> Result<DownstreamObjects> {
        // Only the latest patch's objects are kept.
        if let Ok(entries) = std::fs::read_dir(&self.work) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("obj-") {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let started = Instant::now();
        let mut metadata: Vec<PathBuf> = Vec::new();
        let mut objdirs = Vec::new();
        for (n, step) in self.steps.iter().enumerate() {
            let objdir = self.work.join(format!("obj-{id}-{n}-{}", step.inv.crate_name));
            std::fs::create_dir_all(&objdir)?;
            let mut recorded = step.inv.args.clone();
            for &(at, from) in &step.externs {
                let to = match from {
                    None => rmeta,
                    Some(j) => &metadata[j],
                };
                let value = &mut recorded[at];
                let (prefix, _) = value.split_once('=').ok_or_else(|| anyhow!("unexpected --extern {value}"))?;
                *value = format!("{prefix}={}", to.display());
            }
            let last = n + 1 == self.steps.len();
            let mut args = patch_args(&recorded, &objdir, &self.work.join(format!("incremental-{}", step.inv.record_name())), &self.work, &step.inv.cwd);
            // No shadow tree: the crate compiles from its own files as they are.
            args.retain(|a| !a.starts_with("--remap-path-prefix="));
            if !last {
                for a in args.iter_mut().filter(|a| *a == "--emit=obj") {
                    *a = "--emit=obj,metadata".to_string();
                }
            }
            let out = Command::new(&step.inv.rustc)
                .args(&args)
                .current_dir(&step.inv.cwd)
                .envs(step.inv.env.iter().map(|(k, v)| (k, v)))
                .env(crate::patch::PATCH_BUILD_ENV, "1")
                .output()
                .context("cannot run rustc")?;
            if !out.status.success() {
                let stderr = String::from_utf8_lossy(&out.stderr);
                // rustc's first error: its message and where (two lines).
                let first = stderr
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .find(|v| v["level"] == "error")
                    .map(|v| v["rendered"].as_str().unwrap_or_default().lines().take(2).map(str::trim).collect::<Vec<_>>().join(" "));
                let said = first.unwrap_or_else(|| stderr.trim().to_string());
                let failed = format!("`{}` ({}) does not compile against the patch: {said}", step.inv.crate_name, step.inv.kind());
                return Ok(DownstreamObjects { objdirs, rustc_time: started.elapsed(), failed: Some(failed) });
            }
            metadata.push(objdir.join(format!("lib{}.rmeta", step.inv.crate_name)));
            objdirs.push(objdir);
        }
        Ok(DownstreamObjects { objdirs, rustc_time: started.elapsed(), failed: None })
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
    fn downstream_crates_are_the_executable_s_and_the_libraries_between() {
        let lib = inv("shapes", "shapes/src/lib.rs", "--crate-name shapes -C extra-filename=-1");
        let mid = inv("mid", "mid/src/lib.rs", "--crate-name mid -C extra-filename=-2 --extern shapes=/t/libshapes-1.rmeta");
        let unrelated = inv("other", "other/src/lib.rs", "--crate-name other -C extra-filename=-3 --extern shapes=/t/libshapes-1.rlib");
        let app = inv("app", "app/src/main.rs", "--crate-name app --extern mid=/t/libmid-2.rlib --extern shapes=/t/libshapes-1.rlib");
        let all = [lib.clone(), mid.clone(), unrelated.clone(), app.clone()];
        let ds = Downstream::of(&app, &lib, &all, Path::new("/d")).expect("app links shapes");
        let names: Vec<&str> = ds.steps.iter().map(|s| s.inv.crate_name.as_str()).collect();
        assert_eq!(names, ["mid", "app"]);
        assert_eq!(ds.steps[0].externs, [(5, None)]);
        assert_eq!(ds.steps[1].externs, [(5, None), (3, Some(0))]);
        assert!(Downstream::of(&lib, &lib, &all, Path::new("/d")).is_none());
        let alone = inv("alone", "alone/src/main.rs", "--crate-name alone --extern shapes=/t/libshapes-9.rlib");
        assert!(Downstream::of(&alone, &lib, &all, Path::new("/d")).is_none(), "another build of the library");
    }
}
