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

/// The same for a trait's async provided method.
pub const ASYNC_PROVIDED_ANCHOR: &str = "__HB_ASYNC_PROVIDED";

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
    /// A trait's provided method, by a nested impl (see [`provided`]).
    Provided(TraitHeader),
}

/// What a provided method's nested impl repeats of its trait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraitHeader {
    name: String,
    generics: syn::Generics,
}

impl TraitHeader {
    pub fn of(t: &syn::ItemTrait) -> TraitHeader {
        TraitHeader { name: t.ident.to_string(), generics: t.generics.clone() }
    }
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
        InstanceOwner::Provided(header) => return (!impl_args).then(|| provided(header, sig)),
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

/// In a trait's default body, naming the method's own fn item with its
/// output type (`async_entryN(<Self as Tr>::m)`) is a use of the body's
/// opaque future with an inferred lifetime, refused there (E0792). A
/// nested trait implemented for every implementor (`__HbSelf`) names it
/// outside that body instead; the body names its own instance of that.
fn provided(header: &TraitHeader, sig: &Signature) -> String {
    let trait_name = &header.name;
    let tg = &header.generics;
    let mg = &sig.generics;
    let decl = |p: &GenericParam| match p {
        GenericParam::Lifetime(l) => Some(l.lifetime.to_string()),
        GenericParam::Type(t) => Some(t.ident.to_string()),
        GenericParam::Const(c) => Some(format!("const {}: {}", c.ident, c.ty.to_token_stream())),
    };
    let arg = |p: &GenericParam| match p {
        GenericParam::Lifetime(l) => l.lifetime.to_string(),
        GenericParam::Type(t) => t.ident.to_string(),
        GenericParam::Const(c) => c.ident.to_string(),
    };
    // Bounds as declared, without defaults (an impl takes none).
    let bounded = |p: &GenericParam| {
        let mut p = p.clone();
        match &mut p {
            GenericParam::Type(t) => {
                t.eq_token = None;
                t.default = None;
            }
            GenericParam::Const(c) => {
                c.eq_token = None;
                c.default = None;
            }
            GenericParam::Lifetime(_) => {}
        }
        without_self(p.to_token_stream()).to_string()
    };
    let method_params = || mg.params.iter().filter(|p| !matches!(p, GenericParam::Lifetime(_)));
    let trait_args: Vec<String> = tg.params.iter().map(arg).collect();
    let trait_ref = match trait_args.is_empty() {
        true => trait_name.clone(),
        false => format!("{trait_name}<{}>", trait_args.join(", ")),
    };
    let adapter_decl: Vec<String> = tg.params.iter().chain(method_params()).filter_map(decl).collect();
    let adapter_args: Vec<String> = tg.params.iter().chain(method_params()).map(arg).collect();
    let impl_params: Vec<String> = std::iter::once(format!("__HbSelf: ?Sized + {trait_ref}")).chain(tg.params.iter().chain(&mg.params).map(bounded)).collect();
    let predicates: Vec<String> = [&tg.where_clause, &mg.where_clause]
        .into_iter()
        .flatten()
        .flat_map(|w| w.predicates.iter().map(|p| without_self(p.to_token_stream()).to_string()))
        .collect();
    let method_args: Vec<String> = method_params().map(arg).collect();
    let turbofish = match method_args.is_empty() {
        true => String::new(),
        false => format!("::<{}>", method_args.join(", ")),
    };
    let angle = |v: &[String]| if v.is_empty() { String::new() } else { format!("<{}>", v.join(", ")) };
    let arity = sig.inputs.len();
    format!(
        "#[allow(non_camel_case_types)] trait __HbAdapter{decl} {{ fn __hb_adapter() -> usize; }} \
         impl<{params}> __HbAdapter{args} for __HbSelf where {predicates} {{ fn __hb_adapter() -> usize {{ \
         ::hotbreak::__private::async_entry{arity}(<__HbSelf as {trait_ref}>::{name}{turbofish}) }} }} \
         if ::core::hint::black_box(false) {{ ::core::hint::black_box(<Self as __HbAdapter{args}>::__hb_adapter()); }} ",
        decl = angle(&adapter_decl),
        params = impl_params.join(", "),
        args = angle(&adapter_args),
        predicates = predicates.join(", "),
        name = sig.ident,
    )
}

/// `Self` (a default body's implementor) as the nested impl's `__HbSelf`.
fn without_self(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            proc_macro2::TokenTree::Ident(i) if i == "Self" => proc_macro2::TokenTree::Ident(proc_macro2::Ident::new("__HbSelf", i.span())),
            proc_macro2::TokenTree::Group(g) => {
                let mut inner = proc_macro2::Group::new(g.delimiter(), without_self(g.stream()));
                inner.set_span(g.span());
                proc_macro2::TokenTree::Group(inner)
            }
            other => other,
        })
        .collect()
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

    #[test]
    fn a_provided_method_names_its_instance_through_a_nested_impl() {
        let t: syn::ItemTrait = syn::parse_str("trait Store<K: Ord = u8> where Self: Sync { async fn get<V: Into<Self>>(&self, k: K) -> Option<V> { None } }").unwrap();
        let syn::TraitItem::Fn(f) = &t.items[0] else { panic!() };
        let out = dead_adapter(&InstanceOwner::Provided(TraitHeader::of(&t)), &f.sig).unwrap();
        assert!(out.starts_with("#[allow(non_camel_case_types)] trait __HbAdapter<K, V> { fn __hb_adapter() -> usize; }"), "{out}");
        assert!(out.contains("impl<__HbSelf: ?Sized + Store<K>, K : Ord, V : Into < __HbSelf >> __HbAdapter<K, V> for __HbSelf where __HbSelf : Sync"), "{out}");
        assert!(out.contains("async_entry2(<__HbSelf as Store<K>>::get::<V>)"), "{out}");
        assert!(out.ends_with("black_box(<Self as __HbAdapter<K, V>>::__hb_adapter()); } "), "{out}");
    }
}
