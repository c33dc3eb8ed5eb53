//! [`BackendStatus`]: how a quota's remote backend is doing, in its snapshot.

use super::{Backend, OnBackendError};

/// How a quota's remote [`Backend`] is doing, in its
/// [snapshot](super::QuotaSnapshot::backend).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct BackendStatus {
    /// The backend.
    pub backend: Backend,
    /// What the quota does while the backend cannot decide.
    pub on_backend_error: OnBackendError,
    /// Whether the last attempt to reach the backend succeeded (`false` before the first).
    pub available: bool,
    /// Decisions made by the backend.
    pub decisions: u64,
    /// Requests sent to the backend: one per decision, plus one when a server does not know
    /// the script yet.
    pub round_trips: u64,
    /// Failed attempts to reach the backend (errors and time-outs).
    pub errors: u64,
    /// Times the backend became unavailable: a run of failures, however long, counts once.
    pub incidents: u64,
    /// Decisions made by the `on_backend_error` policy instead of the backend.
    pub fallback_decisions: u64,
    /// The error of the current incident; `None` once the backend answers again.
    pub last_error: Option<String>,
}
