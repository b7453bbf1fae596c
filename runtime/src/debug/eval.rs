//! Evaluating an expression at a stop: what an eval site calls (the
//! rewriter's `eval.rs` writes it).
//!
//! The eval site is dead code in a patch built only to be loaded, never
//! armed: `eval_site(locals, closure)` is never called, but compiling it
//! instantiates `trampoline::<L, F>` for the site's very closure type, and
//! the asm in `eval_site` publishes its address as the data symbol
//! `__hotbreak_eval_entry` of that library. The stopped thread then calls
//! the trampoline with its own locals' addresses.

use super::value::{self, Local};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Bound, in an eval site, to a local in scope whose address the stopped
/// frame could not take (moved, borrowed mutably, not yet set): rustc
/// names this type where the expression uses it.
pub struct NotAvailableHere;

thread_local! {
    /// The stack address the stopped thread evaluates below (see
    /// [`call`]); 0 outside an evaluation.
    static BOUNDARY: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How far below the paused frame an evaluation's temporaries may lie.
const STACK_REACH: usize = 64 << 20;

/// Calls a loaded eval entry with the locals at `ptrs`, from the stopped
/// thread's pause loop.
///
/// # Safety
/// `entry` comes from an eval library built for this stop's function and
/// line, and `ptrs` are the addresses of the locals its site names.
pub(crate) unsafe fn call(entry: Entry, ptrs: &[*mut ()], hold: &mut dyn FnMut(&Outcome)) -> Outcome {
    quiet_panics_while_evaluating();
    let here = 0u8;
    BOUNDARY.with(|b| b.set(std::hint::black_box(&here) as *const u8 as usize));
    // SAFETY: only the lifetime is erased; the pointer is cleared below,
    // before `hold` goes out of scope.
    let hold: *mut (dyn FnMut(&Outcome) + 'static) = unsafe { std::mem::transmute(hold as *mut dyn FnMut(&Outcome)) };
    HOLD.with(|h| h.set(Some(hold)));
    let outcome = eval_run(|| unsafe { entry(ptrs.as_ptr()) });
    HOLD.with(|h| h.set(None));
    BOUNDARY.with(|b| b.set(0));
    PANIC_AT.with(|p| p.take());
    outcome
}

thread_local! {
    /// Called with the outcome of a temporary without `Debug` while the
    /// value still lives: it answers the tool and waits until the tool has
    /// read the value's memory.
    static HOLD: std::cell::Cell<Option<*mut (dyn FnMut(&Outcome) + 'static)>> = const { std::cell::Cell::new(None) };
    /// Where the expression being evaluated on this thread panicked.
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// A panic of an evaluated expression is the user's answer, not the
/// program's output: the panic hook in place stays silent for it (and
/// remembers where it was); any other panic goes to that hook as before.
fn quiet_panics_while_evaluating() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if BOUNDARY.try_with(std::cell::Cell::get).unwrap_or(0) != 0 {
                let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                let _ = PANIC_AT.try_with(|p| *p.borrow_mut() = Some(at));
            } else {
                previous(info);
            }
        }));
    });
}

/// Whether this thread is evaluating an expression at a stop: its panics
/// are the expression's answer, never a stop of their own.
pub(crate) fn evaluating() -> bool {
    BOUNDARY.try_with(std::cell::Cell::get).unwrap_or(0) != 0
}

/// What evaluating an expression gave.
pub struct Outcome {
    pub type_name: &'static str,
    /// `{:#?}` of the value (bounded), when its type has `Debug`.
    pub pretty: Option<(String, bool)>,
    /// Where the value lives in the program, when it outlives the
    /// evaluation (a place in the frame's locals or behind a reference).
    pub address: Option<usize>,
    pub marker: usize,
    pub panic: Option<String>,
    /// Answered from inside the evaluation, while the value lived.
    pub held: bool,
}

/// The entry a loaded eval library publishes.
pub type Entry = unsafe fn(*const *mut ()) -> Outcome;

/// The site's cons list of references to locals, `(&a, (&b, ()))`, names
/// their types; the closure gets a list of raw pointers of those types,
/// read from an array of addresses.
pub trait FromRaw {
    type Raw;
    /// # Safety
    /// `p` points to as many addresses as the list has elements.
    unsafe fn from_raw(p: *const *mut ()) -> Self::Raw;
}

impl FromRaw for () {
    type Raw = ();
    unsafe fn from_raw(_: *const *mut ()) {}
}

impl<T, R: FromRaw> FromRaw for (&T, R) {
    type Raw = (*mut T, R::Raw);
    unsafe fn from_raw(p: *const *mut ()) -> Self::Raw {
        // SAFETY: the caller's contract.
        unsafe { (*p as *mut T, R::from_raw(p.add(1))) }
    }
}

/// Never called: instantiating it for an eval site's locals `L` and closure
/// `F` publishes the trampoline that runs that closure.
#[inline(never)]
#[allow(named_asm_labels)]
pub fn eval_site<L: FromRaw, F: FnOnce(L::Raw) -> Outcome>(_locals: L, _closure: F) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: only emits data: a retained word holding the trampoline's
    // address, under a global name the agent looks up in this library.
    unsafe {
        ::core::arch::asm!(
            ".pushsection .data.hotbreak_eval, \"awR\", @progbits",
            ".balign 8",
            ".globl __hotbreak_eval_entry",
            "__hotbreak_eval_entry:",
            ".quad {t}",
            ".popsection",
            t = sym trampoline::<L, F>,
            options(nostack, preserves_flags, nomem),
        );
    }
}

/// Calls the eval closure `F` with the locals at `ptrs`.
///
/// # Safety
/// `ptrs` holds the addresses of live locals of the types `L` names, in
/// its order; the frame they belong to is paused.
unsafe fn trampoline<L: FromRaw, F: FnOnce(L::Raw) -> Outcome>(ptrs: *const *mut ()) -> Outcome {
    const {
        assert!(
            std::mem::size_of::<F>() == 0,
            "hotbreak: the expression uses a local of the function that is not available at this stop"
        )
    };
    // SAFETY: `F` is a closure that captures nothing (checked above): a
    // zero-sized value, which reading from an aligned pointer conjures.
    let f: F = unsafe { std::ptr::read(std::ptr::NonNull::<F>::dangling().as_ptr()) };
    f(unsafe { L::from_raw(ptrs) })
}

/// A bitwise copy of the frame's local, bound by its name in the eval
/// closure.
///
/// # Safety
/// The copy must be given back with [`eval_put_back`], never dropped.
pub unsafe fn eval_take<T>(local: *mut T) -> T {
    unsafe { std::ptr::read(local) }
}

/// `(copy's address, local's address, size)`: a place found inside the
/// copy lives at the same offset in the local.
pub fn eval_copy<T>(local: *mut T, copy: &T) -> (usize, usize, usize) {
    (copy as *const T as usize, local as usize, std::mem::size_of::<T>())
}

/// Writes the copy back when the expression changed it (an assignment, a
/// `push`), then forgets it: the frame owns the value.
///
/// # Safety
/// `copy` came from [`eval_take`] of `local`, whose frame is paused.
pub unsafe fn eval_put_back<T>(local: *mut T, copy: T) {
    let size = std::mem::size_of::<T>();
    let target = local;
    let changed = unsafe {
        std::slice::from_raw_parts(target as *const u8, size) != std::slice::from_raw_parts(&copy as *const T as *const u8, size)
    };
    if changed {
        unsafe { std::ptr::write(target, copy) };
    } else {
        std::mem::forget(copy);
    }
}

/// Runs the expression; a panic becomes the outcome's message.
///
/// Generic, so compiled into each eval library: it must not touch the
/// runtime's thread-locals itself (a patch cannot reach another module's
/// TLS), only call the host's functions that do.
pub fn eval_run(f: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(panicked)
}

/// The outcome of an expression that panicked with `payload`.
#[inline(never)]
pub fn panicked(payload: Box<dyn std::any::Any + Send>) -> Outcome {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    let at = PANIC_AT.try_with(|p| p.borrow_mut().take()).ok().flatten();
    let message = match at {
        Some(at) if !at.is_empty() => format!("{message} (at {at})"),
        _ => message,
    };
    Outcome { type_name: "", pretty: None, address: None, marker: 0, panic: Some(message), held: false }
}

/// Renders the value the expression gave, `local`; `copies` map places in
/// the closure's copies back to the frame's locals.
#[inline(never)]
pub fn eval_outcome(local: Local<'_>, copies: &[(usize, usize, usize)]) -> Outcome {
    let pretty = local.value.map(|v| value::render(v, true, value::EXPAND_LIMIT));
    let at = local.addr;
    let address = copies.iter().find(|(copy, _, size)| (*copy..copy + size.max(&1)).contains(&at)).map(|(copy, orig, _)| at - copy + orig);
    // A place behind a reference lives in the program already; a
    // temporary of this evaluation (on the stack below the paused frame)
    // does not outlive it.
    let boundary = BOUNDARY.with(std::cell::Cell::get);
    let temporary = at < boundary && at > boundary.saturating_sub(STACK_REACH);
    let mut outcome = Outcome { type_name: local.type_name, pretty, address: address.or((!temporary).then_some(at)), marker: local.marker, panic: None, held: false };
    if outcome.pretty.is_none() && outcome.address.is_none() {
        // A temporary without `Debug` (`Report::of(&a)`): the tool reads it
        // from debug info now, while it lives.
        if let Some(hold) = HOLD.with(std::cell::Cell::get) {
            outcome.address = Some(at);
            // SAFETY: set by `call` for the duration of this evaluation.
            unsafe { (*hold)(&outcome) };
            outcome.held = true;
        }
    }
    outcome
}
