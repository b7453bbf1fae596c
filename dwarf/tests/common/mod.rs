//! Real debuggees for the tests: Rust programs compiled with the real
//! rustc, run as children, their memory read through `/proc/<pid>/mem`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

use hotbreak_dwarf::{Memory, Node, Program, TypeRef};
use object::{Object, ObjectSymbol};

/// Where test programs are built: under the cargo target dir.
pub fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hotbreak-dwarf");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Compiles `tests/programs/<name>.rs` with `args` into `out`.
pub fn rustc(name: &str, out: &Path, args: &[&str]) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(format!("{name}.rs"));
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let status = Command::new(rustc)
        .args(["--edition", "2021", "-o"])
        .arg(out)
        .args(args)
        .arg(&src)
        .status()
        .expect("run rustc");
    assert!(status.success(), "rustc {name} {args:?} failed");
}

/// The runtime address of `symbol` minus its symtab value.
pub fn bias_of(exe: &Path, symbol: &str, runtime: u64) -> u64 {
    let data = std::fs::read(exe).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let sym = file
        .symbols()
        .find(|s| s.name() == Ok(symbol))
        .unwrap_or_else(|| panic!("{symbol} not in {}'s symtab", exe.display()));
    runtime - sym.address()
}

pub struct ProcMem(File);

impl ProcMem {
    pub fn open(pid: u32) -> ProcMem {
        ProcMem(File::open(format!("/proc/{pid}/mem")).expect("open /proc/pid/mem"))
    }
}

impl Memory for ProcMem {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), String> {
        self.0.read_exact_at(buf, addr).map_err(|e| e.to_string())
    }
}

/// A running test program: what it printed, and its memory.
pub struct Debuggee {
    child: Child,
    stdin: Mutex<Option<ChildStdin>>,
    pub exe: PathBuf,
    pub mem: ProcMem,
    /// `name addr marker` lines.
    pub values: HashMap<String, (u64, u64)>,
    /// Every other line, by its first word(s): `anchor`, `debug map`, ...
    pub lines: Vec<String>,
    pub program: Program,
}

impl Debuggee {
    /// Starts `exe`, reads what it prints up to `ready`, loads its DWARF.
    pub fn start(exe: &Path) -> Debuggee {
        Debuggee::start_with(exe, &[])
    }

    /// Also loads each shared library `(path, anchor symbol, printed line
    /// prefix of the anchor's address)` at the bias that anchor gives.
    pub fn start_with(exe: &Path, libs: &[(&Path, &str, &str)]) -> Debuggee {
        let mut child = Command::new(exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start test program");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut values = HashMap::new();
        let mut lines = Vec::new();
        for line in stdout.lines() {
            let line = line.unwrap();
            if line == "ready" {
                break;
            }
            let words: Vec<&str> = line.split(' ').collect();
            let hex = |s: &str| {
                s.strip_prefix("0x")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
            };
            match words.as_slice() {
                [name, a, m] if hex(a).is_some() && hex(m).is_some() => {
                    values.insert(name.to_string(), (hex(a).unwrap(), hex(m).unwrap()));
                }
                _ => lines.push(line),
            }
        }
        let mem = ProcMem::open(child.id());
        let stdin = Mutex::new(child.stdin.take());
        let mut dbg = Debuggee {
            child,
            stdin,
            exe: exe.to_path_buf(),
            mem,
            values,
            lines,
            program: Program::new(),
        };
        let anchor = dbg.line_value("anchor ");
        let bias = bias_of(exe, "hb_anchor", anchor);
        dbg.program.add_object(exe, bias).unwrap();
        for (lib, symbol, prefix) in libs {
            let bias = bias_of(lib, symbol, dbg.line_value(prefix));
            dbg.program.add_object(lib, bias).unwrap();
        }
        dbg
    }

    /// The hex number after `prefix` in a printed line.
    pub fn line_value(&self, prefix: &str) -> u64 {
        let rest = self.line(prefix);
        u64::from_str_radix(rest.trim_start_matches("0x"), 16).unwrap()
    }

    /// The rest of the printed line that starts with `prefix`.
    pub fn line(&self, prefix: &str) -> &str {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no line `{prefix}`"))
    }

    /// A printed value's type (from its marker) and address.
    pub fn value(&self, name: &str) -> (TypeRef, u64) {
        let (addr, marker) = *self
            .values
            .get(name)
            .unwrap_or_else(|| panic!("no value {name}"));
        let ty = self
            .program
            .type_of_marker(marker)
            .unwrap_or_else(|| panic!("no marker type for {name}"));
        (ty, addr)
    }

    pub fn node(&self, name: &str, path: &[&str]) -> Node {
        let (ty, addr) = self.value(name);
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        self.program
            .render(ty, addr, &path, &self.mem)
            .unwrap_or_else(|e| panic!("render {name} {path:?}: {e}"))
    }

    pub fn summary(&self, name: &str) -> String {
        self.node(name, &[]).summary
    }

    /// Lets the program end (it waits for end of input).
    pub fn finish(&self) {
        if let Some(mut stdin) = self.stdin.lock().unwrap().take() {
            let _ = stdin.write_all(b"bye\n");
        }
    }
}

impl Drop for Debuggee {
    fn drop(&mut self) {
        self.finish();
        let _ = self.child.wait();
    }
}
