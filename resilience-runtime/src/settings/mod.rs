//! The settings floor: reading and checking configuration from the environment, TOML text
//! and code, and applying layers of it to a declared configuration. Pure: it holds no state
//! (the registry keeps the layers) and reads no process environment itself.

pub(crate) mod batch;
pub(crate) mod bulkhead;
pub(crate) mod chaos;
pub(crate) mod circuit_breaker;
pub(crate) mod dry_run;
pub(crate) mod env;
#[cfg(feature = "config-file")]
pub(crate) mod file;
pub(crate) mod hedge;
pub(crate) mod keys;
pub(crate) mod kinds;
pub(crate) mod layering;
pub(crate) mod overrides;
pub(crate) mod quota;
pub(crate) mod rate_limit;
pub(crate) mod report;
pub(crate) mod resolve;
pub(crate) mod retry;
pub(crate) mod value;

pub(crate) use kinds::{KINDS, with_kinds};
