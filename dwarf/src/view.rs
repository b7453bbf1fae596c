//! How one value breaks into parts, by the shape of its DWARF type:
//! primitives, pointers, structs, tuples, enums, arrays, fat pointers.
//! The standard library's own types are `std_types`' job.

use crate::model::{Field, Kind, Ty, Variants};
use crate::names;
use crate::render::Cx;
use crate::{std_types, TypeRef};

/// A value, as far as one look at it goes.
pub(crate) enum View {
    /// Complete: nothing to expand.
    Leaf(String),
    /// Show this other value in this one's place (references, Box, Rc, cells).
    Deref(TypeRef, u64),
    Items(Items),
}

pub(crate) struct Items {
    /// `Account`, `Some`, or empty for tuples and lists.
    pub head: String,
    pub style: Style,
    pub items: Vec<Item>,
    /// How many parts there are (more than `items` holds when truncated).
    pub total: u64,
    /// Contiguous elements (type, first address, stride): `[i]` past the
    /// listed ones is still reachable.
    pub nth: Option<(TypeRef, u64, u64)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Struct,
    Tuple,
    List,
    Map,
    Set,
}

pub(crate) struct Item {
    pub label: String,
    /// A map entry's key: its summary becomes the label.
    pub key: Option<(TypeRef, u64)>,
    pub val: Val,
}

pub(crate) enum Val {
    At(TypeRef, u64),
}

/// At most this many parts are listed.
pub(crate) const MAX_ITEMS: u64 = 200;
/// At most this many bytes of a string are read for a summary.
pub(crate) const MAX_STR: u64 = 200;

impl Items {
    pub fn list(elem: TypeRef, elem_size: u64, base: u64, len: u64) -> Items {
        let items = (0..len.min(MAX_ITEMS))
            .map(|i| {
                Item::at(
                    format!("[{i}]"),
                    elem,
                    base.wrapping_add(i.wrapping_mul(elem_size)),
                )
            })
            .collect();
        Items {
            head: String::new(),
            style: Style::List,
            items,
            total: len,
            nth: Some((elem, base, elem_size)),
        }
    }
}

impl Item {
    pub fn at(label: String, ty: TypeRef, addr: u64) -> Item {
        Item {
            label,
            key: None,
            val: Val::At(ty, addr),
        }
    }
}

pub(crate) fn unreadable(addr: u64) -> View {
    View::Leaf(format!("<unreadable {addr:#x}>"))
}

/// The view of the value of type `t` at `addr`.
pub(crate) fn view(cx: &Cx, t: TypeRef, addr: u64) -> View {
    let ty = match cx.prog.ty(t) {
        Ok(ty) => ty,
        Err(e) => return View::Leaf(format!("<bad type: {e}>")),
    };
    if let Some(v) = std_types::view(cx, &ty, addr) {
        return v;
    }
    match &ty.kind {
        Kind::Base { encoding } => base(cx, &ty, *encoding, addr),
        Kind::Pointer { pointee } => pointer(cx, &ty, *pointee, addr),
        Kind::Struct {
            variants: Some(v), ..
        } => enumeration(cx, v, addr),
        Kind::Struct { fields, .. } => structure(cx, &ty, fields, addr),
        Kind::Enum { values } => match cx.read_uint(addr, ty.size) {
            Ok(d) => match values.iter().find(|v| mask(v.1, ty.size) == d) {
                Some(v) => View::Leaf(v.0.clone()),
                None => View::Leaf(format!("<invalid discriminant {d}>")),
            },
            Err(e) => View::Leaf(e),
        },
        Kind::Array {
            elem: Some(elem),
            count,
        } => {
            let size = cx.prog.ty(*elem).map(|t| t.size).unwrap_or(0);
            View::Items(Items::list(*elem, size, addr, count.unwrap_or(0)))
        }
        _ => View::Leaf(crate::render::display_name(cx.prog, &ty)),
    }
}

fn mask(v: u64, size: u64) -> u64 {
    if size >= 8 {
        v
    } else {
        v & ((1u64 << (size * 8)) - 1)
    }
}

fn base(cx: &Cx, ty: &Ty, encoding: gimli::DwAte, addr: u64) -> View {
    if ty.size == 0 {
        return View::Leaf(ty.short.clone());
    }
    let bytes = match cx.read(addr, ty.size) {
        Ok(b) => b,
        Err(e) => return View::Leaf(e),
    };
    let mut raw = [0u8; 16];
    let n = bytes.len().min(16);
    raw[..n].copy_from_slice(&bytes[..n]);
    let u = u128::from_le_bytes(raw);
    let text = match encoding {
        gimli::DW_ATE_boolean => (u != 0).to_string(),
        gimli::DW_ATE_float if n == 4 => format!("{:?}", f32::from_bits(u as u32)),
        gimli::DW_ATE_float if n == 8 => format!("{:?}", f64::from_bits(u as u64)),
        gimli::DW_ATE_UTF => match char::from_u32(u as u32) {
            Some(c) => format!("{c:?}"),
            None => format!("<invalid char {u:#x}>"),
        },
        gimli::DW_ATE_signed | gimli::DW_ATE_signed_char => {
            // Sign-extend from the type's width.
            let shift = 128 - 8 * n as u32;
            (((u << shift) as i128) >> shift).to_string()
        }
        gimli::DW_ATE_unsigned | gimli::DW_ATE_unsigned_char => u.to_string(),
        _ => format!("{u:#x}"),
    };
    View::Leaf(text)
}

/// References and `Box` show their pointee; raw pointers their address.
fn pointer(cx: &Cx, ty: &Ty, pointee: Option<TypeRef>, addr: u64) -> View {
    let p = match cx.read_uint(addr, ty.size.max(1)) {
        Ok(p) => p,
        Err(e) => return View::Leaf(e),
    };
    let is_ref = ty.name.starts_with('&') || ty.name.starts_with("alloc::boxed::Box<");
    match pointee {
        Some(target) if is_ref => {
            if p == 0 {
                return View::Leaf("<null>".into());
            }
            View::Deref(target, p)
        }
        Some(target)
            if matches!(
                cx.prog.ty(target).map(|t| t.kind.clone()),
                Ok(Kind::Function)
            ) =>
        {
            View::Leaf(ty.name.clone())
        }
        _ => View::Leaf(format!("{p:#x}")),
    }
}

/// Strips the pointer spelling off a fat pointer's name: `&mut str` -> `str`.
fn pointee_name(name: &str) -> &str {
    for p in ["&mut ", "&", "*const ", "*mut "] {
        if let Some(rest) = name.strip_prefix(p) {
            return rest;
        }
    }
    names::first_arg(name).unwrap_or(name)
}

fn structure(cx: &Cx, ty: &Ty, fields: &[Field], addr: u64) -> View {
    let field = |n: &str| fields.iter().find(|f| f.name == n);
    // Fat pointers: `&[T]`, `&str`, `Box<[T]>` and `&dyn Trait`, `Box<dyn Trait>`.
    if let (Some(data), Some(len)) = (field("data_ptr"), field("length")) {
        let raw = ty.name.starts_with('*');
        let (ptr, n) = match (
            cx.read_uint(addr.wrapping_add(data.offset), 8),
            cx.read_uint(addr.wrapping_add(len.offset), 8),
        ) {
            (Ok(p), Ok(n)) => (p, n),
            (Err(e), _) | (_, Err(e)) => return View::Leaf(e),
        };
        if raw {
            return View::Leaf(format!("{ptr:#x}"));
        }
        if pointee_name(&ty.name).starts_with("str") {
            return View::Leaf(cx.string(ptr, n));
        }
        let elem = data.ty.and_then(|t| match cx.prog.ty(t).ok()?.kind {
            Kind::Pointer { pointee } => pointee,
            _ => None,
        });
        return match elem {
            Some(e) => {
                let size = cx.prog.ty(e).map(|t| t.size).unwrap_or(0);
                View::Items(Items::list(e, size, ptr, n))
            }
            None => View::Leaf(format!("{ptr:#x}")),
        };
    }
    if let (Some(p), Some(_)) = (field("pointer"), field("vtable")) {
        return match cx.read_uint(addr.wrapping_add(p.offset), 8) {
            Ok(v) => View::Leaf(format!("{} @ {v:#x}", ty.name)),
            Err(e) => View::Leaf(e),
        };
    }
    if ty.short.contains("{closure_env#") || ty.short.contains("{async_") {
        return View::Leaf(ty.name.clone());
    }
    let tuple = ty.short.starts_with('(');
    let head = if tuple {
        String::new()
    } else {
        names::head(&ty.short).to_string()
    };
    fields_view(head, fields, addr, tuple)
}

/// Named fields make a struct; `__0`, `__1`.. a tuple (struct).
pub(crate) fn fields_view(head: String, fields: &[Field], addr: u64, tuple: bool) -> View {
    if fields.is_empty() && !tuple {
        return View::Leaf(head);
    }
    let positional = tuple || fields.iter().all(|f| f.name.starts_with("__"));
    let items: Vec<Item> = fields
        .iter()
        .filter_map(|f| {
            let label = f
                .name
                .strip_prefix("__")
                .filter(|_| positional)
                .unwrap_or(&f.name);
            Some(Item::at(
                label.to_string(),
                f.ty?,
                addr.wrapping_add(f.offset),
            ))
        })
        .collect();
    let style = if positional {
        Style::Tuple
    } else {
        Style::Struct
    };
    View::Items(Items {
        head,
        style,
        total: items.len() as u64,
        items,
        nth: None,
    })
}

/// Rust enums with data: read the discriminant (a tag, or a niche in
/// another field), pick the variant, show its fields.
fn enumeration(cx: &Cx, v: &Variants, addr: u64) -> View {
    let chosen = match &v.discr {
        None => v.variants.first(),
        Some(d) => {
            let size =
                d.ty.and_then(|t| cx.prog.ty(t).ok())
                    .map(|t| t.size)
                    .unwrap_or(0);
            let value = match cx.read_uint(addr.wrapping_add(d.offset), size) {
                Ok(x) => x,
                Err(e) => return View::Leaf(e),
            };
            v.variants
                .iter()
                .find(|x| x.value.map(|y| mask(y, size)) == Some(value))
                .or_else(|| v.variants.iter().find(|x| x.value.is_none()))
        }
    };
    let Some(chosen) = chosen else {
        return View::Leaf("<invalid discriminant>".into());
    };
    let f = &chosen.field;
    let Some(vt) = f.ty.and_then(|t| cx.prog.ty(t).ok()) else {
        return View::Leaf(f.name.clone());
    };
    match &vt.kind {
        Kind::Struct { fields, .. } => {
            fields_view(f.name.clone(), fields, addr.wrapping_add(f.offset), false)
        }
        _ => View::Leaf(f.name.clone()),
    }
}
