//! Generic async fns, async methods of generic impls and of generic trait
//! impls: registered patchable, one slot for all instances (armed with an
//! instance table of adapters), and disarmed they behave as written, their
//! futures as `Send` as before.
#![allow(async_fn_in_trait)]

mod common;

use common::{assert_unpatchable, entry};
use hotbreak::debuggable;
use std::future::Future;
use std::task::{Context, Poll, Waker};

fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn assert_send<F: Send>(_: &F) {}

#[debuggable]
pub async fn first<T: Clone>(items: &[T]) -> Option<T> {
    items.first().cloned()
}

#[debuggable]
pub async fn drain(mut r: impl std::io::Read, limit: usize) -> usize {
    let mut buf = vec![0; limit];
    r.read(&mut buf).unwrap_or(0)
}

#[debuggable]
pub async fn paired((a, b): (u8, u8), _r: impl std::io::Read) -> u8 {
    a + b
}

pub struct Stack<T>(Vec<T>);

#[debuggable]
impl<T: Clone> Stack<T> {
    pub async fn top(&self) -> Option<T> {
        self.0.last().cloned()
    }

    pub async fn push_all<I: IntoIterator<Item = T>>(&mut self, items: I) -> usize {
        self.0.extend(items);
        self.0.len()
    }
}

pub trait Shelf {
    async fn count(&self) -> usize;
}

#[debuggable]
impl<T> Shelf for Stack<T> {
    async fn count(&self) -> usize {
        self.0.len()
    }
}

#[test]
fn generic_async_fns_are_patchable_with_one_slot_for_their_instances() {
    for key in ["first", "drain", "Stack<T>::top", "Stack<T>::push_all", "<Stack<T> as Shelf>::count"] {
        let f = entry(key);
        assert!(f.slot.is_some() && f.unpatchable.is_none() && f.generic, "{key}: {f:?}");
    }
    // Its patch names each instance's adapter by the arguments' values.
    assert_unpatchable("paired", "generic async fn with an impl Trait argument bound by a pattern");
}

#[test]
fn disarmed_they_run_as_written_and_stay_send() {
    let fut = first(&[3u8, 4]);
    assert_send(&fut);
    assert_eq!(block_on(fut), Some(3));
    assert_eq!(block_on(first(&["a".to_string()])), Some("a".to_string()));
    assert_eq!(block_on(drain(&b"abc"[..], 2)), 2);
    assert_eq!(block_on(paired((1, 2), &b""[..])), 3);
    let mut stack = Stack(vec![1u32]);
    let fut = stack.top();
    assert_send(&fut);
    assert_eq!(block_on(fut), Some(1));
    assert_eq!(block_on(stack.push_all([2, 3])), 3);
    assert_eq!(block_on(stack.count()), 3);
}
