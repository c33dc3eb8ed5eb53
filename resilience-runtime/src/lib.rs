//! Resilience attributes for async Rust.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
pub mod __private;
pub mod bulkhead;
pub mod circuit_breaker;
mod clock;
mod error;
pub mod rate_limit;
pub mod registry;
pub mod retry;
pub mod timeout;

pub use error::Error;
pub use registry::{Registry, registry};
pub use resilience_macros::{bulkhead, circuit_breaker, fallback, rate_limit, retry, timeout};
