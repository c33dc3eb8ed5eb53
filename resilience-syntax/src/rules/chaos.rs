//! `#[chaos]`: keys, ranges, defaults and combinations. Only the attribute reads them:
//! configuration does not address chaos instances.

use std::time::Duration;

use super::combination::{Combination, Written};
use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::POSITIVE_DURATION_ACCEPTED;
use super::problem::Problem;

/// `latency_rate` when only `latency` is given: every call is delayed.
pub const DEFAULT_LATENCY_RATE: f64 = 1.0;

const FRACTION: &str = "a fraction of calls from 0.0 to 1.0";
/// `error_rate`: the fraction of calls that fail.
pub const ERROR_RATE: KeyRule = KeyRule {
    key: "error_rate",
    form: Form::Fraction,
    accepted: FRACTION,
};

/// `latency`: the delay added to a call.
pub const LATENCY: KeyRule = KeyRule {
    key: "latency",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// `latency_rate`: the fraction of calls delayed.
pub const LATENCY_RATE: KeyRule = KeyRule {
    key: "latency_rate",
    form: Form::Fraction,
    accepted: FRACTION,
};

/// `outage`: how long the service is down at the start of every period.
pub const OUTAGE: KeyRule = KeyRule {
    key: "outage",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// `period`: how often the outage recurs.
pub const PERIOD: KeyRule = KeyRule {
    key: "period",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// The keys that take values.
pub const KEYS: &[KeyRule] = &[ERROR_RATE, LATENCY, LATENCY_RATE, OUTAGE, PERIOD];

/// What the combination rules look at: the keys written and the valid durations.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The keys written.
    pub set: Written<'a>,
    /// The outage, if written and valid.
    pub outage: Option<Duration>,
    /// The period, if written and valid.
    pub period: Option<Duration>,
}

/// `latency_rate` needs `latency`.
#[must_use]
pub fn latency_rate_needs_latency(view: &View<'_>) -> Option<Problem> {
    (view.set.has("latency_rate") && !view.set.has("latency")).then(|| {
        Problem::new(
            "latency_rate",
            "`latency_rate` needs `latency`, the delay it injects, e.g. `latency = \"200ms\"`",
        )
    })
}

/// `outage` needs `period`.
#[must_use]
pub fn outage_needs_period(view: &View<'_>) -> Option<Problem> {
    (view.set.has("outage") && !view.set.has("period")).then(|| {
        Problem::new(
            "outage",
            "`outage` needs `period`: the outage recurs at the start of every period, \
             e.g. `outage = \"5s\", period = \"60s\"`",
        )
    })
}

/// `period` needs `outage`.
#[must_use]
pub fn period_needs_outage(view: &View<'_>) -> Option<Problem> {
    (view.set.has("period") && !view.set.has("outage")).then(|| {
        Problem::new(
            "period",
            "`period` only applies to an `outage`, e.g. `outage = \"5s\", period = \"60s\"`",
        )
    })
}

/// An outage shorter than its period, or the service is never up.
#[must_use]
pub fn outage_shorter_than_period(view: &View<'_>) -> Option<Problem> {
    let (outage, period) = (view.outage?, view.period?);
    (outage >= period).then(|| {
        Problem::new(
            "outage",
            format!(
                "`outage` ({outage:?}) must be shorter than `period` ({period:?}), \
                 or the service is never up"
            ),
        )
    })
}

/// Injected errors (by `error_rate` or an outage) need `error`, the fn that builds them.
#[must_use]
pub fn injected_errors_need_error(view: &View<'_>) -> Option<Problem> {
    if view.set.has("error") {
        return None;
    }
    let key = ["error_rate", "outage"]
        .into_iter()
        .find(|key| view.set.has(key))?;
    Some(Problem::new(
        key,
        format!(
            "`{key}` needs `error`: a path to a `fn() -> E` that builds the injected error \
             (E being the fn's error type), e.g. `error = MyError::injected`"
        ),
    ))
}

/// `error` needs `error_rate` or `outage`.
#[must_use]
pub fn error_needs_injected_errors(view: &View<'_>) -> Option<Problem> {
    (view.set.has("error") && !view.set.has("error_rate") && !view.set.has("outage")).then(|| {
        Problem::new(
            "error",
            "`error` is only used with `error_rate` or `outage`; remove it or add one of them",
        )
    })
}

/// A combination rule over a chaos instance's [`View`].
pub type Check = fn(&View<'_>) -> Option<Problem>;

/// Every combination rule, in the order the attribute applies them.
pub const COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: latency_rate_needs_latency,
        broken_by: &[&[("latency_rate", "0.5")]],
    },
    Combination {
        check: outage_needs_period,
        broken_by: &[&[("outage", "\"5s\""), ("error", "make_error")]],
    },
    Combination {
        check: period_needs_outage,
        broken_by: &[&[("period", "\"60s\"")]],
    },
    Combination {
        check: outage_shorter_than_period,
        broken_by: &[&[
            ("outage", "\"60s\""),
            ("period", "\"60s\""),
            ("error", "make_error"),
        ]],
    },
    Combination {
        check: injected_errors_need_error,
        broken_by: &[&[("error_rate", "0.5")]],
    },
    Combination {
        check: error_needs_injected_errors,
        broken_by: &[&[("latency", "\"1s\""), ("error", "make_error")]],
    },
];
