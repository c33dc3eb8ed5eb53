//! [`QuotaMetrics`] and [`QuotaSnapshot`]: what a quota reports.

use super::{BackendStatus, QuotaConfig};
use crate::base::stripes::Stripes;

/// Counters of one [`Quota`](super::Quota) since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct QuotaMetrics {
    /// Calls counted against the quota and let through.
    pub admitted: u64,
    /// Calls rejected with [`Error::QuotaExceeded`](crate::Error::QuotaExceeded).
    pub rejected: u64,
    /// Keys currently tracked by a per-key quota (in this process).
    pub tracked_keys: usize,
}

/// A serializable view of one quota, for the registry's snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct QuotaSnapshot {
    /// The quota's registry name.
    pub name: &'static str,
    /// The configuration it runs with (including live changes of the limit).
    pub config: QuotaConfig,
    /// Its counters.
    pub metrics: QuotaMetrics,
    /// Calls left in the current period for the unkeyed quota, as this process counts them
    /// (with a remote backend: its own count, what `on_backend_error = "local"` decides
    /// with).
    pub remaining: u64,
    /// Its remote backend's status; `None` for [`Backend::Local`](super::Backend::Local).
    pub backend: Option<BackendStatus>,
}

/// The live counters: striped, as every call writes one of them.
#[derive(Debug)]
pub(super) struct Counters(Stripes<2>);

const ADMITTED: usize = 0;
const REJECTED: usize = 1;

impl Counters {
    pub(super) const fn new() -> Self {
        Self(Stripes::new())
    }

    #[inline(always)]
    pub(super) fn admitted(&self) {
        self.0.bump(ADMITTED);
    }

    #[inline(always)]
    pub(super) fn rejected(&self) {
        self.0.bump(REJECTED);
    }

    pub(super) fn read(&self, tracked_keys: usize) -> QuotaMetrics {
        QuotaMetrics {
            admitted: self.0.sum(ADMITTED),
            rejected: self.0.sum(REJECTED),
            tracked_keys,
        }
    }
}
