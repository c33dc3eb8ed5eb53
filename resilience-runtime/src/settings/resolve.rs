//! Resolving a source's entries: each kind and key looked up, each value read and checked.

use std::collections::BTreeMap;

use super::KINDS;
use super::batch::{Incoming, Keys};
use super::keys::Setting;
use super::report::ConfigIssue;

/// The keys of `entries` by instance, kinds and keys resolved and values read (later entries
/// for one key win); what cannot be resolved goes to `errors`.
pub(crate) fn resolve_all(
    entries: Vec<Incoming>,
    errors: &mut Vec<ConfigIssue>,
) -> BTreeMap<(&'static str, String), Keys> {
    let mut resolved: BTreeMap<(&'static str, String), Keys> = BTreeMap::new();
    for entry in entries {
        match resolve(&entry) {
            Ok((kind, key, setting)) => {
                resolved
                    .entry((kind, entry.name))
                    .or_default()
                    .insert(key, (setting, entry.at));
            }
            Err(issue) => errors.push(issue),
        }
    }
    resolved
}

/// The kind, key and value an entry sets.
pub(crate) fn resolve(
    entry: &Incoming,
) -> Result<(&'static str, &'static str, Setting), ConfigIssue> {
    let Some(spec) = KINDS.iter().find(|spec| spec.name == entry.kind) else {
        let kinds: Vec<&str> = KINDS.iter().map(|spec| spec.name).collect();
        let message = match resilience_syntax::did_you_mean(&entry.kind, &kinds) {
            Some(close) => format!("unknown kind \"{}\"; did you mean \"{close}\"?", entry.kind),
            None => format!(
                "unknown kind \"{}\"; expected one of {}",
                entry.kind,
                kinds.join(", ")
            ),
        };
        return Err(ConfigIssue::error(&entry.at, message));
    };
    let Some(key) = spec.key(&entry.key) else {
        if let Some(why) = spec.fixed(&entry.key) {
            return Err(ConfigIssue::error(
                &entry.at,
                format!("{why}; it cannot be configured"),
            ));
        }
        let names = spec.key_names();
        let message = match resilience_syntax::did_you_mean(&entry.key, &names) {
            Some(close) => format!("unknown key \"{}\"; did you mean \"{close}\"?", entry.key),
            None => format!(
                "unknown key \"{}\"; a {} takes {}",
                entry.key,
                spec.name.replace('_', " "),
                names.join(", ")
            ),
        };
        return Err(ConfigIssue::error(&entry.at, message));
    };
    (key.read)(&entry.raw)
        .map(|setting| (spec.name, key.name, setting))
        .map_err(|message| ConfigIssue::error(&entry.at, message).accepting(key.accepted))
}
