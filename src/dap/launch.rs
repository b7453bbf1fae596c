//! The `launch` request's arguments (what `editors/vscode/package.json`
//! declares) and the host build they ask for.

use crate::host::{workspace_root, Target};
use crate::{HostBuild, HostConfig};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LaunchArgs {
    /// A directory of the workspace (default: the adapter's).
    pub cwd: Option<PathBuf>,
    pub bin: Option<String>,
    pub example: Option<String>,
    /// A test binary: `"lib"` for the library's unit tests, an integration
    /// test's name, or `true` for the package's only test binary.
    pub test: Option<TestTarget>,
    /// With `test`: run only tests whose name contains this.
    pub test_name: Option<String>,
    pub package: Option<String>,
    pub args: Vec<String>,
    pub features: Option<Features>,
    pub release: bool,
    pub env: BTreeMap<String, String>,
    pub stop_on_entry: bool,
    /// Only these workspace crates are debuggable (as `--debug-crates`).
    pub debug_crates: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum TestTarget {
    Any(bool),
    Named(String),
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Features {
    List(Vec<String>),
    Text(String),
}

impl LaunchArgs {
    pub fn parse(arguments: &serde_json::Value) -> Result<LaunchArgs> {
        let args: LaunchArgs = serde_json::from_value(arguments.clone()).context("the launch arguments do not fit (see editors/vscode/package.json)")?;
        let targets = [args.bin.is_some(), args.example.is_some(), args.test.as_ref().is_some_and(|t| !matches!(t, TestTarget::Any(false)))];
        if targets.iter().filter(|t| **t).count() > 1 {
            bail!("give one of `bin`, `example` or `test`, not several");
        }
        if args.test_name.is_some() && args.test.is_none() {
            bail!("`testName` filters the tests of a `test` launch");
        }
        Ok(args)
    }

    fn target(&self) -> Target {
        match &self.test {
            Some(TestTarget::Named(t)) if t == "lib" => Target::Test { lib: true, test: None },
            Some(TestTarget::Named(t)) => Target::Test { lib: false, test: Some(t.clone()) },
            Some(TestTarget::Any(true)) => Target::Test { lib: false, test: None },
            _ => Target::Run { bin: self.bin.clone(), example: self.example.clone() },
        }
    }

    /// The program's arguments: a test binary runs the chosen tests, with
    /// their output shown as it comes.
    pub fn program_args(&self) -> Vec<String> {
        if matches!(self.target(), Target::Run { .. }) {
            return self.args.clone();
        }
        let mut args: Vec<String> = self.test_name.iter().cloned().collect();
        args.push("--nocapture".into());
        args.extend(self.args.iter().cloned());
        args
    }

    /// Builds the program under hotbreak, in the workspace holding `cwd`
    /// (which becomes the adapter's working directory, and the program's).
    pub fn build(&self, exe: &Path) -> Result<HostBuild> {
        if let Some(cwd) = &self.cwd {
            std::env::set_current_dir(cwd).with_context(|| format!("cwd `{}`", cwd.display()))?;
        }
        let root = workspace_root(Path::new("."))?;
        let mut config = HostConfig::for_workspace(&root, exe);
        config.debug_crates = self.debug_crates.clone();
        let mut cargo_args = Vec::new();
        if let Some(p) = &self.package {
            cargo_args.extend(["--package".to_string(), p.clone()]);
        }
        match &self.features {
            Some(Features::List(list)) if !list.is_empty() => cargo_args.extend(["--features".to_string(), list.join(",")]),
            Some(Features::Text(text)) if !text.is_empty() => cargo_args.extend(["--features".to_string(), text.clone()]),
            _ => {}
        }
        if self.release {
            cargo_args.push("--release".into());
        }
        HostBuild::build_target(&config, cargo_args, &self.target())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_test_launch_passes_the_filter_and_nocapture() {
        let args = LaunchArgs::parse(&json!({ "test": "lib", "testName": "ticks", "args": ["--exact"] })).unwrap();
        assert!(matches!(args.target(), Target::Test { lib: true, test: None }));
        assert_eq!(args.program_args(), ["ticks", "--nocapture", "--exact"]);
        let args = LaunchArgs::parse(&json!({ "bin": "app", "args": ["1"], "features": ["a", "b"], "stopOnEntry": true })).unwrap();
        assert_eq!((args.program_args(), args.stop_on_entry), (vec!["1".to_string()], true));
    }

    #[test]
    fn the_vscode_manifest_declares_exactly_the_launch_arguments() {
        let manifest: serde_json::Value = serde_json::from_str(include_str!("../../editors/vscode/package.json")).unwrap();
        let declared = &manifest["contributes"]["debuggers"][0]["configurationAttributes"]["launch"]["properties"];
        let mut declared: Vec<&String> = declared.as_object().unwrap().keys().collect();
        declared.sort();
        let args = serde_json::to_value(LaunchArgs::default()).unwrap();
        let mut taken: Vec<&String> = args.as_object().unwrap().keys().collect();
        taken.sort();
        assert_eq!(declared, taken);
    }

    #[test]
    fn wrong_arguments_are_named() {
        assert!(LaunchArgs::parse(&json!({ "bin": "a", "example": "b" })).unwrap_err().to_string().contains("one of `bin`"));
        let e = LaunchArgs::parse(&json!({ "args": "not a list" })).unwrap_err();
        assert!(format!("{e:#}").contains("invalid type"), "{e:#}");
    }
}
