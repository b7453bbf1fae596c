//! An optimized build's entry check is a flag the optimizer reads once
//! before a loop the function is inlined into (ARCHITECTURE.md, "The entry
//! check"): arming names the functions holding such copies (never a silent
//! miss), and a breakpoint armed before the loop starts stops in it.

mod support;

use support::{assert_in_order, fresh_state, hotbreak_in, scratch_crate_with};

const PROGRAM: &str = r#"const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[hotbreak::debuggable]
fn step(x: u64) -> u64 {
    x.wrapping_mul(K) ^ (x >> 3)
}

#[hotbreak::debuggable]
fn run(n: u64) -> u64 {
    let mut acc = 0u64;
    for x in 0..n {
        acc = acc.wrapping_add(step(x));
    }
    acc
}

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    println!("sum {}", run(std::hint::black_box(n)));
}
"#;

#[test]
fn arming_in_an_optimized_build_names_the_functions_it_is_inlined_into() {
    let dir = scratch_crate_with("inlined-release", PROGRAM);
    let at = PROGRAM.lines().position(|l| l.contains("x.wrapping_mul(K)")).unwrap() + 1;
    let script = format!("break src/main.rs:{at}\ncontinue\n");
    let run = hotbreak_in(&dir, &["hotbreak", "run", "--release", "--batch", "--", "3"], &script, &fresh_state("inlined-release"));
    assert_in_order(
        &run.stdout,
        &[
            "optimized build: `step` is inlined into inlined_release::",
            "a call of those already running keeps its native code there (its check may be read once, before a loop) until that function is called again",
            &format!("stopped (breakpoint 1) at src/main.rs:{at} in `step`"),
        ],
    );
}
