//! Building the host program under hotbreak.

use anyhow::{bail, Result};
use hotbreak_hotreload::{build_host, HostBuildOptions, HostSymbols};
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

    pub fn record_dir(&self) -> PathBuf {
        self.hotbreak_dir.join("records")
    }
}

/// A built host executable with its parsed symbol table.
pub struct HostBuild {
    pub config: HostConfig,
    pub executable: PathBuf,
    pub symbols: Arc<HostSymbols>,
}

impl HostBuild {
    /// `cargo build <cargo_args>` into the hotbreak target dir; `bin` picks
    /// the executable when the build makes several.
    pub fn build(config: &HostConfig, cargo_args: &[&str], bin: &str) -> Result<HostBuild> {
        let artifacts = build_host(&HostBuildOptions {
            workspace: config.workspace.clone(),
            target_dir: config.hotbreak_dir.join("build"),
            record_dir: config.record_dir(),
            wrapper: config.wrapper.clone(),
            cargo_args: cargo_args.iter().map(|s| s.to_string()).collect(),
        })?;
        let Some(exe) = artifacts.iter().find(|a| a.name == bin) else {
            bail!("the build made no executable named `{bin}`");
        };
        let symbols = Arc::new(HostSymbols::read(&exe.executable)?);
        Ok(HostBuild { config: config.clone(), executable: exe.executable.clone(), symbols })
    }
}
