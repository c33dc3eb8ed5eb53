//! `quota` keys: the `#[quota]` attribute's, with its ranges (from
//! `resilience_syntax::rules::quota`, which the attribute checks too).

use resilience_syntax::rules::Written;
use resilience_syntax::rules::quota::{self as rules, View};

use super::keys::{Configurable, Key, KindSpec, NAME_AND_CRATE, Setting, key};
use crate::quota::{Backend, OnBackendError, Quota, QuotaConfig, QuotaLimit, QuotaWindow};

const KEYS: &[Key] = &[
    key!(rules::LIMIT),
    key!(rules::WINDOW),
    key!(rules::MAX_KEYS),
    key!(rules::IDLE_TTL),
    key!(rules::BACKEND),
    key!(rules::ON_BACKEND_ERROR_KEY),
    key!(rules::BACKEND_TIMEOUT),
];

pub(crate) static SPEC: KindSpec = KindSpec {
    name: "quota",
    env: "QUOTA",
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

impl Configurable for Quota {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(config: QuotaConfig, key: &str, setting: &Setting) -> QuotaConfig {
        match (key, setting) {
            ("limit", Setting::Rate(count, period)) => {
                config.with_limit(QuotaLimit::new(*count, *period))
            }
            ("window", Setting::Word(name)) => config.with_window(if *name == "sliding" {
                QuotaWindow::Sliding
            } else {
                QuotaWindow::Fixed
            }),
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

    fn check(set: &[&'static str], config: &QuotaConfig) -> Vec<(&'static str, String)> {
        // The type displays as the rule table's word.
        let backend = config.backend().to_string();
        let view = View {
            set: Written(set),
            // `key` is code: configuration never sees it, and applies only the rules that
            // do not need it.
            per_key: true,
            backend: &backend,
        };
        let mut problems: Vec<(&'static str, String)> = rules::COMBINATIONS
            .iter()
            .filter_map(|rule| (rule.check)(&view))
            .map(|problem| (problem.key, problem.message))
            .collect();
        // As for rate limits: configuration cannot ask for a backend the build lacks.
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

    fn in_force(&self) -> QuotaConfig {
        self.config()
    }

    fn fixed_while_running(
        before: &QuotaConfig,
        after: &QuotaConfig,
    ) -> Vec<(&'static str, String)> {
        let period = before.limit().period() != after.limit().period();
        let changed = [
            ("limit", period),
            ("window", before.window() != after.window()),
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
                let what = if key == "limit" {
                    String::from("the period of a running quota's `limit` cannot change (its count can)")
                } else {
                    format!("`{key}` of a running quota cannot change (only the count of `limit` can)")
                };
                (
                    key,
                    format!(
                        "{what}: set it before the quota is created (environment variables, or config::load/apply before the registry starts)"
                    ),
                )
            })
            .collect()
    }

    /// Keeps what the quota counted: see [`Quota::set_limit`].
    fn reconfigure(&self, config: QuotaConfig) {
        if config.limit() != self.limit() {
            self.set_limit(config.limit().count());
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

    #[test]
    fn keys_and_bad_values() {
        let config = QuotaConfig::new(QuotaLimit::per_day(10));
        let config = Quota::set(config, "limit", &read("limit", "500/h").unwrap());
        assert_eq!(config.limit(), QuotaLimit::per_hour(500));
        let config = Quota::set(config, "window", &read("window", "sliding").unwrap());
        assert_eq!(config.window(), QuotaWindow::Sliding);
        let config = Quota::set(config, "max_keys", &read("max_keys", "9").unwrap());
        let config = Quota::set(config, "idle_ttl", &read("idle_ttl", "1m").unwrap());
        assert_eq!(
            (config.max_keys(), config.idle_ttl()),
            (9, Duration::from_mins(1))
        );
        let config = Quota::set(config, "backend", &read("backend", "redis").unwrap());
        let config = Quota::set(
            config,
            "on_backend_error",
            &read("on_backend_error", "allow").unwrap(),
        );
        let config = Quota::set(
            config,
            "backend_timeout",
            &read("backend_timeout", "250ms").unwrap(),
        );
        assert_eq!(
            (
                config.backend(),
                config.on_backend_error(),
                config.backend_timeout()
            ),
            (
                Backend::Redis,
                OnBackendError::Allow,
                Duration::from_millis(250)
            )
        );
        let bad = [
            ("limit", "1000", "missing \"/\""),
            ("limit", "1000/fortnight", "unknown period"),
            ("limit", "0/day", "at least 1"),
            ("window", "slidng", "did you mean \"sliding\""),
            ("max_keys", "0", "at least 1"),
            ("idle_ttl", "0s", "greater than zero"),
            ("backend", "redsi", "did you mean \"redis\""),
            ("on_backend_error", "alow", "did you mean \"allow\""),
            ("backend_timeout", "0s", "greater than zero"),
        ];
        for (key, raw, expected) in bad {
            let message = read(key, raw).unwrap_err();
            assert!(message.contains(expected), "{key} = {raw}: {message}");
        }
    }

    #[test]
    fn backend_keys_need_the_redis_backend() {
        let local = QuotaConfig::new(QuotaLimit::per_day(10));
        let problems = Quota::check(&["limit", "on_backend_error", "backend_timeout"], &local);
        let keys: Vec<_> = problems.iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, ["on_backend_error", "backend_timeout"]);
        let redis = local.with_backend(Backend::Redis);
        let problems = Quota::check(
            &["limit", "backend", "on_backend_error", "backend_timeout"],
            &redis,
        );
        assert_eq!(problems.is_empty(), cfg!(feature = "redis"), "{problems:?}");
    }

    #[test]
    fn only_the_count_changes_while_running() {
        let before = QuotaConfig::new(QuotaLimit::per_day(10));
        assert!(
            Quota::fixed_while_running(&before, &before.with_limit(QuotaLimit::per_day(20)))
                .is_empty()
        );
        let problems = Quota::fixed_while_running(
            &before,
            &before
                .with_limit(QuotaLimit::per_hour(10))
                .with_window(QuotaWindow::Sliding),
        );
        let keys: Vec<_> = problems.iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, ["limit", "window"]);
        assert!(problems[0].1.contains("period"), "{}", problems[0].1);
    }
}
