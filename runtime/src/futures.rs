//! `async fn`: the armed path awaits the patch's future.
//!
//! An async fn's entry check sits at the top of its body, so it runs on the
//! future's first poll. Armed, the body awaits the patch's own future, whose
//! type the program cannot name: the patch's slot holds an *adapter* that
//! calls the patched async fn and boxes its future as [`Erased`].
//! Replacing the async fn itself would be unsound: the program's callers
//! own the future they got and resume it with the program's code.
//!
//! A generic async fn needs one adapter per instance: its patched body
//! names `async_entryN(f::<T>)` in a dead branch, so each instance the
//! patch makes brings its adapter (`adapterN::<f::<T>, ..>`), and the tool
//! pairs the program's instance `f::<T>` with that adapter by the `F`
//! argument's name (hotreload's `instances.rs`).

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// A patch's future behind a box: what an armed async fn awaits.
pub struct Erased<'a, R>(Pin<Box<dyn Future<Output = R> + 'a>>);

// SAFETY: the boxed future runs the same body, compiled from the same
// source, as the native state it stands for: the program's future is
// `Send`/`Sync` only when that body's state is, which the rest of its type
// (the native body's state, still part of it) says. An edit that made the
// body's state lose `Send` would break that: see ARCHITECTURE ("async").
unsafe impl<R> Send for Erased<'_, R> {}
unsafe impl<R> Sync for Erased<'_, R> {}
impl<R> core::panic::UnwindSafe for Erased<'_, R> {}
impl<R> core::panic::RefUnwindSafe for Erased<'_, R> {}

impl<R> Future for Erased<'_, R> {
    type Output = R;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        self.0.as_mut().poll(cx)
    }
}

/// The armed path of an async fn whose body has no `.await`: the patch's
/// future runs to its end inside this poll, so the program's future of
/// that fn never waits, as without the check, and the code awaiting it
/// keeps no state for a wait that cannot come (a tiny async fn awaited in
/// a loop then costs what it costs unpatched). A breakpoint's stop blocks
/// the thread and needs no wait; an edit that adds an `.await` to such a
/// fn is refused by the tool. Should the future wait anyway, this thread
/// polls it again after yielding (its other tasks wait meanwhile).
#[cold]
#[inline(never)]
pub fn complete_now<R>(mut fut: Erased<'_, R>) -> R {
    let mut cx = Context::from_waker(core::task::Waker::noop());
    loop {
        if let Poll::Ready(v) = Pin::new(&mut fut).poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// A function of its own per instance of a generic async fn (`F`, the
/// instance's fn item): the key an instance looks itself up by. Not the
/// instance's own address: an async fn's body is its future's, and what
/// remains, moving the arguments into the future, is the same machine
/// code for many instances (`f::<String>` and `f::<Vec<u8>>`), which the
/// optimizer merges into one address; the table would then hand one
/// instance another's adapter, whose future has another output type. Each
/// marker returns its own type's name, a constant no other marker shares,
/// so none is merged.
#[inline(never)]
pub fn instance_marker<F>() -> &'static str {
    core::any::type_name::<F>()
}

/// The key of the instance `f`: its [`instance_marker`]'s address.
#[inline(always)]
pub fn marker_key<F>(_f: F) -> usize {
    instance_marker::<F> as fn() -> &'static str as usize
}

/// `F`, a fn item: zero-sized, so a value can be made from nothing.
fn conjure<F: Copy>() -> F {
    const { assert!(core::mem::size_of::<F>() == 0, "an async fn's adapter needs a fn item") };
    // SAFETY: a zero-sized `Copy` type has one value and no bytes.
    unsafe { core::mem::MaybeUninit::<F>::uninit().assume_init() }
}

macro_rules! adapters {
    ($($entry:ident $entry_of:ident $marker_of:ident $adapter:ident($($arg:ident: $ty:ident),*);)*) => {$(
        #[allow(clippy::too_many_arguments)]
        fn $adapter<'a, F, $($ty,)* Fut>($($arg: $ty),*) -> Erased<'a, Fut::Output>
        where
            F: Fn($($ty),*) -> Fut + Copy,
            Fut: Future + 'a,
        {
            Erased(Box::pin(conjure::<F>()($($arg),*)))
        }

        /// The address of the adapter that calls the async fn `f` and
        /// boxes its future: what a patch of `f` hands its slot.
        pub fn $entry<'a, F, $($ty,)* Fut>(_f: F) -> usize
        where
            F: Fn($($ty),*) -> Fut + Copy,
            Fut: Future + 'a,
        {
            $adapter::<'a, F, $($ty,)* Fut> as fn($($ty),*) -> Erased<'a, Fut::Output> as usize
        }

        /// [`async_entry0`] for a generic async fn with `impl Trait`
        /// arguments: no turbofish names those parameters (E0632), so the
        /// arguments' own types pick the instance (as `instance_keyN`).
        #[allow(clippy::too_many_arguments)]
        pub fn $entry_of<'a, F, $($ty,)* Fut>(f: F, $(_: &$ty),*) -> usize
        where
            F: Fn($($ty),*) -> Fut + Copy,
            Fut: Future + 'a,
        {
            $entry::<'a, F, $($ty,)* Fut>(f)
        }

        /// [`marker_key`] of the instance these arguments' types select
        /// (`impl Trait` arguments, as [`async_entry0`]'s `_of` form).
        #[allow(clippy::too_many_arguments)]
        #[inline(always)]
        pub fn $marker_of<'a, F, $($ty,)* Fut>(f: F, $(_: &$ty),*) -> usize
        where
            F: Fn($($ty),*) -> Fut + Copy,
            Fut: Future + 'a,
        {
            marker_key(f)
        }
    )*};
}

adapters! {
    async_entry0 async_entry_of0 marker_key_of0 adapter0();
    async_entry1 async_entry_of1 marker_key_of1 adapter1(a0: A0);
    async_entry2 async_entry_of2 marker_key_of2 adapter2(a0: A0, a1: A1);
    async_entry3 async_entry_of3 marker_key_of3 adapter3(a0: A0, a1: A1, a2: A2);
    async_entry4 async_entry_of4 marker_key_of4 adapter4(a0: A0, a1: A1, a2: A2, a3: A3);
    async_entry5 async_entry_of5 marker_key_of5 adapter5(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4);
    async_entry6 async_entry_of6 marker_key_of6 adapter6(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5);
    async_entry7 async_entry_of7 marker_key_of7 adapter7(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6);
    async_entry8 async_entry_of8 marker_key_of8 adapter8(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7);
    async_entry9 async_entry_of9 marker_key_of9 adapter9(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8);
    async_entry10 async_entry_of10 marker_key_of10 adapter10(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9);
    async_entry11 async_entry_of11 marker_key_of11 adapter11(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10);
    async_entry12 async_entry_of12 marker_key_of12 adapter12(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10, a11: A11);
}
