//! Names that sites adopt but nothing declares: no attribute, no registration from code and
//! no configuration. Such an instance runs with the built-in defaults, which is rarely what
//! the author meant (`name = "inventroy-db"`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::adoption::Adoption;
use crate::settings::keys::closest;
use crate::settings::report::ConfigIssue;

/// A name that attribute sites use without declaring it, and that nothing declares: its
/// instance runs with the built-in defaults. Listed by
/// [`Registry::undeclared`](super::Registry::undeclared), in the snapshot and in
/// [`config::issues`](crate::config::issues).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UndeclaredName {
    /// `"circuit_breaker"`, `"rate_limiter"`, `"bulkhead"` or `"retry"`.
    pub kind: &'static str,
    /// The name the sites use.
    pub name: String,
    /// Where (`file:line`), in source order.
    pub used_at: Vec<&'static str>,
    /// The closest declared name of the same kind, when one is a plausible typo of it.
    pub did_you_mean: Option<String>,
}

impl UndeclaredName {
    /// As a configuration warning, placed at the first site that uses it.
    pub(crate) fn issue(&self) -> ConfigIssue {
        let hint = self
            .did_you_mean
            .as_ref()
            .map(|close| format!(" (did you mean \"{close}\"?)"))
            .unwrap_or_default();
        let mut message = format!(
            "{} \"{}\" is named here but declared nowhere{hint}; it runs with the default configuration",
            self.kind.replace('_', " "),
            self.name,
        );
        if self.used_at.len() > 1 {
            message.push_str(&format!(
                " (also named at {})",
                self.used_at[1..].join(", ")
            ));
        }
        ConfigIssue::warning(self.used_at[0], message)
    }
}

/// The adopted names of `adoptions` that `is_declared(kind, name)` rejects, each with the
/// closest of `declared_names(kind)`.
pub(super) fn find(
    adoptions: &[&'static Adoption],
    is_declared: impl Fn(&'static str, &str) -> bool,
    declared_names: impl Fn(&str) -> Vec<String>,
) -> Vec<UndeclaredName> {
    let mut found: BTreeMap<(&'static str, &'static str), Vec<&'static str>> = BTreeMap::new();
    for adoption in adoptions {
        if !is_declared(adoption.kind, adoption.name) {
            found
                .entry((adoption.kind, adoption.name))
                .or_default()
                .push(adoption.location);
        }
    }
    found
        .into_iter()
        .map(|((kind, name), used_at)| UndeclaredName {
            kind,
            name: name.to_owned(),
            used_at,
            did_you_mean: closest(name, &declared_names(kind)).map(str::to_owned),
        })
        .collect()
}
