const WEIGHTS: [u64; 4] = [3, 5, 7, 11];

pub fn weight(i: usize) -> u64 {
    WEIGHTS[i % WEIGHTS.len()]
}
