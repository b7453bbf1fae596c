use crate::agent::AgentAnchor;
use crate::slot::Slot;

/// What `#[debuggable]` records about one function, at link time.
#[derive(Debug)]
pub struct FnInfo {
    /// `module::path::name`, with `Type::` or `<Type as Trait>::` for methods
    /// when the attribute sits on the impl block.
    pub key: &'static str,
    pub name: &'static str,
    pub module: &'static str,
    /// As rustc names it: relative to the workspace root for workspace crates.
    pub file: &'static str,
    /// Line of the `fn` keyword and of the closing brace.
    pub first_line: u32,
    pub last_line: u32,
    /// `None` when the function cannot be patched; then `unpatchable` says why.
    pub slot: Option<&'static Slot>,
    pub unpatchable: Option<&'static str>,
    /// A generic function: one slot for all its instances, which holds an
    /// instance table while armed (see `instances.rs`), not an entry.
    pub generic: bool,
    /// Referencing the agent anchor from every entry keeps the runtime's
    /// start-up hook linked into any program that has a debuggable function.
    pub anchor: &'static AgentAnchor,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({:#x})", self.load())
    }
}

#[linkme::distributed_slice]
pub static FUNCTIONS: [FnInfo];

/// Every debuggable function linked into this program, in a stable order for
/// the life of the process (indices are used on the wire).
pub fn functions() -> &'static [FnInfo] {
    &FUNCTIONS
}
