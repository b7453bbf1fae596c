//! A Rust 2018 crate: `async fn`, bare trait objects still allowed,
//! `r#try`. `runtime/tests/editions.rs` checks its registry entries.
#![allow(dead_code, bare_trait_objects, clippy::all)]

use hotbreak::debuggable;
use std::fmt;

#[debuggable]
pub fn bare(x: &fmt::Display) -> String {
    x.to_string()
}

#[debuggable]
pub async fn later(x: &u32) -> u32 {
    *x
}

#[debuggable]
pub async fn later_generic<T: Clone>(x: &T) -> T {
    x.clone()
}

#[debuggable]
pub fn r#try(x: u32) -> Result<u32, String> {
    Ok(x)
}

pub struct S(u32);

#[debuggable]
impl S {
    fn get(&self, other: &S) -> &u32 {
        if other.0 > self.0 { &self.0 } else { &0 }
    }
    async fn wait(&self) -> u32 {
        self.0
    }
}

/// Calls every shape: each behaves as written.
pub fn exercise() {
    assert_eq!(bare(&1), "1");
    assert_eq!(r#try(1), Ok(1));
    assert_eq!(*S(1).get(&S(2)), 1);
    assert_eq!(block_on(later(&1)), 1);
    assert_eq!(block_on(S(1).wait()), 1);
    assert_eq!(block_on(later_generic(&2)), 2);
}

fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    let mut fut = Box::pin(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
