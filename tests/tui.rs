//! The terminal UI as a user sees it: `cargo hotbreak run` inside tmux,
//! driven with send-keys, read back with capture-pane. The program is a
//! copy of the ticker example in a scratch crate, because the test edits
//! its source while it runs.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{scratch_crate, workspace};

/// Generous: the first run builds the scratch crate's dependencies.
const FIRST_SCREEN: Duration = Duration::from_secs(900);
const LIMIT: Duration = Duration::from_secs(120);

/// A tmux server of our own, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, command: &str) -> Tmux {
        // One server per test: tests of this file run at once.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux { socket: format!("hotbreak-test-{}-{n}", std::process::id()) };
        let status = tmux
            .cmd()
            .args(["new-session", "-d", "-s", "t", "-x", &width.to_string(), "-y", &height.to_string(), command])
            .status()
            .expect("tmux is installed");
        assert!(status.success());
        tmux
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        c
    }

    /// Sends keys (tmux key names or literal text).
    fn keys(&self, keys: &[&str]) {
        let status = self.cmd().args(["send-keys", "-t", "t"]).args(keys).status().unwrap();
        assert!(status.success());
    }

    fn text(&self, literal: &str) {
        let status = self.cmd().args(["send-keys", "-t", "t", "-l", literal]).status().unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = self.cmd().args(["capture-pane", "-p", "-t", "t"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn alternate_screen_on(&self) -> bool {
        let out = self.cmd().args(["display-message", "-p", "-t", "t", "#{alternate_on}"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Polls the screen until `ready` holds: the UI redraws when something
    /// happens, and capture-pane is how a test sees it.
    fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if started.elapsed() > limit {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn line_in(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not in {}", file.display())) + 1
}

/// `(step, total)` of the `tick N total M` lines on screen.
fn ticks(screen: &str) -> Vec<(u64, u64)> {
    screen
        .lines()
        .filter_map(|l| {
            let rest = l.split("tick ").nth(1)?;
            let mut words = rest.split_whitespace();
            let step = words.next()?.parse().ok()?;
            (words.next()? == "total").then_some(())?;
            let total = words.next()?.trim_end_matches('│').parse().ok()?;
            Some((step, total))
        })
        .collect()
}

/// The source pane's row for `line`: gutter mark, number, stop arrow.
fn gutter(screen: &str, line: usize) -> Option<String> {
    let number = format!("{line:>2}");
    screen.lines().find_map(|l| {
        let inner = l.strip_prefix('│')?;
        let mut chars = inner.chars();
        let mark = chars.next()?;
        let rest: String = chars.collect();
        let arrow = rest.strip_prefix(&number)?.chars().next()?;
        Some(format!("{mark}{number}{arrow}"))
    })
}

/// Rows of the Locals pane before the one naming `name`.
fn locals_row(screen: &str, name: &str) -> usize {
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("│▸ ") || l.contains("│▾ ")).collect();
    rows.iter().position(|l| l.contains(&format!(" {name}: "))).unwrap_or_else(|| panic!("no local {name} in:\n{screen}"))
}

#[test]
fn the_terminal_ui_debugs_and_hot_patches_a_running_program() {
    let dir = scratch_crate("edited-ticker");
    let main_rs = dir.join("src/main.rs");
    let original = std::fs::read_to_string(&main_rs).unwrap();
    let state = dir.join("state");
    let command = format!(
        "cd '{}' && CARGO_TARGET_DIR='{}' HOTBREAK_STATE='{}' '{}' hotbreak run; echo \"hotbreak exited with $?\"; stty -a; exec cat",
        dir.display(),
        workspace().join("target").display(),
        state.display(),
        env!("CARGO_BIN_EXE_cargo-hotbreak"),
    );
    let tmux = Tmux::start(80, 24, &command);

    // The layout: source with line numbers, side panes, output, status.
    let screen = tmux.wait_for("the main screen with ticks", FIRST_SCREEN, |s| s.contains(" running ") && ticks(s).len() >= 2);
    for part in ["src/main.rs", "Locals", "Breakpoints", "Threads & stack", "Output", "? help", "edited-ticker pid"] {
        assert!(screen.contains(part), "no {part:?} on:\n{screen}");
    }
    assert!(gutter(&screen, 1).is_some_and(|g| g.contains(" 1")), "no line numbers:\n{screen}");
    let pid: String = screen.split("edited-ticker pid ").nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();

    // A breakpoint toggled on a line of the running program stops it there.
    let at = line_in(&main_rs, "let total = scale(reading.step);");
    tmux.text(&format!(":{at}"));
    tmux.keys(&["Enter", "b"]);
    let screen = tmux.wait_for("the stop", LIMIT, |s| s.contains(" stopped ") && s.contains("│▸ reading: "));
    assert_eq!(gutter(&screen, at).as_deref(), Some(&*format!("●{at}▶")), "{screen}");
    for local in ["step: u64 = ", "history: &mut Vec<u64> = "] {
        assert!(screen.contains(local), "no {local:?} in Locals:\n{screen}");
    }
    assert!(screen.contains(&format!("● 1 main.rs:{at} armed")), "{screen}");

    // `n` moves the stop line.
    tmux.keys(&["n"]);
    let screen = tmux.wait_for("the next line", LIMIT, |s| gutter(s, at + 1).is_some_and(|g| g.ends_with('▶')) && s.contains("│▸ reading: "));
    assert_eq!(gutter(&screen, at).as_deref(), Some(&*format!("●{at} ")), "{screen}");

    // Expanding a struct in Locals shows its fields.
    tmux.keys(&["Tab"]);
    for _ in 0..locals_row(&screen, "reading") {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the fields of `reading`", LIMIT, |s| s.contains("▾ reading: Reading"));
    for field in ["▸ step = ", "▸ value = ", "▸ tags = [\"t"] {
        assert!(screen.contains(field), "no field {field:?} in:\n{screen}");
    }

    // `:print EXPR` compiles a Rust expression at the stop and shows its
    // value on top of Locals.
    tmux.text(":p step * 0 + 7");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the evaluated value", LIMIT, |s| s.contains("│  step * 0 + 7: u64 = 7"));

    // Off again (back in the source pane) and running natively.
    tmux.keys(&["BTab"]);
    tmux.text(&format!(":{at}"));
    tmux.keys(&["Enter", "b", "c"]);
    let screen = tmux.wait_for("running without the breakpoint", LIMIT, |s| s.contains(" running ") && !s.contains("● 1 main.rs"));
    let before = ticks(&screen).last().copied().unwrap_or((0, 0));

    // Saving an edited function changes what the running program prints.
    std::fs::write(&main_rs, original.replace("let factor = 3;", "let factor = 7;")).unwrap();
    let screen = tmux.wait_for("ticks of the edited code", LIMIT, |s| ticks(s).iter().any(|&(step, total)| step > before.0 && total == 7 * step));
    let edited = ticks(&screen).last().copied().unwrap();
    assert!(screen.contains("hot-patched"), "{screen}");
    assert!(screen.contains(&format!("edited-ticker pid {pid} ")), "the program restarted:\n{screen}");

    // A save that does not parse shows the error; the program runs on.
    let bad = line_in(&main_rs, "let factor = 7;");
    std::fs::write(&main_rs, original.replace("let factor = 3;", "let factor = ;")).unwrap();
    let screen = tmux.wait_for("the syntax error", LIMIT, |s| s.contains(&format!("main.rs:{bad}: error:")));
    assert_eq!(gutter(&screen, bad).map(|g| g.starts_with('E')), Some(true), "no error mark on line {bad}:\n{screen}");
    // rustc's message may have pushed every tick out of the output pane.
    let last = ticks(&screen).last().copied().unwrap_or(edited);
    let screen = tmux.wait_for("ticks after the error", LIMIT, |s| ticks(s).iter().any(|&(step, _)| step > last.0 + 2));
    assert!(ticks(&screen).iter().filter(|&&(step, _)| step > last.0).all(|&(step, total)| total == 7 * step), "not on its last good code:\n{screen}");

    // `q` asks, then quits and gives the terminal back as it was.
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", LIMIT, |s| s.contains("Quit?"));
    tmux.keys(&["y"]);
    // The shell prints the exit line, then `stty -a`: wait for its modes,
    // on or off, before judging them.
    let terminal_modes = ["icanon", "echo", "isig"];
    let screen = tmux.wait_for("the shell again, then stty", LIMIT, |s| {
        let words: Vec<&str> = s.split_whitespace().collect();
        s.contains("hotbreak exited with 0") && terminal_modes.iter().all(|m| words.contains(m) || words.contains(&format!("-{m}").as_str()))
    });
    assert!(!tmux.alternate_screen_on(), "still on the alternate screen:\n{screen}");
    let modes = screen.split_whitespace().collect::<Vec<_>>();
    for mode in terminal_modes {
        assert!(modes.contains(&mode), "terminal mode {mode} not restored:\n{screen}");
    }
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "the program outlived the session");
}

/// The stack pane: ↓ selects the native caller, whose locals (from DWARF)
/// replace the stop's and whose line the source pane marks; `H` puts a
/// breakpoint there, which stops the caller's next call.
#[test]
fn the_stack_pane_selects_a_callers_frame_and_breaks_there() {
    let program = include_str!("programs/frames_main.rs");
    let dir = support::scratch_crate_with("tui-frames", program);
    let main_rs = dir.join("src/main.rs");
    let command = format!(
        "cd '{}' && CARGO_TARGET_DIR='{}' HOTBREAK_STATE='{}' '{}' hotbreak run -- 1000000; exec cat",
        dir.display(),
        workspace().join("target").display(),
        dir.join("state").display(),
        env!("CARGO_BIN_EXE_cargo-hotbreak"),
    );
    let tmux = Tmux::start(150, 40, &command);
    tmux.wait_for("the program running", FIRST_SCREEN, |s| s.contains(" running ") && s.contains("round 2 result"));
    let sum = line_in(&main_rs, "let sum: u32");
    let call = line_in(&main_rs, "let t = total(&order.items);");
    tmux.text(&format!(":break src/main.rs:{sum}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the stop in `total`", LIMIT, |s| s.contains(" stopped ") && s.contains("▸#0 tui_frames::total"));

    // Focus the stack pane (Source -> Locals -> Breakpoints -> Stack), one frame down the list.
    tmux.keys(&["Tab", "Tab", "Tab", "Down"]);
    let screen = tmux.wait_for("the caller's frame and locals", LIMIT, |s| s.contains("▸#1 tui_frames::process") && s.contains("│▸ order: "));
    assert!(screen.contains("│▸ order: Order = Order { id: 7, customer: Customer { name:"), "{screen}");
    assert!(screen.contains("│▸ label: String = \"ann-"), "{screen}");
    assert_eq!(gutter(&screen, call).map(|g| g.ends_with('▷')), Some(true), "the caller's line is not marked:\n{screen}");

    // A click on `main`'s row selects it.
    let (row, col) = screen.lines().enumerate().find_map(|(r, l)| l.find("#2 tui_frames::main").map(|c| (r, l[..c].chars().count()))).expect(&screen);
    tmux.text(&format!("\x1b[<0;{};{}M\x1b[<0;{};{}m", col + 1, row + 1, col + 1, row + 1));
    tmux.wait_for("main's frame and locals", LIMIT, |s| s.contains("▸#2 tui_frames::main") && s.contains("│▸ rounds: u64 = 1000000"));
    tmux.keys(&["Up"]);
    tmux.wait_for("the caller's frame again", LIMIT, |s| s.contains("▸#1 tui_frames::process") && s.contains("│▸ order: "));

    // `H`: break here; `c`: the caller's next call stops on that line.
    tmux.keys(&["H"]);
    tmux.wait_for("the breakpoint in the caller", LIMIT, |s| s.contains(&format!("breakpoint 2 at src/main.rs:{call} in `process`")));
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("the stop in `process`", LIMIT, |s| s.contains(&format!("stopped (breakpoint 2) at src/main.rs:{call} in `process`")));
    assert_eq!(gutter(&screen, call).map(|g| g.ends_with('▶')), Some(true), "{screen}");
    tmux.keys(&["q", "y"]);
}

/// Rounds of `examples/panics serve` whose batch panicked, on screen.
fn bad_rounds(screen: &str) -> Vec<u32> {
    screen.lines().filter_map(|l| l.split("round ").nth(1)?.split_once(": bad batch").and_then(|(n, _)| n.parse().ok())).collect()
}

#[test]
fn the_p_key_switches_catching_panics() {
    let state = workspace().join("target/hotbreak/test-state/tui-panics");
    let _ = std::fs::remove_dir_all(&state);
    let command = format!(
        "cd '{}' && HOTBREAK_STATE='{}' '{}' hotbreak run -p panics -- serve; echo \"hotbreak exited with $?\"; exec cat",
        workspace().display(),
        state.display(),
        env!("CARGO_BIN_EXE_cargo-hotbreak"),
    );
    let tmux = Tmux::start(120, 30, &command);
    let screen = tmux.wait_for("the program serving", FIRST_SCREEN, |s| s.contains(" running ") && s.contains("round "));
    assert!(screen.contains("P panics"), "the key is shown:\n{screen}");
    assert!(!screen.contains("catch panic"), "{screen}");
    tmux.keys(&["?"]);
    tmux.wait_for("the help", LIMIT, |s| s.contains("catch panics on / off"));
    tmux.keys(&["Escape"]);

    // On: the next bad batch stops its thread in `mean`, inside the
    // program's catch_unwind, before unwinding.
    tmux.keys(&["P"]);
    let screen = tmux.wait_for("the panic stop", LIMIT, |s| s.contains(" stopped ") && s.contains("#0 panics::mean"));
    assert!(screen.contains("│ catch panic"), "the status bar says it catches:\n{screen}");
    assert!(screen.contains("stopped: panic at examples/panics/src/main.rs:12:5 in thread 'main': attempt to divide by zero"), "{screen}");
    assert!(gutter(&screen, 12).is_some_and(|g| g.ends_with('▶')), "the source pane shows the panicking line:\n{screen}");

    // Off, and on: the panic goes into the program's catch_unwind, and the
    // next bad batches run through without a stop.
    tmux.keys(&["P"]);
    tmux.wait_for("catching off", LIMIT, |s| s.contains("not catching panics") && !s.contains("│ catch panic"));
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("the stopped round recovering", LIMIT, |s| s.contains(" running ") && !bad_rounds(s).is_empty());
    let first = *bad_rounds(&screen).iter().max().unwrap();
    let screen = tmux.wait_for("a later bad batch, not stopped", LIMIT, |s| bad_rounds(s).iter().any(|&r| r > first));
    assert!(screen.contains(" running ") && !screen.contains(" stopped "), "{screen}");

    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", LIMIT, |s| s.contains("Quit?"));
    tmux.keys(&["y"]);
    tmux.wait_for("the shell again", LIMIT, |s| s.contains("hotbreak exited with 0"));
}
