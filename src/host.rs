//! Building the host program under hotbreak.

use anyhow::{bail, Context, Result};
use hotbreak_hotreload::{build_host, HostArtifact, HostBuildOptions, HostSymbols};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a workspace's hotbreak state lives and how to build it.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The user's workspace (cargo runs here; never written to).
    pub workspace: PathBuf,
    /// `<target>/hotbreak`: host builds, rustc records, patches.
    pub hotbreak_dir: PathBuf,
    /// The executable that serves as rustc wrapper (the hotbreak binary).
    pub wrapper: PathBuf,
}

impl HostConfig {
    pub fn for_workspace(workspace: &Path, wrapper: &Path) -> HostConfig {
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace.join("target"));
        HostConfig { workspace: workspace.to_path_buf(), hotbreak_dir: target.join("hotbreak"), wrapper: wrapper.to_path_buf() }
    }

    /// A workspace file (as rustc names it: relative to the workspace).
    pub fn read_source(&self, file: &str) -> Result<String> {
        let path = self.workspace.join(file);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    pub fn record_dir(&self) -> PathBuf {
        self.hotbreak_dir.join("records")
    }
}

/// A built host executable with its parsed symbol table.
pub struct HostBuild {
    pub config: HostConfig,
    pub executable: PathBuf,
    pub artifact: HostArtifact,
    pub symbols: Arc<HostSymbols>,
}

impl HostBuild {
    /// `cargo build <cargo_args>` into the hotbreak target dir; `bin` picks
    /// the executable when the build makes several.
    pub fn build(config: &HostConfig, cargo_args: &[&str], bin: &str) -> Result<HostBuild> {
        let args: Vec<String> = cargo_args.iter().map(|s| s.to_string()).collect();
        Self::build_with(config, "build", &args, |a| a.name == bin)
    }

    /// `cargo <subcommand> <cargo_args>` (`build`, or `test` for test
    /// binaries); `pick` chooses the executable. More than one match is an
    /// error naming them.
    pub fn build_with(config: &HostConfig, subcommand: &str, cargo_args: &[String], pick: impl Fn(&HostArtifact) -> bool) -> Result<HostBuild> {
        let artifacts = build_host(&HostBuildOptions {
            workspace: config.workspace.clone(),
            target_dir: config.hotbreak_dir.join("build"),
            record_dir: config.record_dir(),
            wrapper: config.wrapper.clone(),
            subcommand: subcommand.to_string(),
            cargo_args: cargo_args.to_vec(),
        })?;
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
        Ok(HostBuild { config: config.clone(), executable: artifact.executable.clone(), artifact, symbols })
    }

    /// The crate name rustc compiled the executable's root as.
    pub fn crate_name(&self) -> String {
        self.artifact.name.replace('-', "_")
    }

    /// The kind its rustc command was recorded under.
    pub fn record_kind(&self) -> &'static str {
        if self.artifact.test {
            "test"
        } else {
            "bin"
        }
    }
}

fn names(artifacts: &[HostArtifact]) -> String {
    if artifacts.is_empty() {
        return "none".into();
    }
    artifacts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
}
