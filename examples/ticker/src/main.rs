//! A program that runs by itself: a loop of ticks, for debugging with
//! `cargo hotbreak run -p ticker -- [TICKS]`.

use std::time::Duration;

#[allow(dead_code)] // read through Debug at stops
#[derive(Debug, Clone)]
struct Point {
    x: i32,
    y: i32,
}

#[allow(dead_code)]
#[derive(Debug, Clone)]
struct Reading {
    step: u64,
    value: f64,
    tags: Vec<String>,
    origin: Point,
}

#[hotbreak::debuggable]
fn tick(step: u64, history: &mut Vec<u64>) -> u64 {
    let reading = Reading { step, value: step as f64 * 1.5, tags: vec![format!("t{step}")], origin: Point { x: step as i32, y: -(step as i32) } };
    let total = scale(reading.step);
    history.push(total);
    if history.len() > 3 {
        history.remove(0);
    }
    total
}

#[hotbreak::debuggable]
fn scale(x: u64) -> u64 {
    let factor = 3;
    x * factor
}

fn main() {
    let ticks: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(u64::MAX);
    let mut history = Vec::new();
    for step in 1..=ticks {
        let total = tick(step, &mut history);
        println!("tick {step} total {total}");
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("done after {ticks} ticks");
}

/// A template, not code that runs: a breakpoint in it gets a hint.
#[allow(unused_macros)]
macro_rules! twice {
    ($e:expr) => {
        $e * 2
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[hotbreak::debuggable]
    fn ticks_keep_the_last_three() {
        let mut history = Vec::new();
        for step in 1..=5 {
            tick(step, &mut history);
        }
        let expected = vec![9, 12, 15];
        assert_eq!(history, expected);
    }
}
