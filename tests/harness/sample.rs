//! A seeded, repeatable sample of functions, spread over a crate's files.

use super::source::Function;
use std::collections::BTreeMap;

/// splitmix64: a fixed seed gives the same sample on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The most statement lines a sampled function may have: each is a patch
/// build, and one long function would take a crate's whole budget.
pub const MAX_FN_STATEMENTS: usize = 25;

/// Up to `count` functions with 1 to [`MAX_FN_STATEMENTS`] statement lines,
/// taken in turn from each file (files and their functions shuffled),
/// skipping those that would take the sample past `max_statements`.
pub fn sample(functions: &[Function], seed: u64, count: usize, max_statements: usize) -> Vec<Function> {
    let mut rng = Rng::new(seed);
    let mut by_file: BTreeMap<&str, Vec<&Function>> = BTreeMap::new();
    for f in functions.iter().filter(|f| (1..=MAX_FN_STATEMENTS).contains(&f.statements.len())) {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    let mut files: Vec<Vec<&Function>> = by_file.into_values().collect();
    rng.shuffle(&mut files);
    for fns in &mut files {
        rng.shuffle(fns);
    }
    let mut chosen = Vec::new();
    let mut statements = 0;
    while chosen.len() < count && files.iter().any(|f| !f.is_empty()) {
        for fns in &mut files {
            let Some(f) = fns.pop() else { continue };
            if chosen.len() < count && statements + f.statements.len() <= max_statements {
                statements += f.statements.len();
                chosen.push(f.clone());
            }
        }
    }
    chosen.sort_by(|a: &Function, b| (&a.file, a.fn_line).cmp(&(&b.file, b.fn_line)));
    chosen
}
