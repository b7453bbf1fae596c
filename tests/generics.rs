//! Breakpoints in generic code of the unmodified `plain` package, built
//! optimized: instances inlined into their callers stop too, and an
//! instance only another crate makes (the patch build compiles the
//! defining crate alone) is named as not covered, never missed silently.

mod support;

use support::{assert_in_order, fresh_state, hotbreak, line_of};

const LIB: &str = "examples/plain/src/lib.rs";

#[test]
fn a_generic_fn_in_a_release_build_stops_in_the_instances_its_crate_makes_and_names_the_others() {
    let at = line_of(LIB, "let width = item.as_ref().chars().count();");
    let script = [&format!("break lib.rs:{at}"), "continue", "locals", "continue", ""].join("\n");
    let run = hotbreak(&["run", "--release", "-p", "plain", "--batch", "--", "2"], &script, &fresh_state("generics-release"));
    assert!(run.success, "{}\n{}", run.stdout, run.stderr);
    assert_in_order(
        &run.stdout,
        &[
            "`widest`: covers widest::<alloc::string::String>; not covered, these run their native code: widest::<&str>",
            &format!("stopped (breakpoint 1) at {LIB}:{at} in `widest`"),
            "item: &alloc::string::String = \"cash\"",
            "plain: widths 4 4",
            "program exited with status 0",
        ],
    );
    assert_eq!(run.stdout.matches("stopped (breakpoint 1)").count(), 1, "{}", run.stdout);
}
