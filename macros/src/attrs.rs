//! What a function's (or its impl's) attributes allow us to do with it.
//!
//! The attribute may sit on code nobody wrote for hotbreak, beside other
//! attribute macros. An attribute rustc does not know is taken for a macro:
//! it runs on our output, which it may not expect (it may copy the body,
//! read the parameters' attributes, list the impl's methods), so such a
//! function is left exactly as written.

use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

/// Attributes rustc itself understands on a `fn` or an `impl`.
const BUILTIN: [&str; 37] = [
    "allow", "warn", "deny", "forbid", "expect", "cfg", "cfg_attr", "doc", "deprecated", "must_use", "inline", "cold",
    "optimize", "coverage", "test", "ignore", "should_panic", "bench", "track_caller", "no_mangle", "export_name",
    "link_section", "link_name", "linkage", "used", "target_feature", "naked", "instruction_set", "unsafe",
    "automatically_derived", "panic_handler", "proc_macro", "proc_macro_derive", "proc_macro_attribute",
    "no_builtins", "collapse_debuginfo", "rustc_const_stable",
];

/// Attribute namespaces of tools (`#[rustfmt::skip]`), never macros.
const TOOLS: [&str; 5] = ["rustfmt", "clippy", "diagnostic", "rust_analyzer", "rustdoc"];

/// Attributes that tie the function's own symbol or calling context to its
/// body: such a function keeps its in-body check, never a shim.
const PINNED: [&str; 7] = ["track_caller", "no_mangle", "export_name", "link_section", "target_feature", "naked", "linkage"];

/// Attributes that shape the body's code: on a shim they move to the native body.
pub const CODEGEN: [&str; 3] = ["inline", "cold", "optimize"];

/// Our own attributes: the outer one covers the inner ones.
const OURS: [&str; 2] = ["debuggable", "__patch"];

/// One attribute's meaning here, `cfg_attr` and `unsafe(..)` looked through.
#[derive(Default)]
pub struct Reading {
    /// The first attribute that may be a macro, as written (`tokio::main`).
    pub foreign_macro: Option<String>,
    /// The code must stay as written (`naked`): no check, no static inside.
    pub untouchable: bool,
    /// A shim would change the function's symbol or caller.
    pub pinned: bool,
    /// A codegen attribute behind `cfg_attr`, which cannot be moved.
    pub hidden_codegen: bool,
    /// A proc macro's entry point: runs inside the compiler, not the program.
    pub proc_macro: bool,
}

pub fn read<'a>(attrs: impl IntoIterator<Item = &'a Attribute>) -> Reading {
    let mut reading = Reading::default();
    for attr in attrs {
        reading.meta(&attr.meta, false);
    }
    reading
}

impl Reading {
    fn meta(&mut self, meta: &Meta, behind_cfg_attr: bool) {
        let path = meta.path();
        let Some(first) = path.segments.first().map(|s| s.ident.to_string()) else { return };
        let last = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if OURS.contains(&last.as_str()) {
            return;
        }
        if path.segments.len() > 1 {
            if !TOOLS.contains(&first.as_str()) {
                self.foreign(meta);
            }
            return;
        }
        match first.as_str() {
            "cfg_attr" | "unsafe" => {
                let Meta::List(list) = meta else { return self.foreign(meta) };
                let Ok(inner) = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) else {
                    return self.foreign(meta);
                };
                // `cfg_attr`'s first argument is its predicate.
                let skip = usize::from(first == "cfg_attr");
                for m in inner.iter().skip(skip) {
                    self.meta(m, behind_cfg_attr || first == "cfg_attr");
                }
            }
            name if !BUILTIN.contains(&name) => self.foreign(meta),
            "naked" => self.untouchable = true,
            name if name.starts_with("proc_macro") => self.proc_macro = true,
            name => {
                self.pinned |= PINNED.contains(&name);
                self.hidden_codegen |= behind_cfg_attr && CODEGEN.contains(&name);
            }
        }
    }

    fn foreign(&mut self, meta: &Meta) {
        if self.foreign_macro.is_none() {
            let path = meta.path();
            let text = path.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::");
            self.foreign_macro = Some(text);
        }
    }

    /// Why a function with these attributes (its own and its impl's) cannot
    /// be patched, if so.
    pub fn reason(&self) -> Option<String> {
        if let Some(name) = &self.foreign_macro {
            return Some(format!("under the attribute macro #[{name}]"));
        }
        if self.untouchable {
            return Some("naked fn".into());
        }
        if self.proc_macro {
            return Some("proc macro entry point".into());
        }
        None
    }
}
