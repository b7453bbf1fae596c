//! Type names: DWARF's spelling vs `std::any::type_name`'s.

/// Default generic arguments rustc writes into DWARF names but
/// `type_name` leaves out.
const DEFAULTS: &[&str] = &[
    ", alloc::alloc::Global>",
    ", std::hash::random::RandomState>",
];

/// DWARF's name as `type_name` would print it: trailing default
/// allocator/hasher arguments dropped (`Vec<T, Global>` -> `Vec<T>`).
pub(crate) fn normalize(name: &str) -> String {
    let mut s = name.to_string();
    loop {
        let before = s.len();
        for d in DEFAULTS {
            s = s.replace(d, ">");
        }
        if s.len() == before {
            return s;
        }
    }
}

/// What a lookup compares: `normalize` without spaces, so `(i32,bool)` and
/// `(i32, bool)` meet.
pub(crate) fn key(name: &str) -> String {
    normalize(name)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The name Debug prints for a struct: its last path segment without
/// generic arguments (`alloc::vec::Vec<u8>` -> `Vec`).
pub(crate) fn head(name: &str) -> &str {
    let no_generics = match name.find('<') {
        Some(i) => &name[..i],
        None => name,
    };
    match no_generics.rfind("::") {
        Some(i) => &no_generics[i + 2..],
        None => no_generics,
    }
}

/// The first top-level generic argument of `Foo<A, B>` (`A`).
pub(crate) fn first_arg(name: &str) -> Option<&str> {
    let open = name.find('<')?;
    let mut depth = 0usize;
    let mut prev = ' ';
    for (i, c) in name[open..].char_indices() {
        let arrow = prev == '-' && c == '>'; // `fn() -> T`
        prev = c;
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' if !arrow => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(&name[open + 1..open + i]);
                }
            }
            ',' if depth == 1 => return Some(&name[open + 1..open + i]),
            _ => {}
        }
    }
    None
}

/// `T` in a marker subprogram's name `type_marker<T>`.
pub(crate) fn marker_arg(subprogram: &str) -> Option<&str> {
    let s = subprogram.strip_prefix("type_marker<")?;
    s.strip_suffix('>')
}

/// Types rustc describes only by their element (`str` and `[T]` as `u8`
/// and `T`, `dyn Trait` as nothing): no DIE stands for them.
pub(crate) fn is_unsized(name: &str) -> bool {
    name == "str" || name.starts_with('[') && !name.contains(';') || name.starts_with("dyn ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_go() {
        assert_eq!(
            normalize("alloc::vec::Vec<s::Pair, alloc::alloc::Global>"),
            "alloc::vec::Vec<s::Pair>"
        );
        assert_eq!(
            normalize("HashMap<u8, Vec<u8, alloc::alloc::Global>, std::hash::random::RandomState, alloc::alloc::Global>"),
            "HashMap<u8, Vec<u8>>"
        );
        assert_eq!(head("alloc::vec::Vec<a::B<c::D>>"), "Vec");
        assert_eq!(first_arg("Rc<(u8, i8), Global>"), Some("(u8, i8)"));
        assert_eq!(first_arg("PhantomData<fn() -> u8>"), Some("fn() -> u8"));
        assert_eq!(first_arg("Broken<a>>, b>"), Some("a"));
        assert!(is_unsized("[u8]") && !is_unsized("[u8; 3]") && is_unsized("str"));
    }
}
