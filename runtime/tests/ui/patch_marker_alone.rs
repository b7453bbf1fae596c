#[hotbreak::__patch]
fn f() {}

fn main() {}
