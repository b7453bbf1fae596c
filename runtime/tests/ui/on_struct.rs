#[hotbreak::debuggable]
struct Point {
    x: i32,
}

fn main() {}
