//! `#[retry]` and `retry` configuration: keys, ranges, keywords, presets, defaults and
//! combinations.

use std::time::Duration;

use super::combination::{Combination, InForce, Written};
use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::{DURATION_ACCEPTED, POSITIVE_DURATION_ACCEPTED};
use super::problem::Problem;

/// The backoff names, the first being the default.
pub const BACKOFFS: &[&str] = &["exponential", "linear", "fixed", "decorrelated"];
/// The jitter names, the first being the default.
pub const JITTERS: &[&str] = &["full", "equal", "proportional", "none"];
/// The preset names.
pub const PRESETS: &[&str] = &["conservative", "aggressive", "patient"];

/// Calls in total when none is set (the first call and 2 retries).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The first delay when none is set.
pub const DEFAULT_INITIAL_DELAY: Duration = Duration::from_millis(100);
/// The longest delay when none is set.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(10);
/// The exponential backoff's growth when none is set.
pub const DEFAULT_MULTIPLIER: f64 = 2.0;
/// The proportional jitter's factor when only `jitter = "proportional"` is given.
pub const DEFAULT_JITTER_FACTOR: f64 = 0.1;

/// The retry budget's sliding window when `budget` is set without `budget_window`.
pub const DEFAULT_BUDGET_WINDOW: Duration = Duration::from_secs(10);
/// The retries a budget always allows, as (count, period), when `budget_min` is not set:
/// 10 per second of the window.
pub const DEFAULT_BUDGET_MIN: (u32, Duration) = (10, Duration::from_secs(1));

/// What a preset sets; the keys it does not mention keep their defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PresetValues {
    /// Calls in total.
    pub max_attempts: u32,
    /// The first delay.
    pub initial_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// The exponential growth.
    pub multiplier: f64,
}

/// `preset = "conservative"`.
pub const CONSERVATIVE: PresetValues = PresetValues {
    max_attempts: 3,
    initial_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(16),
    multiplier: 2.0,
};
/// `preset = "aggressive"`.
pub const AGGRESSIVE: PresetValues = PresetValues {
    max_attempts: 5,
    initial_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(8),
    multiplier: 1.5,
};
/// `preset = "patient"`.
pub const PATIENT: PresetValues = PresetValues {
    max_attempts: 4,
    initial_delay: Duration::from_secs(2),
    max_delay: Duration::from_secs(60),
    multiplier: 2.5,
};

/// The values of the preset named `name` (one of [`PRESETS`]).
#[must_use]
pub fn preset(name: &str) -> Option<PresetValues> {
    match name {
        "conservative" => Some(CONSERVATIVE),
        "aggressive" => Some(AGGRESSIVE),
        "patient" => Some(PATIENT),
        _ => None,
    }
}

/// The attribute's message for a `max_attempts` beyond `u32`; configuration states the range
/// instead ([`MAX_ATTEMPTS`]'s message after "out of range").
pub const MAX_ATTEMPTS_TOO_LARGE: &str = "`max_attempts` is too large";

/// `preset`: a named set of defaults the other keys refine.
pub const PRESET: KeyRule = KeyRule {
    key: "preset",
    form: Form::Word(PRESETS),
    accepted: "one of \"conservative\", \"aggressive\", \"patient\"",
};

/// `max_attempts`: every call, including the first.
pub const MAX_ATTEMPTS: KeyRule = KeyRule {
    key: "max_attempts",
    form: Form::Whole {
        min: 1,
        max: u32::MAX as u64,
        message: "`max_attempts` counts every call including the first, so it must be at least 1",
    },
    accepted: "a whole number from 1 to 4294967295 (every call, including the first)",
};

/// `backoff`: how the delays grow.
pub const BACKOFF: KeyRule = KeyRule {
    key: "backoff",
    form: Form::Word(BACKOFFS),
    accepted: "one of \"exponential\", \"linear\", \"fixed\", \"decorrelated\"",
};

/// `initial_delay`: the first delay.
pub const INITIAL_DELAY: KeyRule = KeyRule {
    key: "initial_delay",
    form: Form::Duration,
    accepted: DURATION_ACCEPTED,
};

/// `max_delay`: the longest delay.
pub const MAX_DELAY: KeyRule = KeyRule {
    key: "max_delay",
    form: Form::Duration,
    accepted: DURATION_ACCEPTED,
};

/// `multiplier`: the exponential growth.
pub const MULTIPLIER: KeyRule = KeyRule {
    key: "multiplier",
    form: Form::Number {
        above: 1.0,
        at_most: 100.0,
        too_low: "`multiplier` must be greater than 1 so that delays grow",
        too_high: "`multiplier` must be at most 100",
    },
    accepted: "a number greater than 1 and at most 100",
};

/// `jitter`: how the delays are randomised.
pub const JITTER: KeyRule = KeyRule {
    key: "jitter",
    form: Form::Word(JITTERS),
    accepted: "one of \"full\", \"equal\", \"proportional\", \"none\"",
};

/// `jitter_factor`: the proportional jitter's share of the delay.
pub const JITTER_FACTOR: KeyRule = KeyRule {
    key: "jitter_factor",
    form: Form::Number {
        above: 0.0,
        at_most: 1.0,
        too_low: "`jitter_factor` must be greater than 0 and at most 1",
        too_high: "`jitter_factor` must be greater than 0 and at most 1",
    },
    accepted: "a number greater than 0 and at most 1",
};

/// `max_elapsed`: the overall deadline.
pub const MAX_ELAPSED: KeyRule = KeyRule {
    key: "max_elapsed",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// `budget`: the share of the retry's calls that retries may add.
pub const BUDGET: KeyRule = KeyRule {
    key: "budget",
    form: Form::Percent,
    accepted: "a percentage greater than 0% and at most 100%, such as \"20%\"",
};

/// `budget_window`: the sliding window the budget counts calls and retries over.
pub const BUDGET_WINDOW: KeyRule = KeyRule {
    key: "budget_window",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// `budget_min`: retries the budget allows whatever the traffic, per period of the window.
pub const BUDGET_MIN: KeyRule = KeyRule {
    key: "budget_min",
    form: Form::RateFromZero,
    accepted: "a rate such as \"10/s\" or \"0/s\"",
};

/// The keys that take values, in the order configuration applies them: `preset` first (the
/// other keys of the same source override it), `jitter` before `jitter_factor`, which
/// refines it.
pub const KEYS: &[KeyRule] = &[
    PRESET,
    MAX_ATTEMPTS,
    BACKOFF,
    INITIAL_DELAY,
    MAX_DELAY,
    MULTIPLIER,
    JITTER,
    JITTER_FACTOR,
    MAX_ELAPSED,
    BUDGET,
    BUDGET_WINDOW,
    BUDGET_MIN,
];

/// What the combination rules look at: the keys a source sets and the values in force.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The keys the source sets.
    pub set: Written<'a>,
    /// The backoff in force, one of [`BACKOFFS`].
    pub backoff: &'a str,
    /// The jitter in force, one of [`JITTERS`].
    pub jitter: &'a str,
    /// The first delay in force.
    pub initial_delay: Duration,
    /// The longest delay in force.
    pub max_delay: InForce<Duration>,
    /// Whether a `budget` is in force.
    pub budget: bool,
}

/// `multiplier` only with exponential backoff.
#[must_use]
pub fn multiplier_needs_exponential(view: &View<'_>) -> Option<Problem> {
    (view.set.has("multiplier") && view.backoff != "exponential").then(|| {
        Problem::new(
            "multiplier",
            "`multiplier` only applies to `backoff = \"exponential\"`",
        )
    })
}

/// `max_delay >= initial_delay`.
#[must_use]
pub fn max_delay_at_least_initial(view: &View<'_>) -> Option<Problem> {
    let (initial, max) = (view.initial_delay, view.max_delay.value);
    if max >= initial {
        return None;
    }
    if view.set.has("max_delay") {
        Some(Problem::new(
            "max_delay",
            format!("`max_delay` ({max:?}) must be at least `initial_delay` ({initial:?})"),
        ))
    } else if view.set.has("initial_delay") {
        let default = if view.max_delay.is_default {
            "the default "
        } else {
            ""
        };
        Some(Problem::new(
            "initial_delay",
            format!(
                "`initial_delay` ({initial:?}) exceeds {default}`max_delay` ({max:?}); raise `max_delay` too"
            ),
        ))
    } else {
        None
    }
}

/// Decorrelated backoff is already random: no `jitter`.
#[must_use]
pub fn decorrelated_takes_no_jitter(view: &View<'_>) -> Option<Problem> {
    (view.set.has("jitter") && view.backoff == "decorrelated").then(|| {
        Problem::new(
            "jitter",
            "`backoff = \"decorrelated\"` is already randomised; remove `jitter`",
        )
    })
}

/// `jitter_factor` only with proportional jitter.
#[must_use]
pub fn jitter_factor_needs_proportional(view: &View<'_>) -> Option<Problem> {
    (view.set.has("jitter_factor") && view.jitter != "proportional").then(|| {
        Problem::new(
            "jitter_factor",
            "`jitter_factor` only applies to `jitter = \"proportional\"`",
        )
    })
}

/// The message for a budget's refinement (`budget_window`, `budget_min`) without `budget`.
#[must_use]
pub fn needs_budget(key: &str) -> String {
    format!("`{key}` only applies to a retry budget: add `budget`, e.g. `budget = \"20%\"`")
}

/// `budget_window` only with `budget`.
#[must_use]
pub fn budget_window_needs_budget(view: &View<'_>) -> Option<Problem> {
    (view.set.has("budget_window") && !view.budget)
        .then(|| Problem::new("budget_window", needs_budget("budget_window")))
}

/// `budget_min` only with `budget`.
#[must_use]
pub fn budget_min_needs_budget(view: &View<'_>) -> Option<Problem> {
    (view.set.has("budget_min") && !view.budget)
        .then(|| Problem::new("budget_min", needs_budget("budget_min")))
}

/// A combination rule over a retry's [`View`].
pub type Check = fn(&View<'_>) -> Option<Problem>;

/// Every combination rule, in the order both readers apply them.
pub const COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: multiplier_needs_exponential,
        broken_by: &[&[("backoff", "\"fixed\""), ("multiplier", "3")]],
    },
    Combination {
        check: max_delay_at_least_initial,
        broken_by: &[
            &[("max_delay", "\"10ms\"")],
            &[("initial_delay", "\"2s\""), ("max_delay", "\"1s\"")],
        ],
    },
    Combination {
        check: decorrelated_takes_no_jitter,
        broken_by: &[&[("backoff", "\"decorrelated\""), ("jitter", "\"full\"")]],
    },
    Combination {
        check: jitter_factor_needs_proportional,
        broken_by: &[
            &[("jitter_factor", "0.5")],
            &[("jitter", "\"equal\""), ("jitter_factor", "0.5")],
        ],
    },
    Combination {
        check: budget_window_needs_budget,
        broken_by: &[&[("budget_window", "\"10s\"")]],
    },
    Combination {
        check: budget_min_needs_budget,
        broken_by: &[&[("budget_min", "\"5/s\"")]],
    },
];
