//! The process-wide registry of named policy instances.
//!
//! Every circuit breaker, rate limiter, bulkhead and retry policy has a name, and every name
//! lives here once. Call sites that give the same name share one instance. A site that only
//! names an instance adopts the configuration declared elsewhere; declarations made with the
//! attributes are collected when the program starts, so adoption does not depend on which
//! site runs first. Two declarations of one name with different configurations are reported
//! (a `tracing` warning and an entry in [`RegistrySnapshot::conflicts`]), never merged: the
//! first one wins, in source order (file, then line) for attribute declarations, and before
//! any declaration made at run time.
//!
//! ```
//! use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
//! use resilience_runtime::registry;
//!
//! let db = registry().register_circuit_breaker("docs-db", CircuitBreakerConfig::new());
//! assert_eq!(db.state(), CircuitState::Closed);
//! let same = registry().circuit_breaker("docs-db").unwrap();
//! same.force_open();
//! assert_eq!(db.state(), CircuitState::ForcedOpen);
//! ```

pub(crate) mod adoption;
mod conflict;
pub(crate) mod declaration;
pub(crate) mod dry_run;
pub(crate) mod environment;
mod family;
mod global;
mod kinds;
mod overlay;
pub(crate) mod reconfigure;
mod snapshot;
pub(crate) mod store;
mod table;
mod undeclared;

pub use adoption::Adoption;
pub use conflict::Conflict;
pub use declaration::Declaration;
pub(crate) use global::end_scope;
pub use global::{Registry, registry};
pub use snapshot::RegistrySnapshot;
pub use undeclared::UndeclaredName;
