struct T(&'static str); impl Drop for T { fn drop(&mut self) { println!("  drop temp {}", self.0); } }
impl T { fn get(&self, i: u32) -> Option<u32> { if i < 2 { Some(i) } else { None } } fn v(&self) -> Vec<u32> { vec![1, 2] } }
fn main() {
    let mut i = 0;
    while let Some(x) = T("while-let scrutinee").get(i) { println!("body {x}"); i += 1; }
    for x in T("for head").v() { println!("for body {x}"); }
    i = 0;
    while T("while cond").get(i).is_some() { println!("while body"); i += 1; }
}
