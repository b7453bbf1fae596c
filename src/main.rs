use anyhow::Result;
use cargo_hotbreak::line_mode::{self, LineOptions};
use cargo_hotbreak::host::Target;
use cargo_hotbreak::{HostBuild, HostConfig};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
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
    /// Serve the Debug Adapter Protocol to an editor (VS Code, nvim-dap,
    /// Helix, Zed) on stdin/stdout; its `launch` request says what to build.
    Dap {
        /// Listen on 127.0.0.1:PORT for one client instead of stdio.
        #[arg(long, value_name = "PORT")]
        port: Option<u16>,
    },
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

fn run(cli: Cli) -> Result<()> {
    let exe = std::env::current_exe()?;
    match cli.command {
        Cmd::Demo => cargo_hotbreak::demo::run(&exe),
        Cmd::Run { bin, example, common, args } => {
            let mut config = HostConfig::for_workspace(&cargo_hotbreak::host::workspace_root(Path::new("."))?, &exe);
            config.debug_crates = common.debug_crates.clone();
            let host = HostBuild::build_target(&config, common.cargo_args(), &Target::Run { bin, example })?;
            if common.wants_tui() {
                cargo_hotbreak::tui::run(host, &args)
            } else {
                line_mode::run(host, &args, common.line_options())
            }
        }
        Cmd::Test { lib, test, common, testname, args } => {
            let mut config = HostConfig::for_workspace(&cargo_hotbreak::host::workspace_root(Path::new("."))?, &exe);
            config.debug_crates = common.debug_crates.clone();
            let host = HostBuild::build_target(&config, common.cargo_args(), &Target::Test { lib, test })?;
            let mut program_args: Vec<String> = testname.into_iter().collect();
            program_args.push("--nocapture".into());
            program_args.extend(args);
            if common.wants_tui() {
                cargo_hotbreak::tui::run(host, &program_args)
            } else {
                line_mode::run(host, &program_args, common.line_options())
            }
        }
        Cmd::Dap { port } => cargo_hotbreak::dap::run(&exe, port),
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
