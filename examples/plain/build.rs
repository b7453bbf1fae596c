// Generates a function, as build scripts of real crates do.
fn main() {
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/generated.rs"), "pub fn build_salt() -> u64 {\n    7\n}\n").unwrap();
}
