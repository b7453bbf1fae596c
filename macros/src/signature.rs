//! Reading a function signature: can it be patched, what fn-pointer type
//! does its slot hold, and how are its arguments forwarded.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{FnArg, GenericParam, Lifetime, Pat, ReturnType, Signature, Type};

/// Why a function with this signature cannot be patched yet, if so.
pub fn unpatchable_reason(sig: &Signature) -> Option<&'static str> {
    if sig.constness.is_some() {
        return Some("const fn");
    }
    if sig.asyncness.is_some() {
        return Some("async fn");
    }
    if sig.variadic.is_some() {
        return Some("variadic fn");
    }
    if sig.generics.params.iter().any(|p| !matches!(p, GenericParam::Lifetime(_))) {
        return Some("generic fn");
    }
    let arg_has_impl = sig.inputs.iter().any(|arg| match arg {
        FnArg::Typed(t) => mentions_impl_trait(&t.ty),
        FnArg::Receiver(r) => mentions_impl_trait(&r.ty),
    });
    if arg_has_impl {
        return Some("impl Trait argument (a generic fn)");
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if mentions_impl_trait(ty) {
            return Some("returns impl Trait");
        }
    }
    None
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

/// The fn-pointer type with the same signature: `unsafe extern "C" fn(&Self, u8) -> R`.
///
/// A method's elided output lifetimes are its receiver's; in a fn pointer
/// the receiver is an ordinary argument, so they are named: `fn(&self, &str)
/// -> &str` becomes `for<'s> fn(&'s Self, &str) -> &'s str`.
pub fn fn_pointer_type(sig: &Signature) -> TokenStream {
    let unsafety = &sig.unsafety;
    let abi = &sig.abi;
    let mut output = sig.output.clone();
    let mut binder = None;
    let receiver_lifetime = match sig.receiver().map(|r| &*r.ty) {
        Some(Type::Reference(r)) if elides_lifetimes(&output) => {
            let lifetime = r.lifetime.clone().unwrap_or_else(|| {
                let fresh: Lifetime = syn::parse_quote!('__hotbreak_self);
                binder = Some(quote!(for<#fresh>));
                fresh
            });
            NameElided(lifetime.clone()).visit_return_type_mut(&mut output);
            Some(lifetime)
        }
        _ => None,
    };
    let inputs = sig.inputs.iter().map(|arg| match arg {
        FnArg::Receiver(r) => match (&*r.ty, &receiver_lifetime) {
            (Type::Reference(reference), Some(lifetime)) => {
                let mut reference = reference.clone();
                reference.lifetime = Some(lifetime.clone());
                quote!(#reference)
            }
            (ty, _) => quote!(#ty),
        },
        FnArg::Typed(t) => {
            let ty = &t.ty;
            quote!(#ty)
        }
    });
    quote!(#binder #unsafety #abi fn(#(#inputs),*) #output)
}

/// Whether `output` has a `&` without a lifetime or a `'_`.
fn elides_lifetimes(output: &ReturnType) -> bool {
    struct Finder(bool);
    impl<'a> Visit<'a> for Finder {
        fn visit_type_reference(&mut self, r: &'a syn::TypeReference) {
            self.0 |= r.lifetime.is_none();
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_lifetime(&mut self, l: &'a Lifetime) {
            self.0 |= l.ident == "_";
        }
    }
    let mut f = Finder(false);
    f.visit_return_type(output);
    f.0
}

/// Gives every elided lifetime this name.
struct NameElided(Lifetime);

impl VisitMut for NameElided {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.0.clone());
        }
        syn::visit_mut::visit_type_reference_mut(self, r);
    }
    fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
        if l.ident == "_" {
            *l = self.0.clone();
        }
    }
    // Fn-pointer and closure-trait types in the output elide on their own.
    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
    fn visit_parenthesized_generic_arguments_mut(&mut self, _: &mut syn::ParenthesizedGenericArguments) {}
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
