//! Values of a running Rust program, rendered from its DWARF and its
//! memory the way `{:?}` would print them, for types that have no `Debug`.
//!
//! `load` reads an object's DWARF and indexes it lazily, `model` turns a
//! type DIE into plain data, `view` says how one value breaks into parts
//! (`std_types` for the standard library's types), `render` turns views
//! into one-line summaries and one level of children. `scopes` finds the
//! functions (inlined ones too) running at a code address, `locals` their
//! variables in scope there and where the values are in a frame.

mod btree;
mod layout;
mod load;
mod locals;
mod model;
mod names;
mod render;
mod scopes;
mod std_types;
mod view;

pub use layout::return_layouts;
pub use locals::{FrameSlot, Place, Registers, Variable};
pub use scopes::Site;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// Reads the program's memory (the debugger fetches it from the stopped process).
pub trait Memory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), String>;
}

/// A type DIE in one loaded object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeRef {
    object: u32,
    unit: u32,
    offset: u64,
}

/// One value, one level deep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub type_name: String,
    pub summary: String,
    /// (label, one-line summary): field names, `0`.. for tuple fields,
    /// `[i]` for elements, a key's summary for a map's entries.
    pub children: Vec<(String, String)>,
    /// More children exist than are listed.
    pub truncated: bool,
}

/// The DWARF of every loaded object.
#[derive(Default)]
pub struct Program {
    objects: Vec<load::Object>,
    /// Parsed types; a type is read once however often it is rendered.
    types: Mutex<HashMap<TypeRef, Arc<model::Ty>>>,
    /// Normalized name -> defining DIEs, built on the first `type_named`.
    by_name: OnceLock<HashMap<String, Vec<TypeRef>>>,
    /// `sites_at` by address: a stack's return addresses recur.
    sites: Mutex<HashMap<u64, Vec<Site>>>,
}

impl Program {
    pub fn new() -> Program {
        Program::default()
    }

    /// An ELF (executable or shared library) loaded at `bias`
    /// (runtime address = file address + bias).
    pub fn add_object(&mut self, path: &Path, bias: u64) -> Result<(), String> {
        self.objects.push(load::Object::load(path, bias)?);
        self.by_name = OnceLock::new();
        // An address without debug info may have some now.
        self.sites
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, s| !s.is_empty());
        Ok(())
    }

    /// The type `T` of the instance of `type_marker::<T>` whose code
    /// contains runtime address `addr`.
    pub fn type_of_marker(&self, addr: u64) -> Option<TypeRef> {
        for (oi, obj) in self.objects.iter().enumerate() {
            let file_addr = addr.wrapping_sub(obj.bias);
            for unit in obj.units_at(file_addr) {
                for m in &obj.info(unit).markers {
                    if !(m.begin <= file_addr && file_addr < m.end) {
                        continue;
                    }
                    // For `str`, `[T]`, `dyn Trait` rustc names the element
                    // type here, which would render wrongly.
                    if names::marker_arg(&m.name).is_some_and(names::is_unsized) {
                        return None;
                    }
                    let (unit, offset) = m.ty?;
                    return Some(TypeRef {
                        object: oi as u32,
                        unit: unit as u32,
                        offset: offset as u64,
                    });
                }
            }
        }
        None
    }

    /// A type by the name `std::any::type_name` gives (best effort).
    pub fn type_named(&self, rust_name: &str) -> Option<TypeRef> {
        let index = self.by_name.get_or_init(|| self.build_name_index());
        let key = names::key(rust_name);
        let found = index.get(&key)?;
        // Prefer a DIE with a size: some units only declare a type.
        found
            .iter()
            .copied()
            .find(|t| self.ty(*t).is_ok_and(|ty| ty.size > 0))
            .or_else(|| found.first().copied())
    }

    /// The value of type `ty` at runtime address `addr`, expanded along
    /// `path`, one level deep.
    pub fn render(
        &self,
        ty: TypeRef,
        addr: u64,
        path: &[String],
        mem: &dyn Memory,
    ) -> Result<Node, String> {
        render::Cx::new(self, mem).node(ty, addr, path)
    }

    /// The qualified, `type_name`-style name of a type.
    pub fn type_name(&self, ty: TypeRef) -> String {
        self.ty(ty)
            .map(|t| render::display_name(self, &t))
            .unwrap_or_else(|e| format!("<{e}>"))
    }

    fn build_name_index(&self) -> HashMap<String, Vec<TypeRef>> {
        let mut index: HashMap<String, Vec<TypeRef>> = HashMap::new();
        for (oi, obj) in self.objects.iter().enumerate() {
            for unit in 0..obj.units.len() {
                let info = obj.info(unit);
                for off in &info.defined {
                    let name = &info.names[off];
                    let t = TypeRef {
                        object: oi as u32,
                        unit: unit as u32,
                        offset: *off as u64,
                    };
                    index.entry(names::key(name)).or_default().push(t);
                }
            }
        }
        index
    }

    pub(crate) fn ty(&self, t: TypeRef) -> Result<Arc<model::Ty>, String> {
        if let Some(ty) = self
            .types
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&t)
        {
            return Ok(ty.clone());
        }
        let obj = self
            .objects
            .get(t.object as usize)
            .ok_or("no such object")?;
        let ty = Arc::new(model::read_type(obj, t)?);
        self.types
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(t, ty.clone());
        Ok(ty)
    }
}

#[cfg(test)]
mod tests {
    /// The debugger may keep one `Program` behind a lock or share it.
    #[test]
    fn program_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Program>();
    }
}
