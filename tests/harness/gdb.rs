//! Which lines run, decided apart from hotbreak: gdb runs the plain debug
//! build with a temporary breakpoint on each line (each stops once at
//! most, so hot lines cost nothing) and reports those it hit. A line whose
//! breakpoint gdb places on another line (no code of its own in the line
//! table) is left undecided.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

/// Sets the breakpoints, runs the program to its end, writes what it found.
const SCRIPT: &str = r#"
import gdb, json, os
req = json.load(open(os.environ["HB_GDB_IN"]))
for setting in ["pagination off", "confirm off", "breakpoint pending off"]:
    gdb.execute("set " + setting)
made, placed = {}, {}
for spec in req["specs"]:
    try:
        b = gdb.Breakpoint(spec, temporary=True)
    except gdb.error as e:
        placed[spec] = []
        continue
    placed[spec] = sorted({loc.source[1] for loc in b.locations if loc.source})
    made[b.number] = spec
gdb.execute("run " + req["run"])
while gdb.selected_inferior().pid != 0:
    gdb.execute("continue")
alive = {b.number for b in gdb.breakpoints()}
hit = sorted(spec for n, spec in made.items() if n not in alive)
json.dump({"placed": placed, "hit": hit}, open(os.environ["HB_GDB_OUT"], "w"))
"#;

/// For each `(file, line)` (file relative to `package`): `Some(ran)`, or
/// `None` when the line has no code of its own in the debug info.
pub fn ran_lines(
    exe: &Path,
    package: &Path,
    args: &[String],
    stdin: Option<&Path>,
    lines: &BTreeSet<(String, u32)>,
    work: &Path,
) -> Result<BTreeMap<(String, u32), Option<bool>>, String> {
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let spec = |(file, line): &(String, u32)| format!("{}:{line}", package.join(file).display());
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let input = stdin.map(|p| p.to_path_buf()).unwrap_or_else(|| "/dev/null".into());
    let run = format!(
        "{} < {} > {} 2> {}",
        args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
        quote(&input.display().to_string()),
        quote(&work.join("stdout").display().to_string()),
        quote(&work.join("stderr").display().to_string()),
    );
    let request = serde_json::json!({ "specs": lines.iter().map(spec).collect::<Vec<_>>(), "run": run });
    let (script, input_json, output_json) = (work.join("lines.py"), work.join("in.json"), work.join("out.json"));
    std::fs::write(&script, SCRIPT).map_err(|e| e.to_string())?;
    std::fs::write(&input_json, request.to_string()).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&output_json);
    let out = Command::new("gdb")
        .args(["-nx", "-batch", "-x"])
        .arg(&script)
        .arg(exe)
        .current_dir(package)
        .env("HB_GDB_IN", &input_json)
        .env("HB_GDB_OUT", &output_json)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run gdb (is it installed?): {e}"))?;
    let text = std::fs::read_to_string(&output_json)
        .map_err(|_| format!("gdb wrote no result: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))?;
    let result: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let hit: BTreeSet<&str> = result["hit"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
    Ok(lines
        .iter()
        .map(|key| {
            let s = spec(key);
            let placed: Vec<u64> = result["placed"][&s].as_array().into_iter().flatten().filter_map(|v| v.as_u64()).collect();
            let own = placed == [key.1 as u64];
            (key.clone(), own.then(|| hit.contains(s.as_str())))
        })
        .collect())
}
