// A debuggee for hotbreak-dwarf's tests: it prints where its values live
// (and the `type_marker::<T>` instance of each one's type), then waits on
// stdin so the test can read its memory. Most types here have no Debug.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hint::black_box;
use std::io::Read;
use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

pub mod ledger {
    pub struct Account {
        pub id: u32,
        pub name: String,
        pub balance: i64,
    }
    pub struct Ledger {
        pub owner: Account,
        pub entries: Vec<super::Entry>,
        pub tags: Vec<&'static str>,
    }
}

pub struct Entry {
    pub x: i32,
    pub note: Option<String>,
}
pub struct Pair(pub i16, pub u8);
pub struct Unit;
pub enum Shape {
    Circle { r: f64 },
    Rect(u32, u32),
    Empty,
}
pub enum Color {
    Red,
    Green,
    Blue,
}
/// Two fieldless variants hide in `String`'s niche.
pub enum Tok {
    Word(String),
    Comma,
    End,
}
pub struct Inner {
    pub name: String,
    pub flag: bool,
}
pub struct Outer {
    pub inner: Inner,
    pub count: usize,
    pub ch: char,
    pub f: f32,
}

#[inline(never)]
pub fn type_marker<T: ?Sized>() -> &'static str {
    core::any::type_name::<T>()
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn hb_anchor() {}

fn show<T>(name: &str, v: &T) {
    let marker = type_marker::<T> as fn() -> &'static str as usize;
    println!("{name} {:#x} {marker:#x}", v as *const T as usize);
}

fn double(x: i32) -> i32 {
    x * 2
}

static FIVE: u64 = 5;

fn main() {
    println!("anchor {:#x}", hb_anchor as extern "C" fn() as usize);
    let acct = ledger::Account { id: 7, name: String::from("bob"), balance: -12 };
    let ledger = ledger::Ledger {
        owner: ledger::Account { id: 1, name: "ann".into(), balance: 100 },
        entries: vec![Entry { x: 1, note: None }, Entry { x: 2, note: Some("hi".into()) }],
        tags: vec!["a", "b"],
    };
    let outer = Outer { inner: Inner { name: "in".into(), flag: true }, count: 3, ch: 'z', f: 1.5 };
    let pair = Pair(-3, 4);
    let unit = Unit;
    let shapes = [Shape::Circle { r: 2.0 }, Shape::Rect(1, 2), Shape::Empty];
    let color = Color::Green;
    let toks = vec![Tok::Word("w".into()), Tok::Comma, Tok::End];
    let tuple = (1i32, true, 'x');
    let one = (5u8,);
    let arr = [1u16, 2, 3];
    let slice: &[u16] = &arr[1..];
    let s: &str = "hi \"there\"\n";
    let string = String::from("héllo");
    let long = "x".repeat(500);
    let boxed = Box::new(Entry { x: 9, note: Some("boxed".into()) });
    let opt_ref: Option<&u64> = Some(&FIVE);
    let none_ref: Option<&u64> = None;
    let nz = NonZeroU32::new(3);
    let nz_none = NonZeroU32::new(0);
    let opt_opt: Option<Option<bool>> = Some(None);
    let res: Result<u8, String> = Err("bad".into());
    let rc = Rc::new(RefCell::new(vec![Pair(1, 2)]));
    let arc = Arc::new(Mutex::new(7i32));
    let cell = Cell::new(-8i8);
    let big: Vec<u32> = (0..300).collect();
    let nums = (i128::MIN, u64::MAX, -1.25f64, 'é');
    let mut map = HashMap::new();
    map.insert(1u8, "one");
    map.insert(2u8, "two");
    map.insert(30u8, "thirty");
    let set: HashSet<i32> = [4, 5].into_iter().collect();
    let btree: BTreeMap<i32, u8> = (0..20).map(|i| (i, i as u8 * 2)).collect();
    let bset: BTreeSet<&str> = ["x", "y"].into_iter().collect();
    let mut deque = VecDeque::with_capacity(4);
    deque.extend([1, 2, 3, 4]);
    deque.pop_front();
    deque.pop_front();
    deque.extend([5, 6]);
    let fnptr: fn(i32) -> i32 = double;
    let k = 3;
    let closure = move |x: i32| x + k;
    let dynbox: Box<dyn Fn(i32) -> i32> = Box::new(closure);
    let raw: *const u64 = &FIVE;
    let empty: Vec<Entry> = Vec::new();
    let refs = (&acct, &mut *Box::new(Pair(1, 1)));

    show("acct", &acct);
    show("ledger", &ledger);
    show("outer", &outer);
    show("pair", &pair);
    show("unit", &unit);
    show("shapes", &shapes);
    show("color", &color);
    show("toks", &toks);
    show("tuple", &tuple);
    show("one", &one);
    show("arr", &arr);
    show("slice", &slice);
    show("s", &s);
    show("string", &string);
    show("long", &long);
    show("boxed", &boxed);
    show("opt_ref", &opt_ref);
    show("none_ref", &none_ref);
    show("nz", &nz);
    show("nz_none", &nz_none);
    show("opt_opt", &opt_opt);
    show("res", &res);
    show("rc", &rc);
    show("arc", &arc);
    show("cell", &cell);
    show("big", &big);
    show("nums", &nums);
    show("map", &map);
    show("set", &set);
    show("btree", &btree);
    show("bset", &bset);
    show("deque", &deque);
    show("fnptr", &fnptr);
    show("closure", &closure);
    show("dynbox", &dynbox);
    show("raw", &raw);
    show("empty", &empty);
    show("refs", &refs);
    // What Debug prints for the std-only values, to compare with.
    println!("debug map {map:?}");
    println!("debug set {set:?}");
    println!("debug btree {btree:?}");
    println!("debug bset {bset:?}");
    // Markers alone: a reference type and an unsized one.
    println!("marker &mut ledger {:#x}", type_marker::<&mut ledger::Ledger> as fn() -> &'static str as usize);
    println!("marker str {:#x}", type_marker::<str> as fn() -> &'static str as usize);
    println!("ready");
    let mut buf = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut buf);
    black_box((&acct, &ledger, &outer, &pair, &unit, &shapes, &color, &toks, &tuple, &one, &arr));
    black_box((&slice, &s, &string, &long, &boxed, &opt_ref, &none_ref, &nz, &nz_none, &opt_opt));
    black_box((&res, &rc, &arc, &cell, &big, &nums, &map, &set, &btree, &bset, &deque));
    black_box((&fnptr, &closure, &dynbox, &raw, &empty, &refs));
}
