//! A generic async fn's patch: every instance the patch makes must bring
//! the adapter the program's slot calls (runtime `futures.rs`), one per
//! instance, so the patched body names its own instance's adapter in a
//! dead branch. The tool then pairs the program's `f::<T>` with the
//! patch's `adapterN::<f<T>, ..>` (hotreload's `instances.rs`).

use quote::ToTokens;
use syn::{FnArg, GenericParam, Pat, Signature};

/// The anchor static of a generic async fn's (or async method's of a
/// generic impl) patch: `krate::f::__HB_ASYNC`. Beside saying the
/// function, it says its instances are reached through adapters.
pub const ASYNC_ANCHOR: &str = "__HB_ASYNC";

/// How the patched body names the function it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceOwner {
    /// A free fn (or one nested in a body): by its name.
    Free,
    /// A method of an inherent impl: `Self::m`.
    Inherent,
    /// A trait impl's method: `<Self as Trait>::m` (an inherent method of
    /// the same name would win over `Self::m`).
    TraitImpl { trait_path: String },
}

/// The statement that instantiates this instance's adapter without running
/// it: `if black_box(false) { black_box(async_entryN(f::<T>)); }`. `None`
/// when an `impl Trait` argument is bound by a pattern (the macro refuses
/// such a function: its instance is named by the arguments' values).
pub fn dead_adapter(owner: &InstanceOwner, sig: &Signature) -> Option<String> {
    let name = &sig.ident;
    let impl_args = sig.inputs.iter().any(|a| mentions_impl(a.to_token_stream()));
    let params: Vec<String> = sig
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(t) => Some(t.ident.to_string()),
            GenericParam::Const(c) => Some(c.ident.to_string()),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    // No turbofish beside an `impl Trait` argument (E0632): the values
    // then infer every parameter.
    let turbofish = match params.is_empty() || impl_args {
        true => String::new(),
        false => format!("::<{}>", params.join(", ")),
    };
    let path = match owner {
        InstanceOwner::Free => format!("{name}{turbofish}"),
        InstanceOwner::Inherent => format!("Self::{name}{turbofish}"),
        InstanceOwner::TraitImpl { trait_path } => format!("<Self as {trait_path}>::{name}{turbofish}"),
    };
    let arity = sig.inputs.len();
    let call = if impl_args {
        let mut values = Vec::with_capacity(arity);
        for arg in &sig.inputs {
            values.push(match arg {
                FnArg::Receiver(_) => "&self".to_string(),
                FnArg::Typed(t) => match &*t.pat {
                    Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => format!("&{}", id.ident),
                    _ => return None,
                },
            });
        }
        format!("::hotbreak::__private::async_entry_of{arity}({path}, {})", values.join(", "))
    } else {
        format!("::hotbreak::__private::async_entry{arity}({path})")
    };
    Some(format!("if ::core::hint::black_box(false) {{ ::core::hint::black_box({call}); }} "))
}

fn mentions_impl(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "impl",
        proc_macro2::TokenTree::Group(g) => mentions_impl(g.stream()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(src: &str) -> Signature {
        syn::parse_str::<syn::ItemFn>(src).unwrap().sig
    }

    #[test]
    fn each_owner_names_its_instance() {
        let s = sig("async fn f<'a, T: Clone, const N: usize>(x: &'a T) -> [T; N] { todo!() }");
        assert_eq!(
            dead_adapter(&InstanceOwner::Free, &s).unwrap(),
            "if ::core::hint::black_box(false) { ::core::hint::black_box(::hotbreak::__private::async_entry1(f::<T, N>)); } "
        );
        let m = sig("async fn m(&self, n: u8) -> u8 { n }");
        assert!(dead_adapter(&InstanceOwner::Inherent, &m).unwrap().contains("async_entry2(Self::m)"));
        let t = InstanceOwner::TraitImpl { trait_path: "Store<u8>".into() };
        assert!(dead_adapter(&t, &m).unwrap().contains("async_entry2(<Self as Store<u8>>::m)"));
    }

    #[test]
    fn impl_trait_arguments_pick_the_instance_by_value() {
        let s = sig("async fn copy<W>(mut r: impl Read, w: W) { }");
        assert!(dead_adapter(&InstanceOwner::Free, &s).unwrap().contains("async_entry_of2(copy, &r, &w)"));
        let p = sig("async fn copy((a, b): (u8, u8), r: impl Read) { }");
        assert_eq!(dead_adapter(&InstanceOwner::Free, &p), None);
    }
}
