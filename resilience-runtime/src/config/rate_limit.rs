//! `rate_limiter` keys: the `#[rate_limit]` attribute's, with its ranges and rules.

use super::keys::{
    Configurable, DURATION, Key, KindSpec, NAME_AND_CRATE, Setting, duration, whole_in, word,
};
use super::value;
use crate::rate_limit::{OnLimit, Rate, RateLimitConfig, RateLimiter};

const KEYS: &[Key] = &[
    Key {
        name: "rate",
        accepted: "a rate such as \"100/s\", \"500/min\", \"1000/h\", \"10000/day\" or \"5/250ms\"",
        read: |raw| value::rate(raw).map(|(count, period)| Setting::Rate(count, period)),
    },
    Key {
        name: "burst",
        accepted: "a whole number from 1 to 4294967295",
        read: |raw| {
            whole_in(raw, 1, u64::from(u32::MAX), "`burst` must be at least 1").map(Setting::Whole)
        },
    },
    Key {
        name: "on_limit",
        accepted: "one of \"wait\", \"reject\"",
        read: |raw| word(raw, "on_limit", &["wait", "reject"]),
    },
    Key {
        name: "max_wait",
        accepted: DURATION,
        read: duration,
    },
];

pub(crate) static SPEC: KindSpec = KindSpec {
    name: "rate_limiter",
    env: "RATE_LIMITER",
    keys: KEYS,
    fixed: &[
        NAME_AND_CRATE[0],
        NAME_AND_CRATE[1],
        (
            "key",
            "`key` is an expression over the fn's arguments and is set only in the attribute",
        ),
    ],
};

/// A config with `rate`, everything else kept; a burst equal to the old rate's count (the
/// default) follows the new count.
fn with_rate(config: RateLimitConfig, rate: Rate) -> RateLimitConfig {
    let burst = if config.burst() == config.rate().count() {
        rate.count()
    } else {
        config.burst()
    };
    RateLimitConfig::new(rate)
        .with_burst(burst)
        .with_on_limit(config.on_limit())
        .with_max_wait(config.max_wait())
        .with_max_keys(config.max_keys())
}

impl Configurable for RateLimiter {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(config: RateLimitConfig, key: &str, setting: &Setting) -> RateLimitConfig {
        match (key, setting) {
            ("rate", Setting::Rate(count, period)) => with_rate(config, Rate::new(*count, *period)),
            ("burst", Setting::Whole(burst)) => {
                config.with_burst(u32::try_from(*burst).unwrap_or(u32::MAX))
            }
            ("on_limit", Setting::Word(name)) => config.with_on_limit(if *name == "reject" {
                OnLimit::Reject
            } else {
                OnLimit::Wait
            }),
            ("max_wait", Setting::Duration(wait)) => config.with_max_wait(*wait),
            _ => config,
        }
    }

    fn check(set: &[&'static str], config: &RateLimitConfig) -> Vec<(&'static str, String)> {
        if set.contains(&"max_wait") && config.on_limit() == OnLimit::Reject {
            return vec![(
                "max_wait",
                String::from(
                    "`max_wait` only applies to `on_limit = \"wait\"`; a rejecting limiter never waits",
                ),
            )];
        }
        Vec::new()
    }

    fn in_force(&self) -> RateLimitConfig {
        self.config()
    }

    fn fixed_while_running(
        before: &RateLimitConfig,
        after: &RateLimitConfig,
    ) -> Vec<(&'static str, String)> {
        let changed = [
            ("rate", before.rate() != after.rate()),
            ("burst", before.burst() != after.burst()),
            ("on_limit", before.on_limit() != after.on_limit()),
            ("max_wait", before.max_wait() != after.max_wait()),
        ];
        changed
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(key, _)| {
                (
                    key,
                    String::from(
                        "a running rate limiter cannot be reconfigured yet: set it before the limiter is first used (environment, or config::load/apply before the registry starts)",
                    ),
                )
            })
            .collect()
    }

    fn reconfigure(&self, _config: RateLimitConfig) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::value::Raw;
    use std::time::Duration;

    fn read(key: &str, raw: &str) -> Result<Setting, String> {
        (SPEC.key(key).unwrap().read)(&Raw::Text(raw.to_owned()))
    }

    #[test]
    fn keys() {
        assert!(
            read("rate", "10/dya")
                .unwrap_err()
                .contains("did you mean \"10/day\"")
        );
        assert!(read("rate", "0/s").unwrap_err().contains("at least 1"));
        assert!(read("burst", "0").unwrap_err().contains("at least 1"));
        assert!(
            read("on_limit", "wiat")
                .unwrap_err()
                .contains("did you mean \"wait\"")
        );
        let declared = RateLimitConfig::new(Rate::per_second(100));
        let config = RateLimiter::set(declared, "rate", &read("rate", "10/s").unwrap());
        assert_eq!((config.rate(), config.burst()), (Rate::per_second(10), 10));
        let bursty = declared.with_burst(500);
        let config = RateLimiter::set(bursty, "rate", &read("rate", "10/s").unwrap());
        assert_eq!(config.burst(), 500, "an explicit burst stays");
        let config = RateLimiter::set(config, "on_limit", &read("on_limit", "reject").unwrap());
        assert_eq!(config.on_limit(), OnLimit::Reject);
        let config = RateLimiter::set(config, "max_wait", &read("max_wait", "1s").unwrap());
        assert_eq!(config.max_wait(), Duration::from_secs(1));
        assert_eq!(RateLimiter::check(&["max_wait"], &config)[0].0, "max_wait");
        let config = RateLimiter::set(config, "burst", &read("burst", "3").unwrap());
        assert_eq!(config.burst(), 3);
    }
}
