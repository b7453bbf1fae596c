use anyhow::{bail, Context, Result};
use cargo_hotbreak::line_mode::{self, LineOptions};
use cargo_hotbreak::{HostBuild, HostConfig};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Debug a running Rust program at native speed: breakpoints are compiled
/// into the one function that holds them and hot-swapped in.
#[derive(Parser)]
#[command(name = "cargo-hotbreak", bin_name = "cargo hotbreak", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build and run a binary under hotbreak.
    Run {
        /// Run this binary of the package.
        #[arg(long, value_name = "NAME")]
        bin: Option<String>,
        /// Run this example.
        #[arg(long, value_name = "NAME")]
        example: Option<String>,
        #[command(flatten)]
        common: Common,
        /// Arguments for the program.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Build a test binary and run it under hotbreak.
    Test {
        /// Test only the library's unit tests.
        #[arg(long)]
        lib: bool,
        /// Test this integration test target.
        #[arg(long, value_name = "NAME")]
        test: Option<String>,
        #[command(flatten)]
        common: Common,
        /// Run only tests whose name contains this.
        testname: Option<String>,
        /// Arguments for the test binary.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Debug the bundled example program while it runs (no setup needed).
    Demo,
}

#[derive(Args)]
struct Common {
    /// Package to build.
    #[arg(short, long, value_name = "SPEC")]
    package: Option<String>,
    /// Features to activate.
    #[arg(long, value_name = "FEATURES")]
    features: Option<String>,
    /// Activate all features.
    #[arg(long)]
    all_features: bool,
    /// Build with the release profile.
    #[arg(long)]
    release: bool,
    /// Read commands from this file.
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// Read commands from stdin, for automation (the program's stdin is empty).
    #[arg(long)]
    batch: bool,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
    /// Use the line mode instead of the terminal UI.
    #[arg(long)]
    no_tui: bool,
    /// Make only these workspace crates debuggable (default: all of them).
    #[arg(long, value_name = "CRATES", value_delimiter = ',')]
    debug_crates: Vec<String>,
}

impl Common {
    fn cargo_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(p) = &self.package {
            args.extend(["--package".to_string(), p.clone()]);
        }
        if let Some(f) = &self.features {
            args.extend(["--features".to_string(), f.clone()]);
        }
        if self.all_features {
            args.push("--all-features".into());
        }
        if self.release {
            args.push("--release".into());
        }
        args
    }

    /// The terminal UI, unless asked otherwise or not on a terminal.
    fn wants_tui(&self) -> bool {
        use std::io::IsTerminal;
        !(self.no_tui || self.batch || self.json || self.script.is_some()) && std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
    }

    fn line_options(&self) -> LineOptions {
        LineOptions { script: self.script.clone(), json: self.json }
    }
}

fn workspace_root() -> Result<PathBuf> {
    let out = hotbreak_hotreload::cargo()
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    Ok(manifest.parent().context("odd manifest path")?.to_path_buf())
}

fn run(cli: Cli) -> Result<()> {
    let exe = std::env::current_exe()?;
    match cli.command {
        Cmd::Demo => cargo_hotbreak::demo::run(&exe),
        Cmd::Run { bin, example, common, args } => {
            let mut config = HostConfig::for_workspace(&workspace_root()?, &exe);
            config.debug_crates = common.debug_crates.clone();
            let mut cargo_args = common.cargo_args();
            if let Some(b) = &bin {
                cargo_args.extend(["--bin".to_string(), b.clone()]);
            }
            if let Some(e) = &example {
                cargo_args.extend(["--example".to_string(), e.clone()]);
            }
            let host = HostBuild::build_with(&config, "build", &cargo_args, |a| match (&bin, &example) {
                (Some(b), _) => &a.name == b && a.kinds.iter().any(|k| k == "bin"),
                (_, Some(e)) => &a.name == e && a.kinds.iter().any(|k| k == "example"),
                _ => a.kinds.iter().any(|k| k == "bin"),
            })?;
            if common.wants_tui() {
                cargo_hotbreak::tui::run(host, &args)
            } else {
                line_mode::run(host, &args, common.line_options())
            }
        }
        Cmd::Test { lib, test, common, testname, args } => {
            let mut config = HostConfig::for_workspace(&workspace_root()?, &exe);
            config.debug_crates = common.debug_crates.clone();
            let mut cargo_args = common.cargo_args();
            if lib {
                cargo_args.push("--lib".into());
            }
            if let Some(t) = &test {
                cargo_args.extend(["--test".to_string(), t.clone()]);
            }
            let host = HostBuild::build_with(&config, "test", &cargo_args, |a| a.test && test.as_ref().is_none_or(|t| &a.name == t))?;
            let mut program_args: Vec<String> = testname.into_iter().collect();
            program_args.push("--nocapture".into());
            program_args.extend(args);
            if common.wants_tui() {
                cargo_hotbreak::tui::run(host, &program_args)
            } else {
                line_mode::run(host, &program_args, common.line_options())
            }
        }
    }
}

fn main() -> ExitCode {
    // Cargo runs us as `RUSTC_WORKSPACE_WRAPPER rustc args...` during host builds.
    if let Some(dir) = std::env::var_os(hotbreak_hotreload::record::ENV_RECORD_DIR) {
        let mut args = std::env::args_os().skip(1);
        let rustc = args.next().expect("rustc wrapper called without rustc");
        return match hotbreak_hotreload::wrapper::wrap_rustc(dir.as_ref(), rustc, args.collect()) {
            Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
            Err(e) => {
                eprintln!("hotbreak rustc wrapper: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // `cargo hotbreak ...` runs us as `cargo-hotbreak hotbreak ...`.
    let mut args: Vec<_> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "hotbreak") {
        args.remove(1);
    }
    match run(Cli::parse_from(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
