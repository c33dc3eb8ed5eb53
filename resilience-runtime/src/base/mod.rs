//! The ground floor: what every policy stands on and nothing above it: the error type, the
//! clock, the kill switch, the Redis connection, what
//! every kind with a remote backend shares (`backend/`), the trait of a named kind, and small
//! lock-free utilities (and a lock whose readers write no shared line).
//!
//! Nothing here imports from a policy, the settings, the registry or a facade.

pub(crate) mod admission;
pub(crate) mod backend;
pub(crate) mod call;
pub(crate) mod clock;
pub(crate) mod describe;
pub(crate) mod error;
pub(crate) mod keyed;
pub(crate) mod kill_switch;
#[cfg(all(test, loom))]
pub(crate) mod loom_support;
pub(crate) mod named;
// The one lock whose guards are not std's; its file argues each `unsafe` block, and its loom
// models check them.
#[allow(unsafe_code)]
pub(crate) mod reader_striped_lock;
pub(crate) mod redis;
pub(crate) mod scope;
pub(crate) mod seqlock;
pub(crate) mod stripes;
