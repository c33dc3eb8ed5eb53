//! `#[bulkhead]` and `bulkhead` configuration: keys, ranges, keywords, defaults and
//! combinations.

use std::time::Duration;

use super::combination::{Combination, InForce, Written};
use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::DURATION_ACCEPTED;
use super::problem::Problem;

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

/// `min_concurrent` when none is set: an adaptive limit may go down to one call.
pub const DEFAULT_MIN_CONCURRENT: u32 = 1;

/// The words `adaptive` takes: the algorithms, and `"off"` (a static limit, as without the
/// key; configuration uses it to switch a running bulkhead back).
pub const ADAPTIVES: &[&str] = &["aimd", "gradient", "vegas", "off"];

/// `adaptive`: the algorithm that moves the limit.
pub const ADAPTIVE: KeyRule = KeyRule {
    key: "adaptive",
    form: Form::Word(ADAPTIVES),
    accepted: "one of \"aimd\", \"gradient\", \"vegas\", \"off\"",
};

/// `min_concurrent`: the lowest an adaptive limit goes.
pub const MIN_CONCURRENT: KeyRule = KeyRule {
    key: "min_concurrent",
    form: Form::Whole {
        min: 1,
        max: u32::MAX as u64,
        message: "`min_concurrent` must be at least 1",
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
pub const KEYS: &[KeyRule] = &[MAX_CONCURRENT, MAX_WAIT, ADAPTIVE, MIN_CONCURRENT];

/// What the combination rules look at: the keys a source sets and the values in force.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The keys the source sets.
    pub set: Written<'a>,
    /// Whether an algorithm is in force (`adaptive` other than `"off"`).
    pub adaptive: bool,
    /// `min_concurrent` in force.
    pub min_concurrent: u64,
    /// `max_concurrent` in force.
    pub max_concurrent: InForce<u64>,
}

/// `min_concurrent` only with `adaptive`.
#[must_use]
pub fn min_concurrent_needs_adaptive(view: &View<'_>) -> Option<Problem> {
    (view.set.has("min_concurrent") && !view.adaptive).then(|| {
        Problem::new(
            "min_concurrent",
            "`min_concurrent` only applies to an adaptive bulkhead: add `adaptive`, e.g. `adaptive = \"aimd\"`",
        )
    })
}

/// `min_concurrent <= max_concurrent`.
#[must_use]
pub fn min_concurrent_at_most_max(view: &View<'_>) -> Option<Problem> {
    let (min, max) = (view.min_concurrent, view.max_concurrent.value);
    if !view.adaptive || min <= max {
        return None;
    }
    let default = view.max_concurrent.default_text();
    if view.set.has("min_concurrent") {
        Some(Problem::new(
            "min_concurrent",
            format!("`min_concurrent` ({min}) must be at most `max_concurrent` ({max}{default})"),
        ))
    } else if view.set.has("max_concurrent") {
        Some(Problem::new(
            "max_concurrent",
            format!("`max_concurrent` ({max}) must be at least `min_concurrent` ({min})"),
        ))
    } else {
        None
    }
}

/// A combination rule over a bulkhead's [`View`].
pub type Check = fn(&View<'_>) -> Option<Problem>;

/// Every combination rule, in the order both readers apply them.
pub const COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: min_concurrent_needs_adaptive,
        broken_by: &[&[("max_concurrent", "4"), ("min_concurrent", "2")]],
    },
    Combination {
        check: min_concurrent_at_most_max,
        broken_by: &[&[
            ("adaptive", "\"aimd\""),
            ("max_concurrent", "4"),
            ("min_concurrent", "8"),
        ]],
    },
];
