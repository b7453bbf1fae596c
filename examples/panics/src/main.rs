//! Averages batches of samples on worker threads, recovering from some bad
//! input and not from other. Knows nothing of hotbreak: the panic tests
//! drive it (`cargo hotbreak run -p panics -- worker|caught|serve`).

use std::panic;
use std::thread;
use std::time::Duration;

/// The mean of a batch: an empty one divides by zero.
fn mean(samples: &[u32]) -> u32 {
    let total: u32 = samples.iter().sum();
    total / samples.len() as u32
}

/// A verbosity level given as a number.
fn parse_level(text: &str) -> u8 {
    text.parse().expect("a level is a number")
}

/// A worker thread averages the batches, one of them empty; the main
/// thread reports progress until the worker is done, then ends the way the
/// worker did.
fn worker() {
    let batches = vec![vec![3, 4, 5], vec![]];
    let handle = thread::Builder::new().name("worker".into()).spawn(move || batches.iter().map(|b| mean(b)).collect::<Vec<u32>>()).unwrap();
    let mut tick = 0;
    while !handle.is_finished() {
        tick += 1;
        println!("main: tick {tick}");
        thread::sleep(Duration::from_millis(20));
    }
    match handle.join() {
        Ok(means) => println!("means {means:?}"),
        // Ends as the worker did: exit code 101, no second message.
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// Bad input that the program recovers from (inside `catch_unwind`, on
/// the main thread and on another), then bad input it does not.
fn caught() {
    let empty = panic::catch_unwind(|| mean(&[]));
    println!("recovered from an empty batch: {}", empty.is_err());
    let careful = thread::Builder::new().name("careful".into()).spawn(|| panic::catch_unwind(|| parse_level("high")).is_err()).unwrap();
    println!("careful thread recovered: {}", careful.join().unwrap());
    let level = parse_level("loud");
    println!("level {level}");
}

/// Serves a request every 20 ms, one batch each; every 25th batch is
/// empty, and the server recovers from it.
fn serve() {
    for round in 1u32.. {
        let batch = if round % 25 == 0 { vec![] } else { vec![round, round + 1] };
        match panic::catch_unwind(|| mean(&batch)) {
            Ok(m) => println!("round {round}: mean {m}"),
            Err(_) => println!("round {round}: bad batch"),
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("worker") => worker(),
        Some("caught") => caught(),
        Some("serve") => serve(),
        _ => {
            eprintln!("usage: panics worker|caught|serve");
            std::process::exit(2);
        }
    }
}
