//! What a [`#[fallback]`](macro@crate::fallback) fn must be: the traits the generated code
//! checks it against, named here so that a mistake's error names them in the crate's words.
//! They are implemented for every fn of the two forms the attribute takes (the error alone,
//! or the guarded fn's arguments followed by the error); there is nothing to implement.

pub use crate::base::call::fallback::{AsyncFallback, SyncFallback};
