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
