use std::process::ExitCode;

fn main() -> ExitCode {
    // Cargo runs us as `RUSTC_WORKSPACE_WRAPPER rustc args...` during host builds.
    if let Some(dir) = std::env::var_os(hotbreak_hotreload::record::ENV_RECORD_DIR) {
        let mut args = std::env::args_os().skip(1);
        let rustc = args.next().expect("rustc wrapper called without rustc");
        return match hotbreak_hotreload::record::wrap_rustc(dir.as_ref(), rustc, args.collect()) {
            Ok(code) => ExitCode::from(code as u8),
            Err(e) => {
                eprintln!("hotbreak rustc wrapper: {e}");
                ExitCode::FAILURE
            }
        };
    }
    eprintln!("cargo-hotbreak: the command line is not written yet");
    ExitCode::FAILURE
}
