// Can the native frame's armed path end without dropping by forgetting each local?
fn consume(_: String) {}
pub fn maybe_moved(c: bool) -> usize {
    let s = String::from("a");
    if c { consume(s); }
    let mut n = 0;
    for i in 0..3 {
        // armed path at the header: forget every local, then return
        if i == 1 { std::mem::forget(s); std::mem::forget(n); return 7; }
        n += i;
    }
    n
}
pub fn uninit(c: bool) -> usize {
    let t: String;
    if c { t = String::new(); }
    for i in 0..3 {
        if i == 1 { std::mem::forget(t); return 7; }
    }
    0
}
pub fn borrowed() -> usize {
    let mut v = vec![1];
    let r = &mut v;
    for i in 0..3 {
        if i == 1 { std::mem::forget(v); return 7; }   // r still used below
        r.push(i);
    }
    v.len()
}
fn main() {}
