//! Methods nobody wrote for hotbreak: the attribute on every `impl` block,
//! as a rustc wrapper puts it, on shapes that are valid Rust but hard to
//! forward. Each compiles, behaves as written, and is registered: patchable,
//! or with the reason it is not. (Free functions: `wild_free.rs`.)
#![allow(dead_code, async_fn_in_trait, clippy::all)]

mod common;

use common::{assert_absent, assert_patchable, assert_unpatchable, entry};
use hotbreak::debuggable;
use std::fmt;
use std::pin::Pin;

pub struct Config {
    pub limit: usize,
}

#[derive(Debug, PartialEq)]
pub struct Item {
    pub v: u32,
}

pub struct Store<'a> {
    items: &'a [Item],
}

/// Found on a real crate: `Vec<&Item>` borrows `self`, not `c` (the
/// elision rule of `&self`), which a fn-pointer type cannot say.
#[debuggable]
impl<'a> Store<'a> {
    fn below(&self, c: &Config) -> Vec<&Item> {
        self.items.iter().take(c.limit).collect()
    }
    fn first(&self, _c: &Config) -> Option<&'a Item> {
        self.items.first()
    }
    #[allow(elided_lifetimes_in_paths, mismatched_lifetime_syntaxes)]
    fn iter(&self, _c: &Config) -> std::slice::Iter<Item> {
        self.items.iter()
    }
    /// Armed by `patches_are_called_with_the_methods_own_type` alone.
    #[allow(elided_lifetimes_in_paths, mismatched_lifetime_syntaxes)]
    fn armed(&self, _c: &Config) -> std::slice::Iter<Item> {
        self.items.iter()
    }
}

pub struct Plain {
    items: Vec<Item>,
}

/// The same shapes in an impl whose methods become debug-build shims.
#[debuggable]
impl Plain {
    fn below(&self, c: &Config) -> Vec<&Item> {
        self.items.iter().take(c.limit).collect()
    }
    #[allow(elided_lifetimes_in_paths, mismatched_lifetime_syntaxes)]
    fn iter(&self, _c: &Config) -> std::slice::Iter<Item> {
        self.items.iter()
    }
    /// Armed by `patches_are_called_with_the_methods_own_type` alone.
    #[allow(elided_lifetimes_in_paths, mismatched_lifetime_syntaxes)]
    fn armed(&self, _c: &Config) -> std::slice::Iter<Item> {
        self.items.iter()
    }
    fn iter_anon(&self, _c: &Config) -> std::slice::Iter<'_, Item> {
        self.items.iter()
    }
    fn both<'b>(&self, c: &'b Config) -> (&Item, &'b usize) {
        (&self.items[0], &c.limit)
    }
    fn cell<'c>(&self, _c: &Config, c: &'c std::cell::RefCell<u32>) -> std::cell::Ref<'c, u32> {
        c.borrow()
    }
    fn pinned(self: Pin<&mut Self>, by: u32) -> u32 {
        self.get_mut().items[0].v += by;
        by
    }
    fn boxed(self: Box<Self>, _c: &Config) -> usize {
        self.items.len()
    }
    fn r#type(&self) -> &str {
        "type"
    }
    fn dynamic(&self, f: &mut dyn FnMut(u32) -> u32, d: &dyn fmt::Debug) -> String {
        format!("{}{:?}", f(self.items.len() as u32), d)
    }
    fn closure(&self) -> Box<dyn Fn(u32) -> u32 + '_> {
        Box::new(move |x| x + self.items.len() as u32)
    }
    const LIMIT: usize = 1;
    fn limit(&self) -> usize {
        Self::LIMIT.min(self.items.len())
    }
    #[track_caller]
    fn caller(&self, _c: &Config) -> &Item {
        &self.items[0]
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "sse2")]
    fn featured(&self, _c: &Config) -> &Item {
        &self.items[0]
    }
    fn labelled(&self) -> u32 {
        let mut n = 0;
        'outer: for i in 0..10 {
            for j in 0..10 {
                if i * j > 20 {
                    break 'outer;
                }
                n += 1;
            }
        }
        n
    }
    fn nested_items(&self) -> u32 {
        #![allow(unused_variables)]
        let unused = 0;
        macro_rules! twice {
            ($e:expr) => {
                $e * 2
            };
        }
        fn helper(x: u32) -> u32 {
            x + 1
        }
        struct Local;
        impl Local {
            fn get(&self) -> u32 {
                5
            }
        }
        twice!(helper(Local.get()))
    }
    pub(crate) fn crate_vis(&self) -> usize {
        self.items.len()
    }
    unsafe fn danger(&self, p: *const u32) -> &u32 {
        &*p
    }
    extern "C" fn c_abi(&self, x: u32) -> u32 {
        x + 1
    }
    fn never(&self, _c: &Config) -> ! {
        panic!("never")
    }
    fn patterns(&self, (a, b): (u8, u8), _: u8, Item { v }: Item) -> u32 {
        a as u32 + b as u32 + v
    }
    fn param_attrs(&self, #[allow(unused_variables)] x: u32, #[cfg(any())] y: u32) -> u32 {
        7
    }
    async fn later(&self) -> u32 {
        1
    }
    const fn constant(&self) -> u32 {
        2
    }
    fn generic<T: Default>(&self) -> T {
        T::default()
    }
    fn walk(&self) -> impl Iterator<Item = &'_ Item> + '_ {
        self.items.iter()
    }
    fn where_clause<'x>(&'x self, other: &'x Plain) -> &'x Item
    where
        Self: 'x,
    {
        other.items.first().unwrap_or(&self.items[0])
    }
}

// Found on a real crate: elided lifetimes in a trait impl's header, and
// `Result<Self, Self::Error>` (of no known size in the nested trait a debug
// build declares for a trait impl's method).
pub struct Words(Vec<String>);

#[debuggable]
impl TryFrom<&[&str]> for Words {
    type Error = String;
    fn try_from(v: &[&str]) -> Result<Self, Self::Error> {
        if v.is_empty() {
            return Err("empty".into());
        }
        Ok(Words(v.iter().map(|s| s.to_string()).collect()))
    }
}

/// A borrowed string, as a Markdown parser keeps one.
pub struct Cow<'a>(&'a str);

/// The method is more general than the trait asks (`other` of any
/// lifetime): naming it by the trait's path gives the trait's narrower type.
#[debuggable]
impl<'a> PartialEq<Cow<'a>> for Cow<'a> {
    fn eq(&self, other: &Cow<'_>) -> bool {
        self.0 == other.0
    }
}

/// Found in json 0.12: the impl's method takes any `&str`, the trait's
/// only `&'a str`, and the output borrows `self`.
pub struct Table(Vec<(String, u32)>);

#[debuggable]
impl<'a> std::ops::Index<&'a str> for Table {
    type Output = u32;
    fn index(&self, key: &str) -> &u32 {
        &self.0.iter().find(|(k, _)| k == key).expect("present").1
    }
}

#[debuggable]
impl<'a> PartialEq<&'a str> for Table {
    fn eq(&self, other: &&str) -> bool {
        self.0.len() == other.len()
    }
}

/// Found in toml_parser 1.1: the trait's associated type named through
/// `Self` as a struct literal.
#[derive(Debug, PartialEq)]
pub struct Span {
    start: usize,
    end: usize,
}

#[debuggable]
impl std::ops::Add<usize> for Span {
    type Output = Self;
    fn add(self, by: usize) -> Self::Output {
        Self::Output { start: self.start + by, end: self.end + by }
    }
}

/// Found in humantime 2.4: an associated type that is no path.
pub struct Unit;

#[debuggable]
impl std::str::FromStr for Unit {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "s" { Ok(Unit) } else { Err(()) }
    }
}

pub struct Num(u32);

#[debuggable]
impl std::str::FromStr for Num {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Num(s.parse()?))
    }
}

/// Armed by `patches_are_called_with_the_methods_own_type` alone.
pub struct Parsed(u32);

#[debuggable]
impl std::str::FromStr for Parsed {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Parsed(s.parse()?))
    }
}

#[debuggable]
impl Default for Num {
    fn default() -> Self {
        Num(7)
    }
}

#[debuggable]
impl fmt::Display for Num {
    #[allow(elided_lifetimes_in_paths)]
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[debuggable]
impl fmt::Debug for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Num").field(&self.0).finish()
    }
}

#[debuggable]
impl Clone for Num {
    fn clone(&self) -> Self {
        Num(self.0)
    }
    fn clone_from(&mut self, source: &Self) {
        self.0 = source.0 + 1000;
    }
}

static DROPS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

#[debuggable]
impl Drop for Num {
    fn drop(&mut self) {
        DROPS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[debuggable]
impl From<&Num> for u64 {
    fn from(n: &Num) -> u64 {
        n.0 as u64
    }
}

#[debuggable]
impl<'a> From<&'a Num> for &'a u32 {
    fn from(n: &'a Num) -> &'a u32 {
        &n.0
    }
}

#[debuggable]
impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

#[debuggable]
impl std::ops::Add<Self> for Num {
    type Output = Num;
    fn add(self, o: Self) -> <Self as std::ops::Add<Self>>::Output {
        Num(self.0 + o.0)
    }
}

#[debuggable]
impl std::ops::Sub<Num> for Num {
    type Output = Self;
    fn sub(self, o: Self) -> Self::Output {
        Num(self.0 - o.0)
    }
}

#[debuggable]
impl std::ops::Index<usize> for Plain {
    type Output = Item;
    fn index(&self, i: usize) -> &Self::Output {
        &self.items[i]
    }
}

#[debuggable]
impl AsRef<[Item]> for Plain {
    fn as_ref(&self) -> &[Item] {
        &self.items
    }
}

#[debuggable]
impl Iterator for Num {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        (self.0 > 0).then(|| {
            self.0 -= 1;
            self.0
        })
    }
}

#[debuggable]
impl<'a> IntoIterator for &'a Plain {
    type Item = &'a Item;
    type IntoIter = std::slice::Iter<'a, Item>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// A trait with every kind of item, implemented for many self types.
pub trait Shape {
    const SIDES: u32;
    type Unit;
    fn sides(&self) -> u32 {
        Self::SIDES
    }
    fn name(&self) -> String;
    fn scaled(self: Box<Self>, by: u32) -> u32;
    fn make() -> Self
    where
        Self: Sized;
    fn unit(&self) -> Self::Unit;
    fn pick<'x>(&'x self, _o: &str) -> &'x str;
    async fn later(&self) -> u32 {
        0
    }
    fn all(&self) -> impl Iterator<Item = u32> {
        0..Self::SIDES
    }
}

pub struct Square;

#[debuggable]
impl Shape for Square {
    const SIDES: u32 = 4;
    type Unit = f32;
    fn sides(&self) -> u32 {
        Self::SIDES + 0
    }
    fn name(&self) -> String {
        format!("square/{}", self.sides())
    }
    fn scaled(self: Box<Self>, by: u32) -> u32 {
        Self::SIDES * by
    }
    fn make() -> Self {
        Square
    }
    fn unit(&self) -> Self::Unit {
        1.0
    }
    fn pick(&self, _o: &str) -> &str {
        "sq"
    }
    async fn later(&self) -> u32 {
        4
    }
    fn all(&self) -> impl Iterator<Item = u32> {
        [1, 2].into_iter()
    }
}

#[debuggable]
impl Shape for &Square {
    const SIDES: u32 = 1;
    type Unit = ();
    fn name(&self) -> String {
        "ref".into()
    }
    fn scaled(self: Box<Self>, by: u32) -> u32 {
        by
    }
    fn make() -> Self {
        &Square
    }
    fn unit(&self) {}
    fn pick(&self, _o: &str) -> &str {
        "r"
    }
}

#[debuggable]
impl<'a> Shape for Store<'a> {
    const SIDES: u32 = 0;
    type Unit = &'a [Item];
    fn name(&self) -> String {
        "store".into()
    }
    fn scaled(self: Box<Self>, by: u32) -> u32 {
        by
    }
    fn make() -> Self {
        Store { items: &[] }
    }
    fn unit(&self) -> Self::Unit {
        self.items
    }
    fn pick(&self, _o: &str) -> &str {
        "s"
    }
}

#[debuggable]
impl Shape for Box<dyn fmt::Debug> {
    const SIDES: u32 = 9;
    type Unit = ();
    fn name(&self) -> String {
        format!("{:?}", self)
    }
    fn scaled(self: Box<Self>, by: u32) -> u32 {
        by
    }
    fn make() -> Self {
        Box::new(1)
    }
    fn unit(&self) {}
    fn pick(&self, _o: &str) -> &str {
        "b"
    }
}

#[debuggable]
impl Shape for [u8; 2] {
    const SIDES: u32 = 2;
    type Unit = u8;
    fn name(&self) -> String {
        "arr".into()
    }
    fn scaled(self: Box<Self>, by: u32) -> u32 {
        self[0] as u32 * by
    }
    fn make() -> Self {
        [1, 2]
    }
    fn unit(&self) -> u8 {
        self[1]
    }
    fn pick(&self, _o: &str) -> &str {
        "a"
    }
}

#[debuggable]
impl<T: fmt::Debug> Shape for Vec<T> {
    const SIDES: u32 = 0;
    type Unit = ();
    fn name(&self) -> String {
        format!("{:?}", self)
    }
    fn scaled(self: Box<Self>, by: u32) -> u32 {
        by
    }
    fn make() -> Self {
        Vec::new()
    }
    fn unit(&self) {}
    fn pick(&self, _o: &str) -> &str {
        "v"
    }
}

/// Lifetimes in the trait, a generic associated type, a `'static` self type.
pub trait Lend<'t> {
    type Out<'o>
    where
        Self: 'o;
    fn lend<'o>(&'o self, t: &'t str) -> Self::Out<'o>;
}

#[debuggable]
impl<'t> Lend<'t> for Plain {
    type Out<'o> = &'o Item;
    fn lend<'o>(&'o self, _t: &'t str) -> Self::Out<'o> {
        &self.items[0]
    }
}

#[debuggable]
impl Store<'static> {
    fn forever(&self, _c: &Config) -> &'static [Item] {
        self.items
    }
}

/// Implemented for unsized types, whose nested declaration must not need
/// a size.
pub trait Unsized {
    fn len_of(&self) -> usize;
    fn me(&self) -> &Self;
}

#[debuggable]
impl Unsized for str {
    fn len_of(&self) -> usize {
        self.len()
    }
    fn me(&self) -> &Self {
        self
    }
}

#[debuggable]
impl Unsized for [u32] {
    fn len_of(&self) -> usize {
        self.len()
    }
    fn me(&self) -> &Self {
        self
    }
}

pub trait Dynish {
    fn len_of(&self) -> usize;
}

#[debuggable]
impl Dynish for u8 {
    fn len_of(&self) -> usize {
        *self as usize
    }
}

#[debuggable]
impl dyn Dynish {
    fn via_dyn(&self) -> usize {
        self.len_of() + 1
    }
}

pub struct Raw(*const u8);

#[debuggable]
unsafe impl Send for Raw {}

macro_rules! answer {
    () => {
        fn answer(&self) -> u32 {
            42
        }
    };
}

#[debuggable]
impl Square {
    answer!();
    const K: u32 = 3;
    fn k(&self) -> u32 {
        Self::K + self.answer()
    }
    #[cfg(test)]
    fn only_test(&self) -> u32 {
        1
    }
    #[cfg(not(test))]
    fn only_test(&self) -> u32 {
        2
    }
    #[cfg(not(test))]
    fn only_test_never(&self) -> u32 {
        2
    }
    /// Docs.
    #[inline]
    #[must_use]
    #[rustfmt::skip]
    pub(crate) fn attrs(&self) -> u32 { 3 }
    fn mut_self(mut self) -> Self {
        self = Square;
        self
    }
}

#[cfg(test)]
mod inner {
    use super::*;

    #[debuggable]
    impl Square {
        pub(super) fn from_mod(&self) -> u32 {
            self.k()
        }
    }
}

#[test]
fn a_borrow_of_self_beside_another_reference() {
    let items = [Item { v: 1 }, Item { v: 2 }];
    let store = Store { items: &items };
    let c = Config { limit: 1 };
    assert_eq!(store.below(&c), [&Item { v: 1 }]);
    assert_eq!(store.first(&c), Some(&Item { v: 1 }));
    assert_eq!(store.iter(&c).count(), 2);
    let mut plain = Plain { items: vec![Item { v: 1 }, Item { v: 2 }] };
    assert_eq!(plain.below(&c), [&Item { v: 1 }]);
    assert_eq!(plain.iter(&c).count(), 2);
    assert_eq!(plain.iter_anon(&c).count(), 2);
    assert_eq!(plain.both(&c), (&Item { v: 1 }, &1));
    assert_eq!(*plain.cell(&c, &std::cell::RefCell::new(5)), 5);
    assert_eq!(Pin::new(&mut plain).pinned(3), 3);
    assert_eq!(plain.items[0].v, 4);
    assert_eq!(plain.caller(&c).v, 4);
    for key in ["Store<'a>::below", "Store<'a>::first", "Store<'a>::iter", "Plain::below", "Plain::iter", "Plain::both", "Plain::cell", "Plain::caller"] {
        assert_patchable(key);
    }
}

/// The slot's pointer type is inferred from the method (debug builds: its
/// native body): a patch of the same signature is called through it.
#[test]
fn patches_are_called_with_the_methods_own_type() {
    fn store_patch<'s>(s: &'s Store<'_>, _: &Config) -> std::slice::Iter<'s, Item> {
        s.items[1..].iter()
    }
    fn plain_patch<'s>(p: &'s Plain, _: &Config) -> std::slice::Iter<'s, Item> {
        p.items[1..].iter()
    }
    fn parse_patch(_: &str) -> Result<Parsed, std::num::ParseIntError> {
        Ok(Parsed(99))
    }
    let items = [Item { v: 1 }, Item { v: 2 }];
    let (store, plain, c) = (Store { items: &items }, Plain { items: vec![Item { v: 1 }, Item { v: 2 }] }, Config { limit: 0 });
    let arms: [(&str, usize); 3] = [
        ("Store<'a>::armed", store_patch as fn(_, _) -> _ as usize),
        ("Plain::armed", plain_patch as fn(_, _) -> _ as usize),
        ("<Parsed as std::str::FromStr>::from_str", parse_patch as fn(_) -> _ as usize),
    ];
    let slot = |key| entry(key).slot.unwrap();
    assert_eq!((store.armed(&c).count(), plain.armed(&c).count(), "1".parse::<Parsed>().unwrap().0), (2, 2, 1));
    for (key, patch) in arms {
        slot(key).point_at(patch).unwrap();
    }
    assert_eq!((store.armed(&c).count(), plain.armed(&c).count(), "1".parse::<Parsed>().unwrap().0), (1, 1, 99));
    for (key, _) in arms {
        slot(key).point_at(0).unwrap();
    }
    assert_eq!((store.armed(&c).count(), plain.armed(&c).count(), "1".parse::<Parsed>().unwrap().0), (2, 2, 1));
}

#[test]
fn methods_of_every_shape_keep_their_behaviour() {
    let plain = Plain { items: vec![Item { v: 1 }, Item { v: 2 }] };
    assert_eq!(plain.r#type(), "type");
    let mut add = |x| x + 1;
    assert_eq!(plain.dynamic(&mut add, &"d"), "3\"d\"");
    assert_eq!(plain.closure()(1), 3);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(unsafe { plain.featured(&Config { limit: 0 }) }.v, 1);
    assert_eq!(plain.lend("t").v, 1);
    static ITEMS: [Item; 1] = [Item { v: 8 }];
    assert_eq!(Store { items: &ITEMS }.forever(&Config { limit: 0 }).len(), 1);
    for key in ["<Plain as Lend<'t>>::lend", "Store<'static>::forever"] {
        assert_patchable(key);
    }
    #[cfg(target_arch = "x86_64")]
    assert_patchable("Plain::featured");
    assert_eq!(plain.limit(), 1);
    assert_eq!(plain.labelled(), 37);
    assert_eq!(plain.nested_items(), 12);
    assert_eq!(plain.crate_vis(), 2);
    assert_eq!(unsafe { *plain.danger(&9) }, 9);
    assert_eq!(plain.c_abi(1), 2);
    assert_eq!(plain.patterns((1, 2), 0, Item { v: 3 }), 6);
    assert_eq!(plain.param_attrs(1), 7);
    assert_eq!(plain.constant(), 2);
    assert_eq!(plain.generic::<u8>(), 0);
    assert_eq!(plain.walk().count(), 2);
    assert_eq!(plain.where_clause(&Plain { items: vec![] }).v, 1);
    assert_eq!(plain[1].v, 2);
    assert_eq!(plain.as_ref().len(), 2);
    assert_eq!((&plain).into_iter().count(), 2);
    let c = Config { limit: 0 };
    let gone = std::panic::catch_unwind(|| Plain { items: vec![] }.never(&c));
    assert!(gone.is_err());
    assert_eq!(Box::new(plain).boxed(&c), 2);
    for key in ["Plain::r#type", "Plain::dynamic", "Plain::closure", "Plain::never", "Plain::patterns", "Plain::where_clause", "<Plain as std::ops::Index<usize>>::index"] {
        assert_patchable(key);
    }
}

#[test]
fn trait_impls_of_every_shape_keep_their_behaviour() {
    assert_eq!(Words::try_from(&["a", "b"][..]).map(|w| w.0), Ok(vec!["a".to_string(), "b".to_string()]));
    assert!(Words::try_from(&[][..]).is_err());
    assert_eq!("12".parse::<Num>().map(|n| n.0.clone()), Ok(12));
    assert_eq!(Num::default().to_string(), "#7");
    assert_eq!(format!("{:?}", Num(3)), "Num(3)");
    let mut n = Num(1);
    n.clone_from(&Num(2));
    assert_eq!(n.0, 1002);
    let before = DROPS.load(std::sync::atomic::Ordering::SeqCst);
    drop(Num(0));
    assert!(DROPS.load(std::sync::atomic::Ordering::SeqCst) > before);
    assert_eq!(u64::from(&Num(5)), 5);
    assert_eq!(<&u32>::from(&Num(6)), &6);
    assert!(Num(1) == Num(1));
    assert_eq!((Num(1) + Num(2)).0, 3);
    assert_eq!((Num(5) - Num(2)).0, 3);
    assert_eq!(Num(3).collect::<Vec<_>>(), [2, 1, 0]);
    let (a, b) = (String::from("x"), String::from("x"));
    assert!(Cow(&a) == Cow(&b));
    let table = Table(vec![("k".to_string(), 7)]);
    let key = String::from("k");
    assert_eq!(table[key.as_str()], 7);
    assert!(table == "k");
    assert_eq!(Span { start: 1, end: 2 } + 3, Span { start: 4, end: 5 });
    assert!("s".parse::<Unit>().is_ok() && "m".parse::<Unit>().is_err());
    for key in [
        "<Unit as std::str::FromStr>::from_str",
        "<Table as std::ops::Index<&'a str>>::index",
        "<Table as PartialEq<&'a str>>::eq",
        "<Span as std::ops::Add<usize>>::add",
        "<Cow<'a> as PartialEq<Cow<'a>>>::eq",
        "<Words as TryFrom<&[&str]>>::try_from",
        "<Num as std::str::FromStr>::from_str",
        "<Num as Default>::default",
        "<Num as fmt::Display>::fmt",
        "<Num as Clone>::clone_from",
        "<Num as Drop>::drop",
        "<u64 as From<&Num>>::from",
        "<&'a u32 as From<&'a Num>>::from",
        "<Num as std::ops::Add<Self>>::add",
        "<Num as std::ops::Sub<Num>>::sub",
        "<Num as Iterator>::next",
        "<&'a Plain as IntoIterator>::into_iter",
    ] {
        assert_patchable(key);
    }
}

#[test]
fn one_trait_for_many_self_types() {
    assert_eq!(Square.name(), "square/4");
    assert_eq!(Box::new(Square).scaled(2), 8);
    assert_eq!(Square::make().pick("x"), "sq");
    assert_eq!(Square.unit(), 1.0);
    assert_eq!(Square.all().count(), 2);
    assert_eq!(<&Square as Shape>::name(&&Square), "ref");
    assert_eq!(<&Square as Shape>::pick(&<&Square as Shape>::make(), "x"), "r");
    assert_eq!(Store::make().name(), "store");
    assert_eq!(<Box<dyn fmt::Debug> as Shape>::make().name(), "1");
    assert_eq!([3u8, 4].unit(), 4);
    assert_eq!(Box::new([3u8, 4]).scaled(2), 6);
    assert_eq!(vec![1].name(), "[1]");
    assert_eq!("abc".len_of() + "abc".me().len(), 6);
    assert_eq!([1u32, 2][..].me().len_of(), 2);
    assert_eq!((&3u8 as &dyn Dynish).via_dyn(), 4);
    for key in ["<Square as Shape>::name", "<&Square as Shape>::pick", "<Store<'a> as Shape>::unit", "<Box<dyn fmt::Debug> as Shape>::make", "<[u8; 2] as Shape>::scaled", "<str as Unsized>::me", "<[u32] as Unsized>::len_of", "dyn Dynish::via_dyn"] {
        assert_patchable(key);
    }
}

#[test]
fn impl_items_beside_the_methods_are_untouched() {
    assert_eq!(Square.k(), 45);
    assert_eq!(Square.only_test(), 1);
    assert_eq!(Square.attrs(), 3);
    assert_eq!(Square.mut_self().k(), 45);
    assert_eq!(Square.from_mod(), 45);
    assert_patchable("Square::k");
    assert_patchable("Square::only_test");
    assert_patchable("Square::attrs");
    assert_patchable("inner::Square::from_mod");
    assert_absent("Square::only_test_never");
}

#[test]
fn what_cannot_be_patched_says_why() {
    let cases = [
        ("Plain::constant", "const fn"),
        ("Plain::walk", "returns impl Trait"),
        ("Plain::param_attrs", "attribute on a parameter"),
        ("<Square as Shape>::all", "returns impl Trait"),
    ];
    for (key, why) in cases {
        assert_unpatchable(key, why);
    }
    // A generic method and a method of a generic impl: patchable, each
    // instance looks itself up in the table its slot holds while armed.
    for key in ["Plain::generic", "<Vec<T> as Shape>::name"] {
        assert_patchable(key);
        assert!(entry(key).generic, "{key}");
    }
    // Async methods, inherent and of a trait impl: their check runs on the
    // future's first poll.
    for key in ["Plain::later", "<Square as Shape>::later"] {
        assert_patchable(key);
    }
    assert_eq!(entry("Plain::later").first_line, line_of("async fn later(&self) -> u32 {\n        1"));
}

/// Line of this file where `needle` first starts.
fn line_of(needle: &str) -> u32 {
    let text = include_str!("wild.rs");
    text[..text.find(needle).unwrap()].matches('\n').count() as u32 + 1
}
