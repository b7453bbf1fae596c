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
//!
//! The attribute may be put on every function of a crate by a wrapper, on
//! code nobody wrote for us: valid code must stay valid. A function that
//! cannot be patched (`signature::unpatchable_reason`, `attrs.rs`) is left
//! as written and registered with the reason: a method's entry goes beside
//! its impl, in a `const _`; a bare fn's into its body (the attribute cannot
//! tell a free fn from an associated one, and an impl takes no `const _`).

use crate::attrs::{self, Reading};
use crate::items::{self, Body, Func, Impl, Member, Parsed};
use crate::shim;
use crate::signature::{fn_pointer_type, fn_shape, forwardable_args, has_impl_arg, instance_path, is_generic, returns_never, returns_no_borrow, unpatchable_reason};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, GenericParam, Item, Signature};

/// Why an expansion gave up.
pub enum Refusal {
    /// The attribute is misused (arguments, on a struct, a patch of an
    /// unpatchable function): the user's error, reported at its span.
    Misuse(syn::Error),
    /// Something we did not foresee: the item is then emitted as written.
    Unforeseen,
}

impl From<syn::Error> for Refusal {
    fn from(_: syn::Error) -> Self {
        Refusal::Unforeseen
    }
}

/// `patch_build`: rustc runs for a patch; then only the function marked
/// `__patch` is touched (its marker removed), and every other function of
/// the item is left as written: the patch calls the program's own copies.
pub fn debuggable(args: TokenStream, item: TokenStream, patch_build: bool) -> Result<TokenStream, Refusal> {
    if !args.is_empty() {
        return Err(Refusal::Misuse(syn::Error::new_spanned(args, "#[debuggable] takes no arguments")));
    }
    let mut beside = TokenStream::new();
    let mut out = expand_item(item, true, patch_build, &mut beside)?;
    out.extend(beside);
    Ok(out)
}

/// Who owns a function: decides its registry key and how its body names it.
#[derive(Clone)]
pub(crate) enum Owner {
    /// A free fn, or a method under its own attribute (which cannot see
    /// its impl).
    Free,
    /// `this` names the impl's methods from their bodies: `Self`, or
    /// `<Self as Trait>` (an inherent method of the same name would win).
    /// `generic`: the impl has type or const parameters. `key`: how an
    /// instance names itself, when its path cannot (`async_provided.rs`).
    Impl { qualifier: String, this: TokenStream, generic: bool, key: Option<TokenStream> },
}

impl Owner {
    /// Whether a function of this owner with `sig` has instances (one
    /// slot for all, armed with an instance table).
    fn generic(&self, sig: &Signature) -> bool {
        is_generic(sig) || matches!(self, Owner::Impl { generic: true, .. })
    }
}

/// A fn or an impl is read with its bodies unparsed (`items.rs`); any
/// other item, and what that reader does not know, by syn.
fn expand_item(tokens: TokenStream, top: bool, patch_build: bool, beside: &mut TokenStream) -> Result<TokenStream, Refusal> {
    match items::parse(tokens.clone()) {
        Some(parsed) => expand_parsed(parsed, tokens, patch_build, beside),
        None => expand_other(syn::parse2(tokens)?, top, patch_build),
    }
}

fn expand_parsed(parsed: Parsed, as_written: TokenStream, patch_build: bool, beside: &mut TokenStream) -> Result<TokenStream, Refusal> {
    match parsed {
        Parsed::Fn(f) => expand_free_fn(*f, as_written, patch_build, beside),
        Parsed::Impl(mut imp) => {
            expand_impl(&mut imp, patch_build, beside)?;
            Ok(imp.into_token_stream())
        }
    }
}

fn expand_free_fn(mut f: Func, as_written: TokenStream, patch_build: bool, beside: &mut TokenStream) -> Result<TokenStream, Refusal> {
    let patch_target = f.attrs.iter().any(|a| is_named(a, "__patch"));
    if patch_build && !patch_target && !mirrored(&f.sig) {
        // As written: the patch linker sends calls to it through a
        // trampoline on the program's slot (hotreload, trampolines.rs).
        return Ok(as_written);
    }
    let reading = attrs::read(f.attrs.iter().chain(&f.body.inner_attrs));
    if let Some(why) = reason(&[&reading], &f.sig).or_else(|| generic_free_reason(&f.sig)) {
        if patch_build && !patch_target {
            return Ok(as_written);
        }
        take_patch_marker(&mut f.attrs);
        refuse_patch(patch_target, &f.sig, &why)?;
        let registration = registration(&Owner::Free, &f.sig, &f.body, Some(&why), quote!());
        if !reading.untouchable {
            // Inside the body, as for any function: a bare fn may be
            // an associated fn, and an impl takes no `const _`.
            f.body.prepend(registration);
        } else if f.sig.receiver().is_none() && !shim::mentions_self(f.sig.to_token_stream()) {
            beside.extend(beside_registration(f.attrs.iter().chain(&f.body.inner_attrs), registration));
        }
        return Ok(f.into_token_stream());
    }
    if !shim::eligible(&f, &reading) {
        expand_fn(&Owner::Free, &mut f, patch_build)?;
        return Ok(f.into_token_stream());
    }
    let mut in_body = f.clone();
    expand_fn(&Owner::Free, &mut in_body, patch_build)?;
    Ok(if patch_target { shim::patch(&in_body) } else { shim::program(&f, &in_body) })
}

/// Items syn reads whole: an inline mod's fns and impls are expanded as if
/// under their own attribute; anything else is misuse at the top.
fn expand_other(mut item: Item, top: bool, patch_build: bool) -> Result<TokenStream, Refusal> {
    match &mut item {
        // What the body-less reader could not read: as written.
        Item::Fn(_) | Item::Impl(_) => Err(Refusal::Unforeseen),
        Item::Mod(m) => {
            let Some((_, items)) = &mut m.content else {
                if !top {
                    // Its file holds its items, each under its own attribute.
                    return Ok(item.into_token_stream());
                }
                return Err(Refusal::Misuse(syn::Error::new_spanned(
                    &m.ident,
                    "#[debuggable] on `mod name;` is not supported: use it on an inline `mod name { ... }`, \
                     or on the items inside the module's file",
                )));
            };
            let mut expanded = Vec::with_capacity(items.len());
            for mut inner in std::mem::take(items) {
                if let Some(attrs) = attrs_of(&mut inner) {
                    strip_debuggable(attrs);
                }
                if !matches!(inner, Item::Fn(_) | Item::Impl(_) | Item::Mod(_) | Item::Trait(_)) {
                    expanded.push(inner);
                    continue;
                }
                let mut inner_beside = TokenStream::new();
                let tokens = match inner {
                    Item::Mod(_) | Item::Trait(_) => expand_other(inner, false, patch_build)?,
                    _ => {
                        let as_written = inner.to_token_stream();
                        let parsed = items::from_syn(inner).ok_or(Refusal::Unforeseen)?;
                        expand_parsed(parsed, as_written, patch_build, &mut inner_beside)?
                    }
                };
                expanded.push(Item::Verbatim(tokens));
                if !inner_beside.is_empty() {
                    expanded.push(Item::Verbatim(inner_beside));
                }
            }
            *items = expanded;
            Ok(item.into_token_stream())
        }
        Item::Trait(t) => {
            crate::provided::expand_trait(t, patch_build)?;
            Ok(item.into_token_stream())
        }
        other if top => Err(Refusal::Misuse(syn::Error::new(
            other.span(),
            "#[debuggable] applies to a fn, an impl block or an inline mod",
        ))),
        _ => Ok(item.into_token_stream()),
    }
}

fn expand_impl(imp: &mut Impl, patch_build: bool, beside: &mut TokenStream) -> Result<(), Refusal> {
    let header = &imp.header;
    let ty = tidy(header.self_ty.to_token_stream());
    let (qualifier, this) = match &header.trait_ {
        Some((_, path, _)) => (format!("<{ty} as {}>::", tidy(path.to_token_stream())), quote!(<Self as #path>)),
        None => (format!("{ty}::"), quote!(Self)),
    };
    let generic = header.generics.params.iter().any(|p| !matches!(p, GenericParam::Lifetime(_)));
    let owner = Owner::Impl { qualifier, this, generic, key: None };
    let impl_reading = attrs::read(&header.attrs);
    let impl_cfgs: Vec<Attribute> = header.attrs.iter().filter(|a| a.path().is_ident("cfg")).cloned().collect();
    let home = shim::method_home(imp);
    let mut members = Vec::with_capacity(imp.members.len());
    for member in std::mem::take(&mut imp.members) {
        let Member::Fn(mut f) = member else {
            members.push(member);
            continue;
        };
        strip_debuggable(&mut f.attrs);
        let patch_target = f.attrs.iter().any(|a| is_named(a, "__patch"));
        if patch_build && !patch_target && !mirrored(&f.sig) {
            // As written: the patch linker sends calls to a shim through a
            // trampoline on the program's slot, as for a free fn.
            members.push(Member::Fn(f));
            continue;
        }
        let reading = attrs::read(f.attrs.iter().chain(&f.body.inner_attrs));
        let why = reason(&[&impl_reading, &reading], &f.sig).or_else(|| match owner.generic(&f.sig) && !callable(&f.sig) {
            true if generic => Some("method of a generic impl".to_string()),
            true => Some("generic fn".to_string()),
            false => None,
        });
        if why.is_some() && patch_build && !patch_target {
            members.push(Member::Fn(f));
            continue;
        }
        if let Some(why) = why {
            take_patch_marker(&mut f.attrs);
            refuse_patch(patch_target, &f.sig, &why)?;
            // Beside the impl, so the method stays exactly as written.
            let registration = registration(&owner, &f.sig, &f.body, Some(&why), quote!());
            let cfgs = impl_cfgs.iter().chain(&f.attrs).chain(&f.body.inner_attrs);
            beside.extend(beside_registration(cfgs, registration));
            members.push(Member::Fn(f));
            continue;
        }
        let Some(home) = home.as_ref().filter(|_| shim::method_eligible(&f, &reading)) else {
            expand_fn(&owner, &mut f, patch_build)?;
            members.push(Member::Fn(f));
            continue;
        };
        let mut in_body = f.clone();
        expand_fn(&owner, &mut in_body, patch_build)?;
        take_patch_marker(&mut f.attrs);
        let tokens = if patch_target {
            shim::method_patch(home, &f, &in_body)
        } else {
            let registration = |slot| registration(&owner, &f.sig, &f.body, None, slot);
            shim::method_program(home, &f, &in_body, registration)
        };
        members.push(Member::Verbatim(tokens));
    }
    imp.members = members;
    Ok(())
}

/// Why a function cannot be patched: its attributes' (its impl's too) or
/// its signature's reason.
pub(crate) fn reason(readings: &[&Reading], sig: &Signature) -> Option<String> {
    readings.iter().find_map(|r| r.reason()).or_else(|| unpatchable_reason(sig).map(Into::into))
}

/// Why a generic fn under its own attribute cannot be patched: its entry
/// check names its instance as `name::<T..>` (see `expand_fn`), which only
/// a free fn can be named by, and passes its arguments to `callN`. A
/// receiver or `Self` says it is a method; more arguments than `callN`
/// takes, another ABI or `-> !` take a spelled pointer type (not yet for
/// generic fns). `impl Trait` arguments are refused by
/// `unpatchable_reason` (a turbofish cannot name their instance).
fn generic_free_reason(sig: &Signature) -> Option<String> {
    if !is_generic(sig) {
        return None;
    }
    let plain = sig.receiver().is_none() && !shim::mentions_self(sig.to_token_stream()) && callable(sig);
    (!plain).then(|| "generic fn".to_string())
}

/// Whether the armed path can call the patch through `callN`, typed by
/// the values (what a generic function's instances need: a spelled or
/// witnessed pointer type would have to name the instance).
pub(crate) fn callable(sig: &Signature) -> bool {
    let rust_abi = sig.abi.as_ref().is_none_or(|abi| abi.name.as_ref().is_some_and(|n| n.value() == "Rust"));
    rust_abi && sig.inputs.len() <= MAX_CALL_ARGS && !returns_never(sig) && sig.variadic.is_none()
}

/// A patch of an unpatchable function is refused with the reason.
fn refuse_patch(patch_target: bool, sig: &Signature, why: &str) -> Result<(), Refusal> {
    match patch_target {
        true => Err(Refusal::Misuse(syn::Error::new(sig.ident.span(), format!("hotbreak cannot patch this function: {why}")))),
        false => Ok(()),
    }
}

/// A registry entry beside the function, under its `cfg`s.
fn beside_registration<'a>(attrs: impl IntoIterator<Item = &'a Attribute>, registration: TokenStream) -> TokenStream {
    let cfgs = attrs.into_iter().filter(|a| a.path().is_ident("cfg"));
    quote! {
        #(#cfgs)*
        const _: () = { #registration };
    }
}

/// A patchable function with its entry check: in its body, before the
/// user's statements. In a patch build only the marker goes.
pub(crate) fn expand_fn(owner: &Owner, f: &mut Func, patch_build: bool) -> Result<(), Refusal> {
    if take_patch_marker(&mut f.attrs) || (patch_build && !mirrored(&f.sig)) {
        return Ok(());
    }
    // In a patch build, an async fn other than the patched one gets the
    // program's prologue without its slot, registration or site: see
    // `mirrored`.
    let mirror = patch_build;
    let sig = &mut f.sig;
    let registration = match mirror {
        true => quote!(),
        false => registration(owner, sig, &f.body, None, quote!(::hotbreak::__private::Slot::new())),
    };
    let rt = quote!(::hotbreak::__private);
    // The patch has the function's own type: named from its path where the
    // elision rules of a method make a spelled fn-pointer type wrong.
    let name = &sig.ident;
    // (Spelled when it cannot be wrong: no receiver, or nothing to borrow;
    // `Drop::drop` cannot be named.)
    let spelled = sig.receiver().is_none() || returns_no_borrow(sig);
    let patched = match owner {
        Owner::Impl { this, .. } if !spelled => witnessed(quote!(#this::#name), sig),
        Owner::Free if !spelled => witnessed(quote!(Self::#name), sig),
        _ => {
            let fn_ptr = fn_pointer_type(sig);
            quote!(::core::mem::transmute::<usize, #fn_ptr>(__hotbreak_entry))
        }
    };
    let (args, rebinds) = forwardable_args(sig);
    let never = returns_never(sig);
    let via_call_n = callable(sig);
    // Out of line and cold, so the native body is laid out and inlined
    // as if the check were not there (a `-> !` call needs no return).
    let call_patched = if sig.asyncness.is_some() && via_call_n && !crate::signature::suspends(&f.body.stmts) {
        // A body without `.await` never waits: neither does its patch,
        // run to its end here (runtime's `complete_now`), so the future
        // gains no wait state and its awaiter keeps none.
        let call = format_ident!("call{}", args.len());
        quote! {
            return #rt::cold_call(move || unsafe { #rt::complete_now(#rt::#call(__hotbreak_entry, #(#args),*)) });
        }
    } else if sig.asyncness.is_some() && via_call_n {
        // On the future's first poll: await the patch's future, which its
        // slot's adapter boxes (the runtime's `futures.rs`).
        let call = format_ident!("call{}", args.len());
        quote! {
            let __hotbreak_future: #rt::Erased<'_, _> = #rt::cold_call(move || unsafe { #rt::#call(__hotbreak_entry, #(#args),*) });
            return __hotbreak_future.await;
        }
    } else if never {
        quote!(unsafe { __hotbreak_patched(#(#args),*) })
    } else if via_call_n {
        // Typed by the values passed and the return type (see the
        // runtime's `call.rs`): `patched` is not needed.
        let call = format_ident!("call{}", args.len());
        quote!(return #rt::cold_call(move || unsafe { #rt::#call(__hotbreak_entry, #(#args),*) });)
    } else {
        quote!(return #rt::cold_call(move || unsafe { __hotbreak_patched(#(#args),*) });)
    };
    let bind_patched = if !via_call_n {
        quote!(let __hotbreak_patched = unsafe { #patched };)
    } else {
        quote!()
    };
    // A generic fn's slot holds a table of its instances while armed:
    // this instance looks up its patch by its own address, and runs its
    // native code when the patch lacks it (runtime's `instances.rs`).
    let entry = if owner.generic(sig) {
        let owned = |path: TokenStream| match owner {
            Owner::Free => path,
            Owner::Impl { this, .. } => quote!(#this::#path),
        };
        let key = if let Owner::Impl { key: Some(key), .. } = owner {
            key.clone()
        } else if has_impl_arg(sig) {
            // No turbofish names an `impl Trait` parameter: the instance
            // is the fn item coerced to the arguments' own types.
            let ident = &sig.ident;
            let path = owned(quote!(#ident));
            match sig.asyncness {
                Some(_) => {
                    let by_values = format_ident!("marker_key_of{}", args.len());
                    quote!(#rt::#by_values(#path, #(&#args),*))
                }
                None => {
                    let by_values = format_ident!("instance_key{}", args.len());
                    quote!(#rt::#by_values(#(&#args,)* #path))
                }
            }
        } else if sig.asyncness.is_some() {
            // Not the instance's address: the optimizer merges async
            // instances' identical outer code (runtime's `instance_marker`).
            let path = owned(instance_path(sig));
            quote!(#rt::marker_key(#path))
        } else {
            let path = owned(instance_path(sig));
            quote!(#path as *const () as usize)
        };
        quote! {
            match __HOTBREAK_SLOT.load() {
                0 => 0,
                // SAFETY: a generic fn's slot holds only tables.
                table => unsafe { #rt::instance_entry(table, #key) },
            }
        }
    } else {
        quote!(__HOTBREAK_SLOT.load())
    };
    let entry = match mirror {
        true => quote!(::core::hint::black_box(0usize)),
        false => entry,
    };
    let armed = quote! {{
        let __hotbreak_entry: usize = #entry;
        if __hotbreak_entry != 0 {
            // SAFETY: the tool stores only the address of this same
            // function compiled from patched source: same signature.
            #bind_patched
            #call_patched
        }
    }};
    let check = match mirror {
        // Never taken; there only so the future's layout is the program's.
        true => quote!(if ::core::hint::black_box(false) #armed),
        false => quote!(::hotbreak::__entry_check!(__HOTBREAK_SLOT, #armed);),
    };
    let prologue = quote! {
        #registration
        #[allow(unsafe_code, unused_unsafe, unreachable_code, clippy::missing_transmute_annotations)]
        #check
        #(#rebinds)*
    };
    f.body.prepend(prologue);
    Ok(())
}

/// Whether a function other than the patched one is expanded in a patch
/// build: an async fn's future is a type the patch shares with the program
/// (the patch makes it, by an inlined call in an optimized build, or holds
/// it in its own future while the program's code polls it), so it must
/// have the program's layout, which the entry check's `.await` changes.
/// The patch gets the same prologue, never taken, without slot, sites or
/// registry entry (examples/tasks in a release build: `total`'s patch
/// wrote `price`'s future with the as-written layout, the program's
/// `price` read it as "resumed after completion").
fn mirrored(sig: &Signature) -> bool {
    sig.asyncness.is_some()
}

/// The most arguments the runtime's `callN` take (`hotbreak::__private::MAX_ARGS`).
const MAX_CALL_ARGS: usize = 12;

/// `__hotbreak_entry` as the type of the function at `path`, inferred from
/// the dead branch (no code at any opt-level).
fn witnessed(path: TokenStream, sig: &Signature) -> TokenStream {
    let shape = fn_shape(sig);
    quote! {
        if true { ::core::mem::transmute::<usize, _>(__hotbreak_entry) } else { #path as #shape }
    }
}

/// The function's slot (when patchable) and its registry entry, as items
/// for the top of a function body.
pub(crate) fn registration(
    owner: &Owner,
    sig: &Signature,
    body: &Body,
    reason: Option<&str>,
    slot_init: TokenStream,
) -> TokenStream {
    let name = sig.ident.to_string();
    let qualified = match owner {
        Owner::Free => name.clone(),
        Owner::Impl { qualifier, .. } => format!("{qualifier}{name}"),
    };
    let first_line = sig.fn_token.span.start().line as u32;
    let last_line = body.last_line();
    let rt = quote!(::hotbreak::__private);

    let generic = reason.is_none() && owner.generic(sig);
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
            generic: #generic,
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

#[cfg(test)]
mod tests {
    use super::{debuggable, Refusal};
    use proc_macro2::TokenStream;

    fn expand(src: &str) -> Result<String, String> {
        match debuggable(TokenStream::new(), src.parse().unwrap(), false) {
            Ok(t) => Ok(t.to_string()),
            Err(Refusal::Misuse(e)) => Err(e.to_string()),
            Err(Refusal::Unforeseen) => Err("unforeseen".into()),
        }
    }

    #[test]
    fn what_syn_cannot_read_is_unforeseen_not_an_error() {
        // A trait object without `dyn` taking parenthesized arguments (Rust
        // 2015/2018): lib.rs then emits the item as written.
        assert_eq!(expand("fn bare(b: Box<Fn(u32) -> u32>) -> u32 { b(1) }"), Err("unforeseen".into()));
    }

    #[test]
    fn a_foreign_attribute_macro_leaves_the_impl_as_written() {
        let out = expand("#[pymethods] impl S { fn f(&self, c: &C) -> &u8 { &self.0 } }").unwrap();
        assert!(out.starts_with("# [pymethods] impl S { fn f (& self , c : & C) -> & u8 { & self . 0 } }"), "{out}");
        assert!(out.contains("under the attribute macro #[pymethods]"), "{out}");
    }

    /// Every fn, impl and inline mod of this workspace's sources (the
    /// wrapper's view of a real crate): no panic, nothing unforeseen, and
    /// the output parses as items again.
    #[test]
    fn every_item_of_the_workspace_expands() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let mut files = vec![root.to_path_buf()];
        let mut expanded = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                // (`docs/` holds stand-alone prototypes, not the workspace's code.)
                if name == "target" || name == "docs" || name.starts_with('.') {
                    continue;
                }
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(file) = syn::parse_file(&text) else { continue };
            for item in file.items.iter().filter(|i| matches!(i, syn::Item::Fn(_) | syn::Item::Impl(_) | syn::Item::Trait(_))) {
                let src = quote::ToTokens::to_token_stream(item).to_string();
                let out = expand(&src).unwrap_or_else(|e| panic!("{}: {e}: {src}", path.display()));
                syn::parse_str::<syn::File>(&out).unwrap_or_else(|e| panic!("{}: {e}: {out}", path.display()));
                expanded += 1;
            }
        }
        assert!(expanded > 500, "{expanded}");
    }

    #[test]
    fn misuse_is_still_an_error() {
        assert!(expand("struct S;").unwrap_err().contains("applies to a fn"));
        assert!(expand("mod m;").unwrap_err().contains("inline `mod"));
        assert!(expand("mod m { mod n; fn f() {} }").is_ok(), "a file module inside an inline one is skipped");
    }
}
