//! The layout of a function's return type, as text two builds can compare.
//!
//! A function returning `impl Trait` returns a hidden type that the patch
//! and the program each infer from their own body; the program's callers
//! are compiled for the program's. A patch whose hidden type differs (an
//! edit that returns another iterator adapter, or a closure capturing
//! other values) must never run. The debug info of both names the hidden
//! type as the subprogram's return type; this module describes it down to
//! every member's name, offset and size (and those of what it points at),
//! so equal descriptions mean the caller reads the value the patch writes.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use gimli::{AttributeValue, Reader as _, UnitOffset};

use crate::load::{Object, R};

/// How deep a description follows member and pointer types: past that,
/// only the type's name and size (closure environments and adapters nest a
/// few levels). A type met again is described by its name and size only,
/// which also cuts cycles through pointers.
const MAX_DEPTH: usize = 24;

/// The return type layout of each subprogram `key_of` names (by its
/// linkage name), keyed by what `key_of` returns. `near`: file addresses
/// of the functions, to read only the units holding them (`None`: all).
pub fn return_layouts(path: &Path, near: Option<&[u64]>, key_of: &dyn Fn(&str) -> Option<String>) -> Result<HashMap<String, String>, String> {
    let obj = Object::load(path, 0)?;
    let units: Vec<usize> = match near {
        Some(addresses) => {
            let mut units: Vec<usize> = addresses.iter().flat_map(|a| obj.units_at(*a).collect::<Vec<_>>()).collect();
            units.sort_unstable();
            units.dedup();
            units
        }
        None => (0..obj.units.len()).collect(),
    };
    let mut found = HashMap::new();
    for u in units {
        let unit = &obj.units[u];
        let mut cursor = unit.entries();
        while let Ok(Some(entry)) = cursor.next_dfs() {
            if entry.tag() != gimli::DW_TAG_subprogram {
                continue;
            }
            let Some(linkage) = entry.attr_value(gimli::DW_AT_linkage_name).and_then(|v| obj.dwarf.attr_string(unit, v).ok()) else { continue };
            let Ok(linkage) = linkage.to_string_lossy() else { continue };
            let Some(key) = key_of(&linkage) else { continue };
            let described = match type_ref(&obj, u, entry.attr_value(gimli::DW_AT_type)) {
                Some((tu, to)) => describe(&obj, tu, to, 0, &mut HashSet::new()),
                None => "()".to_string(),
            };
            found.insert(key, described);
        }
    }
    Ok(found)
}

/// (unit, offset) of a type reference.
fn type_ref(obj: &Object, unit: usize, value: Option<AttributeValue<R>>) -> Option<(usize, usize)> {
    match value? {
        AttributeValue::UnitRef(o) => Some((unit, o.0)),
        AttributeValue::DebugInfoRef(o) => {
            let u = obj.unit_of_section_offset(o.0)?;
            Some((u, o.0 - obj.unit_start(u)))
        }
        _ => None,
    }
}

/// One DIE and what it holds, as text: tag, name, size, alignment, member
/// offset, discriminant value, its type's description and its children's.
fn describe(obj: &Object, u: usize, offset: usize, depth: usize, visited: &mut HashSet<(usize, usize)>) -> String {
    let unit = &obj.units[u];
    let Ok(mut tree) = unit.entries_tree(Some(UnitOffset(offset))) else { return "?".into() };
    let Ok(root) = tree.root() else { return "?".into() };
    let entry = root.entry().clone();
    let mut out = format!("{}", entry.tag().static_string().unwrap_or("?").trim_start_matches("DW_TAG_"));
    if let Some(name) = obj.name_of(unit, &entry) {
        out.push_str(&format!(" {name}"));
    }
    for (attr, label) in [
        (gimli::DW_AT_byte_size, "size"),
        (gimli::DW_AT_alignment, "align"),
        (gimli::DW_AT_data_member_location, "at"),
        (gimli::DW_AT_discr_value, "discr"),
        (gimli::DW_AT_count, "count"),
        (gimli::DW_AT_upper_bound, "upper"),
    ] {
        if let Some(v) = entry.attr_value(attr) {
            out.push_str(&format!(" {label}={}", number(&v)));
        }
    }
    if !visited.insert((u, offset)) || depth >= MAX_DEPTH {
        return out;
    }
    if let Some((tu, to)) = type_ref(obj, u, entry.attr_value(gimli::DW_AT_type)) {
        out.push_str(&format!(" : {}", describe(obj, tu, to, depth + 1, visited)));
    }
    let mut children = Vec::new();
    let mut iter = root.children();
    while let Ok(Some(child)) = iter.next() {
        let e = child.entry();
        // Methods and template parameters say nothing of the layout (the
        // type's name already names its arguments).
        if matches!(e.tag(), gimli::DW_TAG_subprogram | gimli::DW_TAG_template_type_parameter | gimli::DW_TAG_template_value_parameter) {
            continue;
        }
        children.push(e.offset().0);
    }
    if !children.is_empty() {
        let parts: Vec<String> = children.into_iter().map(|c| describe(obj, u, c, depth + 1, visited)).collect();
        out.push_str(&format!(" {{ {} }}", parts.join("; ")));
    }
    out
}

fn number(v: &AttributeValue<R>) -> String {
    match v {
        AttributeValue::Data1(x) => x.to_string(),
        AttributeValue::Data2(x) => x.to_string(),
        AttributeValue::Data4(x) => x.to_string(),
        AttributeValue::Data8(x) => x.to_string(),
        AttributeValue::Udata(x) => x.to_string(),
        AttributeValue::Sdata(x) => x.to_string(),
        other => format!("{other:?}"),
    }
}
