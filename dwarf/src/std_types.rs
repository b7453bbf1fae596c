//! Pretty printers for the standard library's types, by qualified name.
//! They find fields by name and search (not fixed offsets or paths), so
//! a reshuffle of std's private layers does not break them at once.

use crate::model::{Kind, Ty};
use crate::names;
use crate::render::Cx;
use crate::view::{unreadable, Item, Items, Style, Val, View, MAX_ITEMS};
use crate::TypeRef;

/// A view for `ty` if it is one of std's types that Debug prints other
/// than field by field.
pub(crate) fn view(cx: &Cx, ty: &Ty, addr: u64) -> Option<View> {
    let n = ty.name.as_str();
    let generic = |prefix: &str| n.starts_with(prefix) && n[prefix.len()..].starts_with('<');
    if n == "alloc::string::String" {
        return Some(string(cx, ty, addr));
    }
    if generic("alloc::vec::Vec") {
        return Some(vec(cx, ty, addr));
    }
    if generic("alloc::collections::vec_deque::VecDeque") {
        return Some(vec_deque(cx, ty, addr));
    }
    if generic("alloc::rc::Rc") || generic("alloc::sync::Arc") {
        return Some(rc(cx, ty, addr));
    }
    for cell in [
        "core::cell::Cell",
        "core::cell::UnsafeCell",
        "core::cell::SyncUnsafeCell",
        "core::cell::RefCell",
        "core::mem::manually_drop::ManuallyDrop",
    ] {
        if generic(cell) {
            return Some(inner(ty, addr, "value"));
        }
    }
    if n.starts_with("std::sync::") && matches!(names::head(n), "Mutex" | "RwLock") {
        return Some(inner(ty, addr, "data"));
    }
    if generic("core::num::nonzero::NonZero") || n.starts_with("core::num::niche_types::") {
        return Some(newtype(ty, addr));
    }
    if generic("core::ptr::non_null::NonNull") || generic("core::ptr::unique::Unique") {
        return Some(match first_pointer(cx, ty, addr, 0) {
            Some((_, p)) => View::Leaf(format!("{p:#x}")),
            None => unreadable(addr),
        });
    }
    if generic("core::marker::PhantomData") {
        return Some(View::Leaf(format!(
            "PhantomData<{}>",
            names::first_arg(n).unwrap_or("?")
        )));
    }
    if generic("std::collections::hash::map::HashMap")
        || generic("std::collections::hash::set::HashSet")
    {
        return Some(hash_table(cx, ty, addr, names::head(n) == "HashSet"));
    }
    if generic("alloc::collections::btree::map::BTreeMap")
        || generic("alloc::collections::btree::set::BTreeSet")
    {
        return Some(crate::btree::view(
            cx,
            ty,
            addr,
            names::head(n) == "BTreeSet",
        ));
    }
    None
}

/// The value in field `name` stands for the whole (cells, locks).
fn inner(ty: &Ty, addr: u64, name: &str) -> View {
    match ty.field(name).and_then(|f| Some((f.ty?, f.offset))) {
        Some((t, off)) => View::Deref(t, addr.wrapping_add(off)),
        None => View::Leaf(ty.name.clone()),
    }
}

/// A one-field wrapper (`NonZero<u32>` and its niche inner type).
fn newtype(ty: &Ty, addr: u64) -> View {
    match &ty.kind {
        Kind::Struct { fields, .. } if fields.len() == 1 => match fields[0].ty {
            Some(t) => View::Deref(t, addr.wrapping_add(fields[0].offset)),
            None => View::Leaf(ty.name.clone()),
        },
        _ => View::Leaf(ty.name.clone()),
    }
}

/// A field found by name at any depth (first in declaration order).
pub(crate) fn find_field(
    cx: &Cx,
    ty: &Ty,
    addr: u64,
    name: &str,
    depth: usize,
) -> Option<(TypeRef, u64)> {
    let Kind::Struct { fields, .. } = &ty.kind else {
        return None;
    };
    if let Some(f) = fields.iter().find(|f| f.name == name) {
        return Some((f.ty?, addr.wrapping_add(f.offset)));
    }
    if depth >= 6 {
        return None;
    }
    fields.iter().find_map(|f| {
        let t = cx.prog.ty(f.ty?).ok()?;
        find_field(cx, &t, addr.wrapping_add(f.offset), name, depth + 1)
    })
}

/// The first pointer inside a wrapper (`Unique` -> `NonNull` -> `*const`):
/// its pointee type and value.
pub(crate) fn first_pointer(
    cx: &Cx,
    ty: &Ty,
    addr: u64,
    depth: usize,
) -> Option<(Option<TypeRef>, u64)> {
    match &ty.kind {
        Kind::Pointer { pointee } => Some((*pointee, cx.read_uint(addr, 8).ok()?)),
        Kind::Struct {
            fields,
            variants: None,
            ..
        } if depth < 8 => fields.iter().find_map(|f| {
            let t = cx.prog.ty(f.ty?).ok()?;
            first_pointer(cx, &t, addr.wrapping_add(f.offset), depth + 1)
        }),
        _ => None,
    }
}

/// The first integer inside a wrapper (`Cap(usize)`, `UsizeNoHighBit`).
fn first_uint(cx: &Cx, t: TypeRef, addr: u64, depth: usize) -> Option<u64> {
    let ty = cx.prog.ty(t).ok()?;
    match &ty.kind {
        Kind::Base { .. } => cx.read_uint(addr, ty.size).ok(),
        Kind::Struct {
            fields,
            variants: None,
            ..
        } if depth < 6 => fields
            .iter()
            .find_map(|f| first_uint(cx, f.ty?, addr.wrapping_add(f.offset), depth + 1)),
        _ => None,
    }
}

pub(crate) fn uint_field(cx: &Cx, ty: &Ty, addr: u64, name: &str) -> Option<u64> {
    let (t, a) = find_field(cx, ty, addr, name, 0)?;
    first_uint(cx, t, a, 0)
}

/// A `Vec`'s (buffer, length); the element type is its parameter `T`,
/// since the buffer itself is type-erased to `u8`.
fn vec_parts(cx: &Cx, ty: &Ty, addr: u64) -> Option<(u64, u64)> {
    let (bt, ba) = find_field(cx, ty, addr, "buf", 0)?;
    let buf = cx.prog.ty(bt).ok()?;
    let (_, ptr) = first_pointer(cx, &buf, ba, 0)?;
    let len = uint_field(cx, ty, addr, "len")?;
    Some((ptr, len))
}

fn string(cx: &Cx, ty: &Ty, addr: u64) -> View {
    let Some((vt, va)) = find_field(cx, ty, addr, "vec", 0) else {
        return View::Leaf(ty.name.clone());
    };
    let Ok(v) = cx.prog.ty(vt) else {
        return unreadable(addr);
    };
    match vec_parts(cx, &v, va) {
        Some((ptr, len)) => View::Leaf(cx.string(ptr, len)),
        None => unreadable(addr),
    }
}

fn elem_of(cx: &Cx, ty: &Ty) -> Option<(TypeRef, u64)> {
    let t = ty.param("T")?;
    Some((t, cx.prog.ty(t).ok()?.size))
}

fn vec(cx: &Cx, ty: &Ty, addr: u64) -> View {
    let Some((elem, size)) = elem_of(cx, ty) else {
        return View::Leaf(ty.name.clone());
    };
    match vec_parts(cx, ty, addr) {
        Some((ptr, len)) => View::Items(Items::list(elem, size, ptr, len)),
        None => unreadable(addr),
    }
}

/// A ring buffer: element i sits at `(head + i) % cap`.
fn vec_deque(cx: &Cx, ty: &Ty, addr: u64) -> View {
    let Some((elem, size)) = elem_of(cx, ty) else {
        return View::Leaf(ty.name.clone());
    };
    let parts = (|| {
        let (ptr, len) = vec_parts(cx, ty, addr)?;
        let head = uint_field(cx, ty, addr, "head")?;
        let cap = uint_field(cx, ty, addr, "cap")?;
        Some((ptr, len, head, cap))
    })();
    let Some((ptr, len, head, cap)) = parts else {
        return unreadable(addr);
    };
    if cap == 0 || len > cap {
        return View::Items(Items::list(elem, size, ptr, 0));
    }
    let items = (0..len.min(MAX_ITEMS))
        .map(|i| {
            Item::at(
                format!("[{i}]"),
                elem,
                ptr.wrapping_add((head.wrapping_add(i) % cap).wrapping_mul(size)),
            )
        })
        .collect();
    View::Items(Items {
        head: String::new(),
        style: Style::List,
        items,
        total: len,
        nth: None,
    })
}

/// `Rc`/`Arc`: the value inside the shared allocation.
fn rc(cx: &Cx, ty: &Ty, addr: u64) -> View {
    let Some((Some(inner_t), p)) = first_pointer(cx, ty, addr, 0) else {
        return unreadable(addr);
    };
    let Ok(inner) = cx.prog.ty(inner_t) else {
        return View::Leaf(ty.name.clone());
    };
    // RcInner names it `value`, ArcInner `data`.
    match inner
        .field("value")
        .or_else(|| inner.field("data"))
        .and_then(|f| Some((f.ty?, f.offset)))
    {
        Some((t, off)) => View::Deref(t, p.wrapping_add(off)),
        None => View::Leaf(ty.name.clone()),
    }
}

/// hashbrown's table: `ctrl` points just past bucket 0; bucket i's element
/// lies at `ctrl - (i + 1) * size`, and is full when its control byte's
/// top bit is clear. Buckets are listed in index order, as iteration goes.
fn hash_table(cx: &Cx, ty: &Ty, addr: u64, set: bool) -> View {
    let found = (|| {
        let (rt, ra) = find_field(cx, ty, addr, "table", 0)?;
        let raw = cx.prog.ty(rt).ok()?;
        let elem = raw.param("T")?;
        let (it, ia) = find_field(cx, &raw, ra, "table", 0)?;
        let inner = cx.prog.ty(it).ok()?;
        let mask = uint_field(cx, &inner, ia, "bucket_mask")?;
        let items = uint_field(cx, &inner, ia, "items")?;
        let (ct, ca) = find_field(cx, &inner, ia, "ctrl", 0)?;
        let ctrl_ty = cx.prog.ty(ct).ok()?;
        let (_, ctrl) = first_pointer(cx, &ctrl_ty, ca, 0)?;
        Some((elem, mask, items, ctrl))
    })();
    let Some((elem, mask, len, ctrl)) = found else {
        return View::Leaf(ty.name.clone());
    };
    let style = if set { Style::Set } else { Style::Map };
    let mut out = Items {
        head: String::new(),
        style,
        items: Vec::new(),
        total: len,
        nth: None,
    };
    let buckets = mask.wrapping_add(1);
    if len == 0 || buckets > 1 << 20 || len > buckets {
        return View::Items(out);
    }
    let Ok(et) = cx.prog.ty(elem) else {
        return View::Items(out);
    };
    let (Some(k), Some(v)) = (et.field("__0"), et.field("__1")) else {
        return View::Items(out);
    };
    let Ok(bytes) = cx.read(ctrl, buckets) else {
        return unreadable(ctrl);
    };
    for (i, c) in bytes.iter().enumerate() {
        if c & 0x80 != 0 {
            continue;
        }
        if out.items.len() as u64 >= MAX_ITEMS {
            break;
        }
        let at = ctrl.wrapping_sub((i as u64 + 1) * et.size);
        let (Some(kt), Some(vt)) = (k.ty, v.ty) else {
            break;
        };
        let label = format!("[{}]", out.items.len());
        out.items.push(if set {
            Item::at(label, kt, at + k.offset)
        } else {
            Item {
                label,
                key: Some((kt, at + k.offset)),
                val: Val::At(vt, at + v.offset),
            }
        });
    }
    View::Items(out)
}
