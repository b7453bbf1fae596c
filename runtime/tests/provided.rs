//! Traits' provided (default) methods under the attribute, as the wrapper
//! puts it on every trait of a crate: each shape compiles, behaves as
//! written for implementors that keep it and those that override it, and
//! is registered with instances (one slot for every implementor).
#![allow(dead_code, async_fn_in_trait, clippy::all)]

mod common;

use common::{assert_patchable, entry};
use hotbreak::debuggable;
use std::fmt::Debug;

#[debuggable]
pub trait Shape {
    const SIDES: u32;
    type Unit: Debug + Default;

    fn name(&self) -> String;

    /// Calls a required method, an associated const and type.
    fn describe(&self) -> String {
        let unit = Self::Unit::default();
        format!("{} with {} sides in {unit:?}", self.name(), Self::SIDES)
    }

    /// A generic provided method and an `impl Trait` argument.
    fn tagged<T: Debug>(&self, tag: T, f: impl Fn(u32) -> u32) -> String {
        format!("{}:{tag:?}:{}", self.name(), f(Self::SIDES))
    }

    /// By value, only for sized implementors.
    fn into_sides(self) -> u32
    where
        Self: Sized,
    {
        Self::SIDES
    }

    /// `-> impl Trait` in a trait (a provided body's own opaque type).
    fn corners(&self) -> impl Iterator<Item = u32> {
        0..Self::SIDES
    }

    /// Calls another provided method through `Self`.
    fn twice(&self) -> String {
        let one = self.describe();
        format!("{one}; {one}")
    }

    async fn later(&self) -> u32 {
        Self::SIDES
    }

    fn required_only(&self) -> u8;
}

/// A generic trait: instances per implementor and per the trait's argument.
#[debuggable]
pub trait Convert<T> {
    fn get(&self) -> T;
    fn get_twice(&self) -> (T, T)
    where
        T: Clone,
    {
        let one = self.get();
        (one.clone(), one)
    }

    /// Async, generic over the trait's and its own parameter; `Self:
    /// Sized` keeps the trait usable as `dyn`.
    async fn get_later<U: Into<T>>(&self, u: U) -> (T, T)
    where
        Self: Sized,
    {
        (self.get(), u.into())
    }
}

/// A supertrait with a method of the same name as a provided one.
pub trait Base {
    fn label(&self) -> String {
        "base".into()
    }
}

#[debuggable]
pub trait Derived<'a, const N: usize>: Base {
    fn label(&self) -> String {
        let inner = Base::label(self);
        format!("{inner}+{N}")
    }
}

impl Base for Tri {}
impl<'a> Derived<'a, 2> for Tri {}

pub struct Tri;
pub struct Quad(u8);

#[debuggable]
impl Shape for Tri {
    const SIDES: u32 = 3;
    type Unit = u8;
    fn name(&self) -> String {
        "tri".into()
    }
    fn required_only(&self) -> u8 {
        1
    }
}

#[debuggable]
impl Shape for Quad {
    const SIDES: u32 = 4;
    type Unit = String;
    fn name(&self) -> String {
        format!("quad{}", self.0)
    }
    fn describe(&self) -> String {
        "overridden".into()
    }
    fn required_only(&self) -> u8 {
        self.0
    }
}

#[debuggable]
impl Convert<u8> for Tri {
    fn get(&self) -> u8 {
        3
    }
}

#[debuggable]
impl Convert<String> for Tri {
    fn get(&self) -> String {
        "three".into()
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn as_dyn(s: &dyn Convert<u8>) -> (u8, u8) {
    s.get_twice()
}

#[test]
fn provided_methods_keep_their_behaviour_for_keepers_and_overriders() {
    assert_eq!(Tri.describe(), "tri with 3 sides in 0");
    assert_eq!(Quad(2).describe(), "overridden");
    assert_eq!(Quad(2).twice(), "overridden; overridden");
    assert_eq!(Tri.tagged("t", |n| n * 10), "tri:\"t\":30");
    assert_eq!(Quad(1).tagged(7u8, |n| n + 1), "quad1:7:5");
    assert_eq!(Quad(1).into_sides(), 4);
    assert_eq!(Tri.corners().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(<Tri as Convert<u8>>::get_twice(&Tri), (3, 3));
    assert_eq!(<Tri as Convert<String>>::get_twice(&Tri), ("three".to_string(), "three".to_string()));
    assert_eq!(as_dyn(&Tri), (3, 3));
    assert_eq!(block_on(Tri.later()), 3);
    assert_eq!(block_on(Quad(1).later()), 4);
    assert_eq!(block_on(<Tri as Convert<u8>>::get_later(&Tri, 7u8)), (3, 7));
    assert_eq!(block_on(<Tri as Convert<String>>::get_later(&Tri, "x")), ("three".to_string(), "x".to_string()));
    assert_eq!(<Tri as Derived<2>>::label(&Tri), "base+2");
}

#[test]
fn provided_methods_register_with_instances() {
    for key in ["Derived::label", "Shape::describe", "Shape::tagged", "Shape::into_sides", "Shape::corners", "Shape::twice", "Convert::get_twice"] {
        assert_patchable(key);
        assert!(entry(key).generic, "{key}: one slot for every implementor");
    }
    // Async ones too: each implementor's instance names itself through a
    // nested impl (a default body cannot name its own future type).
    for key in ["Shape::later", "Convert::get_later"] {
        assert_patchable(key);
        assert!(entry(key).generic, "{key}");
    }
    // Required methods have no body: nothing to register.
    assert!(!hotbreak::functions().iter().any(|f| f.key.ends_with("Shape::required_only")));
}
