//! Replacing one function's text, for a patch.

use crate::locate::{find_function, FnSite};
use crate::text::LineIndex;

/// A patched source file.
#[derive(Debug, Clone)]
pub struct Patched {
    pub text: String,
    /// The function that was replaced (as found in the original).
    pub site: FnSite,
}

/// Replaces the function containing `line` with `new_fn` (its text from the
/// visibility or `fn` keyword to the closing brace; the original attributes
/// stay), marks it as the patch target and appends the `#[no_mangle]` entry
/// getter `getter` on the container's last line, so no user line moves.
pub fn replace_function(source: &str, line: u32, new_fn: &str, getter: &str) -> Result<Patched, String> {
    let site = find_function(source, line).map_err(|e| e.to_string())?;
    if !site.debuggable {
        return Err(format!("`{}` (line {}) is not #[debuggable]", site.name, site.fn_line));
    }
    if let Some(why) = site.unpatchable {
        return Err(format!("`{}` (line {}) cannot be patched: {why}", site.name, site.fn_line));
    }
    let index = LineIndex::new(source);
    let (start, end, container_end) = (index.offset(site.sig_start), index.offset(site.end), index.offset(site.container_end));
    let new_fn = new_fn.trim();
    let (new_fn, getter_item) = match site.getter_inside() {
        true => with_getter_in_body(new_fn, &site, getter)?,
        false => (new_fn.to_string(), site.getter_item(getter)),
    };
    let mut text = String::with_capacity(source.len() + new_fn.len() + getter_item.len() + 32);
    text.push_str(&source[..start]);
    text.push_str("#[hotbreak::__patch] ");
    text.push_str(&new_fn);
    text.push_str(&source[end..container_end]);
    if !site.getter_inside() {
        text.push_str(&getter_item);
    }
    text.push_str(&source[container_end..]);
    Ok(Patched { text, site })
}

/// The getter inserted in `new_fn`'s body, after its `{` and inner
/// attributes, on the same line (made for `new_fn`'s own signature).
fn with_getter_in_body(new_fn: &str, site: &FnSite, getter: &str) -> Result<(String, String), String> {
    let f: syn::ItemFn = syn::parse_str(new_fn).map_err(|e| format!("the new function does not parse: {e}"))?;
    let item = site.getter_item_for(getter, Some(&f.sig));
    let inner_end = f.attrs.iter().filter(|a| matches!(a.style, syn::AttrStyle::Inner(_))).map(|a| a.bracket_token.span.close().end()).max();
    let at = inner_end.unwrap_or_else(|| f.block.brace_token.span.open().end());
    let at = LineIndex::new(new_fn).offset(at);
    Ok((format!("{}{item}{}", &new_fn[..at], &new_fn[at..]), item))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "use x;\n/// Doc.\n#[hotbreak::debuggable]\npub fn a(x: u32) -> u32 {\n    x + 1\n}\n\nstruct S;\n#[hotbreak::debuggable]\nimpl S {\n    fn m(&self) -> u8 {\n        1\n    }\n}\n\nfn plain() {}\n";

    #[test]
    fn replaces_a_free_fn_and_keeps_following_lines() {
        let p = replace_function(SRC, 5, "pub fn a(x: u32) -> u32 {\n    x + 2\n}", "__hotbreak_patch_entry_1").unwrap();
        assert_eq!(p.site.name, "a");
        assert!(p.text.contains("/// Doc.\n#[hotbreak::debuggable]\n#[hotbreak::__patch] pub fn a(x: u32) -> u32 {\n    x + 2\n} #[unsafe(no_mangle)]"), "{}", p.text);
        assert!(p.text.contains("fn __hotbreak_patch_entry_1() -> usize { a as usize }\n"));
        assert_eq!(p.text.lines().count(), SRC.lines().count());
    }

    #[test]
    fn method_getter_follows_the_impl_block() {
        let p = replace_function(SRC, 12, "fn m(&self) -> u8 {\n        2\n    }", "g").unwrap();
        assert!(p.text.contains("    }\n} #[unsafe(no_mangle)] #[doc(hidden)] pub extern \"C\" fn g() -> usize { <S>::m as usize }\n"), "{}", p.text);
    }

    #[test]
    fn the_getter_names_an_impl_with_lifetimes_by_inferred_ones() {
        let src = "#[hotbreak::debuggable]\nimpl<'a> R<'a, 'static> for &'a Q<'a> {\n    fn m(&self) -> u8 {\n        1\n    }\n}\n";
        let p = replace_function(src, 4, "fn m(&self) -> u8 {\n        2\n    }", "g").unwrap();
        assert!(p.text.contains("{ <& '_ Q < '_ > as R < '_ , 'static >>::m as usize }"), "{}", p.text);
    }

    #[test]
    fn a_generic_fn_gets_its_getter_inside_its_body() {
        let src = "#[hotbreak::debuggable]\nfn g<T: Clone, const N: usize>(x: T) -> [T; N] {\n    std::array::from_fn(|_| x.clone())\n}\n";
        let p = replace_function(src, 3, "fn g<T: Clone, const N: usize>(x: T) -> [T; N] {\n    std::array::from_fn(|_| x.clone())\n}", "gt").unwrap();
        assert!(p.text.contains("-> [T; N] { #[unsafe(no_mangle)] #[doc(hidden)] pub extern \"C\" fn gt() -> usize { &__HB_HERE as *const u8 as usize }"), "{}", p.text);
        assert!(p.text.contains("static __HB_HERE: u8 = 0; \n    std::array"), "{}", p.text);
        assert!(!p.text.contains("} #[unsafe"), "{}", p.text);
        assert_eq!(p.text.lines().count(), src.lines().count());
    }

    #[test]
    fn a_method_of_a_generic_impl_gets_its_getter_inside_its_body() {
        let src = "#[hotbreak::debuggable]\nimpl<T: Copy> W<T> {\n    fn m(&self) -> T {\n        #![allow(unused)]\n        self.0\n    }\n}\n";
        let p = replace_function(src, 5, "fn m(&self) -> T {\n        #![allow(unused)]\n        self.0\n    }", "g").unwrap();
        assert!(p.text.contains("#![allow(unused)] #[unsafe(no_mangle)] #[doc(hidden)] pub extern \"C\" fn g() -> usize { &__HB_HERE"), "{}", p.text);
        assert!(!p.text.contains("} #[unsafe"), "{}", p.text);
        assert_eq!(p.text.lines().count(), src.lines().count());
    }

    #[test]
    fn cfg_attr_debuggable_counts() {
        let src = "#[cfg_attr(feature = \"dbg\", hotbreak::debuggable)]\nfn a() {\n    let x = 1;\n}\n";
        assert!(replace_function(src, 3, "fn a() {}", "g").is_ok());
    }

    #[test]
    fn refuses_lines_outside_and_functions_not_debuggable() {
        assert_eq!(replace_function(SRC, 1, "", "g").unwrap_err(), "line 1 is not inside a function");
        assert_eq!(replace_function(SRC, 16, "", "g").unwrap_err(), "`plain` (line 16) is not #[debuggable]");
    }
}
