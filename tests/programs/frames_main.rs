//! Frames for the stack tests.

#[derive(Clone)]
struct Customer {
    name: String,
    tier: u8,
}

#[derive(Clone)]
struct Order {
    id: u32,
    customer: Customer,
    items: Vec<u32>,
    note: Option<String>,
    ratio: f64,
}

#[hotbreak::debuggable]
fn total(items: &[u32]) -> u32 {
    let sum: u32 = items.iter().sum();
    sum
}

#[hotbreak::debuggable]
fn process(mut order: Order, round: u64) -> u32 {
    order.ratio *= 2.0;
    let label = format!("{}-{round}", order.customer.name);
    let t = total(&order.items);
    t + label.len() as u32 + order.id + order.customer.tier as u32
}

fn main() {
    let rounds: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    for round in 1..=rounds {
        let note = if round % 2 == 0 { Some(format!("even {round}")) } else { None };
        let order = Order { id: 7, customer: Customer { name: "ann".to_string(), tier: 2 }, items: vec![10, 20, round as u32], note, ratio: 0.5 };
        let result = process(order, round);
        println!("round {round} result {result}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
