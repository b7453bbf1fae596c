//! Reading a function signature: can it be patched, what fn-pointer type
//! does its slot hold, and how are its arguments forwarded.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit::Visit;
use syn::{FnArg, GenericParam, Pat, ReturnType, Signature, Type};

/// Whether a function has type or const parameters, named or anonymous
/// (`impl Trait` arguments): it has instances. Lifetimes alone do not
/// make instances.
pub fn is_generic(sig: &Signature) -> bool {
    sig.generics.params.iter().any(|p| !matches!(p, GenericParam::Lifetime(_))) || has_impl_arg(sig)
}

/// Whether an argument's type says `impl Trait`: an anonymous type
/// parameter, which no turbofish can name (E0632), so the instance is
/// found from the arguments' types instead (`instance_key`).
pub fn has_impl_arg(sig: &Signature) -> bool {
    sig.inputs.iter().any(|arg| match arg {
        FnArg::Typed(t) => mentions_impl_trait(&t.ty),
        FnArg::Receiver(r) => mentions_impl_trait(&r.ty),
    })
}

/// Whether the function returns an opaque type (`-> impl Iterator`).
pub fn returns_impl(sig: &Signature) -> bool {
    matches!(&sig.output, ReturnType::Type(_, ty) if mentions_impl_trait(ty))
}

/// A type or const parameter that no argument's type pins down: with an
/// `impl Trait` argument the instance is inferred from the arguments'
/// types, which cannot tell a parameter named only in the return type, in
/// a bound (`impl Into<T>`) or in a projection (`<T as Tr>::X`).
fn param_outside_inputs(sig: &Signature) -> bool {
    struct Named(Vec<String>);
    impl<'a> Visit<'a> for Named {
        fn visit_type_impl_trait(&mut self, _: &'a syn::TypeImplTrait) {}
        fn visit_qself(&mut self, _: &'a syn::QSelf) {}
        fn visit_ident(&mut self, ident: &'a syn::Ident) {
            self.0.push(ident.to_string());
        }
    }
    let mut named = Named(Vec::new());
    for arg in &sig.inputs {
        if let FnArg::Typed(t) = arg {
            named.visit_type(&t.ty);
        }
    }
    sig.generics.params.iter().any(|p| match p {
        GenericParam::Type(t) => !named.0.contains(&t.ident.to_string()),
        GenericParam::Const(c) => !named.0.contains(&c.ident.to_string()),
        GenericParam::Lifetime(_) => false,
    })
}

/// `name::<T, N>`: the instance a generic fn's body runs as, named from
/// inside it by its type and const parameters (lifetimes are inferred).
pub fn instance_path(sig: &Signature) -> TokenStream {
    let name = &sig.ident;
    let params = sig.generics.params.iter().filter_map(|p| match p {
        GenericParam::Type(t) => Some(&t.ident),
        GenericParam::Const(c) => Some(&c.ident),
        GenericParam::Lifetime(_) => None,
    });
    let params: Vec<_> = params.collect();
    match params.is_empty() {
        true => quote!(#name),
        false => quote!(#name::<#(#params),*>),
    }
}

/// Why a function with this signature cannot be patched yet, if so. A
/// generic signature is patchable here; whether its owner lets the entry
/// check name the instance is the caller's to decide.
pub fn unpatchable_reason(sig: &Signature) -> Option<&'static str> {
    if sig.constness.is_some() {
        return Some("const fn");
    }
    if sig.asyncness.is_some() && has_impl_arg(sig) && !args_named(sig) {
        // Its patch names each instance's adapter by the arguments' values
        // (no turbofish names an `impl Trait` parameter): they need names.
        return Some("generic async fn with an impl Trait argument bound by a pattern");
    }
    if sig.asyncness.is_some() && sig.inputs.len() > 12 {
        // The runtime's adapters (`async_entryN`) stop at 12.
        return Some("async fn with more than 12 arguments");
    }
    if sig.variadic.is_some() {
        return Some("variadic fn");
    }
    if returns_impl(sig) && (sig.inputs.len() > 12 || sig.abi.is_some()) {
        // The armed path's `callN` infers the opaque type; a spelled
        // pointer type could not say it.
        return Some("returns impl Trait, with more than 12 arguments or another ABI");
    }
    if has_impl_arg(sig) && param_outside_inputs(sig) {
        return Some("impl Trait argument beside a type parameter no argument names");
    }
    if sig.inputs.iter().any(|arg| param_attrs(arg).iter().any(|a| !is_lint_level(a))) {
        // `#[cfg]` may remove a parameter the forwarding names, and a
        // macro's helper (`#[case]`) would reach a copy the macro never sees.
        return Some("attribute on a parameter");
    }
    None
}

/// Whether every argument is `self` or a plain name (`x`, `mut x`).
fn args_named(sig: &Signature) -> bool {
    sig.inputs.iter().all(|arg| match arg {
        FnArg::Receiver(_) => true,
        FnArg::Typed(t) => matches!(&*t.pat, Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none()),
    })
}

fn param_attrs(arg: &FnArg) -> &[syn::Attribute] {
    match arg {
        FnArg::Receiver(r) => &r.attrs,
        FnArg::Typed(t) => &t.attrs,
    }
}

fn is_lint_level(attr: &syn::Attribute) -> bool {
    ["allow", "warn", "deny", "forbid", "expect"].iter().any(|l| attr.path().is_ident(l))
}

/// `unsafe extern "C" fn(_, _) -> _`: the fn-pointer type of a function
/// named by path (`f as <shape>`), left for the compiler to infer. A spelled
/// type cannot always say which input an elided output lifetime borrows
/// from: `fn(&self, &C) -> Iter<T>` borrows `self`'s, but as a fn pointer
/// `fn(&S, &C) -> Iter<T>` is ambiguous, and `Iter<T>` hides its lifetime.
/// Always `unsafe`: a safe `#[target_feature]` fn coerces only to an unsafe
/// pointer, and every call of it sits in an `unsafe` block anyway.
pub fn fn_shape(sig: &Signature) -> TokenStream {
    let abi = &sig.abi;
    let holes = sig.inputs.iter().map(|_| quote!(_));
    // An inferred `!` would fall back to `()` before the cast is checked.
    let output = if returns_never(sig) { quote!(!) } else { quote!(_) };
    quote!(unsafe #abi fn(#(#holes),*) -> #output)
}

pub fn returns_never(sig: &Signature) -> bool {
    matches!(&sig.output, ReturnType::Type(_, t) if matches!(**t, Type::Never(_)))
}

/// Whether the output surely holds no lifetime for elision to fill: then a
/// spelled fn-pointer type means the same as the method's signature. A
/// named path may hide one (`Chars` is `Chars<'_>`), so only types built
/// from primitives, `Self` and std's lifetime-free containers count. (The
/// other way, naming the method by its path, takes a trait impl's method
/// at the trait's signature, which may be narrower than the impl's own:
/// `fn eq(&self, other: &T<'_>)` for `PartialEq<T<'a>>`.)
pub fn returns_no_borrow(sig: &Signature) -> bool {
    match &sig.output {
        ReturnType::Default => true,
        ReturnType::Type(_, t) => lifetime_free(t),
    }
}

fn lifetime_free(ty: &Type) -> bool {
    const PLAIN: &[&str] = &[
        "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
        "Self", "String", "Option", "Result", "Vec", "Box", "Ordering",
    ];
    match ty {
        Type::Never(_) => true,
        Type::Paren(p) => lifetime_free(&p.elem),
        Type::Tuple(t) => t.elems.iter().all(lifetime_free),
        Type::Array(a) => lifetime_free(&a.elem),
        Type::Path(p) if p.qself.is_none() => p.path.segments.iter().all(|seg| {
            let known = PLAIN.iter().any(|k| seg.ident == k) || ["std", "core", "alloc", "cmp"].iter().any(|m| seg.ident == m);
            let args_free = match &seg.arguments {
                syn::PathArguments::None => true,
                syn::PathArguments::AngleBracketed(a) => a.args.iter().all(|arg| matches!(arg, syn::GenericArgument::Type(t) if lifetime_free(t))),
                syn::PathArguments::Parenthesized(_) => false,
            };
            known && args_free
        }),
        _ => false,
    }
}

fn mentions_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'a> Visit<'a> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'a syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    f.visit_type(ty);
    f.0
}

/// The fn-pointer type with the same signature: `unsafe extern "C" fn(&str,
/// u8) -> R`. Its elision rules are a free function's: it means the same for
/// a function without a receiver, or whose output borrows nothing; a
/// method's may differ (see `fn_shape`).
pub fn fn_pointer_type(sig: &Signature) -> TokenStream {
    let unsafety = &sig.unsafety;
    let abi = &sig.abi;
    let output = &sig.output;
    let inputs = sig.inputs.iter().map(|arg| match arg {
        FnArg::Receiver(r) => {
            let ty = &r.ty;
            quote!(#ty)
        }
        FnArg::Typed(t) => {
            let ty = &t.ty;
            quote!(#ty)
        }
    });
    quote!(#unsafety #abi fn(#(#inputs),*) #output)
}

/// Gives every argument a plain name the entry check can forward. Arguments
/// bound by a pattern (`(a, b): (i32, i32)`) are renamed, and the returned
/// `let` statements rebind the pattern at the top of the body.
pub fn forwardable_args(sig: &mut Signature) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut names = Vec::new();
    let mut rebinds = Vec::new();
    for (i, arg) in sig.inputs.iter_mut().enumerate() {
        match arg {
            FnArg::Receiver(_) => names.push(quote!(self)),
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => {
                    let ident = &id.ident;
                    names.push(quote!(#ident));
                }
                _ => {
                    let renamed = format_ident!("__hotbreak_arg{}", i);
                    let pat = std::mem::replace(&mut *t.pat, syn::parse_quote!(#renamed));
                    rebinds.push(quote!(let #pat = #renamed;));
                    names.push(quote!(#renamed));
                }
            },
        }
    }
    (names, rebinds)
}

/// Whether an async fn's body can wait: an `.await` of its own, outside
/// the async blocks it makes; any macro but the std and logging ones that
/// cannot await counts (`select!` awaits inside). The tool's `rewriter::suspends` reads bodies the same way.
pub fn suspends(body: &proc_macro2::TokenStream) -> bool {
    let tokens: Vec<proc_macro2::TokenTree> = body.clone().into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            proc_macro2::TokenTree::Ident(id) if id == "await" => return true,
            proc_macro2::TokenTree::Ident(id) if id == "async" => {
                // `async { .. }` / `async move { .. }`: its awaits are its own.
                let mut j = i + 1;
                if matches!(tokens.get(j), Some(proc_macro2::TokenTree::Ident(m)) if m == "move") {
                    j += 1;
                }
                if matches!(tokens.get(j), Some(proc_macro2::TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Brace) {
                    i = j + 1;
                    continue;
                }
            }
            // A macro may expand to an `.await` (`select!`, `join!`): only
            // those known not to keep the body from counting as one that
            // never waits.
            proc_macro2::TokenTree::Punct(p) if p.as_char() == '!' && i > 0 => {
                if let proc_macro2::TokenTree::Ident(name) = &tokens[i - 1] {
                    if matches!(tokens.get(i + 1), Some(proc_macro2::TokenTree::Group(_))) && !NEVER_WAITS.contains(&name.to_string().as_str()) {
                        return true;
                    }
                }
            }
            proc_macro2::TokenTree::Group(g) if suspends(&g.stream()) => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// Macros whose expansion cannot hold an `.await` of the body's own.
const NEVER_WAITS: &[&str] = &[
    "println", "print", "eprintln", "eprint", "format", "format_args", "write", "writeln", "vec", "assert", "assert_eq",
    "assert_ne", "debug_assert", "debug_assert_eq", "debug_assert_ne", "panic", "unreachable", "todo", "unimplemented",
    "matches", "dbg", "concat", "stringify", "line", "file", "column", "cfg", "env", "trace", "debug", "info", "warn", "error",
];
