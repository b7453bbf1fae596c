//! Functions that loop for a long time: a breakpoint set while one runs
//! stops in that running frame at its loop's next iteration (issue 19).
//! `cargo hotbreak run -p loops -- [ROUNDS] [ROWS] [ENTRIES] [WATCHES] [HOPS]`

use std::sync::mpsc::{channel, Receiver};
use std::thread;
use std::time::Duration;

fn main() {
    let rounds: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(300);
    let rows: u64 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let entries: u64 = std::env::args().nth(3).and_then(|a| a.parse().ok()).unwrap_or(3);
    let watches: u64 = std::env::args().nth(4).and_then(|a| a.parse().ok()).unwrap_or(3);
    let hops: u64 = std::env::args().nth(5).and_then(|a| a.parse().ok()).unwrap_or(3);
    let (tx, rx) = channel::<u64>();
    let worker = thread::spawn(move || drain(rx));
    let mut total = 0u64;
    let mut seen: Vec<u64> = Vec::new();
    let tally = &mut seen;
    for i in 0..rounds {
        total += i;
        tally.push(i);
        tx.send(i).unwrap();
        println!("main: i={i} total={total}");
        pace();
    }
    drop(tx);
    let drained = worker.join().unwrap();
    println!("main: done total={total} seen={} drained={drained}", seen.len());
    let grid = cells(rows, 3);
    println!("main: grid={grid}");
    let mut ledger = Ledger { entries: Vec::new(), balance: 0 };
    let balance = ledger.settle(entries);
    println!("main: balance={balance} entries={} sum={}", ledger.entries.len(), ledger.sum());
    let ticks = watch(watches);
    println!("main: ticks={ticks}");
    let routed = route(Some(hops));
    println!("main: routed={routed}");
}

/// A loop in an arm of a `match` (with a guard).
fn route(plan: Option<u64>) -> u64 {
    match plan {
        Some(limit) if limit > 0 => {
            let mut hops = 0;
            while hops < limit {
                hops += 1;
                println!("route: hop={hops} of {limit}");
                pace();
            }
            hops
        }
        Some(_) => 0,
        None => 1,
    }
}

/// A loop in an `if let` in a branch of an `if` (and one in its `else`).
fn watch(rounds: u64) -> u64 {
    let mut ticks = 0;
    if rounds > 0 {
        let label = String::from("watch");
        if let Some(step) = rounds.checked_sub(rounds - 1) {
            for t in 0..rounds {
                ticks += t * step;
                println!("{label}: t={t} ticks={ticks}");
                pace();
            }
        }
    } else {
        loop {
            println!("watch: nothing to watch");
            break;
        }
    }
    ticks
}

trait Sum {
    fn sum(&self) -> u64;
}

/// A trait impl's method with a loop (its native body is nested in a trait
/// of its own: its sites are keyed by a qualified path).
impl Sum for Ledger {
    fn sum(&self) -> u64 {
        let mut total = 0;
        for e in &self.entries {
            total += e;
        }
        total
    }
}

struct Ledger {
    entries: Vec<u64>,
    balance: i64,
}

impl Ledger {
    /// A method's loop (`&mut self`).
    fn settle(&mut self, count: u64) -> i64 {
        for k in 0..count {
            self.balance += k as i64;
            self.entries.push(k);
            println!("ledger: k={k} balance={}", self.balance);
            pace();
        }
        self.balance
    }
}

/// A worker thread's loop: it blocks in `recv` between values.
fn drain(rx: Receiver<u64>) -> u64 {
    let mut sum = 0;
    while let Ok(v) = rx.recv() {
        sum += v * 2;
        println!("worker: v={v} sum={sum}");
    }
    sum
}

/// Nested loops.
fn cells(rows: u64, cols: u64) -> u64 {
    let mut grid = 0;
    for row in 0..rows {
        let mut line = String::new();
        for col in 0..cols {
            grid += row * 10 + col;
            line.push_str(&format!("{col}"));
            pace();
        }
        println!("cells: row={row} line={line} grid={grid}");
    }
    grid
}

fn pace() {
    thread::sleep(Duration::from_millis(15));
}
