//! `#[debuggable]`: a thin attribute that emits calls into the `hotbreak`
//! runtime. See `expand.rs` for what one function becomes.

use proc_macro::TokenStream;

mod async_provided;
mod attrs;
mod expand;
mod items;
mod loop_sites;
mod provided;
mod shim;
mod signature;

/// Makes functions patchable by hotbreak while the program runs.
///
/// Allowed on a free `fn`, a method, an `impl` block (all its methods), a
/// `trait` (its provided methods) and an inline `mod` (every function in
/// it). Each function gets an entry check (a nop the runtime turns into a
/// jump when armed) and a link-time registry entry. Functions that cannot
/// be patched yet (`const`, `async`, under another attribute macro)
/// compile as written and are registered with the reason.
#[proc_macro_attribute]
pub fn debuggable(args: TokenStream, item: TokenStream) -> TokenStream {
    if patch_build() && !mentions(item.clone(), "__patch") && !mentions(item.clone(), "async") {
        // Only the patched function needs the expansion in a patch build;
        // the others resolve to the running program's code (a debug-build
        // shim through a trampoline on its slot, see shim.rs). Async fns
        // keep their future's layout (`expand::mirrored`).
        return item;
    }
    // Never a panic, never an error on valid code: anything unforeseen
    // leaves the item as written (unregistered, so not debuggable).
    let expanded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        expand::debuggable(args.into(), item.clone().into(), patch_build())
    }));
    match expanded {
        Ok(Ok(tokens)) => tokens.into(),
        Ok(Err(expand::Refusal::Misuse(e))) => e.into_compile_error().into(),
        Ok(Err(expand::Refusal::Unforeseen)) | Err(_) => item,
    }
}

/// Whether rustc runs for a hotbreak patch (`PATCH_BUILD_ENV` in
/// `hotbreak-hotreload`), never in a normal build.
pub(crate) fn patch_build() -> bool {
    static PATCH: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PATCH.get_or_init(|| std::env::var_os("HOTBREAK_PATCH_BUILD").is_some())
}

fn mentions(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro::TokenTree::Ident(i) => i.to_string() == name,
        proc_macro::TokenTree::Group(g) => mentions(g.stream(), name),
        _ => false,
    })
}

/// Not public API: marks the function a patch replaces. The hotbreak rewriter
/// inserts it into patch sources only; `#[debuggable]` consumes it.
#[doc(hidden)]
#[proc_macro_attribute]
pub fn __patch(_args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    syn::Error::new_spanned(item, "#[hotbreak::__patch] is only valid on a function under #[debuggable]")
        .into_compile_error()
        .into()
}
