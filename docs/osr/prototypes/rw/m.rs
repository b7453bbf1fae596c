#![allow(dangerous_implicit_autorefs)]
pub fn f(p: *mut Vec<u64>, q: *mut String, t: *mut u64) -> (Vec<u64>, usize) {
    unsafe {
        let w = (*p);                          // a move out of a pinned local
        let h = std::thread::spawn(move || 3usize); let _ = q;
        let _ = t;
        (w, h.join().unwrap())
    }
}
fn main() {}
