//! Breakpoints in generic code of the unmodified `plain` package, built
//! optimized: instances inlined into their callers stop too, and so do
//! instances only a downstream crate makes (the executable's own crate and
//! the workspace libraries between, compiled again against the patch); an
//! instance still not covered is named, never missed silently.

mod support;

use support::{assert_in_order, fresh_state, hotbreak, line_of};

const LIB: &str = "examples/plain/src/lib.rs";

#[test]
fn a_generic_fn_in_a_release_build_stops_in_the_instances_its_crate_and_its_bin_make() {
    let at = line_of(LIB, "let width = item.as_ref().chars().count();");
    let script = [&format!("break lib.rs:{at}"), "continue", "locals", "continue", "locals", "continue", "locals", "continue", ""].join("\n");
    let run = hotbreak(&["run", "--release", "-p", "plain", "--batch", "--", "2"], &script, &fresh_state("generics-release"));
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_in_order(
        &run.stdout,
        &[
            // `widest::<&str>` only the bin makes.
            "`widest`: covers widest::<&str>, widest::<alloc::string::String>;",
            &format!("stopped (breakpoint 1) at {LIB}:{at} in `widest`"),
            "items: &[&str] = [\"ab\", \"cdef\"]",
            "item: &&str = \"ab\"",
            "item: &&str = \"cdef\"",
            "item: &alloc::string::String = \"cash\"",
            "plain: widths 4 4",
            "program exited with status 0",
        ],
    );
    assert!(!run.stdout.contains("not covered"), "{}", run.stdout);
    assert_eq!(run.stdout.matches("stopped (breakpoint 1)").count(), 3, "{}", run.stdout);
}

/// A workspace of three crates: `shapes` defines a generic fn and makes
/// one instance, `mid` (a library using it) another, and the executable's
/// own crate `app` a third at a type of its own.
const SHAPES: &str = r#"pub trait Measure {
    fn size(&self) -> u64;
}

#[derive(Debug)]
pub struct Square(pub u64);

impl Measure for Square {
    fn size(&self) -> u64 {
        self.0 * self.0
    }
}

pub fn total<T: Measure + std::fmt::Debug>(items: &[T]) -> u64 {
    let mut sum = 0;
    for item in items {
        sum += item.size();
    }
    sum
}

pub fn squares() -> u64 {
    total(&[Square(2), Square(3)])
}

pub fn largest<T: Measure>(items: &[T]) -> u64 {
    let mut best = 0;
    for item in items {
        best = best.max(item.size());
    }
    best
}
"#;

const MID: &str = r#"use shapes::Measure;

#[derive(Debug)]
pub struct Circle(pub u64);

impl Measure for Circle {
    fn size(&self) -> u64 {
        3 * self.0 * self.0
    }
}

pub fn circles() -> u64 {
    shapes::total(&[Circle(2)])
}
"#;

const APP: &str = r#"use shapes::Measure;

#[derive(Debug)]
struct Tri {
    side: u32,
}

impl Measure for Tri {
    fn size(&self) -> u64 {
        (self.side * self.side / 2) as u64
    }
}

fn main() {
    println!("app: triangles {}", shapes::total(&[Tri { side: 4 }]));
    println!("app: circles {}", mid::circles());
    println!("app: squares {}", shapes::squares());
    println!("app: largest {}", shapes::largest(&[Tri { side: 4 }, Tri { side: 2 }]));
}
"#;

/// Writes the workspace under the target dir and returns its root.
fn three_crates(name: &str) -> std::path::PathBuf {
    let dir = support::workspace().join("target/hotbreak/test-crates").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let package = |member: &str, deps: &str, file: &str, text: &str| {
        let at = dir.join(member);
        std::fs::create_dir_all(at.join("src")).unwrap();
        let manifest = format!("[package]\nname = \"{member}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{deps}");
        std::fs::write(at.join("Cargo.toml"), manifest).unwrap();
        std::fs::write(at.join("src").join(file), text).unwrap();
    };
    package("shapes", "", "lib.rs", SHAPES);
    package("mid", "shapes = { path = \"../shapes\" }\n", "lib.rs", MID);
    package("app", "shapes = { path = \"../shapes\" }\nmid = { path = \"../mid\" }\n", "main.rs", APP);
    std::fs::write(dir.join("Cargo.toml"), "[workspace]\nmembers = [\"shapes\", \"mid\", \"app\"]\nresolver = \"2\"\n").unwrap();
    dir
}

#[test]
fn instances_the_executable_s_crate_and_a_library_between_make_stop_with_their_own_locals() {
    let dir = three_crates("generics-downstream");
    let at = SHAPES.lines().position(|l| l.contains("sum += item.size();")).unwrap() + 1;
    let script = [
        &format!("break shapes/src/lib.rs:{at}"),
        "continue",
        "locals",
        // Compiled expressions are refused here: the eval library's site is
        // the defining crate's instance, not the stopped one (it read Tri's
        // locals as a Square); fields of locals are read as they are.
        "print item.size() + 1000",
        "print item.side",
        "continue",
        "locals",
        "continue",
        "locals",
        "continue",
        "continue",
        "",
    ]
    .join("\n");
    let run = support::hotbreak_in(&dir, &["hotbreak", "run", "-p", "app", "--batch"], script.as_str(), &fresh_state("generics-downstream"));
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_in_order(
        &run.stdout,
        &[
            "`total`: covers total::<app::Tri>, total::<mid::Circle>, total::<shapes::Square>",
            &format!("stopped (breakpoint 1) at shapes/src/lib.rs:{at} in `total`"),
            "items: &[app::Tri] = [Tri { side: 4 }]",
            "item: &app::Tri = Tri { side: 4 }",
            "`total` is generic and the program runs several instances of it: an expression is not compiled at its stops yet",
            "item.side = 4",
            &format!("stopped (breakpoint 1) at shapes/src/lib.rs:{at} in `total`"),
            "item: &mid::Circle = Circle(2)",
            &format!("stopped (breakpoint 1) at shapes/src/lib.rs:{at} in `total`"),
            "item: &shapes::Square = Square(2)",
            "program exited with status 0",
        ],
    );
    assert!(!run.stdout.contains("not covered"), "{}", run.stdout);
    for line in ["app: triangles 8", "app: circles 12", "app: squares 13"] {
        assert!(run.stdout.contains(line), "{line} in {}", run.stdout);
    }
    // One stop each in Tri's and Circle's instance, two in Square's.
    assert_eq!(run.stdout.matches("stopped (breakpoint 1)").count(), 4, "{}", run.stdout);
}

#[test]
fn an_instance_whose_crate_does_not_compile_against_the_patch_is_named_with_rustc_s_error() {
    let dir = three_crates("generics-downstream-refused");
    let at = SHAPES.lines().position(|l| l.contains("sum += item.size();")).unwrap() + 1;
    // A condition only the instances of 8-byte types compile: the
    // executable's `Tri` (4 bytes) fails when its crate is compiled
    // against the patch (a post-monomorphization error); `mid`'s does not.
    let condition = "{ const { assert!(std::mem::size_of::<T>() == 8) }; true }";
    let script = [&format!("break shapes/src/lib.rs:{at} if {condition}"), "continue", "locals", "delete 1", "continue", ""].join("\n");
    let run = support::hotbreak_in(&dir, &["hotbreak", "run", "-p", "app", "--batch"], script.as_str(), &fresh_state("generics-downstream-refused"));
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_in_order(
        &run.stdout,
        &[
            "`total`: covers total::<mid::Circle>, total::<shapes::Square>; not covered, these run their native code: total::<app::Tri> \
             (`app` (bin) does not compile against the patch: error[E0080]",
            // Tri's instance runs natively: the first stop is in Circle's.
            &format!("stopped (breakpoint 1) at shapes/src/lib.rs:{at} in `total`"),
            "item: &mid::Circle = Circle(2)",
            "program exited with status 0",
        ],
    );
    assert!(run.stdout.contains("app: triangles 8"), "{}", run.stdout);
}

/// `largest` runs only at the executable's `Tri`, whose crate does not
/// compile against the patch: the breakpoint covers no instance, and
/// arming says it cannot hit instead of a bare "armed".
#[test]
fn a_breakpoint_whose_patch_covers_no_instance_says_it_cannot_hit() {
    let dir = three_crates("generics-covers-none");
    let at = SHAPES.lines().position(|l| l.contains("best = best.max(item.size());")).unwrap() + 1;
    let condition = "{ const { assert!(std::mem::size_of::<T>() == 8) }; true }";
    let script = [&format!("break shapes/src/lib.rs:{at} if {condition}"), "continue", ""].join("\n");
    let run = support::hotbreak_in(&dir, &["hotbreak", "run", "-p", "app", "--batch"], script.as_str(), &fresh_state("generics-covers-none"));
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_in_order(
        &run.stdout,
        &[
            "`largest`: the patch covers none of its instances in the program; not covered, these run their native code: largest::<app::Tri>",
            &format!("breakpoint 1 at shapes/src/lib.rs:{at} in `largest`: armed in "),
            ", but it cannot hit: no instance the program runs has the patch",
            "app: largest 8",
            "program exited with status 0",
        ],
    );
    assert!(!run.stdout.contains("stopped (breakpoint 1)"), "{}", run.stdout);
}
