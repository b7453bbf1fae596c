//! Loading one object's DWARF, and the per-unit tables built from it on
//! first use: qualified type names and `type_marker` instances.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use gimli::{AttributeValue, Reader as _, RunTimeEndian};
use object::{Object as _, ObjectSection as _, ObjectSymbol as _};

pub(crate) type R = gimli::EndianArcSlice<RunTimeEndian>;

/// One ELF's debug info. Units are parsed (headers and abbreviations) up
/// front; their DIEs are walked only when a question needs them.
pub(crate) struct Object {
    pub bias: u64,
    pub dwarf: gimli::Dwarf<R>,
    pub units: Vec<gimli::Unit<R>>,
    /// Each unit's start in `.debug_info`, ascending: to resolve
    /// cross-unit references.
    unit_starts: Vec<usize>,
    /// (begin, end, unit) in file addresses, from each unit's ranges.
    code_ranges: Vec<(u64, u64, usize)>,
    infos: Vec<OnceLock<UnitInfo>>,
    /// Function symbols (start, end, mangled name), by start: names for
    /// code the DWARF does not describe.
    pub symbols: Vec<(u64, u64, String)>,
}

/// What one walk of a unit's DIEs yields.
#[derive(Default)]
pub(crate) struct UnitInfo {
    /// The qualified name (namespaces and enclosing types joined by `::`)
    /// of every named type DIE, by its unit offset.
    pub names: HashMap<usize, String>,
    /// Type DIEs that are definitions (not declarations): the name index
    /// lists only these.
    pub defined: Vec<usize>,
    pub markers: Vec<Marker>,
}

/// One `type_marker<T>` instance.
pub(crate) struct Marker {
    /// Its code, in file addresses.
    pub begin: u64,
    pub end: u64,
    /// `T`'s type DIE as (unit, offset).
    pub ty: Option<(usize, usize)>,
    /// The subprogram's own name, `type_marker<T>`.
    pub name: String,
}

fn is_type_tag(tag: gimli::DwTag) -> bool {
    matches!(
        tag,
        gimli::DW_TAG_structure_type
            | gimli::DW_TAG_union_type
            | gimli::DW_TAG_enumeration_type
            | gimli::DW_TAG_base_type
            | gimli::DW_TAG_pointer_type
            | gimli::DW_TAG_reference_type
            | gimli::DW_TAG_typedef
            | gimli::DW_TAG_subroutine_type
    )
}

impl Object {
    pub fn load(path: &Path, bias: u64) -> Result<Object, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let file = object::File::parse(&*bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let endian = if file.is_little_endian() {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        };
        // Copy each section out (decompressing if needed) so the reader owns it.
        let load = |id: gimli::SectionId| -> Result<R, String> {
            let data: Arc<[u8]> = match file.section_by_name(id.name()) {
                Some(s) => match s.uncompressed_data() {
                    Ok(d) => Arc::from(&*d),
                    Err(e) => return Err(format!("{}: {}: {e}", path.display(), id.name())),
                },
                None => Arc::from(&[][..]),
            };
            Ok(gimli::EndianArcSlice::new(data, endian))
        };
        let dwarf = gimli::Dwarf::load(load)?;
        let mut units = Vec::new();
        let mut headers = dwarf.units();
        while let Some(header) = headers.next().map_err(|e| e.to_string())? {
            units.push(dwarf.unit(header).map_err(|e| e.to_string())?);
        }
        if units.is_empty() {
            return Err(format!("{}: no DWARF (.debug_info) in it", path.display()));
        }
        let unit_starts = units.iter().map(|u| u.header.offset().0).collect();
        let mut code_ranges = Vec::new();
        for (i, unit) in units.iter().enumerate() {
            // A unit whose ranges don't parse just can't hold a marker.
            if let Ok(mut ranges) = dwarf.unit_ranges(unit) {
                while let Ok(Some(r)) = ranges.next() {
                    if r.begin < r.end {
                        code_ranges.push((r.begin, r.end, i));
                    }
                }
            }
        }
        let infos = units.iter().map(|_| OnceLock::new()).collect();
        let mut symbols: Vec<(u64, u64, String)> = file
            .symbols()
            .filter(|s| s.kind() == object::SymbolKind::Text && s.size() > 0)
            .filter_map(|s| {
                Some((
                    s.address(),
                    s.address() + s.size(),
                    s.name().ok()?.to_string(),
                ))
            })
            .collect();
        symbols.sort();
        Ok(Object {
            bias,
            dwarf,
            units,
            unit_starts,
            code_ranges,
            infos,
            symbols,
        })
    }

    pub fn info(&self, unit: usize) -> &UnitInfo {
        self.infos[unit].get_or_init(|| self.walk(unit).unwrap_or_default())
    }

    /// The units whose code covers a file address.
    pub fn units_at(&self, file_addr: u64) -> impl Iterator<Item = usize> + '_ {
        self.code_ranges
            .iter()
            .filter(move |(b, e, _)| *b <= file_addr && file_addr < *e)
            .map(|r| r.2)
    }

    /// The unit holding a `.debug_info` offset.
    pub fn unit_of_section_offset(&self, off: usize) -> Option<usize> {
        let i = self.unit_starts.partition_point(|s| *s <= off);
        i.checked_sub(1)
    }

    pub fn unit_start(&self, unit: usize) -> usize {
        self.unit_starts[unit]
    }

    /// One pass over a unit: namespace paths for type names, and markers.
    fn walk(&self, unit_ix: usize) -> Result<UnitInfo, gimli::Error> {
        let unit = &self.units[unit_ix];
        let mut info = UnitInfo::default();
        // (depth, name component or None, marker index if a marker subprogram)
        let mut stack: Vec<(isize, Option<String>, Option<usize>)> = Vec::new();
        let mut cursor = unit.entries();
        while let Some(entry) = cursor.next_dfs()? {
            let depth = entry.depth();
            while stack.last().is_some_and(|s| s.0 >= depth) {
                stack.pop();
            }
            let tag = entry.tag();
            let name = self.name_of(unit, entry);
            let prefix = || {
                let parts: Vec<&str> = stack.iter().filter_map(|s| s.1.as_deref()).collect();
                parts.join("::")
            };
            let mut component = None;
            let mut marker = None;
            if tag == gimli::DW_TAG_namespace {
                component = name.clone();
            } else if is_type_tag(tag) {
                if let Some(n) = &name {
                    let p = prefix();
                    // Pointer and tuple names are already complete at the root.
                    let q = if p.is_empty() {
                        n.clone()
                    } else {
                        format!("{p}::{n}")
                    };
                    info.names.insert(entry.offset().0, q);
                    if entry.attr_value(gimli::DW_AT_declaration).is_none() {
                        info.defined.push(entry.offset().0);
                    }
                }
                component = name.clone();
            } else if tag == gimli::DW_TAG_subprogram {
                if let Some(n) = name.as_deref().filter(|n| n.starts_with("type_marker<")) {
                    let mut ranges = self.dwarf.die_ranges(unit, entry)?;
                    if let Some(r) = ranges.next()? {
                        info.markers.push(Marker {
                            begin: r.begin,
                            end: r.end,
                            ty: None,
                            name: n.to_string(),
                        });
                        marker = Some(info.markers.len() - 1);
                    }
                }
            } else if tag == gimli::DW_TAG_template_type_parameter {
                if let Some((_, _, Some(m))) = stack.last() {
                    let m = *m;
                    // Optimized builds refer across units (DW_FORM_ref_addr).
                    info.markers[m].ty = match entry.attr_value(gimli::DW_AT_type) {
                        Some(AttributeValue::UnitRef(o)) => Some((unit_ix, o.0)),
                        Some(AttributeValue::DebugInfoRef(o)) => self
                            .unit_of_section_offset(o.0)
                            .map(|u| (u, o.0 - self.unit_starts[u])),
                        _ => None,
                    };
                }
            }
            if entry.has_children() {
                stack.push((depth, component, marker));
            }
        }
        Ok(info)
    }

    pub fn name_of(
        &self,
        unit: &gimli::Unit<R>,
        entry: &gimli::DebuggingInformationEntry<R>,
    ) -> Option<String> {
        let v = entry.attr_value(gimli::DW_AT_name)?;
        let s = self.dwarf.attr_string(unit, v).ok()?;
        Some(s.to_string_lossy().ok()?.into_owned())
    }
}
