//! Function shapes the rewriter must handle. Every function is debuggable
//! and deterministic; `run` calls each with fixed inputs.
#![allow(clippy::all, unused_labels, unused_assignments, unreachable_code, dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

#[hotbreak::debuggable]
mod free {
    use super::*;

    pub fn loop_break_continue(limit: u32) -> u32 {
        let mut i = 0;
        let mut sum = 0;
        loop {
            i += 1;
            if i % 3 == 0 {
                continue;
            }
            if i > limit {
                break;
            }
            sum += i;
        }
        sum
    }

    /// A binding declared without a value, assigned in the loop (found in
    /// pulldown-cmark): step points before the assignment cannot show it.
    pub fn deferred_init(lines: &[u32]) -> u32 {
        let mut i = 0;
        let end;
        loop {
            let here = lines[i];
            if here == 0 {
                end = i as u32;
                break;
            }
            i += 1;
            if i == lines.len() {
                end = 99;
                break;
            }
        }
        end * 2
    }

    /// Closures in the tail's arms get their type from the return type
    /// (found in toml_parser).
    pub fn fn_pointer_arms(kind: u8) -> fn(char) -> bool {
        match kind {
            0 => |c| c.is_ascii_digit(),
            _ => |c| c.is_ascii_hexdigit(),
        }
    }

    /// A statement's attribute on the line above its code (toml_parser).
    pub fn cfg_statements(x: u32) -> u32 {
        let mut y = x;
        #[cfg(not(any()))]
        unsafe {
            y += *(&x as *const u32)
        };
        #[cfg(any())]
        let y = y + 100;
        y
    }

    /// Instrumented lines keep their columns (`column!()`, `dbg!`, panics).
    pub fn columns() -> (u32, u32) {
        let first = column!();
        let second = column!() + 1;
        (first, second)
    }

    pub fn labeled_loops(n: u32) -> Vec<(u32, u32)> {
        let mut found = Vec::new();
        'outer: for a in 1..n {
            for b in 1..n {
                if a * b == 6 {
                    found.push((a, b));
                    continue 'outer;
                }
                if b > a + 2 {
                    break 'outer;
                }
            }
        }
        found
    }

    pub fn while_loop(mut n: u64) -> u32 {
        let mut steps = 0;
        while n != 1 {
            n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
            steps += 1;
        }
        steps
    }

    pub fn while_let(mut stack: Vec<i32>) -> i32 {
        let mut total = 0;
        while let Some(top) = stack.pop() {
            if top < 0 {
                continue;
            }
            total += top;
        }
        total
    }

    pub fn for_enumerate(words: &[&str]) -> String {
        let mut out = String::new();
        for (i, w) in words.iter().enumerate() {
            let upper = w.to_uppercase();
            out.push_str(&format!("{i}:{upper} "));
        }
        out
    }

    pub fn early_return(v: &[i32]) -> i32 {
        if v.is_empty() {
            return -1;
        }
        for &x in v {
            if x > 10 {
                return x;
            }
        }
        let last = v[v.len() - 1];
        last * 2
    }

    pub fn question_mark(input: &str) -> Result<u32, String> {
        let n: u32 = input.trim().parse().map_err(|e| format!("bad: {e}"))?;
        let doubled = n.checked_mul(2).ok_or("overflow")?;
        Ok(doubled + 1)
    }

    pub fn question_option(v: &[u8]) -> Option<u8> {
        let first = v.first()?;
        let last = v.last()?;
        Some(first.wrapping_add(*last))
    }

    pub fn match_guards(x: i32) -> &'static str {
        let kind = match x {
            n if n < 0 => "negative",
            0 => "zero",
            small @ 1..=9 if small % 2 == 0 => "small even",
            1..=9 => "small odd",
            _ => {
                let big = "big";
                big
            }
        };
        kind
    }

    pub fn match_bindings(v: Option<(i32, String)>) -> String {
        match v {
            Some((n, ref s)) if n > 1 => format!("{s}x{n}"),
            Some((_, s)) => s,
            None => String::from("none"),
        }
    }

    pub fn if_let_else(map: &HashMap<&str, i32>, key: &str) -> i32 {
        if let Some(v) = map.get(key) {
            let doubled = v * 2;
            doubled
        } else if key.is_empty() {
            0
        } else {
            -1
        }
    }

    pub fn let_else(text: &str) -> u32 {
        let Some((left, right)) = text.split_once('=') else {
            return 0;
        };
        let Ok(value) = right.parse::<u32>() else {
            return 1;
        };
        value + left.len() as u32
    }

    pub fn closures(base: i32) -> (i32, i32, Vec<i32>) {
        let add = |x: i32| x + base;
        let mut counter = 0;
        let mut bump = || {
            counter += 1;
            counter
        };
        bump();
        let twice = bump();
        let owned = vec![1, 2, 3];
        let mapped: Vec<i32> = owned.into_iter().map(move |v| v * base).collect();
        (add(1), twice, mapped)
    }

    pub fn closure_statements(items: &[u32]) -> Vec<String> {
        items
            .iter()
            .map(|n| {
                let sq = n * n;
                let label = if sq > 4 { "big" } else { "small" };
                format!("{n}:{label}")
            })
            .collect()
    }

    pub fn nested_blocks(x: i32) -> i32 {
        let a = {
            let b = x + 1;
            {
                let c = b * 2;
                c - 1
            }
        };
        let d = unsafe_free(a);
        a + d
    }

    fn unsafe_free(x: i32) -> i32 {
        x / 2
    }

    pub fn shadowing(x: i32) -> String {
        let x = x + 1;
        let x = x * 2;
        let text = {
            let x = "inner";
            x.len()
        };
        let x = format!("{x}-{text}");
        x
    }

    pub fn moves_drop(name: String) -> usize {
        let copy = name.clone();
        let len = name.len();
        drop(name);
        let more = copy + "!";
        len + more.len()
    }

    pub fn into_iter_moves(v: Vec<String>) -> String {
        let count = v.len();
        let joined: Vec<String> = v.into_iter().map(|s| s.to_uppercase()).collect();
        let last = joined.last().cloned().unwrap_or_default();
        format!("{count}/{last}")
    }

    pub fn mutable_borrow_held(mut v: Vec<i32>) -> Vec<i32> {
        let r = &mut v;
        r.push(4);
        r.push(5);
        let n = r.len();
        r.push(n as i32);
        v
    }

    pub fn refcell_borrow(cell: &RefCell<Vec<u8>>) -> usize {
        let mut guard = cell.borrow_mut();
        guard.push(1);
        drop(guard);
        let len = cell.borrow().len();
        len
    }

    pub fn unsafe_block(v: &[u64]) -> u64 {
        let ptr = v.as_ptr();
        let mut total = 0;
        for i in 0..v.len() {
            total += unsafe { *ptr.add(i) };
        }
        total
    }

    pub unsafe fn unsafe_fn(p: *const u32) -> u32 {
        let value = unsafe { *p };
        value + 1
    }

    pub fn returning_references<'a>(a: &'a str, b: &'a str) -> &'a str {
        let pick = if a.len() >= b.len() { a } else { b };
        let trimmed = pick.trim();
        trimmed
    }

    pub fn never_returns(code: i32) -> ! {
        let msg = format!("gave up with {code}");
        panic!("{msg}")
    }

    pub fn tuple_params((a, b): (i32, i32), [c, d]: [i32; 2]) -> i32 {
        let s = a + b;
        s * c - d
    }

    pub fn slice_patterns(v: &[i32]) -> String {
        match v {
            [] => "empty".to_string(),
            [one] => format!("one {one}"),
            [first, .., last] => {
                let span = last - first;
                format!("{first}..{last} ({span})")
            }
        }
    }

    pub fn iterator_chain(n: u32) -> u32 {
        let evens = (1..=n).filter(|x| x % 2 == 0);
        let squares = evens.map(|x| x * x);
        let total = squares.fold(0, |acc, x| acc + x);
        total
    }

    pub fn recursion(n: u32) -> u32 {
        if n < 2 {
            return n;
        }
        recursion(n - 1) + recursion(n - 2)
    }

    pub fn generic_call(a: i64, b: i64) -> (i64, String) {
        let m = max_of(a, b);
        let s = max_of("x".to_string(), "y".to_string());
        (m, s)
    }

    fn max_of<T: PartialOrd>(a: T, b: T) -> T {
        if a > b { a } else { b }
    }

    pub fn hashmap_entries(text: &str) -> Vec<(char, u32)> {
        let mut counts: HashMap<char, u32> = HashMap::new();
        for c in text.chars() {
            *counts.entry(c).or_insert(0) += 1;
        }
        let mut pairs: Vec<(char, u32)> = counts.into_iter().collect();
        pairs.sort();
        pairs
    }

    pub fn option_combinators(v: Option<i32>) -> i32 {
        let doubled = v.map(|x| x * 2).filter(|x| *x > 2);
        doubled.unwrap_or_else(|| -7)
    }

    pub fn return_in_loop(v: &[i32]) -> Option<usize> {
        for (i, &x) in v.iter().enumerate() {
            if x < 0 {
                return Some(i);
            }
        }
        None
    }

    pub fn boxed_closures(k: i32) -> Vec<i32> {
        let make = |m: i32| -> Box<dyn Fn(i32) -> i32> { Box::new(move |x| x * m + k) };
        let fs = vec![make(1), make(2)];
        fs.iter().map(|f| f(10)).collect()
    }

    pub fn items_in_body(n: u32) -> u32 {
        const STEP: u32 = 3;
        static BASE: u32 = 100;
        fn helper(x: u32) -> u32 {
            x + STEP
        }
        let v = helper(n);
        v + BASE
    }

    pub fn mut_params(mut n: u32, mut acc: Vec<u32>) -> Vec<u32> {
        while n > 0 {
            acc.push(n);
            n /= 2;
        }
        acc
    }

    pub fn panics_sometimes(n: i32) -> i32 {
        let half = n / 2;
        if half > 5 {
            panic!("too big: {half}");
        }
        half
    }

    #[derive(Debug)]
    pub enum AppError {
        Parse(String),
    }

    impl From<std::num::ParseIntError> for AppError {
        fn from(e: std::num::ParseIntError) -> Self {
            AppError::Parse(e.to_string())
        }
    }

    pub fn question_from(a: &str, b: &str) -> Result<i64, AppError> {
        let x: i64 = a.parse()?;
        let y: i64 = b.parse()?;
        Ok(x * y)
    }

    pub fn labeled_block(x: i32) -> i32 {
        let value = 'pick: {
            if x < 0 {
                break 'pick 0;
            }
            if x > 100 {
                break 'pick 100;
            }
            x
        };
        value + 1
    }

    pub fn loop_value(limit: u32) -> u32 {
        let mut i = 1;
        let found = loop {
            i *= 3;
            if i > limit {
                break i;
            }
        };
        found
    }

    pub fn macro_statements(v: &[u8]) -> usize {
        assert!(v.len() < 100, "too long");
        let ok = matches!(v.first(), Some(0..=9));
        debug_assert!(ok || v.is_empty());
        let s = vec![ok; v.len()];
        s.len()
    }

    pub fn return_from_match(x: Option<i32>) -> i32 {
        let y = match x {
            Some(n) if n > 5 => return n * 10,
            Some(n) => n,
            None => return -1,
        };
        y + 1
    }

    pub fn complex_while(v: &[i32]) -> usize {
        let mut i = 0;
        while i < v.len() && v[i] > 0 {
            i += 1;
        }
        i
    }

    pub fn struct_update(name: &str) -> String {
        #[derive(Debug, Clone, Default)]
        struct Config {
            name: String,
            level: u8,
            verbose: bool,
        }
        let base = Config { level: 3, ..Default::default() };
        let named = Config { name: name.to_string(), ..base.clone() };
        format!("{:?} {:?}", base.verbose, named)
    }

    pub fn no_debug_locals(n: u8) -> u8 {
        struct Opaque(u8);
        let o = Opaque(n);
        let inner = o.0;
        inner + 1
    }

    pub fn uses_impl_trait(n: u32) -> u32 {
        let evens = make_evens(n);
        let total: u32 = evens.sum();
        total
    }

    fn make_evens(n: u32) -> impl Iterator<Item = u32> {
        (0..n).filter(|x| x % 2 == 0)
    }
}

pub struct Acc {
    total: i64,
    history: Vec<i64>,
}

#[hotbreak::debuggable]
impl Acc {
    pub fn new(start: i64) -> Self {
        let history = vec![start];
        Acc { total: start, history }
    }

    pub fn add(&mut self, x: i64) -> i64 {
        self.total += x;
        self.history.push(x);
        self.total
    }

    pub fn describe(&self) -> String {
        let n = self.history.len();
        format!("{} after {n}", self.total)
    }

    pub fn into_history(self) -> Vec<i64> {
        let mut h = self.history;
        h.reverse();
        h
    }
}

pub struct Point {
    x: i32,
    y: i32,
}

#[hotbreak::debuggable]
impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sum = self.x + self.y;
        write!(f, "({}, {}) sum {sum}", self.x, self.y)?;
        Ok(())
    }
}

/// Async shapes: borrows and `&mut self` across `.await`, an async fn
/// awaiting others, an async block and an async closure in sync fns.
#[hotbreak::debuggable]
mod asynchronous {
    use super::{block_on, yield_once};

    pub async fn async_sum(xs: &[u32]) -> u32 {
        let mut sum = 0;
        for x in xs {
            yield_once().await;
            sum += x;
        }
        let first = &xs[0];
        yield_once().await;
        sum + first
    }

    pub struct Tally {
        pub seen: Vec<u32>,
    }

    impl Tally {
        pub async fn record(&mut self, x: u32) -> usize {
            self.seen.push(x);
            yield_once().await;
            let n = self.seen.len();
            n
        }
    }

    pub async fn awaits_other(n: u32) -> u32 {
        let xs: Vec<u32> = (1..=n).collect();
        let s = async_sum(&xs).await;
        let mut t = Tally { seen: vec![] };
        let k = t.record(s).await;
        s * 10 + k as u32
    }

    pub fn async_block(n: u32) -> u32 {
        let base = n * 2;
        let fut = async move {
            let doubled = base;
            yield_once().await;
            doubled + 1
        };
        block_on(fut)
    }

    pub fn async_closure(n: u32) -> u32 {
        let add = async |x: u32| {
            yield_once().await;
            x + n
        };
        block_on(add(5))
    }
}

/// Polls `fut` to completion on this thread (the async shapes' executor).
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Pending once, then ready: an `.await` that really suspends.
pub async fn yield_once() {
    struct Once(bool);
    impl std::future::Future for Once {
        type Output = ();
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            if self.0 {
                return std::task::Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
    Once(false).await
}

/// Calls the shape named `name` with fixed inputs.
pub fn run(name: &str) -> Option<String> {
    use free::*;
    let out = match name {
        "loop_break_continue" => format!("{:?}", loop_break_continue(10)),
        "labeled_loops" => format!("{:?}", labeled_loops(5)),
        "deferred_init" => format!("{:?}", (deferred_init(&[3, 0, 1]), deferred_init(&[1]))),
        "fn_pointer_arms" => format!("{:?}", (fn_pointer_arms(0)('7'), fn_pointer_arms(1)('f'), fn_pointer_arms(0)('f'))),
        "cfg_statements" => format!("{:?}", cfg_statements(4)),
        "columns" => format!("{:?}", columns()),
        "while_loop" => format!("{:?}", while_loop(6)),
        "while_let" => format!("{:?}", while_let(vec![3, -1, 4])),
        "for_enumerate" => format!("{:?}", for_enumerate(&["a", "b"])),
        "early_return" => format!("{:?} {:?} {:?}", early_return(&[]), early_return(&[1, 20]), early_return(&[1, 2])),
        "question_mark" => format!("{:?} {:?}", question_mark("21"), question_mark("x")),
        "question_option" => format!("{:?} {:?}", question_option(&[1, 2]), question_option(&[])),
        "match_guards" => format!("{:?}", [-1, 0, 4, 5, 50].map(match_guards)),
        "match_bindings" => format!("{:?} {:?} {:?}", match_bindings(Some((2, "a".into()))), match_bindings(Some((1, "b".into()))), match_bindings(None)),
        "if_let_else" => {
            let map = HashMap::from([("k", 4)]);
            format!("{:?}", (if_let_else(&map, "k"), if_let_else(&map, ""), if_let_else(&map, "z")))
        }
        "let_else" => format!("{:?}", (let_else("ab=3"), let_else("nothing"), let_else("a=x"))),
        "closures" => format!("{:?}", closures(5)),
        "closure_statements" => format!("{:?}", closure_statements(&[1, 3])),
        "nested_blocks" => format!("{:?}", nested_blocks(4)),
        "unsafe_free" => format!("{:?}", nested_blocks(7)),
        "shadowing" => format!("{:?}", shadowing(2)),
        "moves_drop" => format!("{:?}", moves_drop("abc".into())),
        "into_iter_moves" => format!("{:?}", into_iter_moves(vec!["x".into(), "yz".into()])),
        "mutable_borrow_held" => format!("{:?}", mutable_borrow_held(vec![1])),
        "refcell_borrow" => format!("{:?}", refcell_borrow(&RefCell::new(vec![9]))),
        "unsafe_block" => format!("{:?}", unsafe_block(&[1, 2, 3])),
        "unsafe_fn" => format!("{:?}", unsafe { unsafe_fn(&41) }),
        "returning_references" => format!("{:?}", returning_references(" long ", "s")),
        "never_returns" => format!("{:?}", never_returns(3)),
        "tuple_params" => format!("{:?}", tuple_params((1, 2), [3, 4])),
        "slice_patterns" => format!("{:?}", [&[][..], &[1][..], &[1, 5, 9][..]].map(slice_patterns)),
        "iterator_chain" => format!("{:?}", iterator_chain(6)),
        "recursion" => format!("{:?}", recursion(5)),
        "generic_call" => format!("{:?}", generic_call(3, 9)),
        "max_of" => format!("{:?}", generic_call(9, 3)),
        "hashmap_entries" => format!("{:?}", hashmap_entries("abca")),
        "option_combinators" => format!("{:?}", (option_combinators(Some(1)), option_combinators(Some(4)), option_combinators(None))),
        "return_in_loop" => format!("{:?}", (return_in_loop(&[1, -2]), return_in_loop(&[1]))),
        "boxed_closures" => format!("{:?}", boxed_closures(1)),
        "items_in_body" => format!("{:?}", items_in_body(2)),
        "helper" => format!("{:?}", items_in_body(3)),
        "mut_params" => format!("{:?}", mut_params(10, vec![0])),
        "panics_sometimes" => format!("{:?} {:?}", panics_sometimes(4), panics_sometimes(20)),
        "question_from" => format!("{:?} {:?}", question_from("6", "7"), question_from("6", "q")),
        "from" => format!("{:?}", question_from("z", "1")),
        "labeled_block" => format!("{:?}", [-5, 50, 500].map(labeled_block)),
        "loop_value" => format!("{:?}", loop_value(20)),
        "macro_statements" => format!("{:?}", (macro_statements(&[1, 2]), macro_statements(&[]))),
        "return_from_match" => format!("{:?}", [Some(9), Some(2), None].map(return_from_match)),
        "complex_while" => format!("{:?}", complex_while(&[3, 2, 0, 5])),
        "struct_update" => format!("{:?}", struct_update("n")),
        "no_debug_locals" => format!("{:?}", no_debug_locals(4)),
        "uses_impl_trait" => format!("{:?}", uses_impl_trait(7)),
        "make_evens" => format!("{:?}", uses_impl_trait(9)),
        "new" | "add" | "describe" | "into_history" => {
            let mut acc = Acc::new(1);
            acc.add(2);
            acc.add(-5);
            let d = acc.describe();
            format!("{d} {:?}", acc.into_history())
        }
        "fmt" => format!("{}", Point { x: 2, y: 3 }),
        "async_sum" => format!("{:?}", block_on(asynchronous::async_sum(&[1, 2, 3]))),
        "record" => {
            let mut t = asynchronous::Tally { seen: vec![4] };
            let n = block_on(t.record(7));
            format!("{n} {:?}", t.seen)
        }
        "awaits_other" => format!("{:?}", block_on(asynchronous::awaits_other(3))),
        "async_block" => format!("{:?}", asynchronous::async_block(4)),
        "async_closure" => format!("{:?}", asynchronous::async_closure(2)),
        _ => return None,
    };
    Some(out)
}
