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
    let tax = sum / 10;
    println!("tasks: {} priced", order.label);
    sum + tax
}
