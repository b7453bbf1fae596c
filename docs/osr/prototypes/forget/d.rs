#[inline(never)]
pub fn work(n: u64) -> u64 {
    let mut v: Vec<u64> = Vec::new();
    let r = &mut v;
    let mut total = 0;
    for i in 0..n {
        r.push(i);
        total += i;
    }
    total + v.len() as u64
}
fn main() { println!("{}", work(std::hint::black_box(5))); }
