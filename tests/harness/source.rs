//! What a crate's sources say, read with syn apart from hotbreak's rewriter
//! (which is what is checked): the files of one crate (its module tree,
//! `cfg` decided for this build), its functions, and for each of their
//! lines whether a statement starts there.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::{self, Visit};
use syn::{Attribute, Block, FnArg, GenericParam, Generics, ImplItem, Item, ReturnType, Signature, Stmt, TraitItem};

/// The `cfg` of one crate of the build.
#[derive(Debug, Clone)]
pub struct Cfg {
    pub test: bool,
    pub features: BTreeSet<String>,
}

impl Cfg {
    /// `Some(on)` when the predicate is decided here; `None` for those
    /// this harness does not know (their items are left out of the sample).
    fn eval(&self, meta: &syn::Meta) -> Option<bool> {
        let name = meta.path().get_ident().map(|i| i.to_string()).unwrap_or_default();
        match meta {
            syn::Meta::Path(_) => match name.as_str() {
                "test" => Some(self.test),
                "debug_assertions" | "unix" | "panic_unwind" => Some(true),
                "windows" | "miri" | "doc" | "doctest" | "docsrs" | "loom" | "fuzzing" => Some(false),
                _ => None,
            },
            syn::Meta::NameValue(nv) => {
                let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(value), .. }) = &nv.value else { return None };
                let value = value.value();
                match name.as_str() {
                    "feature" => Some(self.features.contains(&value)),
                    "target_os" => Some(value == "linux"),
                    "target_family" => Some(value == "unix"),
                    "target_arch" => Some(value == "x86_64"),
                    "target_pointer_width" => Some(value == "64"),
                    "target_endian" => Some(value == "little"),
                    "target_env" => Some(value == "gnu"),
                    "target_vendor" => Some(value == "unknown"),
                    "panic" => Some(value == "unwind"),
                    "target_has_atomic" => Some(["8", "16", "32", "64", "ptr"].contains(&value.as_str())),
                    _ => None,
                }
            }
            syn::Meta::List(list) => {
                let args = list.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated).ok()?;
                let values: Vec<Option<bool>> = args.iter().map(|m| self.eval(m)).collect();
                match name.as_str() {
                    "not" if values.len() == 1 => values[0].map(|v| !v),
                    // Decided by any known `true` (`any`) or `false` (`all`).
                    "any" if values.contains(&Some(true)) => Some(true),
                    "any" => values.iter().all(Option::is_some).then_some(false),
                    "all" if values.contains(&Some(false)) => Some(false),
                    "all" => values.iter().all(Option::is_some).then_some(true),
                    _ => None,
                }
            }
        }
    }

    /// Whether an item with these attributes is compiled: `None` when a
    /// `cfg` of it cannot be decided.
    fn keeps(&self, attrs: &[Attribute]) -> Option<bool> {
        let mut keep = true;
        for a in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
            let meta: syn::Meta = a.parse_args().ok()?;
            keep &= self.eval(&meta)?;
        }
        Some(keep)
    }
}

/// One function of the crate, with what a debugger user sees of its lines.
#[derive(Debug, Clone)]
pub struct Function {
    /// Relative to the package root, `/`-separated (as rustc names it).
    pub file: String,
    pub name: String,
    pub fn_line: u32,
    pub last_line: u32,
    /// Why hotbreak documents it cannot patch such a function
    /// (ARCHITECTURE.md): generic, `const`, `async`, `impl Trait`.
    pub unpatchable: Option<&'static str>,
    /// Lines where a statement, or a match arm's expression, begins (its
    /// first token after attributes), at any depth but outside nested
    /// items and macro calls.
    pub statements: BTreeSet<u32>,
    /// Match arms whose pattern tests something (not `_` or a bare
    /// binding) on the line their expression starts: gdb stopping there
    /// may be the test of an arm that is not taken (vte's `0x20..=0x2F =>
    /// self.action_collect(byte)`), so it does not tell that the arm ran.
    pub tested: BTreeSet<u32>,
    /// Lines of items nested in the body: other functions' lines.
    pub nested: Vec<(u32, u32)>,
    /// Lines holding any token but brackets, `;` and `,`: the others have
    /// no code at all.
    pub code: BTreeSet<u32>,
}

impl Function {
    /// The lines to try a log point on: the function's own, from its `fn`
    /// line to its closing brace.
    pub fn own_lines(&self) -> impl Iterator<Item = u32> + '_ {
        (self.fn_line..=self.last_line).filter(|l| !self.nested.iter().any(|(a, b)| (a..=b).contains(&l)))
    }
}

/// The functions of the crate rooted at `root` (relative to `package`),
/// following `mod` declarations as rustc does, with `cfg` decided by `cfg`.
/// Items under a `cfg` this harness cannot decide are left out.
pub fn crate_functions(package: &Path, root: &str, cfg: &Cfg) -> Result<Vec<Function>, String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let root_path = package.join(root);
    let dir = root_path.parent().unwrap().to_path_buf();
    walk_file(package, &root_path, &dir, cfg, &mut out, &mut seen)?;
    Ok(out)
}

fn walk_file(package: &Path, path: &Path, mod_dir: &Path, cfg: &Cfg, out: &mut Vec<Function>, seen: &mut BTreeSet<PathBuf>) -> Result<(), String> {
    if !seen.insert(path.to_path_buf()) {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = syn::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if cfg.keeps(&file.attrs) != Some(true) {
        return Ok(());
    }
    let rel = path.strip_prefix(package).unwrap().to_string_lossy().replace('\\', "/");
    let mut walker = Items { package, file: rel, file_dir: path.parent().unwrap().to_path_buf(), cfg, out, seen };
    walker.items(&file.items, mod_dir)
}

struct Items<'a> {
    package: &'a Path,
    file: String,
    file_dir: PathBuf,
    cfg: &'a Cfg,
    out: &'a mut Vec<Function>,
    seen: &'a mut BTreeSet<PathBuf>,
}

impl Items<'_> {
    /// `mod_dir`: where `mod x;` here looks for `x.rs` and `x/mod.rs`.
    fn items(&mut self, items: &[Item], mod_dir: &Path) -> Result<(), String> {
        for item in items {
            self.item(item, mod_dir)?;
        }
        Ok(())
    }

    fn item(&mut self, item: &Item, mod_dir: &Path) -> Result<(), String> {
        let attrs: &[Attribute] = match item {
            Item::Fn(f) => &f.attrs,
            Item::Impl(i) => &i.attrs,
            Item::Trait(t) => &t.attrs,
            Item::Mod(m) => &m.attrs,
            _ => return Ok(()),
        };
        if self.cfg.keeps(attrs) != Some(true) {
            return Ok(());
        }
        match item {
            Item::Fn(f) => self.function(&f.sig, &f.block, false),
            Item::Impl(imp) => {
                let generic = has_type_params(&imp.generics);
                for it in &imp.items {
                    if let ImplItem::Fn(f) = it {
                        if self.cfg.keeps(&f.attrs) == Some(true) {
                            self.function(&f.sig, &f.block, generic)?;
                        }
                    }
                }
                Ok(())
            }
            Item::Trait(t) => {
                for it in &t.items {
                    if let TraitItem::Fn(f) = it {
                        if let (Some(block), Some(true)) = (&f.default, self.cfg.keeps(&f.attrs)) {
                            // One instance per implementor that keeps it.
                            self.function(&f.sig, block, true)?;
                        }
                    }
                }
                Ok(())
            }
            Item::Mod(m) => {
                let name = m.ident.to_string();
                let path_attr = m.attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
                    syn::Meta::NameValue(syn::MetaNameValue { value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }), .. }) => Some(s.value()),
                    _ => None,
                });
                match &m.content {
                    Some((_, inner)) => {
                        let dir = match &path_attr {
                            Some(p) => mod_dir.join(p),
                            None => mod_dir.join(&name),
                        };
                        self.items(inner, &dir)
                    }
                    None => {
                        let (file, dir) = match path_attr {
                            // Relative to the declaring file's directory.
                            Some(p) => {
                                let file = self.file_dir.join(p);
                                let dir = file.parent().unwrap().to_path_buf();
                                (file, dir)
                            }
                            None => {
                                let flat = mod_dir.join(format!("{name}.rs"));
                                if flat.exists() {
                                    (flat, mod_dir.join(&name))
                                } else {
                                    (mod_dir.join(&name).join("mod.rs"), mod_dir.join(&name))
                                }
                            }
                        };
                        walk_file(self.package, &file, &dir, self.cfg, self.out, self.seen)
                    }
                }
            }
            _ => Ok(()),
        }
    }

    fn function(&mut self, sig: &Signature, block: &Block, impl_generic: bool) -> Result<(), String> {
        self.function_as(sig, block, unpatchable(sig, impl_generic))
    }

    /// A function whose shape hotbreak refuses (`not_yet`) or not.
    fn function_as(&mut self, sig: &Signature, block: &Block, not_yet: Option<&'static str>) -> Result<(), String> {
        let mut lines = Lines::default();
        lines.visit_block(block);
        let mut code = BTreeSet::new();
        code_lines(sig.to_token_stream().into_iter().chain(block.to_token_stream()), &mut code);
        self.out.push(Function {
            file: self.file.clone(),
            name: sig.ident.to_string(),
            fn_line: sig.fn_token.span.start().line as u32,
            last_line: block.brace_token.span.close().end().line as u32,
            unpatchable: not_yet,
            statements: lines.statements,
            tested: lines.tested,
            nested: lines.nested.iter().map(|(a, b)| (*a, *b)).collect(),
            code,
        });
        // Items nested in the body are functions too.
        for item in lines.items {
            match &item {
                // A function of its own, under its own attribute.
                Item::Fn(f) if self.cfg.keeps(&f.attrs) == Some(true) => self.function(&f.sig, &f.block, false)?,
                _ => {}
            }
        }
        Ok(())
    }
}

fn has_type_params(generics: &Generics) -> bool {
    generics.params.iter().any(|p| !matches!(p, GenericParam::Lifetime(_)))
}

/// The shapes ARCHITECTURE.md says hotbreak cannot patch yet. Generic
/// functions, methods of generic impls, provided methods and `impl Trait`
/// are patchable (instances), unless the armed path cannot call them: more
/// than 12 arguments, another ABI, `-> !`.
fn unpatchable(sig: &Signature, has_instances: bool) -> Option<&'static str> {
    let impl_trait = |ty: &syn::Type| ty.to_token_stream().into_iter().any(|t| impl_inside(&t));
    let impl_arg = sig.inputs.iter().any(|a| matches!(a, FnArg::Typed(t) if impl_trait(&t.ty)));
    let returns_impl = matches!(&sig.output, ReturnType::Type(_, t) if impl_trait(t));
    let generic = has_instances || has_type_params(&sig.generics) || impl_arg;
    let rust_abi = sig.abi.as_ref().is_none_or(|abi| abi.name.as_ref().is_some_and(|n| n.value() == "Rust"));
    let callable = rust_abi && sig.inputs.len() <= 12 && !matches!(&sig.output, ReturnType::Type(_, t) if matches!(**t, syn::Type::Never(_)));
    if sig.constness.is_some() {
        Some("const fn")
    } else if sig.asyncness.is_some() {
        Some("async fn")
    } else if sig.variadic.is_some() {
        Some("variadic fn")
    } else if (generic || returns_impl) && !callable {
        Some("generic fn the armed path cannot call")
    } else if sig.inputs.iter().any(|a| {
        let attrs = match a {
            FnArg::Typed(t) => &t.attrs,
            FnArg::Receiver(r) => &r.attrs,
        };
        attrs.iter().any(|a| !["allow", "warn", "deny", "forbid", "expect"].iter().any(|l| a.path().is_ident(l)))
    }) {
        Some("attribute on a parameter")
    } else {
        None
    }
}

fn impl_inside(t: &TokenTree) -> bool {
    match t {
        TokenTree::Ident(i) => i == "impl",
        TokenTree::Group(g) => g.stream().into_iter().any(|t| impl_inside(&t)),
        _ => false,
    }
}

/// Adds the line of every token but brackets, `;` and `,`.
fn code_lines(tokens: impl IntoIterator<Item = TokenTree>, out: &mut BTreeSet<u32>) {
    for t in tokens {
        match t {
            TokenTree::Group(g) => code_lines(g.stream(), out),
            TokenTree::Punct(p) if matches!(p.as_char(), ';' | ',') => {}
            // A string literal may span lines.
            t => out.extend(t.span().start().line as u32..=t.span().end().line as u32),
        }
    }
}

/// The line of a node's first token after its outer attributes: where a
/// reader sees it start.
fn first_line(tokens: TokenStream) -> Option<u32> {
    let mut iter = tokens.into_iter().peekable();
    while let Some(t) = iter.next() {
        if matches!(&t, TokenTree::Punct(p) if p.as_char() == '#') && matches!(iter.peek(), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Bracket)
        {
            iter.next();
            continue;
        }
        return Some(t.span().start().line as u32);
    }
    None
}

/// The statement lines of a body, and the items nested in it.
#[derive(Default)]
struct Lines {
    statements: BTreeSet<u32>,
    tested: BTreeSet<u32>,
    nested: BTreeMap<u32, u32>,
    items: Vec<Item>,
}

impl<'ast> Visit<'ast> for Lines {
    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        if let Stmt::Item(item) = stmt {
            let tokens = item.to_token_stream();
            let span = tokens.clone().into_iter().fold(None, |acc: Option<(u32, u32)>, t| {
                let (a, b) = (t.span().start().line as u32, t.span().end().line as u32);
                Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
            });
            if let Some((a, b)) = span {
                self.nested.insert(a, b);
            }
            self.items.push(item.clone());
            return;
        }
        if let Some(line) = first_line(stmt.to_token_stream()) {
            self.statements.insert(line);
        }
        visit::visit_stmt(self, stmt);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if !matches!(&*arm.body, syn::Expr::Block(b) if b.label.is_none() && b.attrs.is_empty()) {
            if let Some(line) = first_line(arm.body.to_token_stream()) {
                self.statements.insert(line);
                let binds_only = match &arm.pat {
                    syn::Pat::Wild(_) => true,
                    syn::Pat::Ident(i) => i.subpat.is_none(),
                    _ => false,
                };
                if !binds_only && first_line(arm.pat.to_token_stream()) == Some(line) {
                    self.tested.insert(line);
                }
            }
        }
        visit::visit_arm(self, arm);
    }

    // Items are walked as functions of their own.
    fn visit_item(&mut self, _: &'ast Item) {}
}
