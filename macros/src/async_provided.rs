//! An async provided method's instance key. In a trait's default body,
//! naming the method's own fn item (`<Self as Tr>::m as *const ()`) uses
//! the body's opaque future type with an inferred lifetime, which rustc
//! refuses there (E0792). A nested trait implemented for every implementor
//! (`__HbSelf`) names it outside that body; the body calls its own
//! instance of that. (The rewriter does the same for the patch's adapter.)

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::quote;
use syn::{GenericParam, Generics, Signature};

/// The key expression: a block declaring the nested trait and impl, then
/// `<Self as __HbKey<..>>::__hb_key()`.
pub fn key(trait_name: &Ident, trait_generics: &Generics, sig: &Signature) -> TokenStream {
    let tg = trait_generics;
    let method_params: Vec<&GenericParam> = sig.generics.params.iter().filter(|p| !matches!(p, GenericParam::Lifetime(_))).collect();
    let all: Vec<&GenericParam> = tg.params.iter().chain(method_params.iter().copied()).collect();
    let decl = all.iter().map(|p| match p {
        GenericParam::Lifetime(l) => {
            let l = &l.lifetime;
            quote!(#l)
        }
        GenericParam::Type(t) => {
            let i = &t.ident;
            quote!(#i)
        }
        GenericParam::Const(c) => {
            let (i, ty) = (&c.ident, &c.ty);
            quote!(const #i: #ty)
        }
    });
    let arg = |p: &GenericParam| match p {
        GenericParam::Lifetime(l) => {
            let l = &l.lifetime;
            quote!(#l)
        }
        GenericParam::Type(t) => {
            let i = &t.ident;
            quote!(#i)
        }
        GenericParam::Const(c) => {
            let i = &c.ident;
            quote!(#i)
        }
    };
    let args: Vec<TokenStream> = all.iter().map(|p| arg(p)).collect();
    let trait_args: Vec<TokenStream> = tg.params.iter().map(arg).collect();
    let method_args: Vec<TokenStream> = method_params.iter().map(|p| arg(p)).collect();
    // Bounds as declared, without defaults (an impl takes none).
    let bounded = tg.params.iter().chain(&sig.generics.params).map(|p| {
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
        without_self(quote!(#p))
    });
    let predicates = [&tg.where_clause, &sig.generics.where_clause]
        .into_iter()
        .flatten()
        .flat_map(|w| w.predicates.iter().map(|p| without_self(quote!(#p))));
    let name = &sig.ident;
    let trait_ref = quote!(#trait_name<#(#trait_args),*>);
    quote! {{
        #[allow(non_camel_case_types)]
        trait __HbKey<#(#decl),*> { fn __hb_key() -> usize; }
        impl<__HbSelf: ?Sized + #trait_ref, #(#bounded),*> __HbKey<#(#args),*> for __HbSelf where #(#predicates),* {
            #[inline(always)]
            fn __hb_key() -> usize {
                <__HbSelf as #trait_ref>::#name::<#(#method_args),*> as *const () as usize
            }
        }
        <Self as __HbKey<#(#args),*>>::__hb_key()
    }}
}

/// `Self` (a default body's implementor) as the nested impl's `__HbSelf`.
fn without_self(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if i == "Self" => TokenTree::Ident(Ident::new("__HbSelf", Span::call_site().located_at(i.span()))),
            TokenTree::Group(g) => {
                let mut inner = proc_macro2::Group::new(g.delimiter(), without_self(g.stream()));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            other => other,
        })
        .collect()
}
