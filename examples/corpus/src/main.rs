//! A corpus of function shapes for the rewriter: the tests put a breakpoint
//! on every line of every function here and check each still behaves as
//! the original. `run NAME` prints `> NAME = <result>`.

mod async_shapes;
mod shapes;

use std::io::BufRead;

fn main() {
    // Panics are part of some results; keep stderr quiet.
    std::panic::set_hook(Box::new(|_| {}));
    println!("ready");
    for line in std::io::stdin().lock().lines() {
        let name = line.unwrap();
        let name = name.trim();
        let result = std::panic::catch_unwind(|| shapes::run(name).or_else(|| async_shapes::run(name)));
        match result {
            Ok(Some(out)) => println!("> {name} = {out}"),
            Ok(None) => println!("> {name} = unknown"),
            Err(e) => {
                let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                println!("> {name} = panicked: {}", msg.unwrap_or_default());
            }
        }
    }
}
