//! What `#[debuggable]` turns an item into.
//!
//! A patchable function becomes (inside its own body, so nothing leaks into
//! the surrounding scope):
//!
//! ```text
//! static __HOTBREAK_SLOT: Slot;                 // 0 = native
//! #[distributed_slice(FUNCTIONS)] static __HOTBREAK_FN: FnInfo = ...;
//! entry_check!(__HOTBREAK_SLOT, {               // a nop until armed
//!   let entry = __HOTBREAK_SLOT.load();         // armed: the patch
//!   if entry != 0 { return transmute::<_, fn(..)>(entry)(args..) } });
//! ...the user's statements, untouched...
//! ```
//!
//! In a patch source the rewriter marks the replaced function with
//! `#[hotbreak::__patch]`; it is then emitted without check nor registration
//! (a patch that jumped through its own slot would recurse forever).

use crate::shim;
use crate::signature::{forwardable_args, fn_pointer_type, unpatchable_reason};
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, Block, GenericParam, ImplItem, Item, ItemImpl, Signature};

/// `patch_build`: rustc runs for a patch; then only the function marked
/// `__patch` is touched (its marker removed), and every other function of
/// the item is left as written: the patch calls the program's own copies.
pub fn debuggable(args: TokenStream, item: TokenStream, patch_build: bool) -> syn::Result<TokenStream> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(args, "#[debuggable] takes no arguments"));
    }
    let mut item: Item = syn::parse2(item)?;
    expand_item(&mut item, true, patch_build)?;
    Ok(item.into_token_stream())
}

/// Who owns a function: decides its registry key and whether a slot may be
/// shared by all its instances.
#[derive(Clone)]
pub(crate) enum Owner {
    Free,
    Impl { qualifier: String, generic: bool },
}

fn expand_item(item: &mut Item, top: bool, patch_build: bool) -> syn::Result<()> {
    match item {
        Item::Fn(f) if shim::eligible(f) => {
            let patch_target = f.attrs.iter().any(|a| is_named(a, "__patch"));
            if patch_build && !patch_target {
                // As written: the patch linker sends calls to it through a
                // trampoline on the program's slot (hotreload, trampolines.rs).
                return Ok(());
            }
            let mut in_body = f.clone();
            expand_fn(&Owner::Free, &mut in_body.attrs, &mut in_body.sig, &mut in_body.block, patch_build)?;
            let tokens = if patch_target { shim::patch(&in_body) } else { shim::program(f, &in_body) };
            *item = Item::Verbatim(tokens);
            Ok(())
        }
        Item::Fn(f) => expand_fn(&Owner::Free, &mut f.attrs, &mut f.sig, &mut f.block, patch_build),
        Item::Impl(imp) => expand_impl(imp, patch_build),
        Item::Mod(m) => {
            let Some((_, items)) = &mut m.content else {
                return Err(syn::Error::new_spanned(
                    &m.ident,
                    "#[debuggable] on `mod name;` is not supported: use it on an inline `mod name { ... }`, \
                     or on the items inside the module's file",
                ));
            };
            for inner in items.iter_mut() {
                if let Some(attrs) = attrs_of(inner) {
                    strip_debuggable(attrs);
                }
                if matches!(inner, Item::Fn(_) | Item::Impl(_) | Item::Mod(_)) {
                    expand_item(inner, false, patch_build)?;
                }
            }
            Ok(())
        }
        Item::Trait(t) if top => Err(syn::Error::new_spanned(
            &t.ident,
            "#[debuggable] is not supported on trait definitions: put it on the `impl` blocks",
        )),
        other if top => Err(syn::Error::new(
            other.span(),
            "#[debuggable] applies to a fn, an impl block or an inline mod",
        )),
        _ => Ok(()),
    }
}

fn expand_impl(imp: &mut ItemImpl, patch_build: bool) -> syn::Result<()> {
    let ty = tidy(imp.self_ty.to_token_stream());
    let qualifier = match &imp.trait_ {
        Some((_, path, _)) => format!("<{ty} as {}>::", tidy(path.to_token_stream())),
        None => format!("{ty}::"),
    };
    let generic = imp.generics.params.iter().any(|p| !matches!(p, GenericParam::Lifetime(_)));
    let owner = Owner::Impl { qualifier, generic };
    let home = shim::method_home(imp);
    let mut items = Vec::with_capacity(imp.items.len());
    for mut it in std::mem::take(&mut imp.items) {
        let ImplItem::Fn(f) = &mut it else {
            items.push(it);
            continue;
        };
        strip_debuggable(&mut f.attrs);
        let Some(home) = home.as_ref().filter(|_| shim::method_eligible(f)) else {
            expand_fn(&owner, &mut f.attrs, &mut f.sig, &mut f.block, patch_build)?;
            items.push(it);
            continue;
        };
        let patch_target = f.attrs.iter().any(|a| is_named(a, "__patch"));
        if patch_build && !patch_target {
            // As written: the patch linker sends calls to it through a
            // trampoline on the program's slot, as for a free fn.
            items.push(it);
            continue;
        }
        let mut in_body = f.clone();
        expand_fn(&owner, &mut in_body.attrs, &mut in_body.sig, &mut in_body.block, patch_build)?;
        take_patch_marker(&mut f.attrs);
        let tokens = if patch_target {
            shim::method_patch(home, f, &in_body)
        } else {
            let registration = |slot| registration(&owner, &f.sig, &f.block, None, slot);
            shim::method_program(home, f, &in_body, registration)
        };
        items.extend(shim::parse_impl_items(tokens)?);
    }
    imp.items = items;
    Ok(())
}

fn expand_fn(
    owner: &Owner,
    attrs: &mut Vec<Attribute>,
    sig: &mut Signature,
    block: &mut Block,
    patch_build: bool,
) -> syn::Result<()> {
    let patch_target = take_patch_marker(attrs);
    let reason = match owner {
        Owner::Impl { generic: true, .. } => Some("method of a generic impl"),
        _ => unpatchable_reason(sig),
    };
    if patch_target {
        return match reason {
            Some(why) => Err(syn::Error::new(sig.ident.span(), format!("hotbreak cannot patch this function: {why}"))),
            None => Ok(()),
        };
    }
    if patch_build {
        return Ok(());
    }

    let registration = registration(owner, sig, block, reason, quote!(::hotbreak::__private::Slot::new()));
    let rt = quote!(::hotbreak::__private);
    let mut prologue = registration;
    if reason.is_none() {
        let fn_ptr = fn_pointer_type(sig);
        let (args, rebinds) = forwardable_args(sig);
        let never = matches!(&sig.output, syn::ReturnType::Type(_, t) if matches!(**t, syn::Type::Never(_)));
        // Out of line and cold, so the native body is laid out and inlined
        // as if the check were not there (a `-> !` call needs no return).
        let call_patched = if never {
            quote!(unsafe { __hotbreak_patched(#(#args),*) })
        } else {
            quote!(return #rt::cold_call(move || unsafe { __hotbreak_patched(#(#args),*) });)
        };
        prologue.extend(quote! {
            #[allow(unsafe_code, unused_unsafe, unreachable_code, clippy::missing_transmute_annotations)]
            ::hotbreak::__entry_check!(__HOTBREAK_SLOT, {
                let __hotbreak_entry: usize = __HOTBREAK_SLOT.load();
                if __hotbreak_entry != 0 {
                    // SAFETY: the tool stores only the address of this same
                    // function compiled from patched source: same signature.
                    let __hotbreak_patched = unsafe { ::core::mem::transmute::<usize, #fn_ptr>(__hotbreak_entry) };
                    #call_patched
                }
            });
            #(#rebinds)*
        });
    }
    let prologue: Block = syn::parse2(quote!({ #prologue }))?;
    block.stmts.splice(0..0, prologue.stmts);
    Ok(())
}

/// The function's slot (when patchable) and its registry entry, as items
/// for the top of a function body.
pub(crate) fn registration(
    owner: &Owner,
    sig: &Signature,
    block: &Block,
    reason: Option<&'static str>,
    slot_init: TokenStream,
) -> TokenStream {
    let name = sig.ident.to_string();
    let qualified = match owner {
        Owner::Free => name.clone(),
        Owner::Impl { qualifier, .. } => format!("{qualifier}{name}"),
    };
    let first_line = sig.fn_token.span.start().line as u32;
    let last_line = block.brace_token.span.close().start().line as u32;
    let rt = quote!(::hotbreak::__private);

    let (slot_static, slot_ref, why) = match reason {
        None => (
            quote! {
                #[allow(non_upper_case_globals)]
                static __HOTBREAK_SLOT: #rt::Slot = #slot_init;
            },
            quote!(::core::option::Option::Some(&__HOTBREAK_SLOT)),
            quote!(::core::option::Option::None),
        ),
        Some(why) => (quote!(), quote!(::core::option::Option::None), quote!(::core::option::Option::Some(#why))),
    };
    quote! {
        #slot_static
        #[#rt::linkme::distributed_slice(#rt::FUNCTIONS)]
        #[linkme(crate = #rt::linkme)]
        static __HOTBREAK_FN: #rt::FnInfo = #rt::FnInfo {
            key: ::core::concat!(::core::module_path!(), "::", #qualified),
            name: #name,
            module: ::core::module_path!(),
            file: ::core::file!(),
            first_line: #first_line,
            last_line: #last_line,
            slot: #slot_ref,
            unpatchable: #why,
            anchor: &#rt::hotbreak_anchor,
        };
    }
}

fn is_named(attr: &Attribute, name: &str) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == name)
}

fn take_patch_marker(attrs: &mut Vec<Attribute>) -> bool {
    let before = attrs.len();
    attrs.retain(|a| !is_named(a, "__patch"));
    attrs.len() != before
}

/// Inner items may carry their own `#[debuggable]`; the outer one covers them.
fn strip_debuggable(attrs: &mut Vec<Attribute>) {
    attrs.retain(|a| !is_named(a, "debuggable"));
}

fn attrs_of(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    match item {
        Item::Fn(f) => Some(&mut f.attrs),
        Item::Impl(i) => Some(&mut i.attrs),
        Item::Mod(m) => Some(&mut m.attrs),
        _ => None,
    }
}

/// `Vec < u8 >` -> `Vec<u8>`: token spacing out of a key.
fn tidy(tokens: TokenStream) -> String {
    let s = tokens.to_string();
    let mut out = String::with_capacity(s.len());
    for part in s.split(' ') {
        let glue = |c: char| matches!(c, '<' | '>' | ':' | '&' | ',' | '(' | ')' | '[' | ']');
        let needs_space = !out.is_empty()
            && !out.ends_with(glue)
            && !part.starts_with(glue);
        if needs_space || out.ends_with(',') {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}
