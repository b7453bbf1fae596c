//! Prices orders concurrently on a multi-threaded runtime while a heartbeat
//! task ticks. `tasks N` prices N orders; each awaits one price per item.

mod shop;

use shop::Audit;

use std::time::Duration;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    let heartbeat = tokio::spawn(async move {
        let mut beat = 0u32;
        loop {
            println!("tasks: beat {beat}");
            beat += 1;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = done_rx.changed() => break,
            }
        }
    });
    let mut orders = Vec::new();
    for id in 1..=count {
        let order = shop::Order::new(id, (1..=id).collect());
        orders.push(tokio::spawn(async move {
            let total = shop::total(&order).await;
            println!("tasks: order {} total {}", order.id, total);
            total
        }));
    }
    let mut grand = 0;
    for order in orders {
        grand += order.await.unwrap();
    }
    // Receipts through generic async fns: a `Vec<u8>` and a `String` instance.
    let mut books = Vec::new();
    for id in 1..=count {
        let order = shop::Order::new(id, (1..=id).collect());
        books.push(tokio::spawn(async move {
            let bytes: Vec<u8> = shop::receipt(&order).await;
            let text: String = shop::receipt(&order).await;
            let mut ledger = shop::Ledger::<String>::new();
            let held = ledger.book(&order).await;
            let mut raw = shop::Ledger::<Vec<u8>>::new();
            let raw_held = raw.book(&order).await;
            let audited = order.audit(7).await && ledger.audit(7).await;
            println!("tasks: order {id} receipts {} {} ledgers {held} {raw_held} audited {audited}", bytes.len(), text.len());
        }));
    }
    for book in books {
        book.await.unwrap();
    }
    done_tx.send(true).unwrap();
    heartbeat.await.unwrap();
    println!("tasks: grand total {grand}");
}
