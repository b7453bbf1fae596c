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
//! exactly as without the attribute. Optimized builds keep the in-body check
//! (a flag site, the runtime's `flags.rs`), which the optimizer inlines with
//! the function and hoists out of loops.
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

use crate::attrs::{Reading, CODEGEN};
use crate::expand::{registration, Owner};
use crate::items::{Func, Impl, Member};
use crate::signature::{fn_shape, is_generic, returns_impl, unpatchable_reason};
use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{Attribute, FnArg, ImplItem, Pat, Type};

/// Whether `f` becomes a shim in debug builds. Decided from the source alone,
/// the same way for the program and for a patch of it. The attribute on a
/// bare `fn` cannot see an enclosing `impl`: a body that mentions `Self` (or
/// has a receiver) keeps its in-body check, since a nested fn cannot use it.
pub fn eligible(f: &Func, reading: &Reading) -> bool {
    shimmable(&f.sig, reading)
        && f.sig.receiver().is_none()
        && !mentions_self(f.sig.to_token_stream())
        && !mentions_self(f.body.to_token_stream())
}

/// What a free fn and a method both need to become a shim: a patchable,
/// non-generic signature and no attribute pinning the function's symbol
/// (nor a codegen one behind `cfg_attr`, which cannot move to the body).
fn shimmable(sig: &syn::Signature, reading: &Reading) -> bool {
    unpatchable_reason(sig).is_none()
        && sig.asyncness.is_none()
        && reading.reason().is_none()
        && sig.generics.params.is_empty()
        && sig.generics.where_clause.is_none()
        // Instances and opaque types keep the in-body check (no shim yet).
        && !is_generic(sig)
        && !returns_impl(sig)
        && !reading.pinned
        && !reading.hidden_codegen
}

fn is_one_of(attr: &Attribute, names: &[&str]) -> bool {
    names.iter().any(|name| attr.path().is_ident(name))
}

pub(crate) fn mentions_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == "Self",
        TokenTree::Group(g) => mentions_self(g.stream()),
        _ => false,
    })
}

/// The shim for the program's build, beside `in_body`: the same function
/// expanded with its in-body check, for optimized builds.
pub fn program(f: &Func, in_body: &Func) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native_inside, native_path, args, .. } = parts(f, Native::Nested);
    let slot = quote!(::hotbreak::__private::Slot::calling(__hotbreak_native as *mut ()));
    let registration = registration(&Owner::Free, &f.sig, &f.body, None, slot);
    let shape = fn_shape(&f.sig);
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #[inline(always)]
        #vis #shim_sig {
            #native_inside
            #registration
            unsafe { ::hotbreak::__call_through!(__HOTBREAK_SLOT, #native_path as #shape)(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #in_body
    }
}

/// The replaced function in a patch source: its new body nested as in the
/// program (see the module doc), beside the plain form for optimized builds.
pub fn patch(f: &Func) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native_inside, args, unsafety, .. } = parts(f, Native::Nested);
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #vis #shim_sig {
            #native_inside
            #unsafety { __hotbreak_native(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #f
    }
}

/// Where the user's body goes.
#[derive(Clone, Copy)]
enum Native<'a> {
    /// `fn __hotbreak_native`, nested in the shim (a free fn).
    Nested,
    /// `fn __hotbreak_native_<name>`, a sibling of the shim in its impl (a
    /// method of an inherent impl of this type: `self` and `Self` keep their
    /// meaning).
    Sibling(&'a Type),
    /// `<T as __HotbreakNative>::__hotbreak_native`: a trait and its impl for
    /// the self type, nested in the shim (a method of a trait impl, which
    /// cannot take a sibling; a trait of its own can be implemented for any
    /// type, a foreign one too).
    InTrait(&'a TraitImpl),
}

/// What a trait impl's method body needs to compile inside the nested
/// `impl __HotbreakNative for T`: there `Self` is still `T`, but the impl's
/// trait is no longer the one implemented.
pub struct TraitImpl {
    self_ty: Type,
    trait_path: syn::Path,
    /// The impl's own associated items (`type Item`, `const K`, `fn f`):
    /// `Self::Item` is rewritten to `<T as Trait>::Item`.
    own_items: Vec<syn::Ident>,
    /// Its associated types' definitions (`Self` made concrete): `Self::X`
    /// becomes the type itself, since a qualified path may not start a
    /// struct literal (`Self::Output { .. }` in toml_parser).
    own_types: Vec<(syn::Ident, Type)>,
}


struct Parts {
    outer_attrs: Vec<Attribute>,
    vis: syn::Visibility,
    /// The signature with every argument a plain, immutable name.
    shim_sig: syn::Signature,
    /// The native body's items (the user's signature, renamed, with the
    /// attributes that concern the body), for inside the shim's body or
    /// beside the shim: one of the two is empty.
    native_inside: TokenStream,
    native_beside: TokenStream,
    /// The native body as a path, from inside the shim (`Self` allowed)
    /// and from the slot's static (which cannot name `Self`).
    native_path: TokenStream,
    native_static_path: TokenStream,
    args: Vec<TokenStream>,
    unsafety: TokenStream,
}

/// Attributes a sibling native body needs too: it must exist exactly when
/// the shim does, and lint levels no longer reach it from the shim.
const SHARED: [&str; 5] = ["cfg", "allow", "warn", "deny", "forbid"];

fn parts(f: &Func, kind: Native) -> Parts {
    let (vis, sig) = (&f.vis, &f.sig);
    let attrs: Vec<&Attribute> = f.attrs.iter().collect();
    let inner_attrs = &f.body.inner_attrs;
    let outer_attrs: Vec<Attribute> = attrs.iter().filter(|a| !is_one_of(a, &CODEGEN)).map(|a| (*a).clone()).collect();
    let native_attrs: Vec<&Attribute> = attrs.iter().copied().filter(|a| is_one_of(a, &CODEGEN) || matches!(kind, Native::Sibling(_)) && is_one_of(a, &SHARED)).collect();
    // A body's inner attributes (`#![allow(..)]`) stay at its top.
    let stmts = &f.body.stmts;
    // Loop sites and the door (`loop_sites.rs`), keyed by the native body.
    let osr_key = match kind {
        Native::Nested => quote!(__hotbreak_native),
        Native::Sibling(_) => {
            let name = format_ident!("__hotbreak_native_{}", sig.ident);
            quote!(Self::#name)
        }
        Native::InTrait(_) => quote!(<Self as __HotbreakNative>::__hotbreak_native),
    };
    let osr = match kind {
        Native::InTrait(imp) => osr_body(f, &imp.qualify(stmts.clone()), &osr_key),
        _ => osr_body(f, stmts, &osr_key),
    };
    let block = match &osr {
        Some((door, sited)) => quote!({ #(#inner_attrs)* #door #sited }),
        None => quote!({ #(#inner_attrs)* #stmts }),
    };
    let native_name = match kind {
        Native::Nested | Native::InTrait(_) => format_ident!("__hotbreak_native", span = sig.ident.span()),
        Native::Sibling(_) => format_ident!("__hotbreak_native_{}", sig.ident, span = sig.ident.span()),
    };
    let mut native_sig = sig.clone();
    native_sig.ident = native_name.clone();
    let (shim_sig, args) = forwarding(sig);
    let (native_inside, native_beside, native_path, native_static_path) = match kind {
        Native::Nested => (
            quote! {
                #(#native_attrs)*
                #[allow(clippy::too_many_arguments)]
                #native_sig #block
            },
            quote!(),
            quote!(#native_name),
            quote!(#native_name),
        ),
        // A sibling is reached only through the shim's slot: dead exactly when
        // the shim is, and then the shim's own warning is the one to show.
        Native::Sibling(self_ty) => (
            quote!(),
            quote! {
                #[cfg(debug_assertions)]
                #[doc(hidden)]
                #(#native_attrs)*
                #[allow(clippy::too_many_arguments)]
                #[allow(dead_code)]
                #native_sig #block
            },
            quote!(Self::#native_name),
            quote!(<#self_ty>::#native_name),
        ),
        Native::InTrait(imp) => {
            let TraitImpl { self_ty, trait_path, .. } = imp;
            // A declaration takes no patterns: the shim's plain names.
            let mut declared = shim_sig.clone();
            declared.ident = native_name.clone();
            imp.concrete(&mut declared);
            let declared = imp.qualify(declared.to_token_stream());
            let native_sig = imp.qualify(native_sig.to_token_stream());
            let stmts = match &osr {
                Some((door, sited)) => quote!(#door #sited),
                None => imp.qualify(stmts.clone()),
            };
            let mut usable = trait_path.clone();
            for segment in &mut usable.segments {
                segment.arguments = syn::PathArguments::None;
            }
            // A trait named by one segment is in scope already (imported,
            // defined or in the prelude); `use Tr` would even fail in 2015,
            // where `use` paths start at the crate root (mime 0.3).
            let bring_in = (usable.segments.len() > 1).then(|| quote!(#[allow(unused_imports)] use #usable as _;));
            (
                quote! {
                    trait __HotbreakNative {
                        #[allow(clippy::too_many_arguments)]
                        #declared;
                    }
                    impl __HotbreakNative for #self_ty {
                        #(#native_attrs)*
                        #[allow(clippy::too_many_arguments)]
                        #native_sig {
                            #(#inner_attrs)*
                            // As in the impl: its trait's methods resolve on `self`.
                            #bring_in
                            #stmts
                        }
                    }
                },
                quote!(),
                quote!(<Self as __HotbreakNative>::#native_name),
                quote!(<#self_ty as __HotbreakNative>::#native_name),
            )
        }
    };
    let unsafety = if sig.unsafety.is_some() { quote!(unsafe) } else { quote!() };
    Parts { outer_attrs, vis: vis.clone(), shim_sig, native_inside, native_beside, native_path, native_static_path, args, unsafety }
}

/// A body that running frames can leave for a patch: its door (an entry
/// check whose armed path calls the slot's patch with the arguments) and
/// its statements with loop sites. Only in crates built at opt-level 0, for
/// plain parameters (the door passes them on) and callable signatures.
fn osr_body(f: &Func, stmts: &TokenStream, key: &TokenStream) -> Option<(TokenStream, TokenStream)> {
    if !crate::loop_sites::enabled() || crate::patch_build() || !crate::expand::callable(&f.sig) {
        return None;
    }
    let mut args = Vec::new();
    for arg in &f.sig.inputs {
        match arg {
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none() => args.push(id.ident.to_token_stream()),
                _ => return None,
            },
            // `&self`, `&mut self`: the door passes the reference on.
            FnArg::Receiver(r) if r.reference.is_some() && r.colon_token.is_none() => args.push(quote!(self)),
            FnArg::Receiver(_) => return None,
        }
    }
    if crate::signature::returns_never(&f.sig) {
        return None;
    }
    let sited = crate::loop_sites::insert(stmts, key)?;
    let call = format_ident!("call{}", args.len());
    let rt = quote!(::hotbreak::__private);
    let door = quote! {
        #[allow(unsafe_code, unused_unsafe, unreachable_code)]
        ::hotbreak::__door!({ #key }, {
            let __hotbreak_entry: usize = #rt::patch_of_native(#key as *const () as usize);
            if __hotbreak_entry != 0 {
                // SAFETY: the function's slot holds it compiled from
                // patched source: the same signature.
                return #rt::cold_call(move || unsafe { #rt::#call(__hotbreak_entry, #(#args),*) });
            }
        });
    };
    Some((door, sited))
}

/// Replaces the type `Self` with the impl's self type.
struct ToSelfTy<'a>(&'a Type);

impl VisitMut for ToSelfTy<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        match ty {
            Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self") => *ty = self.0.clone(),
            _ => syn::visit_mut::visit_type_mut(self, ty),
        }
    }
    // An item nested in a type (a const block) has its own `Self`.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

impl TraitImpl {
    /// The declaration in `trait __HotbreakNative` with `T` for `Self` but in
    /// its receiver: there `Self` is any implementer, of no known size
    /// (`-> Result<Self, E>` needs one), without `T`'s inherent items.
    fn concrete(&self, declared: &mut syn::Signature) {
        let mut to = ToSelfTy(&self.self_ty);
        for arg in &mut declared.inputs {
            if let FnArg::Typed(t) = arg {
                to.visit_type_mut(&mut t.ty);
            }
        }
        to.visit_return_type_mut(&mut declared.output);
    }

    /// `Self::X` -> `<T as Trait>::X` for the impl's own items `X`, at any
    /// depth (macro arguments too). Other `Self::` paths name inherent
    /// items or the trait's provided ones (in scope through the nested
    /// `use`) and resolve as before.
    fn qualify(&self, tokens: TokenStream) -> TokenStream {
        self.qualified(&tokens).unwrap_or(tokens)
    }

    /// `None` when nothing changes: the body stays the compiler's own
    /// stream, and only groups that change are built again.
    fn qualified(&self, tokens: &TokenStream) -> Option<TokenStream> {
        let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let mut out = Vec::with_capacity(tokens.len());
        let mut changed = false;
        let mut i = 0;
        while i < tokens.len() {
            if let Some(item) = self.own_item_after_self(&tokens[i..]) {
                let (self_ty, trait_path) = (&self.self_ty, &self.trait_path);
                // Any other type stays a qualified path: `<()>` alone is no
                // type (humantime's `type Err = ();`).
                match self.own_types.iter().find(|(name, _)| name == item) {
                    Some((_, ty)) if is_bare_path(ty) => out.extend(quote!(#ty)),
                    _ => out.extend(quote!(<#self_ty as #trait_path>::#item)),
                }
                changed = true;
                i += 4;
                continue;
            }
            out.push(match &tokens[i] {
                TokenTree::Group(g) => match self.qualified(&g.stream()) {
                    Some(stream) => {
                        changed = true;
                        let mut group = proc_macro2::Group::new(g.delimiter(), stream);
                        group.set_span(g.span());
                        TokenTree::Group(group)
                    }
                    None => TokenTree::Group(g.clone()),
                },
                other => other.clone(),
            });
            i += 1;
        }
        changed.then(|| out.into_iter().collect())
    }

    /// `X` when `tokens` start with `Self :: X` and `X` is one of the impl's.
    fn own_item_after_self<'t>(&self, tokens: &'t [TokenTree]) -> Option<&'t proc_macro2::Ident> {
        match tokens {
            [TokenTree::Ident(s), TokenTree::Punct(a), TokenTree::Punct(b), TokenTree::Ident(item), ..]
                if s == "Self" && a.as_char() == ':' && b.as_char() == ':' && self.own_items.contains(item) =>
            {
                Some(item)
            }
            _ => None,
        }
    }
}

/// A path without generic arguments or `<..>` self type: usable bare in
/// every position (a struct literal, a pattern, a call's path).
fn is_bare_path(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.iter().all(|s| s.arguments.is_none()))
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

/// Where the methods of an impl keep their native bodies in a debug build.
pub enum Home {
    /// An inherent impl: sibling methods (`Native::Sibling`).
    Inherent(Type),
    /// A trait impl: a trait nested in each shim (`Native::InTrait`).
    Trait(TraitImpl),
}

impl Home {
    fn native(&self) -> Native<'_> {
        match self {
            Home::Inherent(ty) => Native::Sibling(ty),
            Home::Trait(imp) => Native::InTrait(imp),
        }
    }
}

/// Methods of a non-generic impl whose type the slot's static can name
/// become shims too. A generic impl's methods cannot be patched: they keep
/// the in-body check, and so do all methods of an impl without a home.
pub fn method_home(imp: &Impl) -> Option<Home> {
    let (header, members) = (&imp.header, &imp.members);
    let plain = header.generics.params.is_empty()
        && header.generics.where_clause.is_none()
        && matches!(&*header.self_ty, Type::Path(p) if p.qself.is_none())
        && !mentions_lifetime(header.self_ty.to_token_stream());
    if !plain {
        return None;
    }
    let self_ty = (*header.self_ty).clone();
    match &header.trait_ {
        None => Some(Home::Inherent(self_ty)),
        Some((None, trait_path, _)) if !mentions_lifetime(trait_path.to_token_stream()) => {
            let own_items = members
                .iter()
                .filter_map(|member| match member {
                    Member::Fn(f) => Some(f.sig.ident.clone()),
                    Member::Other(item) => match &**item {
                        ImplItem::Fn(f) => Some(f.sig.ident.clone()),
                        ImplItem::Type(t) => Some(t.ident.clone()),
                        ImplItem::Const(c) => Some(c.ident.clone()),
                        _ => None,
                    },
                    Member::Verbatim(_) => None,
                })
                .collect();
            let own_types = members
                .iter()
                .filter_map(|member| match member {
                    Member::Other(item) => match &**item {
                        ImplItem::Type(t) => {
                            let mut ty = t.ty.clone();
                            ToSelfTy(&self_ty).visit_type_mut(&mut ty);
                            Some((t.ident.clone(), ty))
                        }
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            // `<T as Add<Self>>::Output` must mean the same in the nested trait.
            let mut trait_path = trait_path.clone();
            ToSelfTy(&self_ty).visit_path_mut(&mut trait_path);
            Some(Home::Trait(TraitImpl { self_ty, trait_path, own_items, own_types }))
        }
        Some(_) => None,
    }
}

/// A lifetime, named or elided (`&`): the nested impl or the slot's static
/// could not name it.
fn mentions_lifetime(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Punct(p) => matches!(p.as_char(), '\'' | '&'),
        TokenTree::Group(g) => mentions_lifetime(g.stream()),
        _ => false,
    })
}

/// Whether a method (of an impl with a home) becomes a shim.
pub fn method_eligible(f: &Func, reading: &Reading) -> bool {
    shimmable(&f.sig, reading) && f.defaultness.is_none()
}

/// The program's form of a method: the shim, beside `in_body` for optimized
/// builds, and its native body where `home` keeps it.
pub fn method_program(
    home: &Home,
    f: &Func,
    in_body: &Func,
    registration: impl FnOnce(TokenStream) -> TokenStream,
) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native_inside, native_beside, native_path, native_static_path, args, .. } =
        parts(f, home.native());
    let registration = registration(quote!(::hotbreak::__private::Slot::calling(#native_static_path as *mut ())));
    let shape = fn_shape(&f.sig);
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #[inline(always)]
        #vis #shim_sig {
            #native_inside
            #registration
            unsafe { ::hotbreak::__call_through!(__HOTBREAK_SLOT, #native_path as #shape)(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #in_body
        #native_beside
    }
}

/// The replaced method in a patch source: a forwarder to its new body, kept
/// where `home` keeps it in the program; the plain form for optimized builds.
pub fn method_patch(home: &Home, f: &Func, in_body: &Func) -> TokenStream {
    let Parts { outer_attrs, vis, shim_sig, native_inside, native_beside, native_path, args, unsafety, .. } =
        parts(f, home.native());
    quote! {
        #[cfg(debug_assertions)]
        #(#outer_attrs)*
        #vis #shim_sig {
            #native_inside
            #unsafety { #native_path(#(#args),*) }
        }
        #[cfg(not(debug_assertions))]
        #in_body
        #native_beside
    }
}
