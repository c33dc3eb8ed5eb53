//! Two declarations of one name that disagree.

use serde::Serialize;

/// Two declarations of one name with different configurations. The first is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Conflict {
    /// `"circuit_breaker"`, `"rate_limiter"`, `"bulkhead"`, `"retry"` or `"chaos"`.
    pub kind: &'static str,
    /// The contested name.
    pub name: String,
    /// The configuration in force.
    pub kept: String,
    /// Where the kept configuration was declared.
    pub kept_at: &'static str,
    /// The configuration that was not applied.
    pub ignored: String,
    /// Where the ignored configuration was declared.
    pub ignored_at: &'static str,
}
