//! The configuration a new instance runs with: its declaration with the environment and
//! override layers on top.

use super::store::{Store, kind_label};
use crate::settings::env::{self, EnvKeys, normalize};
use crate::settings::keys::Configurable;
use crate::settings::layering::{layered, origin};
use crate::settings::report::ConfigIssue;

impl Store {
    /// The environment's settings for instance `name` of `P`, unless another instance in
    /// `others` has a name that normalises the same.
    pub(super) fn env_keys<'a, P: Configurable>(
        &self,
        name: &str,
        others: impl IntoIterator<Item = &'a str>,
    ) -> Option<&EnvKeys> {
        let normalized = normalize(name);
        let keys = self.env.settings.get(&(P::SPEC.name, normalized.clone()))?;
        let shared = others
            .into_iter()
            .any(|other| other != name && normalize(other) == normalized);
        (!shared).then_some(keys)
    }

    /// The configuration a new instance `name` of `P` runs with: `declared`, then the
    /// environment, then the overrides. If the layers make an impossible combination with
    /// this declaration, the layers that do are left out (and reported).
    pub(crate) fn overlay<'a, P: Configurable>(
        &mut self,
        name: &str,
        declared: P::Config,
        location: &str,
        others: impl IntoIterator<Item = &'a str> + Clone,
    ) -> P::Config {
        let mut issues = Vec::new();
        let config = self.layered_for::<P>(name, declared, location, others, &mut issues);
        for issue in &issues {
            issue.log();
        }
        self.issues.extend(issues);
        config
    }

    fn layered_for<'a, P: Configurable>(
        &self,
        name: &str,
        declared: P::Config,
        location: &str,
        others: impl IntoIterator<Item = &'a str> + Clone,
        issues: &mut Vec<ConfigIssue>,
    ) -> P::Config {
        let overrides = self.overrides.get(&(P::SPEC.name, name.to_owned()));
        let env = self.env_keys::<P>(name, others.clone());
        let normalized = normalize(name);
        if env.is_none()
            && self
                .env
                .settings
                .contains_key(&(P::SPEC.name, normalized.clone()))
        {
            issues.push(ConfigIssue::error(
                format!("{}{}_{normalized}_*", env::PREFIX, P::SPEC.env),
                format!(
                    "{normalized} matches more than one {}; not applied to \"{name}\" (created at {location})",
                    kind_label(P::SPEC.name)
                ),
            ));
        }
        if env.is_none() && overrides.is_none() {
            return declared;
        }
        let attempts = [vec![env, overrides], vec![env]];
        for layers in &attempts {
            let (config, set) = layered::<P>(declared.clone(), layers);
            let problems = P::check(&set, &config);
            if problems.is_empty() {
                return config;
            }
            issues.extend(problems.into_iter().map(|(key, message)| {
                ConfigIssue::error(
                    origin(key, layers, key),
                    format!(
                        "not applied to {} \"{name}\" (created at {location}): {message}",
                        kind_label(P::SPEC.name)
                    ),
                )
            }));
        }
        declared
    }
}
