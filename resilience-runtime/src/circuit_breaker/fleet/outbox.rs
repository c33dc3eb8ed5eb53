//! The outcomes a process has not yet sent to the fleet: the difference between its
//! breaker's lifetime counts now and at the last exchange. Reading the counts the breaker
//! keeps anyway is what leaves its calls untouched: a fleet breaker's call writes nothing a
//! local one does not.

use super::super::metrics::LifetimeCounts;

/// The lifetime counts at the last exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Outbox {
    successful: u64,
    failed: u64,
    slow: u64,
}

/// Outcomes since the last exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Outcomes {
    pub(crate) calls: u64,
    pub(crate) failed: u64,
    pub(crate) slow: u64,
}

impl Outbox {
    /// A baseline at `counts`.
    #[cfg(test)]
    pub(crate) fn at(counts: LifetimeCounts) -> Self {
        Self {
            successful: counts.successful,
            failed: counts.failed,
            slow: counts.slow,
        }
    }

    /// The outcomes between the baseline and `counts`, which become the new baseline. Each
    /// count only grows; a racing read that saw one counter before another never makes a
    /// difference negative.
    pub(crate) fn take(&mut self, counts: LifetimeCounts) -> Outcomes {
        let successful = counts.successful.saturating_sub(self.successful);
        let failed = counts.failed.saturating_sub(self.failed);
        let slow = counts.slow.saturating_sub(self.slow);
        self.successful = self.successful.max(counts.successful);
        self.failed = self.failed.max(counts.failed);
        self.slow = self.slow.max(counts.slow);
        Outcomes {
            calls: successful + failed,
            failed,
            slow,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn counts(successful: u64, failed: u64, slow: u64) -> LifetimeCounts {
        LifetimeCounts {
            successful,
            failed,
            slow,
            not_permitted: 0,
            ignored: 0,
        }
    }

    #[test]
    fn each_outcome_is_sent_once() {
        let mut outbox = Outbox::at(counts(5, 1, 0));
        assert_eq!(
            outbox.take(counts(8, 3, 1)),
            Outcomes {
                calls: 5,
                failed: 2,
                slow: 1
            }
        );
        assert_eq!(outbox.take(counts(8, 3, 1)), Outcomes::default());
        // A stale read never goes negative nor sends anything twice.
        assert_eq!(outbox.take(counts(7, 3, 1)), Outcomes::default());
        assert_eq!(outbox.take(counts(9, 3, 1)).calls, 1);
    }
}
