//! Calling a patch from an entry check with the pointer type built from the
//! arguments passed and the caller's return type: no signature is spelled,
//! so neither elision (`fn f(&self, c: &C) -> &T`), a lifetime a path hides
//! (`-> Chars`), nor a trait's narrower signature (`fn index(&self, i:
//! &str)` for `Index<&'a str>`) can make it wrong. Lifetimes do not exist
//! at run time: the call is the function's own.

macro_rules! call_with {
    ($($name:ident($($arg:ident: $ty:ident),*);)*) => {$(
        /// # Safety
        /// `entry` is the address of a Rust-ABI function that takes these
        /// arguments and returns `R`.
        #[inline(always)]
        #[allow(clippy::too_many_arguments)]
        pub unsafe fn $name<$($ty,)* R>(entry: usize $(, $arg: $ty)*) -> R {
            unsafe { core::mem::transmute::<usize, fn($($ty),*) -> R>(entry)($($arg),*) }
        }
    )*};
}

call_with! {
    call0();
    call1(a0: A0);
    call2(a0: A0, a1: A1);
    call3(a0: A0, a1: A1, a2: A2);
    call4(a0: A0, a1: A1, a2: A2, a3: A3);
    call5(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4);
    call6(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5);
    call7(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6);
    call8(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7);
    call9(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8);
    call10(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9);
    call11(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10);
    call12(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10, a11: A11);
}

macro_rules! instance_key_with {
    ($($name:ident($($arg:ident: $ty:ident),*);)*) => {$(
        /// The address of the instance of `f` these arguments' types
        /// select: `f` coerces to a fn pointer of exactly those types, so
        /// its anonymous (`impl Trait`) parameters are inferred from them,
        /// which no turbofish can name (E0632). `unsafe fn`: a safe fn item
        /// coerces to it as well.
        #[inline(always)]
        pub fn $name<$($ty,)* R>($(_: &$ty,)* f: unsafe fn($($ty),*) -> R) -> usize {
            f as usize
        }
    )*};
}

instance_key_with! {
    instance_key0();
    instance_key1(a0: A0);
    instance_key2(a0: A0, a1: A1);
    instance_key3(a0: A0, a1: A1, a2: A2);
    instance_key4(a0: A0, a1: A1, a2: A2, a3: A3);
    instance_key5(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4);
    instance_key6(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5);
    instance_key7(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6);
    instance_key8(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7);
    instance_key9(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8);
    instance_key10(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9);
    instance_key11(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10);
    instance_key12(a0: A0, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8, a9: A9, a10: A10, a11: A11);
}

/// How many arguments the `callN` functions take at most.
pub const MAX_ARGS: usize = 12;
