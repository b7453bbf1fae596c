#[hotbreak::debuggable(fast)]
fn f() {}

fn main() {}
