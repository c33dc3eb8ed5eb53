//! Durations in configuration: the grammar's messages reach it as they reach the attributes,
//! and durations longer than a policy holds (`u64` nanoseconds, about 584 years) are rejected
//! on every configuration path, naming the key, instead of reading back cut down; the longest
//! one a policy holds reads back exactly.

use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::config::{self, ConfigOverrides};
use resilience_runtime::registry;
use resilience_syntax::rules::{self, Form, MAX_DURATION};

/// Far more than a policy holds, in text.
const HUGE: &str = "300000d";

/// The configuration section of a kind of `rules::KINDS` (`None`: not configured by name).
fn section(kind: &str) -> Option<&'static str> {
    match kind {
        "retry" => Some("retry"),
        "circuit_breaker" => Some("circuit_breaker"),
        "rate_limit" => Some("rate_limiter"),
        "bulkhead" => Some("bulkhead"),
        _ => None,
    }
}

/// Every duration key of every configured kind, as (section, key).
fn duration_keys() -> Vec<(&'static str, &'static str)> {
    rules::KINDS
        .iter()
        .filter_map(|(kind, keys)| Some((section(kind)?, *keys)))
        .flat_map(|(section, keys)| {
            keys.iter()
                .filter(|rule| matches!(rule.form, Form::Duration | Form::PositiveDuration))
                .map(move |rule| (section, rule.key))
        })
        .collect()
}

#[test]
fn a_duration_too_long_from_code_is_rejected_and_nothing_applies() {
    let pool = registry().register_bulkhead(
        "bound-pool",
        BulkheadConfig::new(2).with_max_wait(Duration::from_millis(5)),
    );
    let error =
        config::apply(ConfigOverrides::new().bulkhead("bound-pool", "max_wait", Duration::MAX))
            .unwrap_err();
    let issues = error.issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].at, "bulkhead.\"bound-pool\".max_wait");
    assert_eq!(issues[0].message, rules::too_long("max_wait"));
    assert_eq!(pool.max_wait(), Duration::from_millis(5));

    // The longest duration a policy holds is kept exactly.
    config::apply(ConfigOverrides::new().bulkhead("bound-pool", "max_wait", MAX_DURATION)).unwrap();
    assert_eq!(pool.max_wait(), MAX_DURATION);
    assert_eq!(pool.config().max_wait(), MAX_DURATION);
}

#[test]
fn every_duration_key_rejects_a_duration_too_long_in_a_file() {
    let keys = duration_keys();
    assert!(keys.len() >= 10, "{keys:?}");
    for (section, key) in keys {
        let text = format!("[{section}.bound-file]\n{key} = \"{HUGE}\"");
        let error = config::dry_run_str(&text).unwrap_err();
        let about_key: Vec<_> = error
            .issues()
            .iter()
            .filter(|issue| issue.at.ends_with(&format!(".{key}")))
            .map(|issue| (issue.at.clone(), issue.message.clone()))
            .collect();
        assert_eq!(
            about_key,
            [(
                format!("{section}.\"bound-file\".{key}"),
                rules::too_long(key)
            )],
            "{text}"
        );
    }
}

#[test]
fn every_duration_key_rejects_a_duration_too_long_in_the_environment() {
    for (section, key) in duration_keys() {
        let variable = config::variable_name(section, "bound-env", key);
        let error = config::dry_run_env([(variable.clone(), String::from(HUGE))]).unwrap_err();
        let about_key: Vec<_> = error
            .issues()
            .iter()
            .filter(|issue| issue.at == variable)
            .map(|issue| issue.message.clone())
            .collect();
        assert_eq!(about_key, [rules::too_long(key)], "{variable}={HUGE}");
    }
}

#[test]
fn spaced_and_negative_durations_say_what_to_write() {
    let cases = [
        (
            "30 sec",
            "unexpected whitespace in duration \"30 sec\"; write it as \"30s\"",
        ),
        (
            "-1s",
            "negative durations are not allowed: \"-1s\"; a duration is zero or more, such as \"0s\" or \"1s\"",
        ),
    ];
    for (value, message) in cases {
        let variable = config::variable_name("retry", "spaced", "max_delay");
        let error = config::dry_run_env([(variable.clone(), String::from(value))]).unwrap_err();
        let issues = error.issues();
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(
            (&issues[0].at, &issues[0].message[..]),
            (&variable, message)
        );

        let text = format!("[retry.spaced]\nmax_delay = \"{value}\"");
        let error = config::dry_run_str(&text).unwrap_err();
        assert_eq!(error.issues()[0].message, message, "{text}");
    }
}
