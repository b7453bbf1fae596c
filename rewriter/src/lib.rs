//! Source-to-source rewriting for hotbreak patches.
//!
//! Every rewrite keeps the user's line numbers: text is inserted within
//! existing lines, never as new lines before user code.

mod locate;
mod replace;
mod text;

pub use locate::{find_function, FnSite, LocateError, Owner};
pub use replace::{replace_function, Patched};
