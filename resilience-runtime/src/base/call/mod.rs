//! The plumbing every layer of a fused stack shares, whatever its kind: the outcome each
//! layer passes outward, the call site's cached handle and name, the start time one call's
//! layers share, the call's and each attempt's `tracing` span, the boxed waits, and which
//! form of fallback fn a site calls.
//!
//! Generated code reaches these through `__private`'s re-exports only. Nothing here knows a
//! policy kind or the registry; the adapters of each kind live in its own folder.

pub(crate) mod fallback;
pub(crate) mod noted;
pub(crate) mod outcome;
pub(crate) mod site;
pub(crate) mod span;
pub(crate) mod start;
pub(crate) mod wait;
