//! Runs while cargo builds the ticker, not in it: hotbreak says so when a
//! breakpoint is set here.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
