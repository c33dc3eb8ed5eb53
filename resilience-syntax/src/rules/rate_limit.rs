//! `#[rate_limit]` and `rate_limiter` configuration: keys, ranges, keywords, defaults and
//! combinations.

use std::time::Duration;

use super::combination::{Combination, Written};
use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::{DURATION_ACCEPTED, POSITIVE_DURATION_ACCEPTED};
use super::problem::Problem;

/// The `on_limit` names, the first being the default.
pub const ON_LIMIT: &[&str] = &["wait", "reject", "queue"];
/// The `backend` names, the first being the default.
pub const BACKENDS: &[&str] = &["local", "redis"];
/// The `on_backend_error` names; `local` is the default.
pub const ON_BACKEND_ERROR: &[&str] = &["allow", "deny", "local"];

/// `max_wait` when none is set.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5);
/// `max_queue` when none is set: waiting calls.
pub const DEFAULT_MAX_QUEUE: u32 = 100;
/// `max_keys` when none is set: tracked keys.
pub const DEFAULT_MAX_KEYS: usize = 100_000;
/// `idle_ttl` when none is set.
pub const DEFAULT_IDLE_TTL: Duration = Duration::from_mins(10);

const COUNT: &str = "a whole number from 1 to 4294967295";

/// `rate`: permits per period.
pub const RATE: KeyRule = KeyRule {
    key: "rate",
    form: Form::Rate,
    accepted: "a rate such as \"100/s\", \"500/min\", \"1000/h\", \"10000/day\" or \"5/250ms\"",
};

/// `burst`: permits available at once.
pub const BURST: KeyRule = KeyRule {
    key: "burst",
    form: Form::Whole {
        min: 1,
        max: u32::MAX as u64,
        message: "`burst` must be at least 1",
    },
    accepted: COUNT,
};

/// `on_limit`: what a call over the limit does.
pub const ON_LIMIT_KEY: KeyRule = KeyRule {
    key: "on_limit",
    form: Form::Word(ON_LIMIT),
    accepted: "one of \"wait\", \"reject\", \"queue\"",
};

/// `max_wait`: the longest a call waits for a permit.
pub const MAX_WAIT: KeyRule = KeyRule {
    key: "max_wait",
    form: Form::Duration,
    accepted: DURATION_ACCEPTED,
};

/// `max_queue`: the most calls waiting in line.
pub const MAX_QUEUE: KeyRule = KeyRule {
    key: "max_queue",
    form: Form::Whole {
        min: 1,
        max: u32::MAX as u64,
        message: "`max_queue` must be at least 1; use `on_limit = \"reject\"` for a limiter that never waits",
    },
    accepted: COUNT,
};

/// `max_keys`: the most keys a per-key limiter tracks.
pub const MAX_KEYS: KeyRule = KeyRule {
    key: "max_keys",
    form: Form::Whole {
        min: 1,
        max: u32::MAX as u64,
        message: "`max_keys` must be at least 1",
    },
    accepted: COUNT,
};

/// `idle_ttl`: how long an idle key is kept.
pub const IDLE_TTL: KeyRule = KeyRule {
    key: "idle_ttl",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// `backend`: where the limit is counted.
pub const BACKEND: KeyRule = KeyRule {
    key: "backend",
    form: Form::Word(BACKENDS),
    accepted: "one of \"local\", \"redis\"",
};

/// `on_backend_error`: what a call does when a remote backend fails.
pub const ON_BACKEND_ERROR_KEY: KeyRule = KeyRule {
    key: "on_backend_error",
    form: Form::Word(ON_BACKEND_ERROR),
    accepted: "one of \"allow\", \"deny\", \"local\"",
};

/// `backend_timeout`: how long a remote backend may take to connect and to answer.
pub const BACKEND_TIMEOUT: KeyRule = KeyRule {
    key: "backend_timeout",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// The keys that take values, in the order configuration applies them.
pub const KEYS: &[KeyRule] = &[
    RATE,
    BURST,
    ON_LIMIT_KEY,
    MAX_WAIT,
    MAX_QUEUE,
    MAX_KEYS,
    IDLE_TTL,
    BACKEND,
    ON_BACKEND_ERROR_KEY,
    BACKEND_TIMEOUT,
];

/// What the combination rules look at: the keys a source sets and the values in force.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The keys the source sets.
    pub set: Written<'a>,
    /// `on_limit` in force, one of [`ON_LIMIT`].
    pub on_limit: &'a str,
    /// `backend` in force, one of [`BACKENDS`].
    pub backend: &'a str,
    /// Whether the limiter has a `key` (only an attribute knows: `key` is code).
    pub per_key: bool,
}

/// A rejecting limiter never waits: no `max_wait`.
#[must_use]
pub fn max_wait_needs_waiting(view: &View<'_>) -> Option<Problem> {
    (view.set.has("max_wait") && view.on_limit == "reject").then(|| {
        Problem::new(
            "max_wait",
            "`max_wait` only applies to `on_limit = \"wait\"` or `\"queue\"`; a rejecting limiter never waits",
        )
    })
}

/// `max_queue` only with `on_limit = "queue"`.
#[must_use]
pub fn max_queue_needs_queue(view: &View<'_>) -> Option<Problem> {
    (view.set.has("max_queue") && view.on_limit != "queue").then(|| {
        Problem::new(
            "max_queue",
            "`max_queue` only applies to `on_limit = \"queue\"`",
        )
    })
}

/// `max_keys` only on a per-key limiter.
#[must_use]
pub fn max_keys_needs_key(view: &View<'_>) -> Option<Problem> {
    needs_key(view, "max_keys")
}

/// `idle_ttl` only on a per-key limiter.
#[must_use]
pub fn idle_ttl_needs_key(view: &View<'_>) -> Option<Problem> {
    needs_key(view, "idle_ttl")
}

fn needs_key(view: &View<'_>, key: &'static str) -> Option<Problem> {
    (view.set.has(key) && !view.per_key).then(|| {
        Problem::new(
            key,
            format!("`{key}` only applies to per-key limits: add `key = <expression>`"),
        )
    })
}

/// `on_backend_error` only with a remote backend.
#[must_use]
pub fn on_backend_error_needs_remote(view: &View<'_>) -> Option<Problem> {
    needs_remote(view, "on_backend_error")
}

/// `backend_timeout` only with a remote backend.
#[must_use]
pub fn backend_timeout_needs_remote(view: &View<'_>) -> Option<Problem> {
    needs_remote(view, "backend_timeout")
}

fn needs_remote(view: &View<'_>, key: &'static str) -> Option<Problem> {
    remote_only(view.set, view.backend, key)
}

/// `key`, set in `set`, only applies to a remote backend (any kind with a `backend`: rate
/// limits, quotas, breakers).
#[must_use]
pub fn remote_only(set: Written<'_>, backend: &str, key: &'static str) -> Option<Problem> {
    (set.has(key) && backend == "local").then(|| {
        Problem::new(
            key,
            format!("`{key}` only applies to a remote backend, e.g. `backend = \"redis\"`"),
        )
    })
}

/// A combination rule over a limiter's [`View`].
pub type Check = fn(&View<'_>) -> Option<Problem>;

/// Every combination rule both readers apply, in their order.
pub const COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: max_wait_needs_waiting,
        broken_by: &[&[
            ("rate", "\"10/s\""),
            ("on_limit", "\"reject\""),
            ("max_wait", "\"1s\""),
        ]],
    },
    Combination {
        check: max_queue_needs_queue,
        broken_by: &[&[("rate", "\"10/s\""), ("max_queue", "7")]],
    },
    Combination {
        check: on_backend_error_needs_remote,
        broken_by: &[&[("rate", "\"10/s\""), ("on_backend_error", "\"deny\"")]],
    },
    Combination {
        check: backend_timeout_needs_remote,
        broken_by: &[&[("rate", "\"10/s\""), ("backend_timeout", "\"250ms\"")]],
    },
];

/// The combination rules only an attribute applies: configuration cannot tell whether a
/// limiter has a `key`, which is code.
pub const ATTRIBUTE_COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: max_keys_needs_key,
        broken_by: &[&[("rate", "\"10/s\""), ("max_keys", "5")]],
    },
    Combination {
        check: idle_ttl_needs_key,
        broken_by: &[&[("rate", "\"10/s\""), ("idle_ttl", "\"1m\"")]],
    },
];
