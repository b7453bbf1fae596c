//! The rustc wrapper of host builds (`RUSTC_WORKSPACE_WRAPPER`: cargo runs
//! it for workspace members only). For each crate that links, it adds the
//! host flags, records the command and the crate's files, and in a
//! zero-annotation build compiles the crate from a shadow tree in which
//! every `fn` and `impl` carries `#[debuggable]`, linked with the runtime
//! hotbreak built on its own. The user's files are never written.

use crate::modules::{module_tree, ModuleFile};
use crate::record::{flag_values, Invocation, HOST_FLAGS};
use crate::shadow::ShadowTree;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where zero-annotation builds put their shadow trees; unset, crates are
/// built as written (the attribute only where the user put it).
pub const ENV_ANNOTATE_DIR: &str = "HOTBREAK_ANNOTATE_DIR";
/// The runtime rlib that annotated crates link, and its dependencies' dir.
pub const ENV_RUNTIME_RLIB: &str = "HOTBREAK_RUNTIME_RLIB";
pub const ENV_RUNTIME_DEPS: &str = "HOTBREAK_RUNTIME_DEPS";
/// Comma-separated crate names: only these are made debuggable.
pub const ENV_DEBUG_CRATES: &str = "HOTBREAK_DEBUG_CRATES";

/// What the tool told the wrapper about this build.
struct Settings {
    record_dir: PathBuf,
    annotate_dir: Option<PathBuf>,
    runtime: Option<(PathBuf, PathBuf)>,
    only: Option<Vec<String>>,
}

impl Settings {
    fn from_env(record_dir: &Path) -> Settings {
        let var = |k| std::env::var_os(k).map(PathBuf::from);
        Settings {
            record_dir: record_dir.to_path_buf(),
            annotate_dir: var(ENV_ANNOTATE_DIR),
            runtime: var(ENV_RUNTIME_RLIB).zip(var(ENV_RUNTIME_DEPS)),
            only: std::env::var(ENV_DEBUG_CRATES).ok().map(|s| s.split(',').map(|c| c.trim().replace('-', "_")).collect()),
        }
    }
}

/// Runs as `RUSTC_WORKSPACE_WRAPPER`; returns rustc's exit code. A crate
/// that cannot be annotated is compiled as written, with a warning: the
/// wrapper never fails a build that would pass without it.
pub fn wrap_rustc(record_dir: &Path, rustc: OsString, args: Vec<OsString>) -> std::io::Result<i32> {
    let settings = Settings::from_env(record_dir);
    let mut args: Vec<String> = args.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let crate_name = flag_values(&args, "--crate-name").next().map(str::to_owned);
    let emits_link = flag_values(&args, "--emit").any(|e| e.split(',').any(|k| k.starts_with("link")));
    let (Some(crate_name), true) = (crate_name, emits_link) else {
        return run(&rustc, &args, None);
    };
    let cwd = std::env::current_dir()?;
    let root_source = args.iter().find(|a| a.ends_with(".rs") && !a.starts_with('-')).map(PathBuf::from).unwrap_or_default();
    let crate_types: Vec<String> = flag_values(&args, "--crate-type").map(str::to_owned).collect();
    // Build scripts and proc macros run inside cargo, never in the program.
    let compile_time = crate_name.starts_with("build_script_") || crate_types.iter().any(|t| t == "proc-macro");
    if compile_time {
        return run(&rustc, &args, None);
    }
    args.extend(HOST_FLAGS.iter().map(|s| s.to_string()));
    let edition = flag_values(&args, "--edition").next().unwrap_or("2015").to_string();
    let mut files = module_tree(&cwd, &root_source, hotbreak_rewriter::attribute_for_edition(&edition));
    if edition == "2015" {
        declare_runtime(&cwd, &mut files);
    }
    let mut inv = Invocation {
        rustc: PathBuf::from(&rustc),
        crate_types,
        is_test: args.iter().any(|a| a == "--test"),
        env: std::env::vars().filter(|(k, _)| k.starts_with("CARGO") || k == "OUT_DIR").collect(),
        cwd: cwd.clone(),
        args: args.clone(),
        crate_name,
        root_source,
        files: files.iter().map(|f| f.path.display().to_string()).collect(),
        annotated: false,
    };
    let shadow = match plan_annotation(&settings, &inv) {
        Ok(Some(runtime)) => match annotated_tree(&settings, &inv, &files) {
            Ok(shadow) => {
                inv.annotated = true;
                inv.args.extend(runtime_args(runtime));
                Some(shadow)
            }
            Err(e) => {
                eprintln!("warning: hotbreak: crate `{}` is built as written, not debuggable: {e:#}", inv.crate_name);
                None
            }
        },
        Ok(None) => None,
        Err(why) => {
            eprintln!("warning: hotbreak: crate `{}` is built as written, not debuggable: {why}", inv.crate_name);
            None
        }
    };
    std::fs::create_dir_all(&settings.record_dir)?;
    let json = serde_json::to_vec_pretty(&inv).map_err(std::io::Error::other)?;
    std::fs::write(settings.record_dir.join(inv.record_name()), json)?;
    let mut args = inv.args.clone();
    if let Some(shadow) = &shadow {
        args.push(format!("--remap-path-prefix={}={}", shadow.display(), cwd.display()));
    }
    let code = run_with_osr(&rustc, &args, shadow.as_deref(), osr_sound(&args))?;
    if code == 0 && settings.annotate_dir.is_some() {
        // What the crate also depends on, so that cargo rebuilds it when
        // either changes: the wrapper that decides how it is built (a new
        // hotbreak may annotate it, or differently), and the runtime.
        let mut extra: Vec<PathBuf> = std::env::current_exe().into_iter().collect();
        if inv.annotated {
            extra.extend(settings.runtime.iter().map(|(rlib, _)| rlib.clone()));
        }
        repoint_dep_info(&args, &inv.crate_name, shadow.as_deref(), &cwd, &extra)?;
    }
    Ok(code)
}

/// In 2015 the root declares `extern crate hotbreak;` (see
/// `hotbreak_rewriter::EXTERN_CRATE`); used only if the crate is annotated.
fn declare_runtime(cwd: &Path, files: &mut [ModuleFile]) {
    let Some(root) = files.first_mut() else { return };
    let text = match &root.annotated {
        Some(text) => text.clone(),
        None => std::fs::read_to_string(cwd.join(&root.path)).unwrap_or_default(),
    };
    if let Ok(declared) = hotbreak_rewriter::declare_extern_crate(&text) {
        root.annotated = Some(declared);
    }
}

fn run(rustc: &OsString, args: &[String], cwd: Option<&Path>) -> std::io::Result<i32> {
    run_with_osr(rustc, args, cwd, false)
}

/// Whether running frames of this crate can switch to patches at loop
/// headers (`hotbreak::osr`): only at opt-level 0, where a body keeps `rsp`
/// fixed and every local in its own stack slot.
fn osr_sound(args: &[String]) -> bool {
    let levels = args.iter().enumerate().filter_map(|(i, a)| match a.as_str() {
        "-C" => args.get(i + 1).map(String::as_str),
        other => other.strip_prefix("-C"),
    });
    // The thunk and the door are x86_64 Linux code.
    let native_target = flag_values(args, "--target").all(|t| t.starts_with("x86_64-unknown-linux"));
    cfg!(all(target_arch = "x86_64", target_os = "linux"))
        && native_target
        && matches!(levels.filter_map(|v| v.strip_prefix("opt-level=")).last(), None | Some("0"))
}

/// `osr`: tells the attribute to emit loop sites (`HOTBREAK_OSR`).
fn run_with_osr(rustc: &OsString, args: &[String], cwd: Option<&Path>, osr: bool) -> std::io::Result<i32> {
    let mut command = Command::new(rustc);
    command.args(args);
    if osr {
        command.env("HOTBREAK_OSR", "1");
    }
    if let Some(dir) = cwd {
        command.current_dir(dir);
    }
    Ok(command.status()?.code().unwrap_or(101))
}

/// Whether the crate is annotated, and with which runtime. `Ok(None)`: not
/// a zero-annotation build, or not this crate; `Err`: it should be and
/// cannot, said as a warning.
fn plan_annotation<'s>(settings: &'s Settings, inv: &Invocation) -> Result<Option<&'s (PathBuf, PathBuf)>, String> {
    if settings.annotate_dir.is_none() {
        return Ok(None);
    }
    if settings.only.as_ref().is_some_and(|only| !only.contains(&inv.crate_name)) {
        return Ok(None);
    }
    // The user depends on hotbreak and marks what is debuggable.
    if flag_values(&inv.args, "--extern").any(|e| e == "hotbreak" || e.starts_with("hotbreak=")) {
        return Ok(None);
    }
    // The runtime and its macros, in a workspace that builds them.
    if inv.crate_name == "hotbreak" || inv.crate_name.starts_with("hotbreak_") {
        return Ok(None);
    }
    settings.runtime.as_ref().map(Some).ok_or_else(|| "the hotbreak runtime was not built for this build".to_string())
}

fn runtime_args((rlib, deps): &(PathBuf, PathBuf)) -> [String; 4] {
    ["--extern".into(), format!("hotbreak={}", rlib.display()), "-L".into(), format!("dependency={}", deps.display())]
}

/// Mirrors the package under the annotate dir, one tree per compilation
/// unit (several rustc run at once), with the annotated files in place.
fn annotated_tree(settings: &Settings, inv: &Invocation, files: &[ModuleFile]) -> anyhow::Result<PathBuf> {
    let unit = format!("{}{}", inv.crate_name, crate::record::codegen_value(&inv.args, "extra-filename").unwrap_or_default());
    let root = settings.annotate_dir.as_ref().expect("checked").join(unit);
    let package = inv.manifest_dir().ok_or_else(|| anyhow::anyhow!("cargo did not set CARGO_MANIFEST_DIR"))?;
    let mut tree = ShadowTree::create(&root, &inv.cwd, &package)?;
    let texts: Vec<(PathBuf, String)> = files.iter().filter_map(|f| Some((f.path.clone(), f.annotated.clone()?))).collect();
    for (path, _) in &texts {
        let inside = std::path::absolute(root.join(path))?;
        if !inside.starts_with(std::path::absolute(&root)?) {
            anyhow::bail!("{} is outside the build directory", path.display());
        }
    }
    tree.set_files(&texts)?;
    Ok(std::path::absolute(root)?)
}

/// Cargo decides what to rebuild from the dep-info file rustc wrote (the
/// mtimes of the files it lists): make it name the user's files, not the
/// shadow tree's, and add `extra` files to every rule.
fn repoint_dep_info(args: &[String], crate_name: &str, shadow: Option<&Path>, cwd: &Path, extra: &[PathBuf]) -> std::io::Result<()> {
    let Some(out_dir) = flag_values(args, "--out-dir").next() else { return Ok(()) };
    let suffix = crate::record::codegen_value(args, "extra-filename").unwrap_or_default();
    let path = Path::new(out_dir).join(format!("{crate_name}{suffix}.d"));
    let Ok(mut text) = std::fs::read_to_string(&path) else { return Ok(()) };
    if let Some(shadow) = shadow {
        text = text.replace(&format!("{}/", shadow.display()), &format!("{}/", cwd.display()));
    }
    let escaped: String = extra.iter().map(|p| format!(" {}", p.display().to_string().replace(' ', "\\ "))).collect();
    let mut out = String::with_capacity(text.len() + 4 * escaped.len());
    let mut rules = true;
    for line in text.lines() {
        out.push_str(line);
        // The rules (`output: inputs`) come first, up to the first blank line.
        rules &= !line.is_empty();
        if rules && !line.starts_with('#') && line.contains(':') {
            out.push_str(&escaped);
        }
        out.push('\n');
    }
    std::fs::write(&path, out)
}
