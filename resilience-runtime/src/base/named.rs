//! The trait every kind of named instance implements.

use std::fmt;

/// A policy kind that lives in the registry under a name.
pub(crate) trait Named: Send + Sync + Sized + 'static {
    /// The kind as it appears in logs and snapshots, e.g. `"circuit_breaker"`.
    const KIND: &'static str;
    /// The declared configuration; two declarations of one name conflict when they differ.
    type Config: Clone + PartialEq + fmt::Debug + Send + Sync + 'static;

    /// A fresh instance.
    fn create(name: &'static str, config: Self::Config) -> Self;

    /// A fresh instance as the registry keeps it; a kind whose instance needs its own
    /// handle (to run a task of its own) makes it here.
    fn shared(name: &'static str, config: Self::Config) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self::create(name, config))
    }
}
