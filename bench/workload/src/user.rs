//! Kernels that look like user code (issue 22): the loops real programs
//! run, each with a tiny helper that the optimizer inlines and, where it
//! can, vectorizes. The `debuggable` feature puts the attribute on every
//! function, as `cargo hotbreak run` does.

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The timing program: a tiny helper in a loop the plain build
/// vectorizes.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn step(x: u64) -> u64 {
    x.wrapping_mul(K) ^ (x >> 3)
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn sum_steps(n: u64) -> u64 {
    let mut acc = 0u64;
    for x in 0..n {
        acc = acc.wrapping_add(step(x));
    }
    acc
}

/// A pixel-ish transform, one element at a time.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn scale(x: u32) -> u32 {
    x.wrapping_mul(3).wrapping_add(7) >> 1
}

/// A map over a slice into another: `out[i] = scale(inp[i])`.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn map_slice(inp: &[u32], out: &mut [u32]) {
    for (o, &x) in out.iter_mut().zip(inp) {
        *o = scale(x);
    }
}

/// A score, used through closures.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn weight(x: u32) -> u64 {
    u64::from(x & 0xff) * 3 + 1
}

/// An iterator chain with closures: `iter().map().filter().sum()`.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn chain(values: &[u32], limit: u64) -> u64 {
    values.iter().map(|&v| weight(v)).filter(|&w| w < limit).sum()
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A lexer's inner loop: counts identifiers, numbers and punctuation in
/// source text, byte by byte.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn count_tokens(text: &[u8]) -> u64 {
    let mut tokens = 0;
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if is_ident_start(b) {
            while i < text.len() && is_ident_continue(text[i]) {
                i += 1;
            }
        } else if b.is_ascii_digit() {
            while i < text.len() && text[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            i += 1;
            if b.is_ascii_whitespace() {
                continue;
            }
        }
        tokens += 1;
    }
    tokens
}

/// Running statistics, updated by a tiny `&mut self` method.
#[derive(Default)]
pub struct Stats {
    count: u64,
    sum: u64,
    max: u64,
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
impl Stats {
    pub fn add(&mut self, x: u64) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(x);
        self.max = self.max.max(x);
    }
}

#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn stats(values: &[u32]) -> u64 {
    let mut s = Stats::default();
    for &v in values {
        s.add(u64::from(v));
    }
    s.count ^ s.sum ^ s.max
}

/// A binary tree in a vector, children at `2i+1` and `2i+2`.
#[cfg_attr(feature = "debuggable", hotbreak::debuggable)]
pub fn tree_sum(nodes: &[u32], i: usize) -> u64 {
    if i >= nodes.len() {
        return 0;
    }
    u64::from(nodes[i]) + tree_sum(nodes, 2 * i + 1) + tree_sum(nodes, 2 * i + 2)
}

/// Inputs the kernels run over, built before timing starts.
pub struct Inputs {
    pub numbers: Vec<u32>,
    pub out: Vec<u32>,
    pub text: Vec<u8>,
}

impl Inputs {
    pub fn new() -> Inputs {
        let numbers: Vec<u32> = (0..4096u32).map(|i| i.wrapping_mul(2_654_435_761) >> 7).collect();
        let line = "    let total = items.iter().map(|x| x.price * 3).sum::<u64>(); // 42 items\n";
        let text = line.repeat(4096 / line.len() + 1).into_bytes()[..4096].to_vec();
        Inputs { out: vec![0; numbers.len()], numbers, text }
    }
}

/// Runs `kernel` over about `n` elements, repeating the 4096-element input.
pub fn run(kernel: &str, n: u64, inputs: &mut Inputs) -> Option<u64> {
    let rounds = n.div_ceil(4096);
    let mut acc = 0u64;
    match kernel {
        "sum_steps" => acc = sum_steps(n),
        "map_slice" => {
            for _ in 0..rounds {
                map_slice(std::hint::black_box(&inputs.numbers), &mut inputs.out);
                acc = acc.wrapping_add(u64::from(inputs.out[acc as usize % 4096]));
            }
        }
        "chain" => {
            for r in 0..rounds {
                acc = acc.wrapping_add(chain(std::hint::black_box(&inputs.numbers), 600 + (r & 1)));
            }
        }
        "lexer" => {
            for _ in 0..rounds {
                acc = acc.wrapping_add(count_tokens(std::hint::black_box(&inputs.text)));
            }
        }
        "stats" => {
            for _ in 0..rounds {
                acc ^= stats(std::hint::black_box(&inputs.numbers));
            }
        }
        "tree" => {
            for _ in 0..rounds {
                acc = acc.wrapping_add(tree_sum(std::hint::black_box(&inputs.numbers), 0));
            }
        }
        _ => return None,
    }
    Some(acc)
}
