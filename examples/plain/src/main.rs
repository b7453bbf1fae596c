use plain::ledger::{Account, Entry, Filter, Report};

fn parse_line(line: &str) -> Result<Entry, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    Entry::try_from(words.as_slice())
}

fn main() {
    let rounds: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let mut account = Account::open("cash");
    account.post(Entry { amount: plain::OPENING, credit: true });
    let mut seen = Vec::new();
    for round in 0..rounds {
        let line = if round % 3 == 2 { format!("debit {}", round * 4) } else { format!("credit {}", plain::double(round)) };
        let entry = parse_line(&line).expect("well formed");
        let balance = account.post(entry);
        seen.push(balance as u64);
        println!("plain: round {round}: {line} -> balance {balance}");
    }
    let big = Report::of(&account).matching(&Filter { at_least: 5 }).len();
    println!("plain: {big} entries of at least 5");
    let largest = account.largest().map(|e| e.amount).unwrap_or(0);
    println!("plain: largest {largest}, triple {}, checksum {}", plain::triple(largest as u64), plain::checksum(&seen));
    // `widest::<&str>` is made by this crate, `widest::<String>` by the library.
    println!("plain: widths {} {}", plain::widest(&["ab", "cdef"]), plain::widest_name(&[String::from("cash")]));
    match parse_line("credit") {
        Ok(_) => println!("plain: parsed a short line"),
        Err(e) => println!("plain: rejected: {e}"),
    }
}
