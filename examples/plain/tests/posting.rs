use plain::ledger::{Account, Entry};

#[test]
fn debits_lower_the_balance() {
    let mut account = Account::open("test");
    account.post(Entry { amount: 10, credit: true });
    let balance = account.post(Entry { amount: 4, credit: false });
    assert_eq!(balance, 6);
}
