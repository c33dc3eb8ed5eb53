//! `#[quota]` and `quota` configuration: keys, ranges, keywords, defaults and combinations.
//!
//! A quota's `limit` is written as a rate is (`"1000/day"`, `"500/h"`, `"100/10m"`: a count
//! from 1 and a period of `s`, `min`, `h`, `day` or any duration) and read by
//! [`parse_limit`], the rate's grammar in a limit's words; its meaning differs: the whole
//! count is available at once, every period.

use std::time::Duration;

use super::combination::{Combination, Written};
use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::POSITIVE_DURATION_ACCEPTED;
use super::problem::Problem;

/// `backend`, `on_backend_error` and `backend_timeout`: the rate limit's keys, with the same
/// words, forms and defaults (a quota on Redis follows the same rules as a limit there).
pub use super::rate_limit::{
    BACKEND, BACKEND_TIMEOUT, BACKENDS, ON_BACKEND_ERROR, ON_BACKEND_ERROR_KEY,
};

/// The `window` names, the first being the default.
pub const WINDOWS: &[&str] = &["fixed", "sliding"];

/// `max_keys` when none is set: tracked keys.
pub const DEFAULT_MAX_KEYS: usize = 100_000;
/// `idle_ttl` when none is set.
pub const DEFAULT_IDLE_TTL: Duration = Duration::from_mins(10);

/// What a limit looks like, for error messages.
pub const LIMIT_EXPECTED: &str =
    "expected a limit such as \"1000/day\", \"500/h\", \"100/min\" or \"10/30s\"";

/// `limit`: calls allowed per period.
pub const LIMIT: KeyRule = KeyRule {
    key: "limit",
    form: Form::Limit,
    accepted: "a limit such as \"1000/day\", \"500/h\", \"100/min\" or \"10/30s\"",
};

/// Parses a quota's `limit`, `"N/<period>"`, into the count (at least 1) and the period (not
/// zero), as [`parse_rate`](crate::parse_rate) reads a rate, with messages about a limit.
///
/// # Errors
///
/// A message such as `missing "/" in limit "1000"; expected a limit such as "1000/day", ...`.
///
/// ```
/// use resilience_syntax::rules::quota::parse_limit;
/// use std::time::Duration;
///
/// assert_eq!(parse_limit("1000/day"), Ok((1000, Duration::from_secs(86_400))));
/// assert!(parse_limit("1000").unwrap_err().starts_with("missing \"/\" in limit \"1000\""));
/// ```
pub fn parse_limit(text: &str) -> Result<(u32, Duration), String> {
    crate::parse_rate(text).map_err(|message| {
        message
            .replace(crate::RATE_EXPECTED, LIMIT_EXPECTED)
            .replace("in rate \"", "in limit \"")
            .replace("rate \"", "limit \"")
    })
}

/// `window`: how periods are counted.
pub const WINDOW: KeyRule = KeyRule {
    key: "window",
    form: Form::Word(WINDOWS),
    accepted: "one of \"fixed\", \"sliding\"",
};

/// `max_keys`: the most keys a per-key quota tracks.
pub const MAX_KEYS: KeyRule = KeyRule {
    key: "max_keys",
    form: Form::Whole {
        min: 1,
        max: u32::MAX as u64,
        message: "`max_keys` must be at least 1",
    },
    accepted: "a whole number from 1 to 4294967295",
};

/// `idle_ttl`: how long a key with nothing counted is kept.
pub const IDLE_TTL: KeyRule = KeyRule {
    key: "idle_ttl",
    form: Form::PositiveDuration,
    accepted: POSITIVE_DURATION_ACCEPTED,
};

/// The keys that take values, in the order configuration applies them.
pub const KEYS: &[KeyRule] = &[
    LIMIT,
    WINDOW,
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
    /// Whether the quota has a `key` (only an attribute knows: `key` is code).
    pub per_key: bool,
    /// `backend` in force, one of [`BACKENDS`].
    pub backend: &'a str,
}

/// `max_keys` only on a per-key quota.
#[must_use]
pub fn max_keys_needs_key(view: &View<'_>) -> Option<Problem> {
    needs_key(view, "max_keys")
}

/// `idle_ttl` only on a per-key quota.
#[must_use]
pub fn idle_ttl_needs_key(view: &View<'_>) -> Option<Problem> {
    needs_key(view, "idle_ttl")
}

fn needs_key(view: &View<'_>, key: &'static str) -> Option<Problem> {
    (view.set.has(key) && !view.per_key).then(|| {
        Problem::new(
            key,
            format!("`{key}` only applies to per-key quotas: add `key = <expression>`"),
        )
    })
}

/// `on_backend_error` only with a remote backend (the rate limit's rule).
#[must_use]
pub fn on_backend_error_needs_remote(view: &View<'_>) -> Option<Problem> {
    super::rate_limit::remote_only(view.set, view.backend, "on_backend_error")
}

/// `backend_timeout` only with a remote backend (the rate limit's rule).
#[must_use]
pub fn backend_timeout_needs_remote(view: &View<'_>) -> Option<Problem> {
    super::rate_limit::remote_only(view.set, view.backend, "backend_timeout")
}

/// A combination rule over a quota's [`View`].
pub type Check = fn(&View<'_>) -> Option<Problem>;

/// Every combination rule both readers apply, in their order.
pub const COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: on_backend_error_needs_remote,
        broken_by: &[&[("limit", "\"10/day\""), ("on_backend_error", "\"deny\"")]],
    },
    Combination {
        check: backend_timeout_needs_remote,
        broken_by: &[&[("limit", "\"10/day\""), ("backend_timeout", "\"250ms\"")]],
    },
];

/// The combination rules only an attribute applies: configuration cannot tell whether a
/// quota has a `key`, which is code.
pub const ATTRIBUTE_COMBINATIONS: &[Combination<Check>] = &[
    Combination {
        check: max_keys_needs_key,
        broken_by: &[&[("limit", "\"10/day\""), ("max_keys", "5")]],
    },
    Combination {
        check: idle_ttl_needs_key,
        broken_by: &[&[("limit", "\"10/day\""), ("idle_ttl", "\"1m\"")]],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_rate;

    #[test]
    fn limits_read_as_rates_do_in_a_limits_words() {
        for text in ["1000/day", "500/h", "10/30s", "7/min", "3/1h30m"] {
            assert_eq!(parse_limit(text), parse_rate(text));
        }
        assert_eq!(
            parse_limit("1000"),
            Err(format!("missing \"/\" in limit \"1000\"; {LIMIT_EXPECTED}"))
        );
        assert_eq!(
            parse_limit("1000/fortnight"),
            Err(format!(
                "unknown period \"fortnight\" in limit \"1000/fortnight\"; {LIMIT_EXPECTED}"
            ))
        );
        assert_eq!(
            parse_limit("1000/dya"),
            Err(String::from(
                "unknown period \"dya\" in limit \"1000/dya\"; did you mean \"1000/day\"?"
            ))
        );
        assert_eq!(
            parse_limit("0/day"),
            Err(String::from(
                "limit \"0/day\" admits nothing; the count must be at least 1"
            ))
        );
        assert!(
            parse_limit("x/day")
                .unwrap_err()
                .contains("invalid count \"x\" in limit")
        );
    }

    #[test]
    fn per_key_keys_need_a_key() {
        let set = ["limit", "max_keys", "idle_ttl"];
        let keyless = View {
            set: Written(&set),
            per_key: false,
            backend: "local",
        };
        assert_eq!(max_keys_needs_key(&keyless).unwrap().key, "max_keys");
        assert_eq!(idle_ttl_needs_key(&keyless).unwrap().key, "idle_ttl");
        let keyed = View {
            per_key: true,
            ..keyless
        };
        assert!(max_keys_needs_key(&keyed).is_none());
        assert!(idle_ttl_needs_key(&keyed).is_none());
    }

    #[test]
    fn backend_keys_need_a_remote_backend() {
        let set = ["limit", "on_backend_error", "backend_timeout"];
        let local = View {
            set: Written(&set),
            per_key: false,
            backend: BACKENDS[0],
        };
        let problem = on_backend_error_needs_remote(&local).unwrap();
        assert_eq!(problem.key, "on_backend_error");
        assert!(
            problem.message.contains("backend = \"redis\""),
            "{}",
            problem.message
        );
        assert_eq!(
            backend_timeout_needs_remote(&local).unwrap().key,
            "backend_timeout"
        );
        let redis = View {
            backend: "redis",
            ..local
        };
        assert!(on_backend_error_needs_remote(&redis).is_none());
        assert!(backend_timeout_needs_remote(&redis).is_none());
    }
}
