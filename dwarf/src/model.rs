//! The type model: one type DIE (and its member children) read into plain
//! data, so rendering never touches gimli.

use gimli::{AttributeValue, UnitOffset};

use crate::load::{Object, R};
use crate::names;
use crate::TypeRef;

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub ty: Option<TypeRef>,
    pub offset: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Variant {
    /// `None`: the default variant (the untagged one of a niche layout,
    /// or the only one of a single-variant enum).
    pub value: Option<u64>,
    /// A member named after the variant whose type holds its fields.
    pub field: Field,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `DW_ATE_*` encoding and size in bytes.
    Base {
        encoding: gimli::DwAte,
    },
    Pointer {
        pointee: Option<TypeRef>,
    },
    Struct {
        fields: Vec<Field>,
        params: Vec<(String, TypeRef)>,
        variants: Option<Variants>,
    },
    Union,
    /// A fieldless Rust enum: DW_TAG_enumeration_type.
    Enum {
        values: Vec<(String, u64)>,
    },
    Array {
        elem: Option<TypeRef>,
        count: Option<u64>,
    },
    Function,
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct Variants {
    /// The discriminant (tag or niche) member; none for single-variant enums.
    pub discr: Option<Field>,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone)]
pub(crate) struct Ty {
    /// Qualified name with default allocator/hasher arguments left out, as
    /// `std::any::type_name` prints it.
    pub name: String,
    /// The DIE's own name (no namespaces); empty if it has none.
    pub short: String,
    pub size: u64,
    pub kind: Kind,
}

impl Ty {
    pub fn param(&self, name: &str) -> Option<TypeRef> {
        match &self.kind {
            Kind::Struct { params, .. } => params.iter().find(|p| p.0 == name).map(|p| p.1),
            _ => None,
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        match &self.kind {
            Kind::Struct { fields, .. } => fields.iter().find(|f| f.name == name),
            _ => None,
        }
    }
}

pub(crate) fn udata(v: AttributeValue<R>) -> Option<u64> {
    match v {
        AttributeValue::Data1(x) => Some(x as u64),
        AttributeValue::Data2(x) => Some(x as u64),
        AttributeValue::Data4(x) => Some(x as u64),
        AttributeValue::Data8(x) => Some(x),
        AttributeValue::Udata(x) => Some(x),
        AttributeValue::Sdata(x) => Some(x as u64),
        AttributeValue::Data16(x) => Some(x as u64),
        _ => None,
    }
}

/// The type a DIE's DW_AT_type names, in the same object.
pub(crate) fn type_attr(
    obj: &Object,
    at: TypeRef,
    e: &gimli::DebuggingInformationEntry<R>,
) -> Option<TypeRef> {
    match e.attr_value(gimli::DW_AT_type)? {
        AttributeValue::UnitRef(o) => Some(TypeRef {
            offset: o.0 as u64,
            ..at
        }),
        AttributeValue::DebugInfoRef(o) => {
            let unit = obj.unit_of_section_offset(o.0)?;
            Some(TypeRef {
                unit: unit as u32,
                offset: (o.0 - obj.unit_start(unit)) as u64,
                ..at
            })
        }
        _ => None,
    }
}

fn member(
    obj: &Object,
    at: TypeRef,
    unit: &gimli::Unit<R>,
    e: &gimli::DebuggingInformationEntry<R>,
) -> Field {
    Field {
        name: obj.name_of(unit, e).unwrap_or_default(),
        ty: type_attr(obj, at, e),
        offset: e
            .attr_value(gimli::DW_AT_data_member_location)
            .and_then(udata)
            .unwrap_or(0),
    }
}

/// Reads the type DIE `t` of `obj`.
pub(crate) fn read_type(obj: &Object, t: TypeRef) -> Result<Ty, String> {
    let unit = obj.units.get(t.unit as usize).ok_or("no such unit")?;
    let mut tree = unit
        .entries_tree(Some(UnitOffset(t.offset as usize)))
        .map_err(|e| e.to_string())?;
    let root = tree.root().map_err(|e| e.to_string())?;
    let e = root.entry().clone();
    let tag = e.tag();
    let short = obj.name_of(unit, &e).unwrap_or_default();
    let qualified = obj
        .info(t.unit as usize)
        .names
        .get(&(t.offset as usize))
        .cloned();
    // rustc gives pointers no DW_AT_byte_size: they are address-sized.
    let size = e
        .attr_value(gimli::DW_AT_byte_size)
        .and_then(udata)
        .unwrap_or(match tag {
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type => {
                unit.encoding().address_size as u64
            }
            _ => 0,
        });
    let target = type_attr(obj, t, &e);
    let mut name = qualified.unwrap_or_else(|| short.clone());
    let kind = match tag {
        gimli::DW_TAG_base_type => {
            let encoding = match e.attr_value(gimli::DW_AT_encoding) {
                Some(AttributeValue::Encoding(x)) => x,
                _ => gimli::DW_ATE_unsigned,
            };
            Kind::Base { encoding }
        }
        gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type => {
            if name.is_empty() {
                // rustc names its pointers; an unnamed one is a C-ish `T *`.
                name = "*const _".into();
            }
            Kind::Pointer { pointee: target }
        }
        gimli::DW_TAG_typedef | gimli::DW_TAG_const_type | gimli::DW_TAG_volatile_type => {
            // Transparent: read what it stands for.
            let inner = target.ok_or("typedef without a type")?;
            return read_type(obj, inner);
        }
        gimli::DW_TAG_structure_type
        | gimli::DW_TAG_union_type
        | gimli::DW_TAG_enumeration_type => {
            let mut fields = Vec::new();
            let mut params = Vec::new();
            let mut values = Vec::new();
            let mut variants = None;
            let mut children = root.children();
            while let Some(child) = children.next().map_err(|e| e.to_string())? {
                let c = child.entry().clone();
                match c.tag() {
                    gimli::DW_TAG_member => fields.push(member(obj, t, unit, &c)),
                    gimli::DW_TAG_template_type_parameter => {
                        if let (Some(n), Some(ty)) = (obj.name_of(unit, &c), type_attr(obj, t, &c))
                        {
                            params.push((n, ty));
                        }
                    }
                    gimli::DW_TAG_enumerator => {
                        let v = c.attr_value(gimli::DW_AT_const_value).and_then(udata);
                        if let (Some(n), Some(v)) = (obj.name_of(unit, &c), v) {
                            values.push((n, v));
                        }
                    }
                    gimli::DW_TAG_variant_part => {
                        variants = Some(read_variant_part(obj, t, unit, child)?);
                    }
                    _ => {}
                }
            }
            match tag {
                gimli::DW_TAG_union_type => Kind::Union,
                gimli::DW_TAG_enumeration_type => Kind::Enum { values },
                _ => Kind::Struct {
                    fields,
                    params,
                    variants,
                },
            }
        }
        gimli::DW_TAG_array_type => {
            let mut count = None;
            let mut children = root.children();
            while let Some(child) = children.next().map_err(|e| e.to_string())? {
                let c = child.entry();
                if c.tag() == gimli::DW_TAG_subrange_type {
                    count = c
                        .attr_value(gimli::DW_AT_count)
                        .and_then(udata)
                        .or_else(|| {
                            let lo = c
                                .attr_value(gimli::DW_AT_lower_bound)
                                .and_then(udata)
                                .unwrap_or(0);
                            let hi = c.attr_value(gimli::DW_AT_upper_bound).and_then(udata)?;
                            Some(hi + 1 - lo)
                        });
                    break;
                }
            }
            Kind::Array {
                elem: target,
                count,
            }
        }
        gimli::DW_TAG_subroutine_type => Kind::Function,
        _ => Kind::Other,
    };
    Ok(Ty {
        name: names::normalize(&name),
        short,
        size,
        kind,
    })
}

fn read_variant_part(
    obj: &Object,
    t: TypeRef,
    unit: &gimli::Unit<R>,
    node: gimli::EntriesTreeNode<R>,
) -> Result<Variants, String> {
    let discr_at = match node.entry().attr_value(gimli::DW_AT_discr) {
        Some(AttributeValue::UnitRef(o)) => Some(o.0),
        _ => None,
    };
    let mut discr = None;
    let mut variants = Vec::new();
    let mut children = node.children();
    while let Some(child) = children.next().map_err(|e| e.to_string())? {
        let c = child.entry().clone();
        match c.tag() {
            gimli::DW_TAG_member if Some(c.offset().0) == discr_at => {
                discr = Some(member(obj, t, unit, &c));
            }
            gimli::DW_TAG_variant => {
                let value = c.attr_value(gimli::DW_AT_discr_value).and_then(udata);
                let mut inner = child.children();
                while let Some(m) = inner.next().map_err(|e| e.to_string())? {
                    if m.entry().tag() == gimli::DW_TAG_member {
                        variants.push(Variant {
                            value,
                            field: member(obj, t, unit, m.entry()),
                        });
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(Variants { discr, variants })
}
