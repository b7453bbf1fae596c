//! Source-to-source rewriting for hotbreak patches.
//!
//! Every rewrite keeps the user's line numbers: text is inserted within
//! existing lines, never as new lines before user code.

mod annotate;
mod async_generic;
mod closures;
mod eval;
mod instrument;
mod locate;
mod replace;
mod resume;
mod scope;
mod suspends;
mod text;

pub use instrument::{
    instrument, instrument_parsed, log_format, statement_lines, Breakpoint, Capture, CaptureId, HitCount, InstrumentError, Instrumented, Place,
    Request, UserCode,
};

pub use async_generic::ASYNC_ANCHOR;
pub use closures::closure_body_lines;
pub use eval::{without_self as eval_expr_as_compiled, Eval};
pub use annotate::{annotate, attribute_for_edition, declare_extern_crate, Annotated, ModDecl, ATTRIBUTE, EXTERN_CRATE};
pub use locate::{find_function, list_functions, same_tokens, FnSite, LocateError, Owner};
pub use replace::{replace_function, Patched};
pub use suspends::async_body_suspends;
pub use resume::{keep_unchanged, resume, Kind as ResumeKind, ResumeSite, Resumed, Wanted};
