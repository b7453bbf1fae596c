//! Building hot patches.
//!
//! - [`record`]: a `RUSTC_WORKSPACE_WRAPPER` that records each workspace
//!   crate's exact rustc command while the host program is built.
//! - [`host`]: building the host and reading its symbol table (once per build).
//! - [`shadow`]: a mirror of a crate's sources with some files replaced.
//! - [`patch`]: compiling a patched crate to objects and linking only what the
//!   patch needs, with every shared item pointed at the host's own copy.

pub mod downstream;
pub mod host;
pub mod instances;
pub mod modules;
pub mod patch;
pub mod record;
pub mod runtime_lib;
pub mod shadow;
pub mod trampolines;
pub mod wrapper;

pub use host::{build_host, cargo, HostArtifact, HostBuildOptions, HostSymbols, ZeroAnnotation};
pub use patch::{CompiledPatch, DiagSpan, Diagnostic, LinkedPatch, PatchBuilder, PatchError};
pub use record::Invocation;
