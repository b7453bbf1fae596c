//! Registry look-ups shared by the shape tests.
#![allow(dead_code)]

use hotbreak::{functions, FnInfo};

/// The one entry whose key is `key`, or else `<crate>::<key>`.
pub fn entry(key: &str) -> &'static FnInfo {
    let exact = functions().iter().any(|f| f.key == key);
    let matches: Vec<_> = functions().iter().filter(|f| if exact { f.key == key } else { f.key.split_once("::").is_some_and(|(_, k)| k == key) }).collect();
    assert_eq!(matches.len(), 1, "{key}: {:#?}", functions().iter().map(|f| f.key).collect::<Vec<_>>());
    matches[0]
}

pub fn assert_patchable(key: &str) {
    let f = entry(key);
    assert!(f.slot.is_some() && f.unpatchable.is_none(), "{key}: {f:?}");
}

pub fn assert_unpatchable(key: &str, why: &str) {
    let f = entry(key);
    assert!(f.slot.is_none(), "{key} must have no slot");
    assert_eq!(f.unpatchable, Some(why), "{key}");
}

pub fn assert_absent(key: &str) {
    assert!(!functions().iter().any(|f| f.key.ends_with(key)), "{key} is registered");
}
