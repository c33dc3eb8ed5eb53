//! `rate_limiter` keys: the `#[rate_limit]` attribute's, with its ranges and rules (all from
//! `resilience_syntax::rules::rate_limit`, which the attribute checks too).

use resilience_syntax::rules::Written;
use resilience_syntax::rules::rate_limit::{self as rules, View};

use super::keys::{Configurable, Key, KindSpec, NAME_AND_CRATE, Setting, key};
use crate::rate_limit::{Backend, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter};

const KEYS: &[Key] = &[
    key!(rules::RATE),
    key!(rules::BURST),
    key!(rules::ON_LIMIT_KEY),
    key!(rules::MAX_WAIT),
    key!(rules::MAX_QUEUE),
    key!(rules::MAX_KEYS),
    key!(rules::IDLE_TTL),
    key!(rules::BACKEND),
    key!(rules::ON_BACKEND_ERROR_KEY),
    key!(rules::BACKEND_TIMEOUT),
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

/// The keys [`RateLimiter::set_rate`] and [`RateLimiter::set_burst`] change while it runs.
const LIVE: &[&str] = &["rate", "burst"];

/// `config` at `rate`; a burst that was the old rate's default follows the new rate's.
fn with_rate(config: RateLimitConfig, rate: Rate) -> RateLimitConfig {
    if config.burst() == RateLimitConfig::default_burst(config.rate()) {
        config
            .with_rate(rate)
            .with_burst(RateLimitConfig::default_burst(rate))
    } else {
        config.with_rate(rate)
    }
}

impl Configurable for RateLimiter {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(config: RateLimitConfig, key: &str, setting: &Setting) -> RateLimitConfig {
        let count = |value: &u64| u32::try_from(*value).unwrap_or(u32::MAX);
        match (key, setting) {
            ("rate", Setting::Rate(count, period)) => with_rate(config, Rate::new(*count, *period)),
            ("burst", Setting::Whole(burst)) => config.with_burst(count(burst)),
            ("on_limit", Setting::Word(name)) => config.with_on_limit(match *name {
                "reject" => OnLimit::Reject,
                "queue" => OnLimit::Queue,
                _ => OnLimit::Wait,
            }),
            ("max_wait", Setting::Duration(wait)) => config.with_max_wait(*wait),
            ("max_queue", Setting::Whole(queue)) => config.with_max_queue(count(queue)),
            ("max_keys", Setting::Whole(keys)) => {
                config.with_max_keys(usize::try_from(*keys).unwrap_or(usize::MAX))
            }
            ("idle_ttl", Setting::Duration(ttl)) => config.with_idle_ttl(*ttl),
            ("backend", Setting::Word(name)) => config.with_backend(if *name == "redis" {
                Backend::Redis
            } else {
                Backend::Local
            }),
            ("on_backend_error", Setting::Word(name)) => {
                config.with_on_backend_error(match *name {
                    "allow" => OnBackendError::Allow,
                    "deny" => OnBackendError::Deny,
                    _ => OnBackendError::Local,
                })
            }
            ("backend_timeout", Setting::Duration(timeout)) => {
                config.with_backend_timeout(*timeout)
            }
            _ => config,
        }
    }

    fn check(set: &[&'static str], config: &RateLimitConfig) -> Vec<(&'static str, String)> {
        // The types display as the rule table's words.
        let (on_limit, backend) = (config.on_limit().to_string(), config.backend().to_string());
        let view = View {
            set: Written(set),
            on_limit: &on_limit,
            backend: &backend,
            // `key` is code: configuration never sees it, and applies only the rules that
            // do not need it.
            per_key: true,
        };
        let mut problems: Vec<(&'static str, String)> = rules::COMBINATIONS
            .iter()
            .filter_map(|rule| (rule.check)(&view))
            .map(|problem| (problem.key, problem.message))
            .collect();
        if set.contains(&"backend")
            && config.backend() == Backend::Redis
            && !cfg!(feature = "redis")
        {
            problems.push((
                "backend",
                String::from("`backend = \"redis\"` needs resilience-runtime's `redis` feature"),
            ));
        }
        problems
    }

    fn in_force(&self) -> RateLimitConfig {
        self.config()
    }

    fn fixed_while_running(
        before: &RateLimitConfig,
        after: &RateLimitConfig,
    ) -> Vec<(&'static str, String)> {
        let changed = [
            ("on_limit", before.on_limit() != after.on_limit()),
            ("max_wait", before.max_wait() != after.max_wait()),
            ("max_queue", before.max_queue() != after.max_queue()),
            ("max_keys", before.max_keys() != after.max_keys()),
            ("idle_ttl", before.idle_ttl() != after.idle_ttl()),
            ("backend", before.backend() != after.backend()),
            (
                "on_backend_error",
                before.on_backend_error() != after.on_backend_error(),
            ),
            (
                "backend_timeout",
                before.backend_timeout() != after.backend_timeout(),
            ),
        ];
        changed
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(key, _)| {
                (
                    key,
                    format!(
                        "`{key}` of a running rate limiter cannot change (only {} can): set it before the limiter is created (environment variables, or config::load/apply before the registry starts)",
                        LIVE.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(" and ")
                    ),
                )
            })
            .collect()
    }

    /// Keeps the limiter's state: see [`RateLimiter::set_rate`].
    fn reconfigure(&self, config: RateLimitConfig) {
        let current = self.config();
        if config.rate() != current.rate() {
            self.set_rate(config.rate());
        }
        if config.burst() != current.burst() {
            self.set_burst(config.burst());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::value::Raw;
    use std::time::Duration;

    fn read(key: &str, raw: &str) -> Result<Setting, String> {
        (SPEC.key(key).unwrap().read)(&Raw::Text(raw.to_owned()))
    }

    fn apply(config: RateLimitConfig, settings: &[(&str, &str)]) -> RateLimitConfig {
        settings.iter().fold(config, |config, (key, raw)| {
            RateLimiter::set(config, key, &read(key, raw).unwrap())
        })
    }

    #[test]
    fn bad_values() {
        let bad = [
            ("rate", "10/dya", "did you mean \"10/day\""),
            ("rate", "0/s", "at least 1"),
            ("burst", "0", "at least 1"),
            ("on_limit", "wiat", "did you mean \"wait\""),
            ("max_queue", "0", "at least 1"),
            ("max_keys", "0", "at least 1"),
            ("idle_ttl", "0s", "greater than zero"),
            ("backend", "redsi", "did you mean \"redis\""),
            ("on_backend_error", "fail", "expected one of"),
            ("backend_timeout", "0s", "greater than zero"),
        ];
        for (key, raw, expected) in bad {
            let message = read(key, raw).unwrap_err();
            assert!(message.contains(expected), "{key} = {raw}: {message}");
        }
    }

    #[test]
    fn keys_apply_like_the_attribute() {
        let declared = RateLimitConfig::new(Rate::per_second(100));
        let config = apply(declared, &[("rate", "10/s")]);
        assert_eq!((config.rate(), config.burst()), (Rate::per_second(10), 10));
        let config = apply(declared, &[("rate", "10000/day")]);
        assert_eq!(config.burst(), 7, "the default burst of the new rate");
        let config = apply(declared.with_burst(500), &[("rate", "10/s")]);
        assert_eq!(config.burst(), 500, "an explicit burst stays");
        let config = apply(
            declared,
            &[
                ("burst", "3"),
                ("on_limit", "queue"),
                ("max_wait", "1s"),
                ("max_queue", "7"),
                ("max_keys", "50"),
                ("idle_ttl", "1m"),
                ("backend", "redis"),
                ("on_backend_error", "deny"),
                ("backend_timeout", "250ms"),
            ],
        );
        assert_eq!(
            config,
            declared
                .with_burst(3)
                .with_on_limit(OnLimit::Queue)
                .with_max_wait(Duration::from_secs(1))
                .with_max_queue(7)
                .with_max_keys(50)
                .with_idle_ttl(Duration::from_secs(60))
                .with_backend(Backend::Redis)
                .with_on_backend_error(OnBackendError::Deny)
                .with_backend_timeout(Duration::from_millis(250))
        );
        assert_eq!(
            apply(
                config,
                &[
                    ("on_limit", "wait"),
                    ("backend", "local"),
                    ("on_backend_error", "allow")
                ]
            )
            .on_limit(),
            OnLimit::Wait
        );
        assert_eq!(
            apply(config, &[("on_backend_error", "local")]).on_backend_error(),
            OnBackendError::Local
        );
    }

    #[test]
    fn impossible_combinations_and_fixed_keys() {
        let reject = RateLimitConfig::new(Rate::per_second(1)).with_on_limit(OnLimit::Reject);
        assert_eq!(RateLimiter::check(&["max_wait"], &reject)[0].0, "max_wait");
        assert_eq!(
            RateLimiter::check(&["max_queue"], &reject)[0].0,
            "max_queue"
        );
        assert_eq!(
            RateLimiter::check(&["on_backend_error"], &reject)[0].0,
            "on_backend_error"
        );
        assert!(
            RateLimiter::check(&["max_wait"], &reject.with_on_limit(OnLimit::Queue)).is_empty()
        );
        let fixed =
            RateLimiter::fixed_while_running(&reject, &reject.with_max_keys(3).with_burst(9));
        assert_eq!(fixed.len(), 1);
        assert_eq!(fixed[0].0, "max_keys");
        assert!(fixed[0].1.contains("only `rate` and `burst` can"));
    }

    /// Every word of the rule table's lists applies as the value that displays as it.
    #[test]
    fn words_of_the_rule_table_round_trip() {
        let declared = RateLimitConfig::new(Rate::per_second(1));
        for word in rules::ON_LIMIT {
            let config = apply(declared, &[("on_limit", *word)]);
            assert_eq!(config.on_limit().to_string(), *word);
        }
        for word in rules::BACKENDS {
            let config = apply(declared, &[("backend", *word)]);
            assert_eq!(config.backend().to_string(), *word);
        }
        for word in rules::ON_BACKEND_ERROR {
            let config = apply(declared, &[("on_backend_error", *word)]);
            assert_eq!(config.on_backend_error().to_string(), *word);
        }
    }
}
