//! Debug builds: a debuggable free function as a call-through shim.
//!
//! ```text
//! #[cfg(debug_assertions)] #[inline(always)]
//! fn name(args..) -> R {
//!     fn __hotbreak_native(args..) -> R { ..the user's body.. }
//!     static __HOTBREAK_SLOT: Slot = Slot::calling(__hotbreak_native);
//!     ..registry entry..
//!     __call_through!(__HOTBREAK_SLOT, fn(..) -> R)(args..)
//! }
//! #[cfg(not(debug_assertions))]
//! fn name(args..) -> R { ..entry check.. ..the user's body.. }
//! ```
//!
//! At opt-level 0 an entry check inside the body costs every call a spill
//! and reload of its arguments and result; the shim, inlined into the
//! caller, costs one load and an indirect call, and the body compiles
//! exactly as without the attribute. Optimized builds keep the in-body check,
//! which the optimizer inlines with the function.
//!
//! A patch of such a function nests its new body the same way (`patch`), so
//! statics declared in the body have the same path, and so the same symbol,
//! in the program and in the patch: the patch shares the program's copies.
//!
//! Every other function stays as written in a patch build, and the patch's
//! calls to it must pass the program's slot, or they would bypass it (no
//! stepping into it, no patch of it). The program has no symbol of an
//! inlined shim to link them to: the patch linker gives the patch a
//! trampoline per such function that jumps through the slot's `call`
//! (`hotbreak-hotreload`, `patch.rs`).

use crate::expand::{registration, Owner};
use crate::signature::{fn_pointer_type, unpatchable_reason};
use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::{Attribute, FnArg, ImplItem, ImplItemFn, ItemFn, ItemImpl, Pat, Type};

/// Attributes that tie the function's own symbol or calling context to its
/// body: such a function keeps its in-body check.
const PINNED: [&str; 7] = ["track_caller", "no_mangle", "export_name", "link_section", "target_feature", "naked", "unsafe"];

/// Attributes that shape the body's code: they move to the nested body.
const CODEGEN: [&str; 3] = ["inline", "cold", "optimize"];

/// Whether `f` becomes a shim in debug builds. Decided from the source alone,
/// the same way for the program and for a patch of it. The attribute on a
/// bare `fn` cannot see an enclosing `impl`: a body that mentions `Self` (or
/// has a receiver) keeps its in-body check, since a nested fn cannot use it.
pub fn eligible(f: &ItemFn) -> bool {
    shimmable(&f.sig, &f.attrs)
        && f.sig.receiver().is_none()
        && !mentions_self(f.sig.to_token_stream())
        && !mentions_self(f.block.to_token_stream())
}

/// What a free fn and a method both need to become a shim: a patchable,
/// non-generic signature and no attribute pinning the function's symbol.
fn shimmable(sig: &syn::Signature, attrs: &[Attribute]) -> bool {
    unpatchable_reason(sig).is_none()
        && sig.generics.params.is_empty()
        && sig.generics.where_clause.is_none()
        && !attrs.iter().any(|a| is_one_of(a, &PINNED))
}

fn is_one_of(attr: &Attribute, names: &[&str]) -> bool {
    names.iter().any(|name| attr.path().is_ident(name))
}

fn mentions_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == "Self",
        TokenTree::Group(g) => mentions_self(g.stream()),
        _ => false,
    })
}

/// The shim for the program's build, beside `in_body`: the same function
/// expanded with its in-body check, for optimized builds.
pub fn program(f: &ItemFn, in_body: &ItemFn) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native, args, unsafety, .. } = parts(&f.attrs, &f.vis, &f.sig, &f.block, Native::Nested);
    let slot = quote!(::hotbreak::__private::Slot::calling(__hotbreak_native as *mut ()));
    let registration = registration(&Owner::Free, &f.sig, &f.block, None, slot);
    let fn_ptr = fn_pointer_type(&f.sig);
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #[inline(always)]
        #vis #shim_sig {
            #native
            #registration
            #unsafety { ::hotbreak::__call_through!(__HOTBREAK_SLOT, #fn_ptr)(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #in_body
    }
}

/// The replaced function in a patch source: its new body nested as in the
/// program (see the module doc), beside the plain form for optimized builds.
pub fn patch(f: &ItemFn) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native, args, unsafety, .. } = parts(&f.attrs, &f.vis, &f.sig, &f.block, Native::Nested);
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #vis #shim_sig {
            #native
            #unsafety { __hotbreak_native(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #f
    }
}

/// Where the user's body goes.
#[derive(Clone, Copy, PartialEq)]
enum Native {
    /// `fn __hotbreak_native`, nested in the shim (a free fn).
    Nested,
    /// `fn __hotbreak_native_<name>`, a sibling of the shim in its impl (a
    /// method: `self` and `Self` keep their meaning).
    Sibling,
}

struct Parts {
    outer_attrs: Vec<Attribute>,
    vis: syn::Visibility,
    /// The signature with every argument a plain, immutable name.
    shim_sig: syn::Signature,
    /// The native body's fn item: the user's signature, renamed, with the
    /// attributes that concern the body.
    native: TokenStream,
    native_name: syn::Ident,
    args: Vec<TokenStream>,
    unsafety: TokenStream,
}

/// Attributes a sibling native body needs too: it must exist exactly when
/// the shim does, and lint levels no longer reach it from the shim.
const SHARED: [&str; 5] = ["cfg", "allow", "warn", "deny", "forbid"];

fn parts(attrs: &[Attribute], vis: &syn::Visibility, sig: &syn::Signature, block: &syn::Block, kind: Native) -> Parts {
    let outer_attrs: Vec<Attribute> = attrs.iter().filter(|a| !is_one_of(a, &CODEGEN)).cloned().collect();
    let native_attrs = attrs.iter().filter(|a| is_one_of(a, &CODEGEN) || kind == Native::Sibling && is_one_of(a, &SHARED));
    let native_name = match kind {
        Native::Nested => format_ident!("__hotbreak_native", span = sig.ident.span()),
        Native::Sibling => format_ident!("__hotbreak_native_{}", sig.ident, span = sig.ident.span()),
    };
    let mut native_sig = sig.clone();
    native_sig.ident = native_name.clone();
    // A sibling is reached only through the shim's slot: dead exactly when
    // the shim is, and then the shim's own warning is the one to show.
    let sibling = kind == Native::Sibling;
    let hidden = sibling.then(|| quote!(#[doc(hidden)]));
    let undead = sibling.then(|| quote!(#[allow(dead_code)]));
    let native = quote! {
        #hidden
        #(#native_attrs)*
        #[allow(clippy::too_many_arguments)]
        #undead
        #native_sig #block
    };
    let (shim_sig, args) = forwarding(sig);
    let unsafety = if sig.unsafety.is_some() { quote!(unsafe) } else { quote!() };
    Parts { outer_attrs, vis: vis.clone(), shim_sig, native, native_name, args, unsafety }
}

/// The shim's signature, every argument (the receiver too) a plain,
/// immutable name, and those names, to forward.
fn forwarding(sig: &syn::Signature) -> (syn::Signature, Vec<TokenStream>) {
    let mut shim_sig = sig.clone();
    let mut args = Vec::new();
    for (i, arg) in shim_sig.inputs.iter_mut().enumerate() {
        match arg {
            FnArg::Receiver(r) => {
                if r.reference.is_none() {
                    r.mutability = None;
                }
                r.attrs.clear();
                args.push(quote!(self));
            }
            FnArg::Typed(t) => {
                let name = match &*t.pat {
                    Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => id.ident.clone(),
                    _ => format_ident!("__hotbreak_arg{}", i),
                };
                *t.pat = syn::parse_quote!(#name);
                t.attrs.clear();
                args.push(quote!(#name));
            }
        }
    }
    (shim_sig, args)
}

/// Methods of an inherent, non-generic impl whose type the slot's static can
/// name become shims too; the native body is then a sibling method, so
/// `self` and `Self` keep their meaning. A trait impl cannot take an extra
/// method, and a generic impl's methods cannot be patched: both keep the
/// in-body check.
pub fn impl_allows_shims(imp: &ItemImpl) -> bool {
    imp.trait_.is_none()
        && imp.generics.params.is_empty()
        && imp.generics.where_clause.is_none()
        && matches!(&*imp.self_ty, Type::Path(p) if p.qself.is_none())
        && !mentions_lifetime(imp.self_ty.to_token_stream())
}

fn mentions_lifetime(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Punct(p) => p.as_char() == '\'',
        TokenTree::Group(g) => mentions_lifetime(g.stream()),
        _ => false,
    })
}

/// Whether a method (of an impl that allows shims) becomes a shim.
pub fn method_eligible(f: &ImplItemFn) -> bool {
    shimmable(&f.sig, &f.attrs) && f.defaultness.is_none()
}

/// The program's form of a method: the shim, beside `in_body` for optimized
/// builds, and the native sibling `__hotbreak_native_<name>`.
pub fn method_program(
    self_ty: &Type,
    f: &ImplItemFn,
    in_body: &ImplItemFn,
    registration: impl FnOnce(TokenStream) -> TokenStream,
) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native, native_name, args, unsafety } = parts(&f.attrs, &f.vis, &f.sig, &f.block, Native::Sibling);
    let registration = registration(quote!(::hotbreak::__private::Slot::calling(<#self_ty>::#native_name as *mut ())));
    let fn_ptr = fn_pointer_type(&f.sig);
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #[inline(always)]
        #vis #shim_sig {
            #registration
            #unsafety { ::hotbreak::__call_through!(__HOTBREAK_SLOT, #fn_ptr)(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #in_body
        #[cfg(debug_assertions)]
        #native
    }
}

/// The replaced method in a patch source: a forwarder to its new body in the
/// native sibling, as in the program; the plain form for optimized builds.
pub fn method_patch(f: &ImplItemFn, in_body: &ImplItemFn) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native, native_name, args, unsafety } = parts(&f.attrs, &f.vis, &f.sig, &f.block, Native::Sibling);
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #vis #shim_sig {
            #unsafety { Self::#native_name(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #in_body
        #[cfg(debug_assertions)]
        #native
    }
}

pub fn parse_impl_items(tokens: TokenStream) -> syn::Result<Vec<ImplItem>> {
    struct Items(Vec<ImplItem>);
    impl syn::parse::Parse for Items {
        fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
            let mut items = Vec::new();
            while !input.is_empty() {
                items.push(input.parse()?);
            }
            Ok(Items(items))
        }
    }
    Ok(syn::parse2::<Items>(tokens)?.0)
}
