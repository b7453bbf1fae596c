//! Building the host program under hotbreak.

use anyhow::{bail, Context, Result};
use hotbreak_hotreload::host::Lookup;
use hotbreak_hotreload::runtime_lib::build_runtime;
use hotbreak_hotreload::{build_host, cargo, HostArtifact, HostBuildOptions, HostSymbols, Invocation, ZeroAnnotation};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The root of the cargo workspace holding `dir`.
pub fn workspace_root(dir: &Path) -> Result<PathBuf> {
    let out = cargo()
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .current_dir(dir)
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Ok(manifest.parent().context("odd manifest path")?.to_path_buf())
}

/// The executable a session debugs.
#[derive(Debug, Clone)]
pub enum Target {
    /// A binary of the package (`bin`), an example, or its only binary.
    Run { bin: Option<String>, example: Option<String> },
    /// A test binary: the library's unit tests (`lib`), an integration
    /// test target, or the package's only test binary.
    Test { lib: bool, test: Option<String> },
}

/// Where a workspace's hotbreak state lives and how to build it.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The user's workspace (cargo runs here; never written to).
    pub workspace: PathBuf,
    /// `<target>/hotbreak`: host builds, rustc records, patches.
    pub hotbreak_dir: PathBuf,
    /// The executable that serves as rustc wrapper (the hotbreak binary).
    pub wrapper: PathBuf,
    /// Workspace crates made debuggable without the attribute: all (the
    /// default, empty), or only these (`--debug-crates`).
    pub debug_crates: Vec<String>,
}

impl HostConfig {
    pub fn for_workspace(workspace: &Path, wrapper: &Path) -> HostConfig {
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace.join("target"));
        HostConfig {
            workspace: workspace.to_path_buf(),
            hotbreak_dir: target.join("hotbreak"),
            wrapper: wrapper.to_path_buf(),
            debug_crates: Vec::new(),
        }
    }

    /// A workspace file (as rustc names it: relative to the workspace).
    pub fn read_source(&self, file: &str) -> Result<String> {
        let path = self.workspace.join(file);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    /// Where the rustc commands of host builds in cargo profile `profile`
    /// are recorded. One dir per profile: a build that cargo finds fresh
    /// runs no rustc, so a shared dir would still hold the other profile's
    /// commands, and a patch built with those links against the wrong
    /// runtime.
    pub fn record_dir(&self, profile: &str) -> PathBuf {
        self.hotbreak_dir.join("records").join(format!("{profile}{}", self.selection_suffix()))
    }

    /// Cargo's target dir for host builds. One per `--debug-crates` choice:
    /// cargo does not see the choice, so a build with another one would
    /// look fresh and keep crates annotated, or not, as before.
    pub fn build_dir(&self) -> PathBuf {
        self.hotbreak_dir.join(format!("build{}", self.selection_suffix()))
    }

    fn selection_suffix(&self) -> String {
        if self.debug_crates.is_empty() {
            return String::new();
        }
        let mut crates: Vec<String> = self.debug_crates.iter().map(|c| c.replace('-', "_")).collect();
        crates.sort();
        crates.dedup();
        format!("-only-{}", crates.join("+"))
    }
}

fn clean_profile(config: &HostConfig, target_dir: &Path, profile: &str) -> Result<()> {
    let status = cargo()
        .args(["clean", "--quiet", "--profile", profile, "--target-dir"])
        .arg(target_dir)
        .current_dir(&config.workspace)
        .status()
        .context("cannot run cargo clean")?;
    if !status.success() {
        bail!("cargo clean --profile {profile} failed in {}", target_dir.display());
    }
    Ok(())
}

/// The cargo profile `cargo build <args>` builds in.
fn profile_of(cargo_args: &[String]) -> String {
    let mut profile = "dev".to_string();
    let mut args = cargo_args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--release" | "-r" => profile = "release".into(),
            "--profile" => profile = args.next().cloned().unwrap_or(profile),
            "--" => break,
            other => {
                if let Some(name) = other.strip_prefix("--profile=") {
                    profile = name.to_string();
                }
            }
        }
    }
    profile
}

/// A built host executable with its parsed symbol table.
pub struct HostBuild {
    pub config: HostConfig,
    pub executable: PathBuf,
    pub artifact: HostArtifact,
    pub symbols: Arc<HostSymbols>,
    /// Where this build's rustc commands are recorded.
    pub record_dir: PathBuf,
}

impl HostBuild {
    /// `cargo build <cargo_args>` into the hotbreak target dir; `bin` picks
    /// the executable when the build makes several.
    pub fn build(config: &HostConfig, cargo_args: &[&str], bin: &str) -> Result<HostBuild> {
        let args: Vec<String> = cargo_args.iter().map(|s| s.to_string()).collect();
        Self::build_with(config, "build", &args, |a| a.name == bin)
    }

    /// Builds what `cargo hotbreak run` (`Target::Run`) or `cargo hotbreak
    /// test` (`Target::Test`) debugs; `cargo_args` are the common ones
    /// (`--package`, `--features`, `--release`).
    pub fn build_target(config: &HostConfig, mut cargo_args: Vec<String>, target: &Target) -> Result<HostBuild> {
        match target {
            Target::Run { bin, example } => {
                if let Some(b) = bin {
                    cargo_args.extend(["--bin".to_string(), b.clone()]);
                }
                if let Some(e) = example {
                    cargo_args.extend(["--example".to_string(), e.clone()]);
                }
                HostBuild::build_with(config, "build", &cargo_args, |a| match (bin, example) {
                    (Some(b), _) => &a.name == b && a.kinds.iter().any(|k| k == "bin"),
                    (_, Some(e)) => &a.name == e && a.kinds.iter().any(|k| k == "example"),
                    _ => a.kinds.iter().any(|k| k == "bin"),
                })
            }
            Target::Test { lib, test } => {
                if *lib {
                    cargo_args.push("--lib".into());
                }
                if let Some(t) = test {
                    cargo_args.extend(["--test".to_string(), t.clone()]);
                }
                HostBuild::build_with(config, "test", &cargo_args, |a| a.test && test.as_ref().is_none_or(|t| &a.name == t))
            }
        }
    }

    /// `cargo <subcommand> <cargo_args>` (`build`, or `test` for test
    /// binaries); `pick` chooses the executable. More than one match is an
    /// error naming them.
    pub fn build_with(config: &HostConfig, subcommand: &str, cargo_args: &[String], pick: impl Fn(&HostArtifact) -> bool) -> Result<HostBuild> {
        let profile = profile_of(cargo_args);
        let record_dir = config.record_dir(&profile);
        let target_dir = config.build_dir();
        if !record_dir.exists() && target_dir.exists() {
            // Built before without records (or they were deleted): cargo
            // would find the build fresh and run no rustc to record.
            clean_profile(config, &target_dir, &profile)?;
        }
        // Every workspace crate that does not depend on hotbreak itself links
        // this one, built on its own.
        let runtime = build_runtime(&config.hotbreak_dir.join("runtime"), matches!(profile.as_str(), "release" | "bench"))?;
        let zero_annotation =
            Some(ZeroAnnotation { runtime, annotate_dir: config.hotbreak_dir.join("annotated"), only: config.debug_crates.clone() });
        // Cargo writes the lock file of a workspace that has none (or a
        // stale one): that is the user's file, put back as it was.
        let lock = LockFile::keep(&config.workspace.join("Cargo.lock"));
        let artifacts = build_host(&HostBuildOptions {
            workspace: config.workspace.clone(),
            target_dir,
            record_dir: record_dir.clone(),
            wrapper: config.wrapper.clone(),
            subcommand: subcommand.to_string(),
            cargo_args: cargo_args.to_vec(),
            zero_annotation,
        });
        lock.restore()?;
        let artifacts = artifacts?;
        let chosen: Vec<&HostArtifact> = artifacts.iter().filter(|a| pick(a)).collect();
        let artifact = match chosen.as_slice() {
            [one] => (*one).clone(),
            [] => bail!("the build made no matching executable (made: {})", names(&artifacts)),
            many => bail!(
                "the build made several executables ({}): choose one with --bin, --example or -p",
                names(&many.iter().map(|a| (*a).clone()).collect::<Vec<_>>())
            ),
        };
        let symbols = Arc::new(HostSymbols::read(&artifact.executable)?);
        Ok(HostBuild { config: config.clone(), executable: artifact.executable.clone(), artifact, symbols, record_dir })
    }

    /// The recorded crate of the executable's own root.
    pub fn own_crate(&self) -> Result<Invocation> {
        let all = Invocation::load_all(&self.record_dir)?;
        let own = all.iter().find(|i| self.is_own(i));
        own.cloned().with_context(|| format!("no recorded rustc command for {}", self.artifact.src_path.display()))
    }

    /// Fails unless the executable holds the hotbreak runtime: without it
    /// the program would run but never connect.
    pub fn require_runtime(&self) -> Result<()> {
        if self.symbols.lookup(hotbreak::protocol::ANCHOR_SYMBOL) == Lookup::Missing {
            bail!(
                "{} holds no hotbreak runtime (no `{}` symbol), so it can never connect to hotbreak (did `--debug-crates` leave out every crate of it?)",
                self.executable.display(),
                hotbreak::protocol::ANCHOR_SYMBOL
            );
        }
        Ok(())
    }

    fn is_own(&self, inv: &Invocation) -> bool {
        inv.root_path() == self.artifact.src_path && inv.is_test == self.artifact.test
    }

    /// The recorded crate whose module tree holds `file` (as rustc names
    /// it): the executable's own crate first, else a library it links. A
    /// lib and a bin of one package share a crate name, so the name alone
    /// cannot tell (it only does for records older than the file lists).
    pub fn crate_of(&self, file: &str, crate_name: &str) -> Result<Invocation> {
        let all = Invocation::load_all(&self.record_dir)?;
        let library = |i: &Invocation| !i.is_test && i.crate_types.iter().any(|t| t == "lib" || t == "rlib");
        let holding: Vec<&Invocation> = all.iter().filter(|i| i.files.iter().any(|f| f == file)).collect();
        let by_name: Vec<&Invocation> = all.iter().filter(|i| i.files.is_empty() && i.crate_name == crate_name).collect();
        let chosen = [&holding, &by_name].into_iter().find_map(|c| {
            let own = c.iter().find(|i| self.is_own(i));
            own.or_else(|| c.iter().find(|i| library(i))).or(c.first()).copied()
        });
        match chosen {
            Some(inv) => Ok(inv.clone()),
            None => bail!("{file}: no crate of this build compiles it (recorded: {})", all.iter().map(|i| i.record_name()).collect::<Vec<_>>().join(", ")),
        }
    }
}

/// A file's bytes (or its absence) before a build.
struct LockFile {
    path: PathBuf,
    before: Option<Vec<u8>>,
}

impl LockFile {
    fn keep(path: &Path) -> LockFile {
        LockFile { path: path.to_path_buf(), before: std::fs::read(path).ok() }
    }

    fn restore(self) -> Result<()> {
        let now = std::fs::read(&self.path).ok();
        if now == self.before {
            return Ok(());
        }
        match &self.before {
            Some(bytes) => std::fs::write(&self.path, bytes),
            None => std::fs::remove_file(&self.path),
        }
        .with_context(|| format!("cannot restore {}", self.path.display()))
    }
}

fn names(artifacts: &[HostArtifact]) -> String {
    if artifacts.is_empty() {
        return "none".into();
    }
    artifacts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::profile_of;

    #[test]
    fn the_profile_comes_from_the_cargo_arguments() {
        let of = |args: &[&str]| profile_of(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(of(&["-p", "app"]), "dev");
        assert_eq!(of(&["--release", "--bin", "x"]), "release");
        assert_eq!(of(&["-r"]), "release");
        assert_eq!(of(&["--profile", "bench"]), "bench");
        assert_eq!(of(&["--profile=fast"]), "fast");
        assert_eq!(of(&["--", "--release"]), "dev");
    }
}
