//! Accounts and the entries posted to them.

mod entry;

pub use entry::Entry;

/// No `Debug`: most structs of real programs have none.
pub struct Account {
    pub name: String,
    pub balance: i64,
    history: Vec<Entry>,
}

impl Account {
    pub fn open(name: &str) -> Account {
        Account { name: name.to_string(), balance: 0, history: Vec::new() }
    }

    pub fn post(&mut self, entry: Entry) -> i64 {
        let delta = entry.signed();
        let before = self.balance;
        self.balance = before + delta;
        self.history.push(entry);
        self.balance
    }

    pub fn largest(&self) -> Option<&Entry> {
        self.history.iter().max_by_key(|e| e.amount)
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        crate::util::note_closed(&self.name);
    }
}

/// What a report keeps: entries at least this large.
pub struct Filter {
    pub at_least: i64,
}

/// Borrows an account, as views of real programs do.
pub struct Report<'a> {
    account: &'a Account,
}

impl<'a> Report<'a> {
    pub fn of(account: &'a Account) -> Report<'a> {
        Report { account }
    }

    /// An elided borrow of `self` beside another reference.
    pub fn matching(&self, filter: &Filter) -> Vec<&Entry> {
        let kept: Vec<&Entry> = self.account.history.iter().filter(|e| e.amount >= filter.at_least).collect();
        kept
    }
}
