//! `#[bulkhead]` and `bulkhead` configuration: keys, ranges and defaults.

use std::time::Duration;

use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::DURATION_ACCEPTED;

/// `max_wait` when none is set: a full bulkhead rejects at once.
pub const DEFAULT_MAX_WAIT: Duration = Duration::ZERO;

/// `max_concurrent`: calls in flight at once.
pub const MAX_CONCURRENT: KeyRule = KeyRule {
    key: "max_concurrent",
    form: Form::Whole {
        min: 1,
        max: u32::MAX as u64,
        message: "`max_concurrent` must be at least 1",
    },
    accepted: "a whole number from 1 to 4294967295",
};

/// `max_wait`: the longest a call waits for a slot.
pub const MAX_WAIT: KeyRule = KeyRule {
    key: "max_wait",
    form: Form::Duration,
    accepted: DURATION_ACCEPTED,
};

/// The keys that take values, in the order configuration applies them.
pub const KEYS: &[KeyRule] = &[MAX_CONCURRENT, MAX_WAIT];
