//! The crates arming latency is measured on: the bundled fixture, and
//! generated crates of a given size (written under target/, never
//! committed).

use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const FN_LINES: usize = 13;
const FNS_PER_MODULE: usize = 46;

pub struct Crate {
    pub name: String,
    pub workspace: PathBuf,
    pub package: String,
    /// Relative to the workspace, as rustc names it.
    pub file: String,
    pub break_line: u32,
    /// A stdin command that makes the program run the break line (a
    /// generated program also runs `call N` for each argument `N`, before
    /// reading stdin: a session that gives it no stdin reaches the line).
    pub call_command: String,
    pub lines: usize,
}

impl Crate {
    pub fn fixture(ws: &Path) -> Crate {
        let file = "examples/fixture/src/logic.rs".to_string();
        let text = std::fs::read_to_string(ws.join(&file)).unwrap_or_default();
        let break_line = text.lines().position(|l| l.contains("stats.total += square;")).unwrap_or(0) as u32 + 1;
        let lines = std::fs::read_dir(ws.join("examples/fixture/src"))
            .map(|d| d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).map(|t| t.lines().count()).sum())
            .unwrap_or(0);
        Crate { name: "examples/fixture".into(), workspace: ws.to_path_buf(), package: "fixture".into(), file, break_line, call_command: "acc 3".into(), lines }
    }

    /// A crate of about `lines` lines of debuggable functions.
    pub fn generate(ws: &Path, lines: usize) -> Result<Crate> {
        let dir = ws.join(format!("target/hotbreak-bench/gen-{lines}"));
        let package = format!("gen{lines}");
        let fns = (lines / FN_LINES).max(1);
        let modules = fns.div_ceil(FNS_PER_MODULE);
        let runtime = ws.join("runtime");
        write_if_changed(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{package}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nhotbreak = {{ path = {:?} }}\n\n[workspace]\n",
                runtime.display().to_string()
            ),
        )?;
        let mut main = String::new();
        for m in 0..modules {
            writeln!(main, "mod m{m};")?;
        }
        main.push_str("\nstatic FNS: &[fn(u64) -> u64] = &[\n");
        for f in 0..fns {
            let (m, j) = (f / FNS_PER_MODULE, f % FNS_PER_MODULE);
            writeln!(main, "    m{m}::f_{m}_{j},")?;
        }
        main.push_str(
            "];\n\nfn main() {\n    use std::io::BufRead;\n    println!(\"ready\");\n    \
             for k in std::env::args().skip(1).filter_map(|a| a.parse::<usize>().ok()) {\n        \
             println!(\"> {}\", FNS[k % FNS.len()](k as u64));\n    }\n    for line in std::io::stdin().lock().lines().map_while(Result::ok) {\n        \
             if let Some(k) = line.strip_prefix(\"call \").and_then(|k| k.trim().parse::<usize>().ok()) {\n            \
             println!(\"> {}\", FNS[k % FNS.len()](k as u64));\n        }\n    }\n}\n",
        );
        write_if_changed(&dir.join("src/main.rs"), &main)?;
        for m in 0..modules {
            let mut text = String::new();
            for j in 0..FNS_PER_MODULE.min(fns - m * FNS_PER_MODULE) {
                write!(
                    text,
                    "#[hotbreak::debuggable]\npub fn f_{m}_{j}(x: u64) -> u64 {{\n    let mut acc = x;\n    for i in 0..4u64 {{\n        \
                     acc = acc.wrapping_mul(31).wrapping_add(i);\n        if acc % 7 == 3 {{\n            acc ^= {j};\n        }}\n    }}\n    \
                     let label = format!(\"{{acc}}\");\n    acc + label.len() as u64\n}}\n\n"
                )?;
            }
            write_if_changed(&dir.join(format!("src/m{m}.rs")), &text)?;
        }
        Ok(Crate {
            name: format!("generated {lines}"),
            workspace: dir,
            package,
            file: "src/m0.rs".into(),
            break_line: 5,
            call_command: "call 0".into(),
            lines: fns * FN_LINES + main.lines().count(),
        })
    }

    /// (file, line in the loop) of the first `n` generated functions.
    pub fn functions_with_lines(&self, n: usize) -> Result<Vec<(String, u32)>> {
        Ok((0..n).map(|f| (format!("src/m{}.rs", f / FNS_PER_MODULE), ((f % FNS_PER_MODULE) * FN_LINES + 5) as u32)).collect())
    }

    /// A crate whose file may be edited: generated crates are ours; the
    /// fixture is copied (with the runtime it needs) under target/.
    pub fn editable_copy(&self) -> Result<Crate> {
        if self.package != "fixture" {
            return Ok(Crate { name: self.name.clone(), workspace: self.workspace.clone(), package: self.package.clone(), file: self.file.clone(), break_line: self.break_line, call_command: self.call_command.clone(), lines: self.lines });
        }
        let dir = self.workspace.join("target/hotbreak-bench/fixture-copy");
        for part in ["examples/fixture", "runtime", "macros"] {
            copy_dir(&self.workspace.join(part), &dir.join(part))?;
        }
        std::fs::copy(self.workspace.join("Cargo.lock"), dir.join("Cargo.lock"))?;
        write_if_changed(
            &dir.join("Cargo.toml"),
            "[workspace]\nmembers = [\"examples/fixture\", \"runtime\", \"macros\"]\nresolver = \"2\"\n\n[workspace.package]\nedition = \"2021\"\nlicense = \"MIT OR Apache-2.0\"\nrust-version = \"1.88\"\n",
        )?;
        Ok(Crate { workspace: dir, ..Crate::fixture(&self.workspace) })
    }
}

fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().context("parent")?)?;
    std::fs::write(path, text)?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to.join(&name))?;
        } else {
            write_if_changed(&to.join(&name), &std::fs::read_to_string(entry.path())?)?;
        }
    }
    Ok(())
}
