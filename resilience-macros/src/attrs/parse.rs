//! Parsing one attribute into its layer: the attribute's kind picks the parser.

use darling::ast::NestedMeta;

use super::input::AttrInput;
use super::kind::Kind;
use super::layer::Layer;
use super::{bulkhead, chaos, circuit_breaker, fallback, hedge, quota, rate_limit, retry, timeout};

/// Parses and validates one attribute.
pub(crate) fn parse(input: &AttrInput) -> darling::Result<Layer> {
    let items = NestedMeta::parse_meta_list(input.args.clone())?;
    match input.kind {
        Kind::Retry => retry::parse(&items, input.span).map(Layer::Retry),
        Kind::CircuitBreaker => {
            circuit_breaker::parse(&items, input.span).map(Layer::CircuitBreaker)
        }
        Kind::RateLimit => rate_limit::parse(&items, input.span).map(Layer::RateLimit),
        Kind::Timeout => timeout::parse(&items, input.span).map(Layer::Timeout),
        Kind::Bulkhead => bulkhead::parse(&items, input.span).map(Layer::Bulkhead),
        Kind::Fallback => fallback::parse(&items, input.span).map(Layer::Fallback),
        Kind::Chaos => chaos::parse(&items, input.span).map(Layer::Chaos),
        Kind::Hedge => hedge::parse(&items, input.span).map(Layer::Hedge),
        Kind::Quota => quota::parse(&items, input.span).map(Layer::Quota),
    }
}

#[cfg(test)]
mod tests {
    //! Every rule of `resilience_syntax::rules` through both readers: the attribute (here)
    //! and configuration (`resilience_runtime::config::dry_run_str`, which reads TOML as
    //! `config::load_str` does). The same input must get the same message; the loops walk
    //! the rule table, so a new key or combination is covered as soon as it is in it.

    use super::*;
    use crate::attrs::{Backend, Backoff, Jitter, OnBackendError, OnLimit, Preset};
    use darling::Error;
    use proc_macro2::Span;
    use resilience_syntax::rules::{self, Form, KeyRule};
    use std::time::Duration;

    /// The attribute's messages for `#[kind(entries)]`.
    fn attribute_errors(kind: &str, entries: &[(&str, &str)]) -> Vec<String> {
        let kind = Kind::ALL
            .into_iter()
            .find(|candidate| candidate.name() == kind)
            .expect("a kind of the rule table is an attribute");
        let args = entries
            .iter()
            .map(|(key, value)| format!("{key} = {value}"))
            .collect::<Vec<_>>()
            .join(", ");
        let input = AttrInput {
            kind,
            span: Span::call_site(),
            args: args.parse().expect("attribute arguments"),
        };
        match parse(&input) {
            Ok(_) => Vec::new(),
            Err(error) => error.into_iter().map(|error| message_of(&error)).collect(),
        }
    }

    /// An error's message without darling's ` at <field>` suffix (the compiler shows the
    /// span instead).
    fn message_of(error: &Error) -> String {
        let text = error.to_string();
        match text.rfind(" at ") {
            Some(at) if !text[at + 4..].contains(' ') => text[..at].to_owned(),
            _ => text,
        }
    }

    /// The section configuration gives a kind, if configuration addresses it.
    fn section(kind: &str) -> Option<&'static str> {
        match kind {
            "retry" => Some("retry"),
            "circuit_breaker" => Some("circuit_breaker"),
            "rate_limit" => Some("rate_limiter"),
            "bulkhead" => Some("bulkhead"),
            "hedge" => Some("hedge"),
            "quota" => Some("quota"),
            _ => None,
        }
    }

    /// Configuration's problems, as (key, message), for the same entries of one instance.
    fn configuration_errors(section: &str, entries: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut toml = format!("[{section}.\"rules\"]\n");
        for (key, value) in entries {
            toml.push_str(&format!("{key} = {value}\n"));
        }
        match resilience_runtime::config::dry_run_str(&toml) {
            Ok(_) => Vec::new(),
            Err(error) => error
                .issues()
                .iter()
                .map(|issue| {
                    let key = issue.at.rsplit('.').next().unwrap_or_default();
                    (key.to_owned(), issue.message.clone())
                })
                .collect(),
        }
    }

    /// What the attribute needs besides `key` so that only `key`'s value is judged.
    fn context(kind: &str, key: &str) -> Vec<(&'static str, &'static str)> {
        let mut entries = match kind {
            "rate_limit" if key != "rate" => vec![("rate", "\"10/s\"")],
            "bulkhead" if key != "max_concurrent" => vec![("max_concurrent", "4")],
            "hedge" if key != "delay" => vec![("delay", "\"50ms\"")],
            "quota" if key != "limit" => vec![("limit", "\"10/day\"")],
            _ => Vec::new(),
        };
        entries.extend(match (kind, key) {
            ("circuit_breaker", "window" | "minimum_calls") => vec![("failure_rate", "50")],
            ("circuit_breaker", "slow_call_duration") => vec![("slow_call_rate", "50")],
            ("circuit_breaker", "slow_call_rate") => vec![("slow_call_duration", "\"1s\"")],
            ("retry", "jitter_factor") => vec![("jitter", "\"proportional\"")],
            ("retry", "budget_window" | "budget_min") => vec![("budget", "\"20%\"")],
            ("rate_limit", "max_queue") => vec![("on_limit", "\"queue\"")],
            ("rate_limit", "max_wait") => vec![("on_limit", "\"wait\"")],
            ("circuit_breaker", "max_recovery_timeout") => vec![("recovery_backoff", "2.0")],
            ("rate_limit" | "quota", "on_backend_error" | "backend_timeout")
            | ("circuit_breaker", "backend_timeout") => vec![("backend", "\"redis\"")],
            _ => Vec::new(),
        });
        entries
    }

    /// What the attribute alone needs: a per-key limiter's `key` is code.
    fn attribute_context(kind: &str, key: &str) -> Vec<(&'static str, &'static str)> {
        match (kind, key) {
            ("rate_limit" | "quota", "max_keys" | "idle_ttl") => vec![("key", "user")],
            _ => Vec::new(),
        }
    }

    /// A duration one nanosecond longer than any key takes.
    fn too_long() -> String {
        resilience_syntax::format_duration(rules::MAX_DURATION + Duration::from_nanos(1))
    }

    /// Values the rule rejects, as written, with the rule's message and whether
    /// configuration names the value first ([`rules::out_of_range`]).
    fn violations(rule: &KeyRule) -> Vec<(String, String, bool)> {
        let whole = |value: u64| {
            rule.check_whole(value)
                .err()
                .map(|message| (value.to_string(), message.to_owned(), true))
        };
        let number = |value: f64| {
            rule.check_number(value)
                .err()
                .map(|message| (value.to_string(), message, false))
        };
        let duration = |text: String| {
            let value = resilience_syntax::parse_duration(&text).expect("a duration");
            rule.check_duration(value)
                .err()
                .map(|message| (format!("\"{text}\""), message, false))
        };
        let found = match rule.form {
            Form::Whole { min, max, .. } => {
                vec![
                    min.checked_sub(1).and_then(whole),
                    max.checked_add(1).and_then(whole),
                ]
            }
            Form::Number { above, at_most, .. } => vec![number(above), number(at_most + 1.0)],
            Form::PositiveDuration => vec![duration(String::from("0s")), duration(too_long())],
            Form::DurationWithin { min, max, .. } => vec![
                min.checked_sub(Duration::from_millis(1))
                    .and_then(|shorter| duration(resilience_syntax::format_duration(shorter))),
                duration(resilience_syntax::format_duration(
                    max + Duration::from_millis(1),
                )),
            ],
            Form::Window { calls, max_secs } => {
                let Form::Whole { min, max, .. } = *calls else {
                    panic!("a window counts calls as a whole number");
                };
                vec![
                    whole(min - 1),
                    whole(max + 1),
                    duration(String::from("1500ms")),
                    duration(format!("{}s", max_secs + 1)),
                ]
            }
            Form::Word(words) => {
                let typo = &words[0][..words[0].len() - 1];
                ["nope", typo]
                    .into_iter()
                    .map(|word| {
                        Some((
                            format!("\"{word}\""),
                            rules::unknown_word(rule.key, word, words),
                            false,
                        ))
                    })
                    .collect()
            }
            Form::Rate => vec![Some((
                String::from("\"0/s\""),
                resilience_syntax::parse_rate("0/s").expect_err("a zero rate"),
                false,
            ))],
            Form::Limit => ["\"1000\"", "\"1000/fortnight\"", "\"0/day\""]
                .into_iter()
                .map(|text| {
                    let message =
                        rules::quota::parse_limit(text.trim_matches('"')).expect_err("rejected");
                    Some((text.to_owned(), message, false))
                })
                .collect(),
            Form::RateFromZero => vec![Some((
                String::from("\"0/dya\""),
                resilience_syntax::parse_rate_from_zero("0/dya").expect_err("a typo"),
                false,
            ))],
            Form::Percent => ["20", "0%", "120%"]
                .into_iter()
                .map(|text| {
                    let message = resilience_syntax::parse_percent(text).expect_err("rejected");
                    Some((format!("\"{text}\""), message, false))
                })
                .collect(),
            Form::Duration => vec![duration(too_long())],
            Form::Fraction => Vec::new(),
            Form::Delay(words) => {
                let other = |text: &str| {
                    let message =
                        resilience_syntax::rules::hedge::parse_delay(text).expect_err("rejected");
                    Some((format!("\"{text}\""), message, false))
                };
                let typo = format!("{}x", words[0]);
                vec![
                    duration(String::from("0s")),
                    other("p50"),
                    other("fast"),
                    other(&typo),
                ]
            }
        };
        found.into_iter().flatten().collect()
    }

    #[test]
    fn every_value_rule_reads_the_same_in_the_attribute_and_in_configuration() {
        let mut checked = 0;
        for (kind, keys) in rules::KINDS {
            let Some(section) = section(kind) else {
                continue;
            };
            for rule in keys {
                for (value, message, value_first) in violations(rule) {
                    let mut entries = context(kind, rule.key);
                    let config_entries = entries.clone();
                    entries.extend(attribute_context(kind, rule.key));
                    entries.push((rule.key, &value));
                    let mut config_entries = config_entries;
                    config_entries.push((rule.key, &value));

                    // `max_attempts` beyond `u32`: the attribute says "too large", where
                    // configuration states the range (the two paths differ here).
                    let too_large = rule.key == "max_attempts"
                        && value.parse::<u64>().is_ok_and(|v| v > u64::from(u32::MAX));
                    let attribute = if too_large {
                        String::from(rules::retry::MAX_ATTEMPTS_TOO_LARGE)
                    } else {
                        message.clone()
                    };
                    assert_eq!(
                        attribute_errors(kind, &entries),
                        [attribute],
                        "#[{kind}({} = {value})]",
                        rule.key
                    );
                    let configured = if value_first {
                        rules::out_of_range(&value, &message)
                    } else {
                        message
                    };
                    // Only the problem with this key: configuration goes on to check the
                    // combinations without the rejected value, which can add one (a zero
                    // `slow_call_duration` also leaves `slow_call_rate` without a duration),
                    // where the attribute stops at the value.
                    let about_key: Vec<_> = configuration_errors(section, &config_entries)
                        .into_iter()
                        .filter(|(key, _)| key == rule.key)
                        .collect();
                    assert_eq!(
                        about_key,
                        [(rule.key.to_owned(), configured)],
                        "[{section}] {} = {value}",
                        rule.key
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "only {checked} values checked");
    }

    #[test]
    fn every_combination_rule_reads_the_same_in_the_attribute_and_in_configuration() {
        let retry = rules::retry::COMBINATIONS.iter().map(|rule| rule.broken_by);
        let breaker = rules::circuit_breaker::COMBINATIONS
            .iter()
            .map(|rule| rule.broken_by);
        let limiter = rules::rate_limit::COMBINATIONS
            .iter()
            .map(|rule| rule.broken_by);
        let bulkhead = rules::bulkhead::COMBINATIONS
            .iter()
            .map(|rule| rule.broken_by);
        let quota = rules::quota::COMBINATIONS.iter().map(|rule| rule.broken_by);
        let sources = retry
            .map(|sources| ("retry", sources))
            .chain(breaker.map(|sources| ("circuit_breaker", sources)))
            .chain(limiter.map(|sources| ("rate_limit", sources)))
            .chain(bulkhead.map(|sources| ("bulkhead", sources)))
            .chain(quota.map(|sources| ("quota", sources)));
        let mut checked = 0;
        for (kind, broken_by) in sources {
            let section = section(kind).expect("a configured kind");
            for source in broken_by {
                let attribute = attribute_errors(kind, source);
                let configured = configuration_errors(section, source);
                assert_eq!(attribute.len(), 1, "#[{kind}] {source:?}: {attribute:?}");
                assert_eq!(
                    configured.len(),
                    1,
                    "[{section}] {source:?}: {configured:?}"
                );
                assert_eq!(configured[0].1, attribute[0], "{kind} {source:?}");
                assert!(
                    source.iter().any(|(key, _)| *key == configured[0].0),
                    "{kind} {source:?}: names {}",
                    configured[0].0
                );
                checked += 1;
            }
        }
        assert!(checked >= 15, "only {checked} sources checked");
    }

    /// The rules only the attribute applies still reject their sources there.
    #[test]
    fn attribute_only_rules_reject_their_sources() {
        let limiter = rules::rate_limit::ATTRIBUTE_COMBINATIONS
            .iter()
            .map(|rule| ("rate_limit", rule.broken_by));
        let chaos = rules::chaos::COMBINATIONS
            .iter()
            .map(|rule| ("chaos", rule.broken_by));
        let quota = rules::quota::ATTRIBUTE_COMBINATIONS
            .iter()
            .map(|rule| ("quota", rule.broken_by));
        for (kind, broken_by) in limiter.chain(chaos).chain(quota) {
            for source in broken_by {
                let errors = attribute_errors(kind, source);
                assert_eq!(errors.len(), 1, "#[{kind}] {source:?}: {errors:?}");
            }
        }
    }

    /// Where the two readers word a rule differently on purpose: the attribute knows when a
    /// value is the built-in default and says so; configuration, over several layers, does not.
    #[test]
    fn documented_differences() {
        let source = [("initial_delay", "\"20s\"")];
        assert_eq!(
            attribute_errors("retry", &source),
            ["`initial_delay` (20s) exceeds the default `max_delay` (10s); raise `max_delay` too"]
        );
        assert_eq!(
            configuration_errors("retry", &source),
            [(
                String::from("initial_delay"),
                String::from(
                    "`initial_delay` (20s) exceeds `max_delay` (10s); raise `max_delay` too"
                )
            )]
        );
    }

    /// The keyword lists of did-you-mean and "expected one of" are the rule table's, and
    /// every word of it names a value.
    #[test]
    fn keywords_come_from_the_rule_table() {
        fn all_named<K: crate::value::Keyword>() {
            for word in K::RULE.words() {
                assert!(K::named(word).is_some(), "{}: {word}", K::RULE.key);
            }
        }
        assert_eq!(
            <Backoff as crate::value::Keyword>::RULE.words(),
            rules::retry::BACKOFFS
        );
        assert_eq!(
            <Jitter as crate::value::Keyword>::RULE.words(),
            rules::retry::JITTERS
        );
        assert_eq!(
            <Preset as crate::value::Keyword>::RULE.words(),
            rules::retry::PRESETS
        );
        assert_eq!(
            <OnLimit as crate::value::Keyword>::RULE.words(),
            rules::rate_limit::ON_LIMIT
        );
        assert_eq!(
            <Backend as crate::value::Keyword>::RULE.words(),
            rules::rate_limit::BACKENDS
        );
        assert_eq!(
            <OnBackendError as crate::value::Keyword>::RULE.words(),
            rules::rate_limit::ON_BACKEND_ERROR
        );
        all_named::<Backoff>();
        all_named::<Jitter>();
        all_named::<Preset>();
        all_named::<OnLimit>();
        all_named::<Backend>();
        all_named::<OnBackendError>();
        assert_eq!(
            <crate::attrs::QuotaWindow as crate::value::Keyword>::RULE.words(),
            rules::quota::WINDOWS
        );
        all_named::<crate::attrs::QuotaWindow>();
        assert_eq!(
            attribute_errors("retry", &[("backoff", "3")]),
            [rules::expects_one_of("backoff", rules::retry::BACKOFFS)]
        );
    }
}
