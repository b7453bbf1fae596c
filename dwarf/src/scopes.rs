//! Which functions run at a code address: the subprogram holding it and
//! the inlined calls nested in it, innermost first, each with its name,
//! source line and the scopes (lexical blocks) that cover the address.

use gimli::{AttributeValue, Reader as _, UnitOffset};

use crate::load::{Object, R};
use crate::Program;

/// A DIE of one loaded object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DieRef {
    pub(crate) object: u32,
    pub(crate) unit: u32,
    pub(crate) offset: u64,
}

/// One function activation at an address: the concrete subprogram, or a
/// call inlined into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// Demangled without hashes (`krate::m::f`, `<T as Tr>::m`), as std's
    /// backtraces print it.
    pub function: String,
    /// As the line table names it (relative to the compilation dir, or absolute).
    pub file: Option<String>,
    pub line: u32,
    pub column: u32,
    /// The subprogram or inlined-subroutine DIE, then the lexical blocks
    /// inside it that cover the address, outermost first.
    pub(crate) scopes: Vec<DieRef>,
    /// The concrete subprogram (whose frame base the variables use).
    pub(crate) subprogram: DieRef,
    /// Whether this is an inlined call (it has no frame of its own).
    pub inlined: bool,
}

impl Site {
    /// The loaded object (in `Program::add_object` order) whose DWARF
    /// describes it.
    pub fn object(&self) -> u32 {
        self.subprogram.object
    }
}

impl Program {
    /// The functions running at runtime address `pc`, innermost first: the
    /// calls inlined there, then the subprogram. For a caller's frame pass
    /// its return address minus one (the call, not what follows it).
    /// Empty when no loaded object's DWARF covers `pc`.
    pub fn sites_at(&self, pc: u64) -> Vec<Site> {
        if let Some(known) = self
            .sites
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&pc)
        {
            return known.clone();
        }
        let sites = self.find_sites(pc);
        self.sites
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(pc, sites.clone());
        sites
    }

    fn find_sites(&self, pc: u64) -> Vec<Site> {
        for (oi, obj) in self.objects.iter().enumerate() {
            let file_addr = pc.wrapping_sub(obj.bias);
            for unit in obj.units_at(file_addr) {
                if let Ok(sites) = sites_in_unit(obj, oi as u32, unit, file_addr) {
                    if !sites.is_empty() {
                        return sites;
                    }
                }
            }
        }
        Vec::new()
    }

    /// The function symbol holding runtime address `pc`, demangled: for
    /// code without DWARF (a build without debuginfo).
    pub fn symbol_at(&self, pc: u64) -> Option<String> {
        self.objects.iter().find_map(|obj| {
            let file_addr = pc.wrapping_sub(obj.bias);
            let i = obj
                .symbols
                .partition_point(|s| s.0 <= file_addr)
                .checked_sub(1)?;
            let (_, end, name) = &obj.symbols[i];
            (file_addr < *end).then(|| format!("{:#}", rustc_demangle::demangle(name)))
        })
    }

    pub(crate) fn object(&self, i: u32) -> Option<&Object> {
        self.objects.get(i as usize)
    }
}

fn covers(
    obj: &Object,
    unit: &gimli::Unit<R>,
    e: &gimli::DebuggingInformationEntry<R>,
    addr: u64,
) -> bool {
    let Ok(mut ranges) = obj.dwarf.die_ranges(unit, e) else {
        return false;
    };
    while let Ok(Some(r)) = ranges.next() {
        if r.begin <= addr && addr < r.end {
            return true;
        }
    }
    false
}

/// The nest of scopes at `addr` in one unit, outermost first, as
/// (tag, DIE offset, call file, call line).
fn nest(
    obj: &Object,
    unit: &gimli::Unit<R>,
    addr: u64,
) -> gimli::Result<Vec<(gimli::DwTag, usize, u64, u32)>> {
    let mut tree = unit.entries_tree(None)?;
    let root = tree.root()?;
    nest_below(obj, unit, root, addr)
}

fn nest_below(
    obj: &Object,
    unit: &gimli::Unit<R>,
    node: gimli::EntriesTreeNode<R>,
    addr: u64,
) -> gimli::Result<Vec<(gimli::DwTag, usize, u64, u32)>> {
    let mut children = node.children();
    while let Some(child) = children.next()? {
        let e = child.entry();
        let tag = e.tag();
        let scope = matches!(
            tag,
            gimli::DW_TAG_subprogram
                | gimli::DW_TAG_inlined_subroutine
                | gimli::DW_TAG_lexical_block
        );
        let container = matches!(
            tag,
            gimli::DW_TAG_namespace
                | gimli::DW_TAG_structure_type
                | gimli::DW_TAG_enumeration_type
                | gimli::DW_TAG_union_type
        );
        if scope && covers(obj, unit, e, addr) {
            let call_file = match e.attr_value(gimli::DW_AT_call_file) {
                Some(AttributeValue::FileIndex(f)) => f,
                Some(v) => crate::model::udata(v).unwrap_or(0),
                None => 0,
            };
            let call_line = e
                .attr_value(gimli::DW_AT_call_line)
                .and_then(crate::model::udata)
                .unwrap_or(0) as u32;
            let mut chain = vec![(tag, e.offset().0, call_file, call_line)];
            chain.extend(nest_below(obj, unit, child, addr)?);
            return Ok(chain);
        }
        if container && e.has_children() {
            // A namespace (or a type) may hold the subprogram.
            let found = nest_below(obj, unit, child, addr)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
    }
    Ok(Vec::new())
}

fn sites_in_unit(obj: &Object, object: u32, unit_ix: usize, addr: u64) -> gimli::Result<Vec<Site>> {
    let unit = &obj.units[unit_ix];
    let chain = nest(obj, unit, addr)?;
    let Some(first) = chain.iter().position(|c| c.0 == gimli::DW_TAG_subprogram) else {
        return Ok(Vec::new());
    };
    let chain = &chain[first..];
    let die = |offset: usize| DieRef {
        object,
        unit: unit_ix as u32,
        offset: offset as u64,
    };
    let subprogram = die(chain[0].1);
    // Split the nest into activations: each starts at the subprogram or
    // an inlined call and holds the lexical blocks up to the next call.
    let mut sites: Vec<Site> = Vec::new();
    for (tag, offset, _, _) in chain {
        if *tag == gimli::DW_TAG_lexical_block {
            if let Some(last) = sites.last_mut() {
                last.scopes.push(die(*offset));
            }
            continue;
        }
        let function =
            function_name(obj, unit_ix, UnitOffset(*offset)).unwrap_or_else(|| "<unknown>".into());
        sites.push(Site {
            function,
            file: None,
            line: 0,
            column: 0,
            scopes: vec![die(*offset)],
            subprogram,
            inlined: *tag == gimli::DW_TAG_inlined_subroutine,
        });
    }
    // Lines: the innermost from the line table; each outer one where it
    // made the inlined call.
    let (file, line, column) = line_at(obj, unit, addr).unwrap_or((None, 0, 0));
    let calls: Vec<(u64, u32)> = chain
        .iter()
        .filter(|c| c.0 == gimli::DW_TAG_inlined_subroutine)
        .map(|c| (c.2, c.3))
        .collect();
    let n = sites.len();
    for (i, site) in sites.iter_mut().enumerate() {
        if i == n - 1 {
            (site.file, site.line, site.column) = (file.clone(), line, column);
        } else {
            // Site i (outer) called site i+1, described by call i.
            let (f, l) = calls[i];
            (site.file, site.line) = (file_name(obj, unit, f), l);
        }
    }
    sites.reverse();
    Ok(sites)
}

/// Follows `DW_AT_abstract_origin` / `DW_AT_specification` from a DIE to
/// the one that carries `attr`.
pub(crate) fn attr_through_origin(
    obj: &Object,
    unit_ix: usize,
    offset: UnitOffset,
    attr: gimli::DwAt,
) -> Option<(usize, AttributeValue<R>)> {
    let (mut unit_ix, mut offset) = (unit_ix, offset);
    for _ in 0..8 {
        let unit = &obj.units[unit_ix];
        let e = unit.entry(offset).ok()?;
        if let Some(v) = e.attr_value(attr) {
            return Some((unit_ix, v));
        }
        let next = e
            .attr_value(gimli::DW_AT_abstract_origin)
            .or_else(|| e.attr_value(gimli::DW_AT_specification))?;
        (unit_ix, offset) = resolve_ref(obj, unit_ix, next)?;
    }
    None
}

/// A reference attribute as (unit, offset in it).
pub(crate) fn resolve_ref(
    obj: &Object,
    unit_ix: usize,
    v: AttributeValue<R>,
) -> Option<(usize, UnitOffset)> {
    match v {
        AttributeValue::UnitRef(o) => Some((unit_ix, o)),
        AttributeValue::DebugInfoRef(o) => {
            let u = obj.unit_of_section_offset(o.0)?;
            Some((u, UnitOffset(o.0 - obj.unit_start(u))))
        }
        _ => None,
    }
}

fn function_name(obj: &Object, unit_ix: usize, offset: UnitOffset) -> Option<String> {
    let string = |(u, v): (usize, AttributeValue<R>)| -> Option<String> {
        let s = obj.dwarf.attr_string(&obj.units[u], v).ok()?;
        Some(s.to_string_lossy().ok()?.into_owned())
    };
    if let Some(linkage) =
        attr_through_origin(obj, unit_ix, offset, gimli::DW_AT_linkage_name).and_then(string)
    {
        return Some(format!("{:#}", rustc_demangle::demangle(&linkage)));
    }
    attr_through_origin(obj, unit_ix, offset, gimli::DW_AT_name).and_then(string)
}

/// File index `index` of the unit's line table, as a path.
fn file_name(obj: &Object, unit: &gimli::Unit<R>, index: u64) -> Option<String> {
    let program = unit.line_program.as_ref()?;
    let header = program.header();
    let file = header.file(index)?;
    let text = |v: AttributeValue<R>| -> Option<String> {
        let s = obj.dwarf.attr_string(unit, v).ok()?;
        Some(s.to_string_lossy().ok()?.into_owned())
    };
    let name = text(file.path_name())?;
    if name.starts_with('/') {
        return Some(name);
    }
    match file.directory(header).and_then(text) {
        Some(dir) if !dir.is_empty() => Some(format!("{}/{name}", dir.trim_end_matches('/'))),
        _ => Some(name),
    }
}

/// The line table's row for `addr`: (file, line, column).
fn line_at(obj: &Object, unit: &gimli::Unit<R>, addr: u64) -> Option<(Option<String>, u32, u32)> {
    let program = unit.line_program.clone()?;
    let mut rows = program.rows();
    let mut prev: Option<(u64, u64, u32, u32)> = None;
    let mut found = None;
    while let Ok(Some((_, row))) = rows.next_row() {
        let here = (
            row.address(),
            row.file_index(),
            row.line().map_or(0, |l| l.get() as u32),
            match row.column() {
                gimli::ColumnType::LeftEdge => 0,
                gimli::ColumnType::Column(c) => c.get() as u32,
            },
        );
        if let Some(p) = prev {
            if p.0 <= addr && addr < here.0 {
                found = Some(p);
            }
        }
        prev = if row.end_sequence() { None } else { Some(here) };
        if found.is_some() {
            break;
        }
    }
    let (_, file, line, column) = found?;
    Some((file_name(obj, unit, file), line, column))
}
