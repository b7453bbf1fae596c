//! Every shape `#[debuggable]` accepts: it compiles, behaves as before, and
//! lands in the registry with the right key, file, lines and patchability.

use hotbreak::{debuggable, functions, FnInfo};

#[debuggable]
fn free(x: u32) -> u32 {
    x + 1
}

pub struct Counter {
    n: u32,
}

impl Counter {
    #[debuggable]
    fn bump(&mut self) -> u32 {
        self.n += 1;
        self.n
    }
}

#[debuggable]
impl Counter {
    fn new() -> Self {
        Counter { n: 0 }
    }
    fn get(&self) -> u32 {
        self.n
    }
    fn into_inner(self) -> u32 {
        self.n
    }
    fn boxed(self: Box<Self>) -> u32 {
        self.n * 10
    }
    /// # Safety
    /// None needed; checks that `unsafe fn` keeps compiling.
    unsafe fn raw(&self) -> u32 {
        self.n + 100
    }
}

/// Methods a debug build turns into shims with sibling bodies, in the
/// shapes that make forwarding them tricky.
#[debuggable]
impl Counter {
    fn pick(&self, name: &str) -> &u32 {
        if name.is_empty() { &0 } else { &self.n }
    }
    fn consumed(mut self, by: u32) -> Self {
        self.n += by;
        self
    }
    fn summed(&self, (a, b): (u32, u32), _: u8) -> u32 {
        self.n + a + b
    }
    #[inline]
    #[must_use]
    #[allow(unused_variables)]
    fn lints_reach_the_body(&self) -> u32 {
        let unused = 1;
        Self::new().n + self.n
    }
    #[cfg(any())]
    fn compiled_out(&self) -> u32 {
        0
    }
}

impl Counter {
    /// An associated fn that never names `Self`: a debug-build shim, inside
    /// an impl the attribute cannot see.
    #[debuggable]
    fn tripled_count(n: u32) -> u32 {
        n * 3
    }
}

impl Default for Counter {
    /// The same inside a trait impl: the shim adds no item beside the method.
    #[debuggable]
    fn default() -> Counter {
        Counter { n: 7 }
    }
}

pub trait Speak {
    fn speak(&self) -> String;
}

#[debuggable]
impl Speak for Counter {
    fn speak(&self) -> String {
        format!("n={}", self.n)
    }
}

/// Trait impls whose methods a debug build turns into shims with their
/// bodies in a nested trait impl: associated types, consts and provided
/// methods of the implemented trait, named through `Self` and `self`.
pub trait Tally {
    type Unit;
    const STEP: u32;
    fn tally(&mut self) -> Self::Unit;
    fn twice(&mut self) -> (Self::Unit, Self::Unit) {
        (self.tally(), self.tally())
    }
}

#[debuggable]
impl Tally for Counter {
    type Unit = u32;
    const STEP: u32 = 5;
    fn tally(&mut self) -> Self::Unit {
        let step: Self::Unit = Self::STEP;
        self.n += step;
        self.n
    }
}

pub struct Twice(u32);

#[debuggable]
impl Iterator for Twice {
    type Item = u32;
    fn next(&mut self) -> Option<Self::Item> {
        self.0 += 1;
        (self.0 <= 3).then_some(self.0 * 2)
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = 3usize.saturating_sub(self.0 as usize);
        (left, Some(left))
    }
}

#[debuggable]
impl std::fmt::Display for Twice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A provided method of the trait being implemented, through `self`.
        write!(f, "twice({}) of {}", self.0, self.clone_hint())
    }
}

impl Twice {
    fn clone_hint(&self) -> usize {
        self.size_hint().0
    }
}

#[debuggable]
impl From<u32> for Twice {
    fn from(n: u32) -> Self {
        Twice(n)
    }
}

#[debuggable]
impl From<(u8, u8)> for Twice {
    fn from((a, b): (u8, u8)) -> Self {
        Self(a as u32 + b as u32)
    }
}

pub struct Wrapper<T>(T);

#[debuggable]
impl<T: Clone> Wrapper<T> {
    fn inner(&self) -> T {
        self.0.clone()
    }
}

#[debuggable]
mod shapes {
    pub fn doubled(x: u32) -> u32 {
        x * 2
    }

    pub mod nested {
        pub fn tripled(x: u32) -> u32 {
            x * 3
        }
    }

    pub const fn constant() -> u32 {
        3
    }

    pub async fn later() -> u32 {
        4
    }

    pub fn generic<T: Default>() -> T {
        T::default()
    }

    pub fn shows(x: impl std::fmt::Display) -> String {
        format!("<{x}>")
    }

    pub fn evens(limit: u32) -> impl Iterator<Item = u32> {
        (0..limit).filter(|n| n % 2 == 0)
    }

    pub fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
        let v: u32 = s.trim().parse()?;
        if v == 0 {
            return Ok(100);
        }
        Ok(v)
    }

    pub fn never(msg: &str) -> ! {
        panic!("{msg}")
    }

    pub fn pattern((a, b): (u32, u32), _: u8, mut c: u32) -> u32 {
        c += 1;
        a + b + c
    }

    pub fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
        if a.len() >= b.len() {
            a
        } else {
            b
        }
    }

    pub extern "C" fn c_abi(x: i32) -> i32 {
        x - 1
    }
}

fn entry(key_suffix: &str) -> &'static FnInfo {
    let matches: Vec<_> = functions().iter().filter(|f| f.key.ends_with(key_suffix)).collect();
    assert_eq!(matches.len(), 1, "{key_suffix}: {matches:#?}");
    matches[0]
}

/// Line of the first line of this file containing `needle`.
fn line_of(needle: &str) -> u32 {
    include_str!("shapes.rs").lines().position(|l| l.contains(needle)).unwrap() as u32 + 1
}

fn assert_patchable(key: &str, fn_text: &str) {
    let f = entry(key);
    assert_eq!(f.key, format!("shapes::{key}"), "key");
    assert_eq!(f.file, file!(), "{key}: file");
    assert_eq!(f.first_line, line_of(fn_text), "{key}: first line");
    assert!(f.last_line > f.first_line, "{key}: last line");
    assert!(f.slot.is_some() && f.unpatchable.is_none(), "{key}: {f:?}");
}

#[test]
fn free_fn_is_registered() {
    assert_patchable("free", "fn free(");
    assert_eq!(entry("free").name, "free");
    assert_eq!(entry("free").module, "shapes");
    assert_eq!(entry("free").last_line, line_of("fn free(") + 2);
    assert_eq!(free(1), 2);
}

#[test]
fn method_with_its_own_attribute_is_registered() {
    // The attribute alone cannot see the impl, so the key has no type.
    assert_patchable("bump", "fn bump(");
    let mut c = Counter::new();
    assert_eq!((c.bump(), c.bump()), (1, 2));
}

#[test]
fn associated_fns_with_their_own_attribute_compile_and_register() {
    assert_patchable("tripled_count", "fn tripled_count(");
    assert_patchable("default", "fn default()");
    assert_eq!(Counter::tripled_count(2), 6);
    assert_eq!(Counter::default().get(), 7);
}

#[test]
fn impl_block_registers_every_method() {
    for (name, text) in [("new", "fn new()"), ("get", "fn get("), ("into_inner", "fn into_inner("), ("boxed", "fn boxed("), ("raw", "fn raw(")] {
        assert_patchable(&format!("Counter::{name}"), text);
    }
    let c = Counter { n: 4 };
    assert_eq!(c.get(), 4);
    assert_eq!(unsafe { c.raw() }, 104);
    assert_eq!(Box::new(Counter { n: 2 }).boxed(), 20);
    assert_eq!(c.into_inner(), 4);
}

#[test]
fn methods_with_receivers_patterns_and_attributes_keep_their_behaviour() {
    for (name, text) in [("pick", "fn pick("), ("consumed", "fn consumed("), ("summed", "fn summed("), ("lints_reach_the_body", "fn lints_reach_the_body(")] {
        assert_patchable(&format!("Counter::{name}"), text);
    }
    let c = Counter { n: 2 };
    assert_eq!(*c.pick("n"), 2);
    assert_eq!(*c.pick(""), 0);
    assert_eq!(c.summed((3, 4), 0), 9);
    assert_eq!(c.lints_reach_the_body(), 2);
    assert_eq!(c.consumed(5).n, 7);
    assert!(!functions().iter().any(|f| f.key.ends_with("compiled_out")));
}

#[test]
fn trait_impl_is_registered_with_its_trait() {
    assert_patchable("<Counter as Speak>::speak", "fn speak(&self) -> String {");
    assert_patchable("<Counter as Tally>::tally", "fn tally(&mut self) -> Self::Unit {");
    assert_patchable("<Twice as Iterator>::next", "fn next(&mut self)");
    assert_patchable("<Twice as std::fmt::Display>::fmt", "fn fmt(&self");
    assert_patchable("<Twice as From<u32>>::from", "fn from(n: u32)");
    assert_patchable("<Twice as From<(u8, u8)>>::from", "fn from((a, b)");
}

#[test]
fn trait_impl_methods_keep_their_behaviour() {
    let mut c = Counter::new();
    assert_eq!(c.tally(), 5);
    assert_eq!(c.twice(), (10, 15));
    assert_eq!(Twice(0).collect::<Vec<_>>(), [2, 4, 6]);
    assert_eq!(Twice(1).size_hint(), (2, Some(2)));
    assert_eq!(Twice(1).to_string(), "twice(1) of 2");
    assert_eq!(Twice::from(4).0, 4);
    assert_eq!(Twice::from((2u8, 3u8)).0, 5);
    assert_eq!(Counter { n: 7 }.speak(), "n=7");
}

#[test]
fn module_registers_nested_functions_with_their_module_path() {
    assert_patchable("shapes::doubled", "pub fn doubled(");
    assert_eq!(entry("shapes::nested::tripled").module, "shapes::shapes::nested");
    for (key, text) in [("shapes::pattern", "pub fn pattern("), ("shapes::longest", "pub fn longest"), ("shapes::parse", "pub fn parse(")] {
        assert_patchable(key, text);
    }
    assert_patchable("shapes::never", "pub fn never(");
    // A generic free fn: one slot for its instances, armed with a table.
    assert_patchable("shapes::generic", "pub fn generic<");
    assert!(entry("shapes::generic").generic);
    let inner = entry("Wrapper<T>::inner");
    assert!(inner.slot.is_some() && inner.unpatchable.is_none() && inner.generic, "{inner:?}");
    assert!(!entry("shapes::doubled").generic);
    assert_eq!(shapes::generic::<u8>(), 0);
    assert_patchable("shapes::c_abi", "pub extern \"C\" fn c_abi");
    assert_eq!(shapes::doubled(4), 8);
    assert_eq!(shapes::nested::tripled(4), 12);
    assert_eq!(shapes::pattern((1, 2), 0, 3), 7);
    assert_eq!(shapes::longest("ab", "c"), "ab");
    assert_eq!(shapes::parse(" 0 "), Ok(100));
    assert_eq!(shapes::parse("12"), Ok(12));
    assert!(shapes::parse("x").is_err());
    assert_eq!(shapes::c_abi(1), 0);
    let err = std::panic::catch_unwind(|| shapes::never("gone")).unwrap_err();
    assert_eq!(err.downcast_ref::<String>().map(String::as_str), Some("gone"));
}

#[test]
fn unsupported_shapes_compile_unchanged_and_say_why() {
    let cases = [
        ("shapes::constant", "const fn"),
        ("shapes::shows", "impl Trait argument (a generic fn)"),
        ("shapes::evens", "returns impl Trait"),
    ];
    for (key, why) in cases {
        let f = entry(key);
        assert!(f.slot.is_none(), "{key} must have no slot");
        assert_eq!(f.unpatchable, Some(why), "{key}");
    }
    const C: u32 = shapes::constant();
    assert_eq!(C, 3);
    assert_eq!(shapes::shows(5), "<5>");
    assert_eq!(shapes::evens(5).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(Wrapper(9).inner(), 9);
    // An async fn is patchable: its check runs on the future's first poll.
    let later = entry("shapes::later");
    assert!(later.slot.is_some() && later.unpatchable.is_none() && !later.generic, "{later:?}");
    let fut = shapes::later();
    drop(fut);
}
