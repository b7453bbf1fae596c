//! Functions and impls as the attribute reads them: attributes, signatures
//! and impl headers parsed by syn, function bodies kept as the compiler's
//! opaque token streams.
//!
//! A body is most of an item's tokens, and the expansion only inserts
//! items before its statements or moves it whole. Giving a body to syn at
//! all (even to skip it) walks every one of its tokens across the bridge
//! to the compiler, and parsing and printing every statement again was
//! most of the expansion's cost. So the item is split at its top level
//! first, and syn sees only what comes before a body.
//!
//! Anything these readers do not recognise gets `None`: the caller then
//! parses the whole item with syn, as for any other item.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, TokenStreamExt};
use syn::parse::{ParseStream, Parser};
use syn::{token, AttrStyle, Attribute, ImplItem, ItemImpl, Signature, Token, Visibility};

/// A `fn` with a body: a free fn or a method.
#[derive(Clone)]
pub struct Func {
    /// Outer attributes; the body's inner ones are in `body`.
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub defaultness: Option<Token![default]>,
    pub sig: Signature,
    pub body: Body,
}

/// `{ #![inner] statements }`, the statements untouched.
#[derive(Clone)]
pub struct Body {
    pub inner_attrs: Vec<Attribute>,
    pub stmts: TokenStream,
    /// The braces as written: their spans stay the body's.
    brace: token::Brace,
}

/// An impl block: syn's header (no items) and its members.
pub struct Impl {
    /// Outer and inner attributes, generics, trait, self type.
    pub header: ItemImpl,
    pub members: Vec<Member>,
}

pub enum Member {
    Fn(Box<Func>),
    /// A const, a type, a macro, a bodiless fn: parsed by syn, left alone.
    Other(Box<ImplItem>),
    /// What the expansion made of a method.
    Verbatim(TokenStream),
}

pub enum Parsed {
    Fn(Box<Func>),
    Impl(Box<Impl>),
}

/// `item` as a function or an impl, bodies unread.
pub fn parse(item: TokenStream) -> Option<Parsed> {
    let mut trees: Vec<TokenTree> = item.into_iter().collect();
    let body = match trees.pop() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g,
        _ => return None,
    };
    match keyword(&trees, false)? {
        Keyword::Fn => {
            let (attrs, vis, defaultness, sig) = header_of_fn(&trees, false)?;
            Some(Parsed::Fn(Box::new(Func { attrs, vis, defaultness, sig, body: Body::new(body)? })))
        }
        Keyword::Impl => {
            // syn reads the header with an empty body of the same span.
            let mut empty = Group::new(Delimiter::Brace, TokenStream::new());
            empty.set_span(body.span());
            trees.push(TokenTree::Group(empty));
            let mut header: ItemImpl = syn::parse2(trees.into_iter().collect()).ok()?;
            let (inner, members) = members(body.stream())?;
            header.attrs.extend(inner);
            Some(Parsed::Impl(Box::new(Impl { header, members })))
        }
    }
}

/// The same from items syn has read whole: an inline mod's (syn reads a
/// mod whole anyway). Their spans are the ones written.
pub fn from_syn(item: syn::Item) -> Option<Parsed> {
    match item {
        syn::Item::Fn(f) => Some(Parsed::Fn(Box::new(Func::from_syn(f.attrs, f.vis, None, f.sig, *f.block)))),
        syn::Item::Impl(mut header) => {
            let members = std::mem::take(&mut header.items)
                .into_iter()
                .map(|item| match item {
                    ImplItem::Fn(f) => Member::Fn(Box::new(Func::from_syn(f.attrs, f.vis, f.defaultness, f.sig, f.block))),
                    other => Member::Other(Box::new(other)),
                })
                .collect();
            Some(Parsed::Impl(Box::new(Impl { header, members })))
        }
        _ => None,
    }
}

impl Func {
    pub(crate) fn from_syn(attrs: Vec<Attribute>, vis: Visibility, defaultness: Option<Token![default]>, sig: Signature, block: syn::Block) -> Func {
        let (inner_attrs, attrs) = attrs.into_iter().partition(|a| matches!(a.style, AttrStyle::Inner(_)));
        let stmts = block.stmts.iter().map(ToTokens::to_token_stream).collect();
        Func { attrs, vis, defaultness, sig, body: Body { inner_attrs, stmts, brace: block.brace_token } }
    }
}

enum Keyword {
    Fn,
    Impl,
}

/// What the item is, from its first keyword past attributes, visibility
/// and qualifiers. `member`: inside an impl, which holds no impl.
fn keyword(trees: &[TokenTree], member: bool) -> Option<Keyword> {
    let mut i = 0;
    while is_punct(trees.get(i), '#') && matches!(trees.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket) {
        i += 2;
    }
    if is_ident(trees.get(i), "pub") {
        i += 1;
        if matches!(trees.get(i), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis) {
            i += 1;
        }
    }
    loop {
        match trees.get(i)? {
            TokenTree::Ident(id) if id == "fn" => return Some(Keyword::Fn),
            TokenTree::Ident(id) if id == "impl" && !member => return Some(Keyword::Impl),
            TokenTree::Ident(id) if ["default", "const", "async", "unsafe", "extern", "safe"].iter().any(|q| id == q) => {}
            // An ABI: `extern "C"`.
            TokenTree::Literal(_) => {}
            _ => return None,
        }
        i += 1;
    }
}

type Header = (Vec<Attribute>, Visibility, Option<Token![default]>, Signature);

/// `attrs vis default? sig`, all of `trees`.
fn header_of_fn(trees: &[TokenTree], member: bool) -> Option<Header> {
    let parser = |input: ParseStream| {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let defaultness = if member { input.parse()? } else { None };
        let sig: Signature = input.parse()?;
        Ok((attrs, vis, defaultness, sig))
    };
    parser.parse2(trees.iter().cloned().collect()).ok()
}

impl Body {
    /// `None` when its inner attributes are not attributes to syn.
    fn new(group: Group) -> Option<Body> {
        // Only the top level is fetched: groups inside stay handles.
        let trees: Vec<TokenTree> = group.stream().into_iter().collect();
        let mut at = 0;
        // `# ! [..]` at the top: the body's inner attributes.
        while is_inner_attr(&trees[at..]) {
            at += 3;
        }
        if at == 0 {
            // Untouched: the compiler's own stream.
            return Some(Body { inner_attrs: Vec::new(), stmts: group.stream(), brace: token::Brace(group.delim_span()) });
        }
        let inner_attrs = Attribute::parse_inner.parse2(trees[..at].iter().cloned().collect()).ok()?;
        Some(Body { inner_attrs, stmts: trees[at..].iter().cloned().collect(), brace: token::Brace(group.delim_span()) })
    }

    /// Statements (or items) before the user's, after the inner attributes.
    pub fn prepend(&mut self, tokens: TokenStream) {
        let mut stmts = tokens;
        stmts.extend(std::mem::take(&mut self.stmts));
        self.stmts = stmts;
    }

    /// The line of the closing brace.
    pub fn last_line(&self) -> u32 {
        self.brace.span.close().start().line as u32
    }
}

impl ToTokens for Body {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.brace.surround(tokens, |inside| {
            inside.append_all(&self.inner_attrs);
            inside.extend(self.stmts.clone());
        });
    }
}

impl ToTokens for Func {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.append_all(self.attrs.iter().filter(|a| matches!(a.style, AttrStyle::Outer)));
        self.vis.to_tokens(tokens);
        self.defaultness.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

impl ToTokens for Impl {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let mut header = self.header.clone();
        header.items = self
            .members
            .iter()
            .map(|m| match m {
                Member::Fn(f) => ImplItem::Verbatim(f.to_token_stream()),
                Member::Other(item) => (**item).clone(),
                Member::Verbatim(t) => ImplItem::Verbatim(t.clone()),
            })
            .collect();
        header.to_tokens(tokens);
    }
}

/// An impl body: its inner attributes and members. A member ends at a
/// top-level `;` or brace group where syn reads it whole (a method: its
/// header, up to the brace group that is its body; a const may hold a
/// block, a return type `Foo<{ N }>`).
fn members(body: TokenStream) -> Option<(Vec<Attribute>, Vec<Member>)> {
    let trees: Vec<TokenTree> = body.into_iter().collect();
    let mut start = 0;
    while is_inner_attr(&trees[start..]) {
        start += 3;
    }
    let inner = Attribute::parse_inner.parse2(trees[..start].iter().cloned().collect()).ok()?;
    let mut members = Vec::new();
    while start < trees.len() {
        let is_fn = matches!(keyword(&trees[start..], true), Some(Keyword::Fn));
        let (member, end) = (start..trees.len()).find_map(|end| {
            let member = match &trees[end] {
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && is_fn => {
                    let (attrs, vis, defaultness, sig) = header_of_fn(&trees[start..end], true)?;
                    Member::Fn(Box::new(Func { attrs, vis, defaultness, sig, body: Body::new(g.clone())? }))
                }
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => Member::Other(whole(&trees[start..=end])?),
                TokenTree::Punct(p) if p.as_char() == ';' => Member::Other(whole(&trees[start..=end])?),
                _ => return None,
            };
            Some((member, end))
        })?;
        members.push(member);
        start = end + 1;
    }
    Some((inner, members))
}

/// One impl item, all of `trees`.
fn whole(trees: &[TokenTree]) -> Option<Box<ImplItem>> {
    syn::parse2(trees.iter().cloned().collect()).ok().map(Box::new)
}

fn is_inner_attr(trees: &[TokenTree]) -> bool {
    is_punct(trees.first(), '#')
        && is_punct(trees.get(1), '!')
        && matches!(trees.get(2), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket)
}

fn is_punct(tree: Option<&TokenTree>, c: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn is_ident(tree: Option<&TokenTree>, name: &str) -> bool {
    matches!(tree, Some(TokenTree::Ident(i)) if i == name)
}

#[cfg(test)]
mod tests {
    use super::{parse, Member, Parsed};

    fn members(src: &str) -> Vec<String> {
        let Some(Parsed::Impl(imp)) = parse(src.parse().unwrap()) else { panic!("not an impl: {src}") };
        imp.members
            .iter()
            .map(|m| match m {
                Member::Fn(f) => format!("fn {}", f.sig.ident),
                Member::Other(_) => "other".into(),
                Member::Verbatim(_) => "verbatim".into(),
            })
            .collect()
    }

    #[test]
    fn impl_members_end_where_syn_reads_them_whole() {
        let src = "impl S { #![allow(dead_code)] const K: u8 = { 1 } + 1; fn f() -> A<{ 3 }> where B<{ 4 }>: C { 0 } \
                   m! { x } n!(y); type T = u8; pub(crate) unsafe extern \"C\" fn g(&self) {} fn h(); }";
        assert_eq!(members(src), ["other", "fn f", "other", "other", "other", "fn g", "other"]);
    }

    #[test]
    fn a_body_keeps_its_inner_attributes_first() {
        let Some(Parsed::Fn(mut f)) = parse("fn f() { #![allow(unused)] let x = 1; }".parse().unwrap()) else { panic!() };
        f.body.prepend("let y = 2;".parse().unwrap());
        let out = quote::ToTokens::to_token_stream(&*f).to_string();
        assert_eq!(out, "fn f () { # ! [allow (unused)] let y = 2 ; let x = 1 ; }");
    }

    #[test]
    fn other_items_are_left_to_syn() {
        for src in ["struct S;", "mod m { fn f() {} }", "fn f();", "trait T { fn f() {} }", "default fn f() {}"] {
            assert!(parse(src.parse().unwrap()).is_none(), "{src}");
        }
    }
}
