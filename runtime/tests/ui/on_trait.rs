#[hotbreak::debuggable]
trait Speak {
    fn speak(&self) -> String;
}

fn main() {}
