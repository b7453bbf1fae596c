//! Finding the debuggable function that contains a line.

use proc_macro2::LineColumn;
use quote::ToTokens;
use syn::spanned::Spanned;
use crate::async_generic::{dead_adapter, InstanceOwner, TraitHeader, ASYNC_ANCHOR, ASYNC_PROVIDED_ANCHOR};
use syn::{Attribute, GenericParam, ImplItem, Item, Signature};

/// Where a function sits: it decides how the patch names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A free fn, in the module where the getter is emitted too.
    Module,
    /// A method; `qualified` is `<Type>` or `<Type as Trait>` as written.
    Impl { qualified: String },
    /// A trait's provided method: each implementor that keeps it has an
    /// instance (`<Type as Trait>::m`), like a generic impl's method.
    Trait { name: String },
}

/// A function found in a source file.
#[derive(Debug, Clone)]
pub struct FnSite {
    pub name: String,
    pub owner: Owner,
    /// Line of the `fn` keyword and of the closing brace.
    pub fn_line: u32,
    pub last_line: u32,
    /// Start of the item's text after its attributes (visibility or `fn`).
    pub sig_start: LineColumn,
    /// End of the function's body.
    pub end: LineColumn,
    /// End of the item the getter follows: the fn itself, or its impl block.
    pub container_end: LineColumn,
    /// Whether `#[debuggable]` covers it (on itself, its impl or a module).
    pub debuggable: bool,
    /// Why it cannot be patched, if it cannot.
    pub unpatchable: Option<&'static str>,
    /// A generic fn or a method of a generic impl: its patch's getter goes
    /// inside its body (a path outside cannot name an instance), see
    /// `replace.rs`.
    pub generic: bool,
    /// Returns `impl Trait`: a patch must return the program's hidden type.
    pub returns_opaque: bool,
    /// An `async fn` with this many arguments: its patch's slot takes the
    /// adapter that boxes the patched function's future (runtime
    /// `futures.rs`), not the function.
    pub async_arity: Option<usize>,
    /// A generic async fn: how its patched body names its own instance,
    /// and the dead statement that brings that instance's adapter
    /// (`async_generic.rs`).
    pub async_instance: Option<(InstanceOwner, String)>,
}

/// The static a generic fn's patch getter returns the address of: its
/// symbol's path is the function's (`krate::f::__HB_HERE`), which tells the
/// patch linker the function, and its address the patch's load base.
pub const GENERIC_ANCHOR: &str = "__HB_HERE";

/// The same for a trait's provided method (`krate::Tr::m::__HB_PROVIDED`):
/// its instances are the trait-item symbols (`_RNvY`) of the implementors
/// that keep it, never an override (`_RNvX`) demangled the same.
pub const PROVIDED_ANCHOR: &str = "__HB_PROVIDED";

impl FnSite {
    /// The patch's `#[no_mangle]` entry getter `getter`: after the container,
    /// returning the function's address; for a generic fn, whose instances
    /// no path outside can name, inside its body (`getter_inside`),
    /// returning the address of [`GENERIC_ANCHOR`] beside it.
    pub fn getter_item(&self, getter: &str) -> String {
        self.getter_item_for(getter, None)
    }

    /// [`FnSite::getter_item`] for a new version of the function whose
    /// signature is `new_sig` (a generic async fn's dead statement names
    /// its generic parameters, which an edit may rename).
    pub fn getter_item_for(&self, getter: &str, new_sig: Option<&Signature>) -> String {
        if self.generic {
            let anchor = match (&self.owner, &self.async_instance) {
                (Owner::Trait { .. }, Some(_)) => ASYNC_PROVIDED_ANCHOR,
                (_, Some(_)) => ASYNC_ANCHOR,
                (Owner::Trait { .. }, None) => PROVIDED_ANCHOR,
                (_, None) => GENERIC_ANCHOR,
            };
            let adapter = match (&self.async_instance, new_sig) {
                (Some((owner, _)), Some(sig)) => dead_adapter(owner, sig).unwrap_or_default(),
                (Some((_, located)), None) => located.clone(),
                (None, _) => String::new(),
            };
            format!(
                " #[unsafe(no_mangle)] #[doc(hidden)] pub extern \"C\" fn {getter}() -> usize {{ &{anchor} as *const u8 as usize }} \
                 #[doc(hidden)] static {anchor}: u8 = 0; {adapter}"
            )
        } else if let Some(arity) = self.async_arity {
            format!(
                " #[unsafe(no_mangle)] #[doc(hidden)] pub extern \"C\" fn {getter}() -> usize {{ ::core::hint::black_box({path} as usize); ::hotbreak::__private::async_entry{arity}({path}) }}",
                path = self.path_from_container()
            )
        } else {
            format!(" #[unsafe(no_mangle)] #[doc(hidden)] pub extern \"C\" fn {getter}() -> usize {{ {} as usize }}", self.path_from_container())
        }
    }

    /// Whether [`FnSite::getter_item`] goes at the top of the function's
    /// body rather than after its container.
    pub fn getter_inside(&self) -> bool {
        self.generic
    }

    /// How the getter, emitted right after the container, names the function.
    pub fn path_from_container(&self) -> String {
        match &self.owner {
            Owner::Module => self.name.clone(),
            Owner::Impl { qualified } => format!("{qualified}::{}", self.name),
            Owner::Trait { name } => format!("{name}::{}", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocateError {
    Parse { line: u32, message: String },
    NoFunction { line: u32 },
    /// Inside the body of `macro_rules! name`: a template, not code that runs.
    InMacro { line: u32, name: String },
    /// Inside a function of a shape no patch can replace yet.
    NotYet { line: u32, name: String, why: &'static str },
}

impl std::fmt::Display for LocateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocateError::Parse { line, message } => write!(f, "line {line}: {message}"),
            LocateError::NoFunction { line } => write!(f, "line {line} is not inside a function"),
            LocateError::NotYet { line, name, why } => write!(f, "line {line} is in `{name}`, which cannot be debugged yet: {why}"),
            LocateError::InMacro { line, name } => write!(
                f,
                "line {line} is in the body of `macro_rules! {name}`, which is expanded where it is used: break on a line that uses `{name}!`"
            ),
        }
    }
}

impl std::error::Error for LocateError {}

/// The innermost function (free, method, or in an inline module) whose text
/// contains `line`.
pub fn find_function(source: &str, line: u32) -> Result<FnSite, LocateError> {
    find_function_in(&parse(source)?, line)
}

pub(crate) fn parse(source: &str) -> Result<syn::File, LocateError> {
    syn::parse_file(source).map_err(|e| LocateError::Parse { line: e.span().start().line as u32, message: e.to_string() })
}

pub(crate) fn find_function_in(file: &syn::File, line: u32) -> Result<FnSite, LocateError> {
    let mut found = Vec::new();
    visit_items(&file.items, Some(line), false, &mut found);
    // A fn nested in the function's body (at any depth) is a function of
    // its own, under its own attribute (the wrapper puts it there).
    let outer = found.last().and_then(|site| function_node(&file.items, site.fn_line));
    // Without the attribute (a user-annotated crate; the user's text of a
    // zero-annotation one) the registry says whether it is debuggable.
    if let Some(inner) = outer.and_then(|(_, body)| nested_fn_at(body, line)) {
        let end = inner.block.brace_token.span.close().end();
        consider(&inner.sig, first_token(inner, &inner.attrs), end, end, Owner::Module, has_debuggable(&inner.attrs), None, Some(line), &mut found);
    }
    found.pop().ok_or_else(|| match macro_at(&file.items, line) {
        Some(name) => LocateError::InMacro { line, name },
        None => LocateError::NoFunction { line },
    })
}

/// The `macro_rules!` (at any module depth) whose text holds `line`.
fn macro_at(items: &[Item], line: u32) -> Option<String> {
    items.iter().find_map(|item| match item {
        Item::Macro(m) => {
            let span = m.mac.delimiter.span();
            let inside = (span.open().start().line as u32..=span.close().end().line as u32).contains(&line);
            inside.then(|| m.ident.as_ref().map(|i| i.to_string()).unwrap_or_else(|| m.mac.path.to_token_stream().to_string()))
        }
        Item::Mod(m) => m.content.as_ref().and_then(|(_, inner)| macro_at(inner, line)),
        _ => None,
    })
}

/// Every function of a file (free, methods, in inline modules), in source
/// order: what an edit of the file may have changed.
pub fn list_functions(source: &str) -> Result<Vec<FnSite>, LocateError> {
    let mut found = Vec::new();
    visit_items(&parse(source)?.items, None, false, &mut found);
    Ok(found)
}

/// Collects the functions containing `line`, or all of them.
fn visit_items(items: &[Item], line: Option<u32>, debuggable: bool, found: &mut Vec<FnSite>) {
    for item in items {
        match item {
            Item::Fn(f) => {
                let d = debuggable || has_debuggable(&f.attrs);
                let end = f.block.brace_token.span.close().end();
                if may_contain(&f.attrs, &f.sig, end, line) {
                    consider(&f.sig, first_token(f, &f.attrs), end, end, Owner::Module, d, None, line, found);
                }
            }
            Item::Impl(imp) => {
                let d = debuggable || has_debuggable(&imp.attrs);
                let ty = inferred_lifetimes(&*imp.self_ty);
                let qualified = match &imp.trait_ {
                    Some((_, path, _)) => format!("<{ty} as {}>", inferred_lifetimes(path)),
                    None => format!("<{ty}>"),
                };
                let generic = imp.generics.params.iter().any(|p| !matches!(p, GenericParam::Lifetime(_)));
                let impl_end = imp.brace_token.span.close().end();
                for it in &imp.items {
                    if let ImplItem::Fn(f) = it {
                        let d = d || has_debuggable(&f.attrs);
                        let owner = Owner::Impl { qualified: qualified.clone() };
                        // A method of a generic impl has instances like a generic fn.
                        let why = (generic && !generic_fits(&f.sig)).then_some("method of a generic impl");
                        let end = f.block.brace_token.span.close().end();
                        if may_contain(&f.attrs, &f.sig, end, line) {
                            consider(&f.sig, first_token(f, &f.attrs), end, impl_end, owner, d, why, line, found);
                            if let Some(site) = found.last_mut().filter(|_| generic) {
                                site.generic = site.unpatchable.is_none();
                            }
                            let instance_owner = match &imp.trait_ {
                                Some((_, path, _)) => InstanceOwner::TraitImpl { trait_path: path.to_token_stream().to_string() },
                                None => InstanceOwner::Inherent,
                            };
                            if let Some(site) = found.last_mut().filter(|s| s.generic && s.async_arity.is_some()) {
                                site.async_instance = dead_adapter(&instance_owner, &f.sig).map(|stmt| (instance_owner, stmt));
                            }
                        }
                    }
                }
            }
            Item::Trait(t) => {
                let d = debuggable || has_debuggable(&t.attrs);
                let trait_end = t.brace_token.span.close().end();
                for it in &t.items {
                    let syn::TraitItem::Fn(f) = it else { continue };
                    let Some(block) = &f.default else { continue };
                    let d = d || has_debuggable(&f.attrs);
                    let owner = Owner::Trait { name: t.ident.to_string() };
                    let why = if f.sig.asyncness.is_some() && has_impl_arg(&f.sig) {
                        // Its patch names its instance from a nested impl,
                        // where no argument's value is at hand.
                        Some("async provided method with an impl Trait argument")
                    } else {
                        (!generic_fits(&f.sig)).then_some("provided method")
                    };
                    let end = block.brace_token.span.close().end();
                    if may_contain(&f.attrs, &f.sig, end, line) {
                        consider(&f.sig, first_token(f, &f.attrs), end, trait_end, owner, d, why, line, found);
                        if let Some(site) = found.last_mut() {
                            site.generic = site.unpatchable.is_none();
                            if site.generic && site.async_arity.is_some() {
                                let owner = InstanceOwner::Provided(TraitHeader::of(t));
                                site.async_instance = dead_adapter(&owner, &f.sig).map(|stmt| (owner, stmt));
                            }
                        }
                    }
                }
            }
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    visit_items(inner, line, debuggable || has_debuggable(&m.attrs), found);
                }
            }
            _ => {}
        }
    }
}

/// A type or path from an impl header as a path expression in the body
/// can name it: the impl's lifetime parameters are not in scope outside
/// the impl (the patch's entry getter), so every named lifetime but
/// `'static` becomes `'_`, which inference fills.
fn inferred_lifetimes<T: ToTokens + Clone>(header_part: &T) -> String {
    fn erase(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
        let mut out = Vec::new();
        let mut quote_before = false;
        for t in tokens {
            let t = match t {
                proc_macro2::TokenTree::Group(g) => {
                    let mut erased = proc_macro2::Group::new(g.delimiter(), erase(g.stream()));
                    erased.set_span(g.span());
                    proc_macro2::TokenTree::Group(erased)
                }
                proc_macro2::TokenTree::Ident(i) if quote_before && i != "static" => {
                    proc_macro2::TokenTree::Ident(proc_macro2::Ident::new("_", i.span()))
                }
                other => other,
            };
            quote_before = matches!(&t, proc_macro2::TokenTree::Punct(p) if p.as_char() == '\'' );
            out.push(t);
        }
        out.into_iter().collect()
    }
    erase(header_part.to_token_stream()).to_string()
}

#[allow(clippy::too_many_arguments)]
fn consider(
    sig: &Signature,
    sig_start: LineColumn,
    end: LineColumn,
    container_end: LineColumn,
    owner: Owner,
    debuggable: bool,
    owner_reason: Option<&'static str>,
    line: Option<u32>,
    found: &mut Vec<FnSite>,
) {
    let fn_line = sig.fn_token.span.start().line as u32;
    let unpatchable = owner_reason.or_else(|| signature_reason(sig));
    let generic = is_generic(sig) && unpatchable.is_none();
    // A free fn's instance is named by its name (a method's by its impl:
    // set by the caller, which knows the trait).
    let async_instance = match (&owner, generic && sig.asyncness.is_some()) {
        (Owner::Module, true) => dead_adapter(&InstanceOwner::Free, sig).map(|stmt| (InstanceOwner::Free, stmt)),
        _ => None,
    };
    if line.is_some_and(|line| !(sig_start.line as u32..=end.line as u32).contains(&line)) {
        return;
    }
    found.push(FnSite {
        name: sig.ident.to_string(),
        fn_line,
        last_line: end.line as u32,
        sig_start,
        end,
        container_end,
        debuggable,
        generic,
        returns_opaque: matches!(&sig.output, syn::ReturnType::Type(_, t) if mentions_impl(t.to_token_stream())),
        unpatchable,
        async_arity: sig.asyncness.map(|_| sig.inputs.len()),
        async_instance,
        owner,
    });
}

/// The start of an item after its attributes.
/// A cheap range test before the exact start is computed (which needs the
/// item's tokens): from the first attribute to the closing brace.
fn may_contain(attrs: &[Attribute], sig: &Signature, end: LineColumn, line: Option<u32>) -> bool {
    let Some(line) = line else { return true };
    let start = attrs.first().map(|a| a.pound_token.span.start().line).unwrap_or(sig.fn_token.span.start().line).min(sig.fn_token.span.start().line);
    (start as u32..=end.line as u32).contains(&line)
}

fn first_token<T: ToTokens>(item: &T, attrs: &[Attribute]) -> LineColumn {
    // Each outer attribute (doc comments too) is `#` and a bracket group.
    item.to_token_stream().into_iter().nth(attrs.len() * 2).map(|t| t.span().start()).unwrap_or_else(|| item.span().start())
}

/// `#[debuggable]` by any path, or under `#[cfg_attr(.., debuggable)]` (the
/// build being patched is the one that enabled it).
fn has_debuggable(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().segments.last().is_some_and(|s| s.ident == "debuggable")
            || (a.path().is_ident("cfg_attr") && a.meta.to_token_stream().into_iter().any(|t| contains_ident(t, "debuggable")))
    })
}

fn contains_ident(tree: proc_macro2::TokenTree, name: &str) -> bool {
    match tree {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| contains_ident(t, name)),
        _ => false,
    }
}

/// Mirrors what `#[debuggable]` refuses to patch. A generic fn or method
/// is patchable (its instances look themselves up in a table) when the
/// armed path can call its patch typed by the values.
fn signature_reason(sig: &Signature) -> Option<&'static str> {
    if sig.constness.is_some() {
        Some("const fn")
    } else if sig.asyncness.is_some() && has_impl_arg(sig) && !args_named(sig) {
        Some("generic async fn with an impl Trait argument bound by a pattern")
    } else if sig.asyncness.is_some() && sig.inputs.len() > MAX_ASYNC_ARGS {
        Some("async fn with more than 12 arguments")
    } else if impl_trait_unfit(sig) {
        Some("impl Trait in a signature hotbreak cannot call (see ARCHITECTURE.md)")
    } else if is_generic(sig) && !generic_fits(sig) {
        Some("generic fn")
    } else {
        None
    }
}

/// Whether every argument is `self` or a plain name (`x`, `mut x`).
fn args_named(sig: &Signature) -> bool {
    sig.inputs.iter().all(|arg| match arg {
        syn::FnArg::Receiver(_) => true,
        syn::FnArg::Typed(t) => matches!(&*t.pat, syn::Pat::Ident(id) if id.by_ref.is_none() && id.subpat.is_none()),
    })
}

/// The most arguments an async fn's adapter takes (runtime `futures.rs`).
const MAX_ASYNC_ARGS: usize = 12;

/// Type or const parameters, named or anonymous (`impl Trait` arguments).
fn is_generic(sig: &Signature) -> bool {
    sig.generics.params.iter().any(|p| !matches!(p, GenericParam::Lifetime(_))) || has_impl_arg(sig)
}

fn mentions_impl(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == "impl",
        proc_macro2::TokenTree::Group(g) => mentions_impl(g.stream()),
        _ => false,
    })
}

fn has_impl_arg(sig: &Signature) -> bool {
    sig.inputs.iter().any(|a| mentions_impl(a.to_token_stream()))
}

/// Mirrors the macro's refusals of `impl Trait` signatures: an opaque
/// return the armed path cannot infer (another ABI, more than 12
/// arguments), or an `impl Trait` argument beside a type parameter that no
/// argument's type names outside bounds and projections.
fn impl_trait_unfit(sig: &Signature) -> bool {
    let returns_impl = matches!(&sig.output, syn::ReturnType::Type(_, t) if mentions_impl(t.to_token_stream()));
    if returns_impl && (sig.inputs.len() > 12 || sig.abi.is_some()) {
        return true;
    }
    if !has_impl_arg(sig) {
        return false;
    }
    struct Named(Vec<String>);
    impl<'a> syn::visit::Visit<'a> for Named {
        fn visit_type_impl_trait(&mut self, _: &'a syn::TypeImplTrait) {}
        fn visit_qself(&mut self, _: &'a syn::QSelf) {}
        fn visit_ident(&mut self, ident: &'a syn::Ident) {
            self.0.push(ident.to_string());
        }
    }
    let mut named = Named(Vec::new());
    for arg in &sig.inputs {
        if let syn::FnArg::Typed(t) = arg {
            syn::visit::Visit::visit_type(&mut named, &t.ty);
        }
    }
    sig.generics.params.iter().any(|p| match p {
        GenericParam::Type(t) => !named.0.contains(&t.ident.to_string()),
        GenericParam::Const(c) => !named.0.contains(&c.ident.to_string()),
        GenericParam::Lifetime(_) => false,
    })
}

/// What the macro's `callable` accepts for generic functions: a Rust-ABI
/// fn that `callN` can call (at most 12 arguments, not `-> !`).
fn generic_fits(sig: &Signature) -> bool {
    let rust_abi = sig.abi.as_ref().is_none_or(|abi| abi.name.as_ref().is_some_and(|n| n.value() == "Rust"));
    let never = matches!(&sig.output, syn::ReturnType::Type(_, t) if matches!(**t, syn::Type::Never(_)));
    rust_abi && sig.inputs.len() <= 12 && !never && sig.variadic.is_none()
}

/// The innermost fn nested in `body` (in its blocks, closures and nested
/// fns) whose text holds `line`.
fn nested_fn_at(body: &syn::Block, line: u32) -> Option<&syn::ItemFn> {
    nested_fn(body, |f| {
        let start = f.attrs.first().map_or(f.sig.fn_token.span.start().line, |a| a.pound_token.span.start().line.min(f.sig.fn_token.span.start().line));
        (start as u32..=f.block.brace_token.span.close().end().line as u32).contains(&line)
    })
}

/// The innermost fn nested in `body` that `wanted` accepts.
fn nested_fn<'a>(body: &'a syn::Block, wanted: impl Fn(&syn::ItemFn) -> bool) -> Option<&'a syn::ItemFn> {
    struct Finder<'a, W> {
        wanted: W,
        found: Option<&'a syn::ItemFn>,
    }
    impl<'a, W: Fn(&syn::ItemFn) -> bool> syn::visit::Visit<'a> for Finder<'a, W> {
        fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
            if (self.wanted)(f) {
                self.found = Some(f);
            }
            syn::visit::visit_item_fn(self, f);
        }
    }
    let mut finder = Finder { wanted, found: None };
    syn::visit::Visit::visit_block(&mut finder, body);
    finder.found
}

/// The signature and body of the function whose `fn` keyword is on
/// `fn_line`, or of a fn nested in one.
pub(crate) fn function_node(items: &[Item], fn_line: u32) -> Option<(&Signature, &syn::Block)> {
    if let Some(found) = top_level_node(items, fn_line) {
        return Some(found);
    }
    let at_line = |f: &syn::ItemFn| f.sig.fn_token.span.start().line as u32 == fn_line;
    let mut bodies: Vec<&syn::Block> = Vec::new();
    collect_bodies(items, &mut bodies);
    bodies.into_iter().find_map(|b| nested_fn(b, at_line)).map(|f| (&f.sig, &*f.block))
}

/// Every function body of `items` (free fns, methods, provided methods).
fn collect_bodies<'a>(items: &'a [Item], out: &mut Vec<&'a syn::Block>) {
    for item in items {
        match item {
            Item::Fn(f) => out.push(&f.block),
            Item::Impl(imp) => out.extend(imp.items.iter().filter_map(|it| match it {
                ImplItem::Fn(f) => Some(&f.block),
                _ => None,
            })),
            Item::Trait(t) => out.extend(t.items.iter().filter_map(|it| match it {
                syn::TraitItem::Fn(f) => f.default.as_ref(),
                _ => None,
            })),
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_bodies(inner, out);
                }
            }
            _ => {}
        }
    }
}

fn top_level_node(items: &[Item], fn_line: u32) -> Option<(&Signature, &syn::Block)> {
    for item in items {
        let found = match item {
            Item::Fn(f) if f.sig.fn_token.span.start().line as u32 == fn_line => Some((&f.sig, &*f.block)),
            Item::Impl(imp) => imp.items.iter().find_map(|it| match it {
                ImplItem::Fn(f) if f.sig.fn_token.span.start().line as u32 == fn_line => Some((&f.sig, &f.block)),
                _ => None,
            }),
            Item::Trait(t) => t.items.iter().find_map(|it| match it {
                syn::TraitItem::Fn(f) if f.sig.fn_token.span.start().line as u32 == fn_line => f.default.as_ref().map(|b| (&f.sig, b)),
                _ => None,
            }),
            Item::Mod(m) => m.content.as_ref().and_then(|(_, inner)| top_level_node(inner, fn_line)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

impl FnSite {
    /// The function's text in `source` (the file it was found in), from its
    /// visibility or `fn` keyword to its closing brace.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        let index = crate::text::LineIndex::new(source);
        &source[index.offset(self.sig_start)..index.offset(self.end)]
    }
}

/// Whether two pieces of Rust source are the same tokens (whitespace and
/// comments aside). Text that does not tokenize is compared as text.
pub fn same_tokens(a: &str, b: &str) -> bool {
    match (a.parse::<proc_macro2::TokenStream>(), b.parse::<proc_macro2::TokenStream>()) {
        (Ok(a), Ok(b)) => a.to_string() == b.to_string(),
        _ => a == b,
    }
}

#[cfg(test)]
mod listing_tests {
    use super::*;

    #[test]
    fn lists_every_function_with_its_text() {
        let src = "fn a() {\n    1;\n}\nimpl S {\n    pub fn b(&self) -> u8 { 2 }\n}\nmod m {\n    fn a() {}\n}\n";
        let fns = list_functions(src).unwrap();
        let names: Vec<(String, u32)> = fns.iter().map(|f| (f.path_from_container(), f.fn_line)).collect();
        assert_eq!(names, [("a".to_string(), 1), ("<S>::b".to_string(), 5), ("a".to_string(), 8)]);
        assert_eq!(fns[1].text(src), "pub fn b(&self) -> u8 { 2 }");
        assert!(same_tokens("fn a() { 1 + 2 }", "fn a()  {\n 1+2 // sum\n}"));
        assert!(!same_tokens("fn a() { \"x y\" }", "fn a() { \"xy\" }"));
    }

    #[test]
    fn nested_fns_and_provided_methods_are_functions_of_their_own() {
        let src = "trait T {\n    fn p(&self) -> u8 {\n        1\n    }\n}\nfn outer() -> u8 {\n    let a = 1;\n    fn inner() -> u8 {\n        2\n    }\n    a + inner()\n}\n";
        let provided = find_function(src, 3).unwrap();
        assert_eq!((provided.name.as_str(), &provided.owner, provided.generic), ("p", &Owner::Trait { name: "T".into() }, true));
        assert!(provided.getter_item("g").contains("static __HB_PROVIDED"), "{}", provided.getter_item("g"));
        let bare = find_function(src, 9).unwrap();
        assert_eq!((bare.name.as_str(), bare.debuggable), ("inner", false), "the registry decides");
        // Under its own attribute (the wrapper puts it there): a function.
        let marked = src.replace("    fn inner()", "    #[debuggable] fn inner()");
        let inner = find_function(&marked, 9).unwrap();
        assert_eq!((inner.name.as_str(), inner.fn_line, inner.generic, inner.getter_inside()), ("inner", 8, false, false));
        assert!(inner.getter_item("g").contains("inner as usize"));
        assert_eq!(find_function(src, 7).unwrap().name, "outer");
        assert_eq!(find_function(src, 11).unwrap().name, "outer");
    }

    #[test]
    fn a_line_in_a_macro_body_names_the_macro() {
        let src = "mod m {\n    macro_rules! twice {\n        ($e:expr) => {\n            $e * 2\n        };\n    }\n}\n";
        let err = find_function(src, 4).unwrap_err();
        assert_eq!(err, LocateError::InMacro { line: 4, name: "twice".into() });
        assert!(err.to_string().contains("break on a line that uses `twice!`"));
        assert_eq!(find_function(src, 7).unwrap_err(), LocateError::NoFunction { line: 7 });
    }
}
