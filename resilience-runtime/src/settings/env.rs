//! `RESILIENCE_*` environment variables: `RESILIENCE_<KIND>_<NAME>_<KEY>` per instance,
//! `RESILIENCE_DISABLED` and `RESILIENCE_CLOCK`, read into a layer of settings keyed by kind
//! and normalised name.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;

use resilience_syntax::did_you_mean;

use super::KINDS;
use super::keys::{KindSpec, Setting};
use super::report::ConfigIssue;
use super::value::{self, Raw};
use crate::base::clock::ClockSource;

/// The prefix of every variable read here.
pub(crate) const PREFIX: &str = "RESILIENCE_";

/// The kill switch's variable.
pub(crate) const DISABLED: &str = "RESILIENCE_DISABLED";

/// The clock source's variable.
pub(crate) const CLOCK: &str = "RESILIENCE_CLOCK";

/// The variables that are not per instance, with the word after the prefix (for
/// did-you-mean).
const GLOBALS: &[(&str, &str)] = &[("disabled", DISABLED), ("clock", CLOCK)];

/// Variables with the prefix that other parts of the crate read.
const READ_ELSEWHERE: &[&str] = &[
    crate::base::redis::url::VARIABLE,
    crate::base::redis::url::CA_VARIABLE,
    crate::base::redis::url::CLUSTER_VARIABLE,
    crate::chaos::ENABLE_VARIABLE,
    crate::chaos::SEED_VARIABLE,
];

/// `name` as it appears in a variable: upper-cased, every run of characters other than ASCII
/// letters and digits turned into one `_` (`inventory-db` → `INVENTORY_DB`,
/// `app::Db::load` → `APP_DB_LOAD`).
pub(crate) fn normalize(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            normalized.push(c.to_ascii_uppercase());
            in_run = false;
        } else if !in_run {
            normalized.push('_');
            in_run = true;
        }
    }
    normalized
}

/// `vars` (as [`std::env::vars_os`] gives them) whose name is UTF-8 and has the prefix, with
/// their value if it is UTF-8.
pub(crate) fn utf8_vars(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
) -> Vec<(String, Option<String>)> {
    vars.into_iter()
        .filter_map(|(name, value)| {
            let name = name.into_string().ok()?;
            name.starts_with(PREFIX)
                .then(|| (name, value.into_string().ok()))
        })
        .collect()
}

/// Names known when the variables are read, by kind: every instance declared or created.
pub(crate) type KnownNames = BTreeMap<&'static str, BTreeSet<String>>;

/// The settings of one kind and normalised name, each with the variable that set it.
pub(crate) type EnvKeys = BTreeMap<&'static str, (Setting, String)>;

/// What the environment says.
#[derive(Debug, Default)]
pub(crate) struct EnvLayer {
    /// Settings by kind and normalised name.
    pub(crate) settings: BTreeMap<(&'static str, String), EnvKeys>,
    /// `RESILIENCE_DISABLED`, if set.
    pub(crate) disabled: Option<bool>,
    /// `RESILIENCE_CLOCK`, if set.
    pub(crate) clock: Option<ClockSource>,
    /// Every problem: errors (the layer must not be applied) and warnings.
    pub(crate) issues: Vec<ConfigIssue>,
}

impl EnvLayer {
    pub(crate) fn has_errors(&self) -> bool {
        self.issues
            .iter()
            .any(|issue| issue.severity == super::report::Severity::Error)
    }
}

/// Reads the `RESILIENCE_*` variables among `vars` (name, value; a value that is not UTF-8 is
/// `None`).
pub(crate) fn read(
    vars: impl IntoIterator<Item = (String, Option<String>)>,
    known: &KnownNames,
) -> EnvLayer {
    let mut layer = EnvLayer::default();
    let mut vars: Vec<_> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with(PREFIX))
        .collect();
    vars.sort();
    for (variable, text) in vars {
        if READ_ELSEWHERE.contains(&variable.as_str()) {
            continue;
        }
        let Some(text) = text else {
            layer.issues.push(ConfigIssue::error(
                &variable,
                "the value is not valid UTF-8",
            ));
            continue;
        };
        let raw = Raw::Text(text);
        if variable == DISABLED {
            match value::flag(&raw) {
                Ok(disabled) => layer.disabled = Some(disabled),
                Err(message) => {
                    layer
                        .issues
                        .push(ConfigIssue::error(&variable, message).accepting(
                        "1 (or true, yes, on) to disable, 0 (or false, no, off, empty) to enable",
                    ))
                }
            }
            continue;
        }
        if variable == CLOCK {
            match value::clock(&raw) {
                Ok(source) => layer.clock = Some(source),
                Err(message) => layer
                    .issues
                    .push(ConfigIssue::error(&variable, message).accepting(value::CLOCK_ACCEPTED)),
            }
            continue;
        }
        match target(&variable, known) {
            Ok(Target { spec, name, key }) => {
                let Some(key) = spec.key(key) else { continue };
                match (key.read)(&raw) {
                    Ok(setting) => {
                        check_name(&mut layer, &variable, spec, &name, known);
                        layer
                            .settings
                            .entry((spec.name, name))
                            .or_default()
                            .insert(key.name, (setting, variable));
                    }
                    Err(message) => layer
                        .issues
                        .push(ConfigIssue::error(&variable, message).accepting(key.accepted)),
                }
            }
            Err(issue) => layer.issues.push(issue),
        }
    }
    layer
}

/// The kind, normalised name and key a variable sets.
struct Target {
    spec: &'static KindSpec,
    name: String,
    key: &'static str,
}

/// Splits `RESILIENCE_<KIND>_<NAME>_<KEY>`. When several keys could end the variable (a name
/// may end in a word that also starts a key), the split whose name is known wins, else the
/// longest key.
fn target(variable: &str, known: &KnownNames) -> Result<Target, ConfigIssue> {
    let rest = &variable[PREFIX.len()..];
    let Some((spec, tail)) = KINDS.iter().find_map(|spec| {
        rest.strip_prefix(spec.env)
            .and_then(|tail| tail.strip_prefix('_'))
            .map(|tail| (*spec, tail))
    }) else {
        return Err(unknown_kind(variable, rest));
    };
    let mut splits: Vec<(String, &'static str)> = spec
        .keys
        .iter()
        .filter_map(|key| {
            let upper = key.name.to_ascii_uppercase();
            let name = tail.strip_suffix(upper.as_str())?.strip_suffix('_')?;
            (!name.is_empty()).then(|| (name.to_owned(), key.name))
        })
        .collect();
    splits.sort_by_key(|(_, key)| std::cmp::Reverse(key.len()));
    let known_here = |name: &str| {
        known
            .get(spec.name)
            .is_some_and(|names| names.iter().any(|known| normalize(known) == name))
    };
    let chosen = splits
        .iter()
        .find(|(name, _)| known_here(name))
        .or_else(|| splits.first());
    match chosen {
        Some((name, key)) => Ok(Target {
            spec,
            name: name.clone(),
            key,
        }),
        None => Err(unknown_key(variable, spec, tail)),
    }
}

fn kind_list() -> String {
    KINDS
        .iter()
        .map(|spec| spec.env)
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_kind(variable: &str, rest: &str) -> ConfigIssue {
    // Compare the first one and two words with each kind (and the whole rest with the global
    // variables).
    let words: Vec<&str> = rest.split('_').collect();
    let global_words: Vec<&str> = GLOBALS.iter().map(|(word, _)| *word).collect();
    let mut suggestion = did_you_mean(rest, &global_words).and_then(|close| {
        GLOBALS
            .iter()
            .find(|(word, _)| *word == close)
            .map(|(_, variable)| String::from(*variable))
    });
    for take in [2, 1] {
        if suggestion.is_some() || words.len() <= take {
            continue;
        }
        let written = words[..take].join("_");
        let kinds: Vec<&str> = KINDS.iter().map(|spec| spec.name).collect();
        if let Some(kind) = did_you_mean(&written, &kinds) {
            let env = KINDS
                .iter()
                .find(|spec| spec.name == kind)
                .map_or("", |spec| spec.env);
            suggestion = Some(format!("{PREFIX}{env}_{}", words[take..].join("_")));
        }
    }
    let message = match suggestion {
        Some(close) => format!("unknown variable; did you mean {close}?"),
        None => format!(
            "unknown variable; expected {PREFIX}<KIND>_<NAME>_<KEY> with KIND one of {}; or {DISABLED} or {CLOCK}",
            kind_list()
        ),
    };
    ConfigIssue::error(variable, message)
}

fn unknown_key(variable: &str, spec: &KindSpec, tail: &str) -> ConfigIssue {
    let words: Vec<&str> = tail.split('_').collect();
    // A key the attribute has that is not a value.
    for (key, why) in spec.fixed {
        let upper = key.to_ascii_uppercase();
        if tail.ends_with(&format!("_{upper}")) {
            return ConfigIssue::error(variable, format!("{why}; it cannot be configured"));
        }
    }
    // The best match of each key's word count at the end.
    let mut best: Option<(String, &str)> = None;
    for key in spec.keys {
        let count = key.name.split('_').count();
        if words.len() <= count {
            continue;
        }
        let written = words[words.len() - count..].join("_");
        if did_you_mean(&written, &[key.name]).is_some()
            && best
                .as_ref()
                .is_none_or(|(_, best_key)| key.name.len() > best_key.len())
        {
            best = Some((words[..words.len() - count].join("_"), key.name));
        }
    }
    let message = match best {
        Some((name, key)) => format!(
            "unknown key; did you mean {PREFIX}{}_{name}_{}?",
            spec.env,
            key.to_ascii_uppercase()
        ),
        None => format!(
            "unknown key; a {} takes {}",
            spec.name.replace('_', " "),
            spec.key_names()
                .iter()
                .map(|key| key.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    ConfigIssue::error(variable, message)
}

/// Reports a name that no known instance has (a warning: it may be created later) and a
/// name that two known instances share once normalised (an error: which one is meant?).
fn check_name(
    layer: &mut EnvLayer,
    variable: &str,
    spec: &KindSpec,
    name: &str,
    known: &KnownNames,
) {
    let names = known.get(spec.name);
    let matching: Vec<&String> = names
        .into_iter()
        .flatten()
        .filter(|known| normalize(known) == name)
        .collect();
    let what = spec.name.replace('_', " ");
    match matching.as_slice() {
        [_] => {}
        [] => {
            let normalized: Vec<String> = names.into_iter().flatten().map(|known| normalize(known)).collect();
            let hint = super::keys::closest(name, &normalized)
                .map(|close| format!(" (did you mean {close}?)"))
                .unwrap_or_default();
            layer.issues.push(ConfigIssue::warning(
                variable,
                format!(
                    "no {what} is named {name} so far{hint}; the variable applies to one created later under a name that normalises to {name}"
                ),
            ));
        }
        several => layer.issues.push(ConfigIssue::error(
            variable,
            format!(
                "{name} matches {} {what}s ({}): rename one, or configure it in a file, where names are exact",
                several.len(),
                several
                    .iter()
                    .map(|name| format!("\"{name}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Severity;
    use crate::settings::value::WindowValue;

    fn known(names: &[(&'static str, &str)]) -> KnownNames {
        let mut known = KnownNames::new();
        for (kind, name) in names {
            known.entry(*kind).or_default().insert((*name).to_owned());
        }
        known
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Some((*value).to_owned())))
            .collect()
    }

    fn messages(layer: &EnvLayer) -> Vec<String> {
        layer.issues.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn names_normalise() {
        assert_eq!(normalize("inventory-db"), "INVENTORY_DB");
        assert_eq!(
            normalize("my_crate::inventory::load"),
            "MY_CRATE_INVENTORY_LOAD"
        );
        assert_eq!(normalize("a  b..c"), "A_B_C");
        assert_eq!(normalize("Ünïcode-1"), "_N_CODE_1");
    }

    #[test]
    fn reads_settings_the_kill_switch_and_the_clock() {
        let known = known(&[("circuit_breaker", "inventory-db"), ("bulkhead", "pool")]);
        let layer = read(
            vars(&[
                (
                    "RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD",
                    "10",
                ),
                ("RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_WINDOW", "60s"),
                ("RESILIENCE_BULKHEAD_POOL_MAX_CONCURRENT", "8"),
                ("RESILIENCE_DISABLED", "1"),
                ("RESILIENCE_CLOCK", " CPU "),
                ("RESILIENCE_REDIS_URL", "redis://localhost"),
                ("PATH", "/bin"),
            ]),
            &known,
        );
        assert!(layer.issues.is_empty(), "{:?}", messages(&layer));
        assert_eq!(layer.disabled, Some(true));
        assert_eq!(layer.clock, Some(ClockSource::CpuCounter));
        let breaker = &layer.settings[&("circuit_breaker", String::from("INVENTORY_DB"))];
        assert_eq!(breaker["failure_threshold"].0, Setting::Whole(10));
        assert_eq!(
            breaker["window"].0,
            Setting::Window(WindowValue::Time(std::time::Duration::from_secs(60)))
        );
        assert_eq!(
            breaker["failure_threshold"].1,
            "RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD"
        );
        assert_eq!(
            layer.settings[&("bulkhead", String::from("POOL"))]["max_concurrent"].0,
            Setting::Whole(8)
        );
    }

    #[test]
    fn a_name_may_end_in_a_key_word() {
        // `..._MAX_RECOVERY_TIMEOUT`: the name is `DB` (key max_recovery_timeout) unless a
        // breaker named `db-max` exists (key recovery_timeout).
        let variable = "RESILIENCE_CIRCUIT_BREAKER_DB_MAX_RECOVERY_TIMEOUT";
        let layer = read(
            vars(&[(variable, "1m")]),
            &known(&[("circuit_breaker", "db")]),
        );
        assert!(
            layer.settings[&("circuit_breaker", String::from("DB"))]
                .contains_key("max_recovery_timeout")
        );
        let layer = read(
            vars(&[(variable, "1m")]),
            &known(&[("circuit_breaker", "db-max")]),
        );
        assert!(
            layer.settings[&("circuit_breaker", String::from("DB_MAX"))]
                .contains_key("recovery_timeout")
        );
    }

    #[test]
    fn typos_are_errors_with_a_did_you_mean() {
        let known = known(&[("circuit_breaker", "inventory-db"), ("retry", "fetch")]);
        let layer = read(
            vars(&[
                (
                    "RESILIENCE_CIRCUT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD",
                    "10",
                ),
                (
                    "RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_TRESHOLD",
                    "10",
                ),
                ("RESILIENCE_RETRY_FETCH_WHEN", "x"),
                ("RESILIENCE_RETRY_FETCH_WHEN_OK", "x"),
                ("RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_RECORD_IF_OK", "x"),
                ("RESILIENCE_RETRY_FETCH_COLOUR", "x"),
                ("RESILIENCE_DISABLE", "1"),
                ("RESILIENCE_DISABLED", "maybe"),
                ("RESILIENCE_CLOK", "cpu"),
                ("RESILIENCE_CLOCK", "tsc"),
                ("RESILIENCE_SOMETHING_ELSE", "1"),
                ("RESILIENCE_RETRY_FETCH_MAX_ATTEMPTS", "0"),
            ]),
            &known,
        );
        assert!(layer.has_errors());
        assert!(layer.settings.is_empty());
        let messages = messages(&layer);
        let expected = [
            "RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_TRESHOLD: unknown key; did you mean RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD?",
            "RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_RECORD_IF_OK: `record_if_ok` is a path to a fn in the code and is set only in the attribute; it cannot be configured",
            "RESILIENCE_CIRCUT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD: unknown variable; did you mean RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD?",
            "RESILIENCE_CLOCK: unknown clock \"tsc\"; expected \"tokio\" or \"cpu\" (accepted: tokio (tokio's clock, the default) or cpu (the CPU's time-stamp counter))",
            "RESILIENCE_CLOK: unknown variable; did you mean RESILIENCE_CLOCK?",
            "RESILIENCE_DISABLE: unknown variable; did you mean RESILIENCE_DISABLED?",
            "RESILIENCE_DISABLED: expected 1 or 0, not \"maybe\"",
            "RESILIENCE_RETRY_FETCH_COLOUR: unknown key; a retry takes PRESET, MAX_ATTEMPTS",
            "RESILIENCE_RETRY_FETCH_MAX_ATTEMPTS: 0 is out of range: `max_attempts` counts every call including the first, so it must be at least 1 (accepted: a whole number from 1 to 4294967295",
            "RESILIENCE_RETRY_FETCH_WHEN: `when` is a path to a fn in the code and is set only in the attribute; it cannot be configured",
            "RESILIENCE_RETRY_FETCH_WHEN_OK: `when_ok` is a path to a fn in the code and is set only in the attribute; it cannot be configured",
            "RESILIENCE_SOMETHING_ELSE: unknown variable; expected RESILIENCE_<KIND>_<NAME>_<KEY> with KIND one of CIRCUIT_BREAKER, RATE_LIMITER, BULKHEAD, RETRY, HEDGE, QUOTA; or RESILIENCE_DISABLED or RESILIENCE_CLOCK",
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        for (message, expected) in messages.iter().zip(expected) {
            assert!(
                message.starts_with(expected),
                "{message}\n  expected {expected}"
            );
        }
    }

    #[test]
    fn unknown_and_ambiguous_names() {
        let known = known(&[
            ("bulkhead", "inventory-pool"),
            ("bulkhead", "a-b"),
            ("bulkhead", "a_b"),
        ]);
        let layer = read(
            vars(&[
                ("RESILIENCE_BULKHEAD_INVENTORY_POOOL_MAX_CONCURRENT", "4"),
                ("RESILIENCE_BULKHEAD_A_B_MAX_CONCURRENT", "4"),
            ]),
            &known,
        );
        let messages = messages(&layer);
        assert_eq!(layer.issues[0].severity, Severity::Error);
        assert!(
            messages[0].contains("A_B matches 2 bulkheads (\"a-b\", \"a_b\")"),
            "{messages:?}"
        );
        assert_eq!(layer.issues[1].severity, Severity::Warning);
        assert!(
            messages[1].contains(
                "no bulkhead is named INVENTORY_POOOL so far (did you mean INVENTORY_POOL?)"
            ),
            "{messages:?}"
        );
        // The unknown name is kept for an instance created later.
        assert!(
            layer
                .settings
                .contains_key(&("bulkhead", String::from("INVENTORY_POOOL")))
        );
    }

    #[test]
    fn non_utf8_values_are_reported() {
        let layer = read(
            vec![(String::from("RESILIENCE_DISABLED"), None)],
            &KnownNames::new(),
        );
        assert!(messages(&layer)[0].contains("not valid UTF-8"));
    }
}
