//! Which names a pattern binds.

use syn::{FnArg, Pat, Signature};

/// A name a pattern binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    /// Bound `mut` (`mut x`, `mut self`): assignable.
    pub mutable: bool,
}

/// Bindings of `pat`, in order. Single identifiers that start with an
/// uppercase letter are taken for unit structs, consts or variants (`None`).
pub fn bindings(pat: &Pat, out: &mut Vec<Binding>) {
    match pat {
        Pat::Ident(p) => {
            let name = p.ident.to_string();
            if !name.starts_with(|c: char| c.is_uppercase()) {
                // `ref mut x` binds a `&mut`, itself not assignable.
                out.push(Binding { name, mutable: p.mutability.is_some() && p.by_ref.is_none() });
            }
            if let Some((_, sub)) = &p.subpat {
                bindings(sub, out);
            }
        }
        Pat::Tuple(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Slice(s) => s.elems.iter().for_each(|p| bindings(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| bindings(&f.pat, out)),
        Pat::Reference(r) => bindings(&r.pat, out),
        Pat::Paren(p) => bindings(&p.pat, out),
        Pat::Type(t) => bindings(&t.pat, out),
        // Every alternative binds the same names.
        Pat::Or(o) => {
            if let Some(first) = o.cases.first() {
                bindings(first, out)
            }
        }
        _ => {}
    }
}

/// Names a function's parameters bind, `self` included.
pub fn parameters(sig: &Signature) -> Vec<Binding> {
    let mut out = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(r) => out.push(Binding { name: "self".to_string(), mutable: r.mutability.is_some() && r.reference.is_none() }),
            FnArg::Typed(t) => bindings(&t.pat, &mut out),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<String> {
        let stmt: syn::Stmt = syn::parse_str(&format!("let {src} = todo!();")).unwrap();
        let syn::Stmt::Local(local) = stmt else { panic!() };
        let mut out = Vec::new();
        bindings(&local.pat, &mut out);
        out.into_iter().map(|b| if b.mutable { format!("mut {}", b.name) } else { b.name }).collect()
    }

    #[test]
    fn patterns_bind_what_rust_binds() {
        assert_eq!(names("(a, mut b)"), ["a", "mut b"]);
        assert_eq!(names("(ref mut r, mut s @ 1..)"), ["r", "mut s"]);
        assert_eq!(names("Point { x, y: ref yy, .. }"), ["x", "yy"]);
        assert_eq!(names("&(ref a, [b, .., c])"), ["a", "b", "c"]);
        assert_eq!(names("whole @ Some(inner)"), ["whole", "inner"]);
        assert_eq!(names("None"), Vec::<String>::new());
        assert_eq!(names("(x, _, 3..=4): (u8, u8, u8)"), ["x"]);
    }
}
