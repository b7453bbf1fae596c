//! `BTreeMap`/`BTreeSet`: an in-order walk of the B-tree's nodes.
//!
//! Layout facts relied on (alloc's `btree/node.rs`): the map holds
//! `root: Option<NodeRef { height, node: NonNull<LeafNode<K, V>> }>`; a
//! `LeafNode` has `len`, `keys: [MaybeUninit<K>; CAP]`, `vals: [..; CAP]`;
//! an `InternalNode` is `#[repr(C)] { data: LeafNode, edges: [ptr; CAP + 1] }`,
//! so its edges start right after the leaf part.

use crate::model::{Kind, Ty};
use crate::render::Cx;
use crate::std_types::{find_field, first_pointer, uint_field};
use crate::view::{Item, Items, Style, Val, View, MAX_ITEMS};
use crate::TypeRef;

struct Walk<'a, 'c> {
    cx: &'a Cx<'c>,
    leaf: &'a Ty,
    keys: (TypeRef, u64, u64),
    vals: Option<(TypeRef, u64, u64)>,
    out: Vec<Item>,
}

pub(crate) fn view(cx: &Cx, ty: &Ty, addr: u64, set: bool) -> View {
    let len = uint_field(cx, ty, addr, "length").unwrap_or(0);
    let style = if set { Style::Set } else { Style::Map };
    let mut items = Items {
        head: String::new(),
        style,
        items: Vec::new(),
        total: len,
        nth: None,
    };
    if len == 0 {
        return View::Items(items);
    }
    // A set is a map to `SetValZST`: walk that map.
    let (map_ty, map_addr) = if set {
        match find_field(cx, ty, addr, "map", 0).and_then(|(t, a)| Some((cx.prog.ty(t).ok()?, a))) {
            Some(m) => m,
            None => return View::Items(items),
        }
    } else {
        (std::sync::Arc::new(ty.clone()), addr)
    };
    if let Some(found) = walk_all(cx, &map_ty, map_addr, set) {
        items.items = found;
    }
    View::Items(items)
}

fn walk_all(cx: &Cx, map: &Ty, addr: u64, set: bool) -> Option<Vec<Item>> {
    let (k, v) = (map.param("K")?, map.param("V")?);
    // `root` is an Option: its `Some` variant's `__0` is the NodeRef.
    let (root_t, root_a) = find_field(cx, map, addr, "root", 0)?;
    let opt = cx.prog.ty(root_t).ok()?;
    let Kind::Struct {
        variants: Some(vs), ..
    } = &opt.kind
    else {
        return None;
    };
    let some = vs.variants.iter().find(|x| x.field.name == "Some")?;
    let some_ty = cx.prog.ty(some.field.ty?).ok()?;
    let f0 = some_ty.field("__0")?;
    let node_ref_addr = root_a
        .wrapping_add(some.field.offset)
        .wrapping_add(f0.offset);
    let node_ref = cx.prog.ty(f0.ty?).ok()?;
    let height = uint_field(cx, &node_ref, node_ref_addr, "height")?;
    let (Some(leaf_t), node) = first_pointer(cx, &node_ref, node_ref_addr, 0)? else {
        return None;
    };
    if node == 0 || height > 24 {
        return None;
    }
    let leaf = cx.prog.ty(leaf_t).ok()?;
    let ksize = cx.prog.ty(k).ok()?.size;
    let vsize = cx.prog.ty(v).ok()?.size;
    let keys = (k, leaf.field("keys")?.offset, ksize);
    let vals = if set {
        None
    } else {
        Some((v, leaf.field("vals")?.offset, vsize))
    };
    let mut w = Walk {
        cx,
        leaf: &leaf,
        keys,
        vals,
        out: Vec::new(),
    };
    w.node(node, height);
    Some(w.out)
}

impl Walk<'_, '_> {
    fn full(&self) -> bool {
        self.out.len() as u64 >= MAX_ITEMS
    }

    fn node(&mut self, node: u64, height: u64) {
        let Some(len) = uint_field(self.cx, self.leaf, node, "len") else {
            return;
        };
        let len = len.min(64);
        // Edges of an internal node follow its leaf part (pointer-aligned).
        let edges = node.wrapping_add(self.leaf.size.next_multiple_of(8));
        for i in 0..=len {
            if self.full() {
                return;
            }
            if height > 0 {
                match self.cx.read_uint(edges.wrapping_add(i * 8), 8) {
                    Ok(child) if child != 0 => self.node(child, height - 1),
                    _ => return,
                }
            }
            if i == len || self.full() {
                return;
            }
            let (kt, koff, ksize) = self.keys;
            let key_at = node.wrapping_add(koff + i * ksize);
            let label = format!("[{}]", self.out.len());
            self.out.push(match self.vals {
                Some((vt, voff, vsize)) => Item {
                    label,
                    key: Some((kt, key_at)),
                    val: Val::At(vt, node.wrapping_add(voff + i * vsize)),
                },
                None => Item::at(label, kt, key_at),
            });
        }
    }
}
