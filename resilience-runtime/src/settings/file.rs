//! TOML files of named instances (the `config-file` feature, on by default).
//!
//! ```toml
//! [global]
//! disabled = false
//! clock = "tokio"
//!
//! [circuit_breaker."inventory-db"]
//! failure_threshold = 10
//!
//! [rate_limiter.api]
//! rate = "100/s"
//! ```

use resilience_syntax::did_you_mean;

use super::KINDS;
use super::batch::{Batch, Incoming};
use super::report::ConfigIssue;
use super::value::{self, ConfigValue, Raw};

const GLOBAL: &str = "global";
const GLOBAL_KEYS: &[&str] = &["disabled", "clock"];

/// Reads a file's text into keys to set. `origin` prefixes every place in messages (the
/// file's path and `": "`, or nothing).
pub(crate) fn parse(text: &str, origin: &str) -> Batch {
    let mut batch = Batch::default();
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(error) => {
            let at = origin.trim_end_matches(": ");
            let at = if at.is_empty() { "configuration" } else { at };
            batch.issues.push(ConfigIssue::error(
                at,
                format!("not valid TOML: {}", error.to_string().trim_end()),
            ));
            return batch;
        }
    };
    for (section, value) in table {
        let at = format!("{origin}{}", key_text(&section));
        let toml::Value::Table(instances) = value else {
            batch.issues.push(ConfigIssue::error(
                at,
                format!(
                    "expected a table, such as [{}.\"name\"]{}",
                    key_text(&section),
                    if section == GLOBAL { "" } else { " with keys" }
                ),
            ));
            continue;
        };
        if section == GLOBAL {
            global(&mut batch, &at, instances);
            continue;
        }
        if !KINDS.iter().any(|spec| spec.name == section) {
            let mut names: Vec<&str> = KINDS.iter().map(|spec| spec.name).collect();
            names.push(GLOBAL);
            let message = match did_you_mean(&section, &names) {
                Some(close) => format!(
                    "unknown section [{}]; did you mean [{close}]?",
                    key_text(&section)
                ),
                None => format!(
                    "unknown section [{}]; expected one of {}",
                    key_text(&section),
                    names
                        .iter()
                        .map(|name| format!("[{name}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            batch.issues.push(ConfigIssue::error(at, message));
            continue;
        }
        for (name, keys) in instances {
            let at = format!("{origin}{section}.{name:?}");
            let toml::Value::Table(keys) = keys else {
                batch.issues.push(ConfigIssue::error(
                    at,
                    format!("expected a table of keys: [{section}.{name:?}] followed by `key = value` lines"),
                ));
                continue;
            };
            for (key, value) in keys {
                let at = format!("{at}.{}", key_text(&key));
                match value_of(value) {
                    Ok(value) => batch.entries.push(Incoming {
                        kind: section.clone(),
                        name: name.clone(),
                        key,
                        raw: Raw::Value(value),
                        at,
                    }),
                    Err(message) => batch.issues.push(ConfigIssue::error(at, message)),
                }
            }
        }
    }
    batch
}

/// `key` as TOML writes it: bare when it can be (`failure_threshold`), else quoted, so an
/// empty or odd key still shows in a message (`""`, `"a b"`).
fn key_text(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

fn global(batch: &mut Batch, at: &str, keys: toml::Table) {
    for (key, value) in keys {
        let at = format!("{at}.{}", key_text(&key));
        match (key.as_str(), value) {
            ("disabled", toml::Value::Boolean(disabled)) => batch.disabled = Some(disabled),
            ("disabled", _) => batch
                .issues
                .push(ConfigIssue::error(at, "expected true or false").accepting("true or false")),
            ("clock", value) => {
                match value_of(value).and_then(|value| value::clock(&Raw::Value(value))) {
                    Ok(source) => batch.clock = Some(source),
                    Err(message) => batch
                        .issues
                        .push(ConfigIssue::error(at, message).accepting(value::CLOCK_ACCEPTED)),
                }
            }
            _ => {
                let message = match did_you_mean(&key, GLOBAL_KEYS) {
                    Some(close) => format!("unknown key \"{key}\"; did you mean \"{close}\"?"),
                    None => format!(
                        "unknown key \"{key}\"; [global] takes {}",
                        GLOBAL_KEYS.join(", ")
                    ),
                };
                batch.issues.push(ConfigIssue::error(at, message));
            }
        }
    }
}

fn value_of(value: toml::Value) -> Result<ConfigValue, String> {
    match value {
        toml::Value::String(text) => Ok(ConfigValue::Text(text)),
        toml::Value::Integer(value) => Ok(ConfigValue::Integer(value)),
        toml::Value::Float(value) => Ok(ConfigValue::Float(value)),
        toml::Value::Boolean(value) => Ok(ConfigValue::Boolean(value)),
        toml::Value::Datetime(_) | toml::Value::Array(_) | toml::Value::Table(_) => Err(format!(
            "expected a number, a string or a boolean, not {}",
            value.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(batch: &Batch) -> Vec<String> {
        batch.issues.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reads_sections_of_named_instances() {
        let batch = parse(
            r#"
            [global]
            disabled = true
            clock = "cpu"

            [circuit_breaker."inventory-db"]
            failure_threshold = 10
            recovery_timeout = "30s"

            [rate_limiter.api]
            rate = "100/s"

            [retry.x]
            multiplier = 1.5
            "#,
            "resilience.toml: ",
        );
        assert!(batch.issues.is_empty(), "{:?}", messages(&batch));
        assert_eq!(batch.disabled, Some(true));
        assert_eq!(
            batch.clock,
            Some(crate::base::clock::ClockSource::CpuCounter)
        );
        let entries: Vec<(String, String, String, String)> = batch
            .entries
            .iter()
            .map(|entry| {
                (
                    entry.kind.clone(),
                    entry.name.clone(),
                    entry.key.clone(),
                    entry.raw.to_string(),
                )
            })
            .collect();
        let expected = [
            ("circuit_breaker", "inventory-db", "failure_threshold", "10"),
            (
                "circuit_breaker",
                "inventory-db",
                "recovery_timeout",
                "\"30s\"",
            ),
            ("rate_limiter", "api", "rate", "\"100/s\""),
            ("retry", "x", "multiplier", "1.5"),
        ]
        .map(|(a, b, c, d)| (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned()));
        assert_eq!(entries, expected);
        assert_eq!(
            batch.entries[0].at,
            "resilience.toml: circuit_breaker.\"inventory-db\".failure_threshold"
        );
    }

    #[test]
    fn structure_mistakes() {
        let batch = parse(
            r#"
            bulkheads = 3
            [circut_breaker.db]
            failure_threshold = 1
            [global]
            disable = true
            clok = "cpu"
            clock = "tsc"
            [bulkhead]
            pool = 4
            [retry.x]
            max_attempts = [1, 2]
            [bulkhead.other]
            max_wait = 1979-05-27
            "#,
            "",
        );
        let messages = messages(&batch);
        let expected = [
            "bulkheads: expected a table, such as [bulkheads.\"name\"] with keys",
            "bulkhead.\"other\".max_wait: expected a number, a string or a boolean, not datetime",
            "bulkhead.\"pool\": expected a table of keys",
            "circut_breaker: unknown section [circut_breaker]; did you mean [circuit_breaker]?",
            "global.disable: unknown key \"disable\"; did you mean \"disabled\"?",
            "global.clok: unknown key \"clok\"; did you mean \"clock\"?",
            "global.clock: unknown clock \"tsc\"; expected \"tokio\" or \"cpu\" (accepted: tokio (tokio's clock, the default) or cpu (the CPU's time-stamp counter))",
            "retry.\"x\".max_attempts: expected a number, a string or a boolean, not array",
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        for expected in expected {
            assert!(
                messages.iter().any(|message| message.starts_with(expected)),
                "{expected} not in {messages:#?}"
            );
        }
        assert!(batch.entries.is_empty());
    }

    #[test]
    fn odd_keys_are_quoted_in_places() {
        let batch = parse("[\"\".\"\"]\n[retry.x]\n\"\" = 1\n\"a b\" = 2\n", "");
        let messages = messages(&batch);
        assert!(
            messages
                .iter()
                .any(|message| message.starts_with("\"\": unknown section [\"\"]")),
            "{messages:#?}"
        );
        let places: Vec<&str> = batch
            .entries
            .iter()
            .map(|entry| entry.at.as_str())
            .collect();
        assert_eq!(places, ["retry.\"x\".\"\"", "retry.\"x\".\"a b\""]);
    }

    #[test]
    fn syntax_errors_say_where() {
        let batch = parse("[circuit_breaker.db\nfailure_threshold = 1", "r.toml: ");
        let message = batch.issues[0].to_string();
        assert!(message.starts_with("r.toml: not valid TOML:"), "{message}");
        assert!(message.contains("line 1"), "{message}");
    }
}
