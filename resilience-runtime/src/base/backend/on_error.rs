//! [`OnBackendError`]: what a decision does while its remote backend cannot make it.

use std::fmt;

/// What a limiter or a quota with a remote [`Backend`](super::Backend) does while the
/// backend cannot decide: it is unreachable, too slow (no answer within the decision's time
/// budget), or missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBackendError {
    /// Let the call through (fail open).
    Allow,
    /// Reject the call (fail closed): a rate limit with
    /// [`Error::RateLimited`](crate::Error::RateLimited), a quota with
    /// [`Error::QuotaExceeded`](crate::Error::QuotaExceeded), neither saying when to try
    /// again.
    Deny,
    /// Decide with an in-process instance of the same configuration: each process then
    /// enforces the whole limit on its own until the backend is back.
    #[default]
    Local,
}

impl fmt::Display for OnBackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Local => "local",
        })
    }
}
