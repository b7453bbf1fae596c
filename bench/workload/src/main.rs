//! The benchmark's workload: call-heavy code and loops like user code (`user.rs`), built with and without
//! `#[hotbreak::debuggable]` (feature `debuggable`).
//!
//! `bench-workload once KERNEL N` prints the nanoseconds one run took;
//! `bench-workload serve` reads `KERNEL N` lines and answers each the same way.

mod kernels;
mod user;

use std::io::BufRead;
use std::time::Instant;

fn run(kernel: &str, n: u64) -> Option<(u128, u64)> {
    let mut inputs = user::Inputs::new();
    let started = Instant::now();
    let result = match kernel {
        "calls" => kernels::calls(n),
        "methods" => kernels::methods(n),
        "traits" => kernels::traits(n),
        "fib" => kernels::fib(n as u32),
        "generic" => kernels::generic(n),
        "awaits" => kernels::block_on(kernels::awaits(n)),
        "awaits_task" => kernels::poll_as_task(kernels::awaits(n)),
        "loop" => kernels::kernel(n),
        "cold" => kernels::cold(n),
        other => user::run(other, n, &mut inputs)?,
    };
    Some((started.elapsed().as_nanos(), std::hint::black_box(result)))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("once") => {
            let n = args[3].parse().expect("N");
            let (ns, result) = run(&args[2], n).expect("kernel");
            println!("ns={ns} result={result}");
        }
        _ => {
            println!("ready");
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                let mut words = line.split_whitespace();
                let (Some(kernel), Some(n)) = (words.next(), words.next().and_then(|w| w.parse().ok())) else { continue };
                match run(kernel, n) {
                    Some((ns, result)) => println!("ns={ns} result={result}"),
                    None => println!("unknown kernel {kernel}"),
                }
            }
        }
    }
}
