#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub amount: i64,
    pub credit: bool,
}

impl Entry {
    pub fn signed(&self) -> i64 {
        if self.credit { self.amount } else { -self.amount }
    }
}

impl TryFrom<&[&str]> for Entry {
    type Error = String;

    fn try_from(words: &[&str]) -> Result<Self, Self::Error> {
        let [kind, amount] = words else {
            return Err(format!("expected 2 words, got {}", words.len()));
        };
        let amount = amount.parse().map_err(|e| format!("{amount}: {e}"))?;
        Ok(Entry { amount, credit: *kind == "credit" })
    }
}
