//! `#[quota]` and `quota` configuration: keys, ranges, keywords, defaults and combinations.
//!
//! A quota's `limit` is written as a rate is (`"1000/day"`, `"500/h"`, `"100/10m"`: a count
//! from 1 and a period of `s`, `min`, `h`, `day` or any duration), and read by the same
//! [`parse_rate`](crate::parse_rate); its meaning differs: the whole count is available at
//! once, every period.

use std::time::Duration;

use super::combination::{Combination, Written};
use super::form::Form;
use super::key_rule::KeyRule;
use super::messages::POSITIVE_DURATION_ACCEPTED;
use super::problem::Problem;

/// The `window` names, the first being the default.
pub const WINDOWS: &[&str] = &["fixed", "sliding"];

/// `max_keys` when none is set: tracked keys.
pub const DEFAULT_MAX_KEYS: usize = 100_000;
/// `idle_ttl` when none is set.
pub const DEFAULT_IDLE_TTL: Duration = Duration::from_mins(10);

/// `limit`: calls allowed per period.
pub const LIMIT: KeyRule = KeyRule {
    key: "limit",
    form: Form::Rate,
    accepted: "a limit such as \"1000/day\", \"500/h\", \"100/min\" or \"10/30s\"",
};

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
pub const KEYS: &[KeyRule] = &[LIMIT, WINDOW, MAX_KEYS, IDLE_TTL];

/// What the combination rules look at: the keys a source sets and the values in force.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The keys the source sets.
    pub set: Written<'a>,
    /// Whether the quota has a `key` (only an attribute knows: `key` is code).
    pub per_key: bool,
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

/// A combination rule over a quota's [`View`].
pub type Check = fn(&View<'_>) -> Option<Problem>;

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
    fn limits_read_as_rates_do() {
        assert_eq!(
            parse_rate("1000/day"),
            Ok((1000, Duration::from_secs(86_400)))
        );
        assert_eq!(parse_rate("500/h"), Ok((500, Duration::from_secs(3600))));
        assert_eq!(parse_rate("10/30s"), Ok((10, Duration::from_secs(30))));
        assert!(parse_rate("1000").unwrap_err().contains("missing \"/\""));
        assert!(
            parse_rate("1000/fortnight")
                .unwrap_err()
                .contains("unknown period \"fortnight\"")
        );
        assert!(parse_rate("0/day").unwrap_err().contains("admits nothing"));
    }

    #[test]
    fn per_key_keys_need_a_key() {
        let set = ["limit", "max_keys", "idle_ttl"];
        let keyless = View {
            set: Written(&set),
            per_key: false,
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
}
