//! How a debug build names a shim's native body: `hotbreak-macros` emits
//! these names, the tool finds a shim's slot by them (`hotbreak-hotreload`,
//! `host.rs`), and backtraces show the function instead (`debug/stop.rs`).

/// In every native body's name (and mangled symbol).
pub const NATIVE: &str = "__hotbreak_native";
/// A trait method's body: `<T as <T as Tr>::m::__HotbreakNative>::__hotbreak_native`.
const IN_TRAIT: &str = "::__HotbreakNative>::__hotbreak_native";

/// The function whose native body the demangled path `name` is, if it is one:
/// `f::__hotbreak_native` (a free fn `f`), `<T>::__hotbreak_native_m` (a
/// method of an inherent impl) or the trait form above (`<T as Tr>::m`).
pub fn shim_of(name: &str) -> Option<String> {
    if let Some(inner) = name.strip_suffix(IN_TRAIT) {
        // `<T as F`: F is the function, itself `<T as Tr>::m`.
        let inner = inner.strip_prefix('<')?;
        return inner
            .match_indices(" as ")
            .map(|(at, sep)| (&inner[..at], &inner[at + sep.len()..]))
            .find(|(self_ty, function)| function.strip_prefix('<').is_some_and(|f| f.starts_with(&format!("{self_ty} as "))))
            .map(|(_, function)| function.to_string());
    }
    if let Some(function) = name.strip_suffix(&format!("::{NATIVE}")) {
        return Some(function.to_string());
    }
    let (owner, last) = name.rsplit_once("::")?;
    let method = last.strip_prefix(NATIVE)?.strip_prefix('_')?;
    Some(format!("{owner}::{method}"))
}

/// The path of the native body of the inherent method at `function`
/// (`<T>::m` -> `<T>::__hotbreak_native_m`): a sibling, outside its path.
pub fn method_native(function: &str) -> Option<String> {
    let (owner, name) = function.rsplit_once("::")?;
    Some(format!("{owner}::{NATIVE}_{name}"))
}

#[cfg(test)]
mod tests {
    use super::{method_native, shim_of};

    #[test]
    fn each_native_body_names_its_function() {
        assert_eq!(shim_of("app::fact::__hotbreak_native").as_deref(), Some("app::fact"));
        assert_eq!(shim_of("<app::Acc>::__hotbreak_native_add").as_deref(), Some("<app::Acc>::add"));
        let in_trait = "<app::Lcg as <app::Lcg as core::iter::traits::iterator::Iterator>::next::__HotbreakNative>::__hotbreak_native";
        assert_eq!(shim_of(in_trait).as_deref(), Some("<app::Lcg as core::iter::traits::iterator::Iterator>::next"));
        // With crate hashes and generic arguments, as the host's symbols have them.
        let hashed = "<app[1f2e]::P as <app[1f2e]::P as core[9a]::convert::From<u32>>::from::__HotbreakNative>::__hotbreak_native";
        assert_eq!(shim_of(hashed).as_deref(), Some("<app[1f2e]::P as core[9a]::convert::From<u32>>::from"));
        assert_eq!(shim_of("app::fact"), None);
        assert_eq!(shim_of("app::__hotbreak_nativeish"), None);
        let sibling = method_native("<app::Acc>::add").unwrap();
        assert_eq!(shim_of(&sibling).as_deref(), Some("<app::Acc>::add"));
    }
}
