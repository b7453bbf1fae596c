use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Debug a running Rust program at native speed.
#[derive(Parser)]
#[command(name = "cargo-hotbreak", bin_name = "cargo hotbreak", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Hot-patch a function of the bundled example program while it runs.
    Demo,
}

fn main() -> ExitCode {
    // Cargo runs us as `RUSTC_WORKSPACE_WRAPPER rustc args...` during host builds.
    if let Some(dir) = std::env::var_os(hotbreak_hotreload::record::ENV_RECORD_DIR) {
        let mut args = std::env::args_os().skip(1);
        let rustc = args.next().expect("rustc wrapper called without rustc");
        return match hotbreak_hotreload::record::wrap_rustc(dir.as_ref(), rustc, args.collect()) {
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
    let cli = Cli::parse_from(args);
    let result = match cli.command {
        Cmd::Demo => std::env::current_exe().map_err(Into::into).and_then(|exe| cargo_hotbreak::demo::run(&exe)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
