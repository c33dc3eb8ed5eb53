//! `#[circuit_breaker]` and `circuit_breaker` configuration: keys, ranges, defaults and
//! combinations.

/// `backend` and `backend_timeout`: the rate limit's keys, with the same words and forms.
pub use super::rate_limit::{BACKEND, BACKEND_TIMEOUT, BACKENDS};
use std::time::Duration;

use super::combination::{Combination, InForce, Written};
use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::{DURATION_ACCEPTED, POSITIVE_DURATION_ACCEPTED};
use super::problem::Problem;

/// The bound on counts of calls and failures (`failure_threshold`, `minimum_calls`).
pub const MAX_COUNT: u64 = 1_000_000;
/// The largest count window, in calls; the runtime clamps a larger one to it.
pub const MAX_WINDOW_CALLS: u32 = 100_000;
/// The longest time window, in seconds (one hour); the runtime clamps a longer one to it.
pub const MAX_WINDOW_SECS: u64 = 3_600;
/// The most half-open trial calls (`success_threshold`, `half_open_max_calls`): they share a
/// packed atomic word in the runtime, which would clamp a larger value.
pub const MAX_HALF_OPEN_CALLS: u64 = 16_383;
/// The largest `recovery_backoff`: beyond it a second failed recovery already means hours.
pub const MAX_RECOVERY_BACKOFF: f64 = 10.0;

/// `failure_threshold` when none is set.
pub const DEFAULT_FAILURE_THRESHOLD: u32 = 5;
/// The count window's size when none is set.
pub const DEFAULT_WINDOW_CALLS: u32 = 100;
/// `minimum_calls` when none is set (resilience4j's default).
pub const DEFAULT_MINIMUM_CALLS: u32 = 100;
/// `recovery_timeout` when none is set.
pub const DEFAULT_RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// `success_threshold` when none is set.
pub const DEFAULT_SUCCESS_THRESHOLD: u32 = 2;

/// `failure_threshold`: consecutive failures that open the breaker.
pub const FAILURE_THRESHOLD: KeyRule = KeyRule {
    key: "failure_threshold",
    form: Form::Whole {
        min: 1,
        max: MAX_COUNT,
        message: "`failure_threshold` must be between 1 and 1000000 consecutive failures",
    },
    accepted: "a whole number from 1 to 1000000",
};

/// `failure_rate`: the percentage of failed calls that opens the breaker.
pub const FAILURE_RATE: KeyRule = KeyRule {
    key: "failure_rate",
    form: Form::Whole {
        min: 1,
        max: 100,
        message: "`failure_rate` is a percentage from 1 to 100",
    },
    accepted: "a whole number from 1 to 100 (percent)",
};

const WINDOW_CALLS: Form = Form::Whole {
    min: 1,
    max: MAX_WINDOW_CALLS as u64,
    message: "`window` must be between 1 and 100000 calls",
};

/// `window`: a number of calls or whole seconds.
pub const WINDOW: KeyRule = KeyRule {
    key: "window",
    form: Form::Window {
        calls: &WINDOW_CALLS,
        max_secs: MAX_WINDOW_SECS,
    },
    accepted: "a number of calls from 1 to 100000, or whole seconds from \"1s\" to \"1h\"",
};

/// `minimum_calls`: calls the window must hold before a rate is judged.
pub const MINIMUM_CALLS: KeyRule = KeyRule {
    key: "minimum_calls",
    form: Form::Whole {
        min: 1,
        max: MAX_COUNT,
        message: "`minimum_calls` must be between 1 and 1000000",
    },
    accepted: "a whole number from 1 to 1000000",
};

/// `slow_call_duration`: how long a call must take to count as slow.
pub const SLOW_CALL_DURATION: KeyRule = KeyRule {
    key: "slow_call_duration",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// `slow_call_rate`: the percentage of slow calls that opens the breaker.
pub const SLOW_CALL_RATE: KeyRule = KeyRule {
    key: "slow_call_rate",
    form: Form::Whole {
        min: 1,
        max: 100,
        message: "`slow_call_rate` is a percentage from 1 to 100",
    },
    accepted: "a whole number from 1 to 100 (percent)",
};

/// `recovery_timeout`: how long the breaker stays open.
pub const RECOVERY_TIMEOUT: KeyRule = KeyRule {
    key: "recovery_timeout",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// `recovery_backoff`: the growth of the open wait after a failed recovery.
pub const RECOVERY_BACKOFF: KeyRule = KeyRule {
    key: "recovery_backoff",
    form: Form::Number {
        above: 1.0,
        at_most: MAX_RECOVERY_BACKOFF,
        too_low: "`recovery_backoff` must be greater than 1 so that the open wait grows",
        too_high: "`recovery_backoff` must be at most 10",
    },
    accepted: "a number greater than 1 and at most 10",
};

/// `max_recovery_timeout`: the longest open wait `recovery_backoff` grows to.
pub const MAX_RECOVERY_TIMEOUT: KeyRule = KeyRule {
    key: "max_recovery_timeout",
    form: Form::Duration,
    accepted: DURATION_ACCEPTED,
};

/// `success_threshold`: successful trial calls that close a half-open breaker.
pub const SUCCESS_THRESHOLD: KeyRule = KeyRule {
    key: "success_threshold",
    form: Form::Whole {
        min: 1,
        max: MAX_HALF_OPEN_CALLS,
        message: "`success_threshold` must be between 1 and 16383",
    },
    accepted: "a whole number from 1 to 16383",
};

/// `half_open_max_calls`: trial calls a half-open breaker admits.
pub const HALF_OPEN_MAX_CALLS: KeyRule = KeyRule {
    key: "half_open_max_calls",
    form: Form::Whole {
        min: 1,
        max: MAX_HALF_OPEN_CALLS,
        message: "`half_open_max_calls` must be between 1 and 16383",
    },
    accepted: "a whole number from 1 to 16383",
};

/// `max_wait_in_half_open`: the longest a half-open breaker waits for its trial calls.
pub const MAX_WAIT_IN_HALF_OPEN: KeyRule = KeyRule {
    key: "max_wait_in_half_open",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// The shortest `sync_interval` of a fleet breaker.
pub const MIN_SYNC_INTERVAL: Duration = Duration::from_millis(10);
/// The longest `sync_interval`: no process of a fleet learns of a change of the shared state
/// later than this plus one `backend_timeout`.
pub const MAX_SYNC_INTERVAL: Duration = Duration::from_millis(500);

/// `sync_interval`: how often a fleet breaker exchanges its outcomes and the shared state.
/// A configuration key (environment, TOML, overrides): the attribute does not take it, so it
/// is not among [`KEYS`].
pub const SYNC_INTERVAL: KeyRule = KeyRule {
    key: "sync_interval",
    form: Form::DurationWithin {
        min: MIN_SYNC_INTERVAL,
        max: MAX_SYNC_INTERVAL,
        message: "`sync_interval` must be from 10ms to 500ms",
    },
    accepted: "a duration from \"10ms\" to \"500ms\"",
};

/// The keys that take values, in the order configuration applies them.
pub const KEYS: &[KeyRule] = &[
    BACKEND,
    BACKEND_TIMEOUT,
    FAILURE_THRESHOLD,
    FAILURE_RATE,
    WINDOW,
    MINIMUM_CALLS,
    SLOW_CALL_DURATION,
    SLOW_CALL_RATE,
    RECOVERY_TIMEOUT,
    RECOVERY_BACKOFF,
    MAX_RECOVERY_TIMEOUT,
    SUCCESS_THRESHOLD,
    HALF_OPEN_MAX_CALLS,
    MAX_WAIT_IN_HALF_OPEN,
];

/// What the combination rules look at: the keys a source sets and the values in force.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The keys the source sets; a rule only reports a combination one of them makes.
    pub set: Written<'a>,
    /// The failure rate, if the rate model is on.
    pub failure_rate: Option<u64>,
    /// The slow-call rate, if one was given.
    pub slow_call_rate: Option<u64>,
    /// The slow-call duration, if one was given.
    pub slow_call_duration: Option<Duration>,
    /// The base open wait.
    pub recovery_timeout: InForce<Duration>,
    /// The growth of the open wait, if any.
    pub recovery_backoff: Option<f64>,
    /// The cap of the open wait, if one was given.
    pub max_recovery_timeout: Option<Duration>,
    /// The successes that close the breaker; `None` when not known (a bad value, reported
    /// on its own).
    pub success_threshold: Option<InForce<u64>>,
    /// The trial calls admitted, if given (and valid).
    pub half_open_max_calls: Option<u64>,
    /// `backend` in force, one of [`BACKENDS`].
    pub backend: &'a str,
}

impl View<'_> {
    fn rate_model(&self) -> bool {
        self.failure_rate.is_some() || self.slow_call_rate.is_some()
    }
}

/// `failure_threshold` and `failure_rate` are two trip models.
#[must_use]
pub fn one_trip_model(view: &View<'_>) -> Option<Problem> {
    (view.set.has("failure_threshold") && view.failure_rate.is_some()).then(|| {
        Problem::new(
            "failure_threshold",
            "`failure_threshold` (consecutive failures) and `failure_rate` are two trip models; keep one",
        )
    })
}

/// `window` needs the rate model.
#[must_use]
pub fn window_needs_rates(view: &View<'_>) -> Option<Problem> {
    needs_rates(view, "window")
}

/// `minimum_calls` needs the rate model.
#[must_use]
pub fn minimum_calls_needs_rates(view: &View<'_>) -> Option<Problem> {
    needs_rates(view, "minimum_calls")
}

fn needs_rates(view: &View<'_>, key: &'static str) -> Option<Problem> {
    (view.set.has(key) && !view.rate_model()).then(|| {
        Problem::new(
            key,
            format!("`{key}` only applies with `failure_rate` or `slow_call_rate`"),
        )
    })
}

/// `slow_call_duration` needs `slow_call_rate`.
#[must_use]
pub fn slow_call_duration_needs_rate(view: &View<'_>) -> Option<Problem> {
    (view.set.has("slow_call_duration") && view.slow_call_rate.is_none()).then(|| {
        Problem::new(
            "slow_call_duration",
            "`slow_call_duration` needs `slow_call_rate` (the percentage of slow calls that trips the breaker)",
        )
    })
}

/// `slow_call_rate` needs `slow_call_duration`.
#[must_use]
pub fn slow_call_rate_needs_duration(view: &View<'_>) -> Option<Problem> {
    (view.set.has("slow_call_rate") && view.slow_call_duration.is_none()).then(|| {
        Problem::new(
            "slow_call_rate",
            "`slow_call_rate` needs `slow_call_duration` (how long a call must take to count as slow)",
        )
    })
}

/// `max_recovery_timeout` needs `recovery_backoff` and may not be below `recovery_timeout`.
#[must_use]
pub fn max_recovery_timeout_caps_backoff(view: &View<'_>) -> Option<Problem> {
    let max = view.max_recovery_timeout?;
    let base = view.recovery_timeout;
    if view.set.has("max_recovery_timeout") && view.recovery_backoff.is_none() {
        return Some(Problem::new(
            "max_recovery_timeout",
            "`max_recovery_timeout` caps the growth of `recovery_backoff`; add `recovery_backoff` (e.g. `recovery_backoff = 2`) or remove it",
        ));
    }
    if max >= base.value {
        return None;
    }
    let key = ["max_recovery_timeout", "recovery_timeout"]
        .into_iter()
        .find(|key| view.set.has(key))?;
    Some(Problem::new(
        key,
        format!(
            "`max_recovery_timeout` ({max:?}) is below `recovery_timeout` ({:?}{})",
            base.value,
            base.default_text()
        ),
    ))
}

/// `success_threshold` belongs to the consecutive model.
#[must_use]
pub fn success_threshold_is_consecutive(view: &View<'_>) -> Option<Problem> {
    // The rate model judges all trial calls together by the rates; a success count would
    // silently mean nothing.
    (view.failure_rate.is_some() && view.set.has("success_threshold")).then(|| {
        Problem::new(
            "success_threshold",
            "`success_threshold` applies to the consecutive model; with `failure_rate` the half-open trial calls are judged by the rates once all `half_open_max_calls` of them complete",
        )
    })
}

/// In the consecutive model a half-open breaker admits at least the successes it needs.
#[must_use]
pub fn half_open_admits_successes(view: &View<'_>) -> Option<Problem> {
    if view.failure_rate.is_some() {
        return None;
    }
    let permits = view.half_open_max_calls?;
    let needed = view.success_threshold?;
    if permits >= needed.value {
        return None;
    }
    let key = ["half_open_max_calls", "success_threshold"]
        .into_iter()
        .find(|key| view.set.has(key))?;
    Some(Problem::new(
        key,
        format!(
            "`half_open_max_calls` ({permits}) is below `success_threshold` ({}{}): a half-open breaker would admit fewer trial calls than the successes it needs to close",
            needed.value,
            needed.default_text()
        ),
    ))
}

/// `backend_timeout` only with a remote backend (the rate limit's rule).
#[must_use]
pub fn backend_timeout_needs_remote(view: &View<'_>) -> Option<Problem> {
    super::rate_limit::remote_only(view.set, view.backend, "backend_timeout")
}

/// A combination rule over a breaker's [`View`].
pub type Check = fn(&View<'_>) -> Option<Problem>;

/// Every combination rule, in the order both readers apply them.
pub const COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: one_trip_model,
        broken_by: &[&[("failure_threshold", "5"), ("failure_rate", "50")]],
    },
    Combination {
        check: window_needs_rates,
        broken_by: &[&[("window", "20")], &[("window", "\"30s\"")]],
    },
    Combination {
        check: minimum_calls_needs_rates,
        broken_by: &[&[("minimum_calls", "10")]],
    },
    Combination {
        check: slow_call_duration_needs_rate,
        broken_by: &[&[("slow_call_duration", "\"2s\"")]],
    },
    Combination {
        check: slow_call_rate_needs_duration,
        broken_by: &[&[("slow_call_rate", "50")]],
    },
    Combination {
        check: max_recovery_timeout_caps_backoff,
        broken_by: &[
            &[("max_recovery_timeout", "\"5m\"")],
            &[
                ("recovery_timeout", "\"30s\""),
                ("recovery_backoff", "2"),
                ("max_recovery_timeout", "\"10s\""),
            ],
        ],
    },
    Combination {
        check: success_threshold_is_consecutive,
        broken_by: &[&[("failure_rate", "50"), ("success_threshold", "3")]],
    },
    Combination {
        check: half_open_admits_successes,
        broken_by: &[&[("success_threshold", "3"), ("half_open_max_calls", "2")]],
    },
    Combination {
        check: backend_timeout_needs_remote,
        broken_by: &[&[("backend_timeout", "\"250ms\"")]],
    },
];
