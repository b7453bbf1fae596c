//! A trait's provided (default) methods: each implementor that keeps the
//! default runs its own instance of the body (`<Cat as Named>::greet`, an
//! `_RNvY` symbol), so a provided method is patched like a method of a
//! generic impl: one slot for all implementors, armed with an instance
//! table, each instance naming itself `<Self as Tr<..>>::m` (in a default
//! body `Self` is any implementor). An
//! implementor's override is another function, under its impl's attribute.

use crate::attrs;
use crate::expand::{expand_fn, reason, registration, Owner, Refusal};
use crate::items::Func;
use crate::signature::is_generic;
use quote::{quote, ToTokens};
use syn::{ItemTrait, TraitItem};

/// Expands every provided method of `t` (the others, and every item in a
/// patch build but the `__patch` one, stay as written).
pub fn expand_trait(t: &mut ItemTrait, patch_build: bool) -> Result<(), Refusal> {
    let trait_reading = attrs::read(&t.attrs);
    if trait_reading.reason().is_some() {
        // An attribute macro on the trait (`#[async_trait]`) rewrites its
        // items after us: the trait stays exactly as written.
        return Ok(());
    }
    let name = &t.ident;
    // `<Self as Tr<..>>::m`, not `Self::m`: a supertrait's method of the
    // same name would make the short path ambiguous (E0034).
    let (_, args, _) = t.generics.split_for_impl();
    let owner = Owner::Impl { qualifier: format!("{name}::"), this: quote!(<Self as #name #args>), generic: true, key: None };
    for item in &mut t.items {
        let TraitItem::Fn(method) = item else { continue };
        let Some(block) = method.default.clone() else { continue };
        method.attrs.retain(|a| !a.path().segments.last().is_some_and(|s| s.ident == "debuggable"));
        let patch_target = method.attrs.iter().any(|a| a.path().segments.last().is_some_and(|s| s.ident == "__patch"));
        // An async one keeps its future's layout (`expand::mirrored`).
        if patch_build && !patch_target && f_is_sync(method) {
            continue;
        }
        let mut f = Func::from_syn(method.attrs.clone(), syn::Visibility::Inherited, None, method.sig.clone(), block);
        let reading = attrs::read(f.attrs.iter().chain(&f.body.inner_attrs));
        // An async one's patch names its instance from a nested impl
        // (the rewriter's `async_generic.rs`), where no argument's value
        // could pick an `impl Trait` parameter.
        let async_impl_arg = f.sig.asyncness.is_some() && crate::signature::has_impl_arg(&f.sig);
        let why = reason(&[&trait_reading, &reading], &f.sig)
            .or_else(|| async_impl_arg.then(|| "async provided method with an impl Trait argument".to_string()))
            .or_else(|| (!crate::expand::callable(&f.sig)).then(|| "provided method".to_string()));
        if why.is_some() && patch_build && !patch_target {
            continue;
        }
        if let Some(why) = why {
            if patch_target {
                return Err(Refusal::Misuse(syn::Error::new(f.sig.ident.span(), format!("hotbreak cannot patch this function: {why}"))));
            }
            if !reading.untouchable {
                // Registered from inside its body, as a bare fn's would be.
                let registration = registration(&owner, &f.sig, &f.body, Some(&why), quote!());
                f.body.prepend(registration);
                *item = TraitItem::Verbatim(f.to_token_stream());
            }
            continue;
        }
        debug_assert!(owner_generic(&owner, &f));
        let owner = match (&owner, f.sig.asyncness) {
            (Owner::Impl { qualifier, this, generic, .. }, Some(_)) => {
                let key = Some(crate::async_provided::key(&t.ident, &t.generics, &f.sig));
                Owner::Impl { qualifier: qualifier.clone(), this: this.clone(), generic: *generic, key }
            }
            _ => owner.clone(),
        };
        expand_fn(&owner, &mut f, patch_build)?;
        *item = TraitItem::Verbatim(f.to_token_stream());
    }
    Ok(())
}

fn f_is_sync(method: &syn::TraitItemFn) -> bool {
    method.sig.asyncness.is_none()
}

fn owner_generic(owner: &Owner, f: &Func) -> bool {
    matches!(owner, Owner::Impl { generic: true, .. }) || is_generic(&f.sig)
}
