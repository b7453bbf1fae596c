use std::time::Duration;

pub struct Order {
    pub id: u32,
    pub items: Vec<u32>,
    label: String,
}

impl Order {
    pub fn new(id: u32, items: Vec<u32>) -> Order {
        Order { id, items, label: format!("order-{id}") }
    }

    /// The price of one item, from a slow "service".
    pub async fn price(&self, item: u32) -> u32 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let base = item * 10;
        base + self.id
    }
}

/// The order's total: every item's price, awaited in turn, plus a tenth.
pub async fn total(order: &Order) -> u32 {
    let mut sum = 0;
    for &item in &order.items {
        let price = order.price(item).await;
        sum += price;
    }
    let tax = tax_on(sum).await;
    println!("tasks: {} priced", order.label);
    sum + tax
}

/// A tenth: an async fn that never waits (its future is ready at once).
pub async fn tax_on(sum: u32) -> u32 {
    let tenth = sum / 10;
    tenth
}

/// Where a receipt's lines go: bytes or text.
pub trait Sink: Default {
    fn put(&mut self, line: &str);
    fn size(&self) -> usize;
}

impl Sink for Vec<u8> {
    fn put(&mut self, line: &str) {
        self.extend_from_slice(line.as_bytes());
        self.push(b'\n');
    }
    fn size(&self) -> usize {
        self.len()
    }
}

impl Sink for String {
    fn put(&mut self, line: &str) {
        self.push_str(line);
        self.push('\n');
    }
    fn size(&self) -> usize {
        self.len()
    }
}

/// The order's receipt in any sink: one line per item, priced in turn.
pub async fn receipt<S: Sink>(order: &Order) -> S {
    let mut out = S::default();
    for &item in &order.items {
        let cost = order.price(item).await;
        let line = format!("{} x{item} = {cost}", order.label);
        out.put(&line);
    }
    out
}

/// Receipts kept per sink, each entry awaited before it is booked.
pub struct Ledger<S> {
    pub entries: S,
    pub booked: u32,
}

impl<S: Sink> Ledger<S> {
    pub fn new() -> Ledger<S> {
        Ledger { entries: S::default(), booked: 0 }
    }

    /// Books an order's receipt; returns how many bytes the ledger holds.
    pub async fn book(&mut self, order: &Order) -> usize {
        let receipt: S = receipt(order).await;
        let size = receipt.size();
        self.entries.put(&format!("{} ({size} bytes)", order.label));
        self.booked += 1;
        self.entries.size()
    }
}

/// What can be audited: the audit itself is an async provided method, one
/// instance per implementor that keeps it.
pub(crate) trait Audit {
    fn name(&self) -> &str;

    async fn audit(&self, limit: usize) -> bool {
        tokio::task::yield_now().await;
        let len = self.name().len();
        len <= limit
    }
}

impl Audit for Order {
    fn name(&self) -> &str {
        &self.label
    }
}

impl<S: Sink> Audit for Ledger<S> {
    fn name(&self) -> &str {
        "ledger"
    }
}
