//! Changes of the configuration layers reaching running instances: every change validated
//! whole, then committed, then applied.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::declaration::declarations;
use super::environment::{known_names, lock_with_registry};
use super::global::Registry;
use super::kinds::{Addressable, KindVisitor, visit_addressable, visit_each_addressable};
use super::store::{Store, kind_label, process_env};
use crate::base::clock::{self, ClockSource};
use crate::base::kill_switch;
use crate::settings::batch::{Batch, Keys};
use crate::settings::env::{self, EnvKeys, EnvLayer, normalize};
use crate::settings::layering::{layered, origin};
use crate::settings::report::{ConfigError, ConfigIssue, ConfigReport, InstanceChange, Severity};
use crate::settings::resolve::resolve_all;

/// What one instance's change will do once everything is validated.
struct Plan {
    change: InstanceChange,
    /// Reconfigures a running instance; false when it already ran with that configuration.
    apply: Option<Box<dyn FnOnce() -> bool>>,
}

/// [`Store::plan`] for the visited kind.
struct PlanChange<'a> {
    store: &'a Store,
    registry: Option<&'static Registry>,
    name: &'a str,
    keys: &'a Keys,
}

impl KindVisitor for PlanChange<'_> {
    type Output = Result<(Plan, Option<ConfigIssue>), Vec<ConfigIssue>>;

    fn visit<P: Addressable>(self) -> Self::Output {
        self.store.plan::<P>(self.registry, self.name, self.keys)
    }
}

/// [`Store::replan_env`] for the visited kind.
struct ReplanEnv<'a> {
    store: &'a Store,
    registry: &'static Registry,
    old: &'a BTreeMap<(&'static str, String), EnvKeys>,
    new: &'a EnvLayer,
}

impl KindVisitor for ReplanEnv<'_> {
    type Output = Result<Vec<Plan>, Vec<ConfigIssue>>;

    fn visit<P: Addressable>(self) -> Self::Output {
        self.store
            .replan_env::<P>(self.registry, self.old, self.new)
    }
}

/// Validates `batch` entirely, then commits it to the override layer and reconfigures the
/// running instances it changes; nothing at all when anything is wrong.
pub(crate) fn apply(batch: Batch, source: &str) -> Result<ConfigReport, ConfigError> {
    let (mut store, registry) = lock_with_registry();
    let known = known_names(registry, &declarations());
    store.read_env_once(&known);

    let mut errors: Vec<ConfigIssue> = batch.issues;
    let mut warnings = Vec::new();
    let resolved = resolve_all(batch.entries, &mut errors);
    let mut plans = Vec::new();
    for ((kind, name), keys) in &resolved {
        let step = PlanChange {
            store: &store,
            registry,
            name,
            keys,
        };
        // Sources name only kinds they resolved, so every kind here is addressable.
        match visit_addressable(kind, step) {
            Some(Ok((plan, warning))) => {
                plans.push(plan);
                warnings.extend(warning);
            }
            Some(Err(problems)) => errors.extend(problems),
            None => {}
        }
    }
    if !errors.is_empty() {
        let error = ConfigError::new(errors);
        tracing::error!(target: "resilience_runtime::config", source, "{error}");
        return Err(error);
    }

    // Commit: nothing below can fail.
    for (instance, keys) in resolved {
        store.overrides.entry(instance).or_default().extend(keys);
    }
    if let Some(disabled) = batch.disabled {
        store.disabled = Some(disabled);
        kill_switch::set(disabled, source);
    }
    if let Some(clock) = batch.clock {
        store.clock = Some(clock);
        clock::apply(clock, source);
    }
    let mut report = ConfigReport {
        disabled: batch.disabled,
        clock: batch.clock,
        warnings,
        ..ConfigReport::default()
    };
    for plan in plans {
        match plan.apply {
            Some(apply) => {
                if apply() {
                    report.reconfigured.push(plan.change);
                }
            }
            None => report.remembered.push(plan.change),
        }
    }
    for warning in &report.warnings {
        warning.log();
    }
    tracing::info!(
        target: "resilience_runtime::config",
        source,
        reconfigured = report.reconfigured.len(),
        remembered = report.remembered.len(),
        "resilience configuration applied"
    );
    Ok(report)
}

/// Reads the environment again and applies what changed to running instances; nothing when
/// a variable is wrong.
pub(crate) fn reload_env() -> Result<ConfigReport, ConfigError> {
    let (mut store, registry) = lock_with_registry();
    let known = known_names(registry, &declarations());
    if !store.env_read {
        store.read_env_once(&known);
    }
    let layer = env::read(process_env(), &known);
    if layer.has_errors() {
        let errors: Vec<ConfigIssue> = layer
            .issues
            .iter()
            .filter(|issue| issue.severity == Severity::Error)
            .cloned()
            .collect();
        for issue in &layer.issues {
            issue.log();
        }
        store.issues = layer.issues;
        let error = ConfigError::new(errors);
        tracing::error!(target: "resilience_runtime::config", source = "environment", "{error}");
        return Err(error);
    }
    let mut errors = Vec::new();
    let mut plans = Vec::new();
    if let Some(registry) = registry {
        let old = &store.env.settings;
        let replanned = visit_each_addressable(|| ReplanEnv {
            store: &store,
            registry,
            old,
            new: &layer,
        });
        for result in replanned {
            match result {
                Ok(more) => plans.extend(more),
                Err(problems) => errors.extend(problems),
            }
        }
    }
    if !errors.is_empty() {
        let error = ConfigError::new(errors);
        tracing::error!(target: "resilience_runtime::config", source = "environment", "{error}");
        return Err(error);
    }
    for issue in &layer.issues {
        issue.log();
    }
    store.issues = layer.issues.clone();
    let (old_disabled, old_clock) = (store.env.disabled, store.env.clock);
    let disabled = layer.disabled;
    let env_clock = layer.clock;
    store.env = layer;
    let mut report = ConfigReport {
        warnings: store.issues.clone(),
        ..ConfigReport::default()
    };
    // A variable removed since the last reading puts its switch back to the default.
    if store.disabled.is_none()
        && let Some(disabled) = disabled.or(old_disabled.map(|_| false))
    {
        kill_switch::set(disabled, env::DISABLED);
        report.disabled = Some(disabled);
    }
    if store.clock.is_none()
        && let Some(source) = env_clock.or(old_clock.map(|_| ClockSource::default()))
    {
        clock::apply(source, env::CLOCK);
        report.clock = Some(source);
    }
    crate::chaos::reread_env();
    for plan in plans {
        if let Some(apply) = plan.apply
            && apply()
        {
            report.reconfigured.push(plan.change);
        }
    }
    Ok(report)
}

impl Store {
    /// Validates setting `keys` on instance `name` of `P`; what to do if everything is
    /// valid, and a warning for a name no instance has.
    #[allow(clippy::type_complexity)]
    fn plan<P: Addressable>(
        &self,
        registry: Option<&'static Registry>,
        name: &str,
        keys: &Keys,
    ) -> Result<(Plan, Option<ConfigIssue>), Vec<ConfigIssue>> {
        let live = registry.and_then(|registry| registry.family::<P>().entry(name));
        let declared = live
            .as_ref()
            .map(|(_, declared)| declared.clone())
            .or_else(|| declared_in_code::<P>(name));
        let warning = (live.is_none() && declared.is_none()).then(|| {
            let names: Vec<String> = registry
                .map(|registry| registry.family::<P>().names())
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .chain(
                    declarations()
                        .into_iter()
                        .filter(|declaration| declaration.kind() == P::KIND)
                        .map(|declaration| declaration.name().to_owned()),
                )
                .collect();
            let hint = crate::settings::keys::closest(name, &names)
                .map(|close| format!(" (did you mean \"{close}\"?)"))
                .unwrap_or_default();
            let at = keys.values().next().map_or("", |(_, at)| at.as_str());
            ConfigIssue::warning(
                at.rsplit_once('.').map_or(at, |(instance, _)| instance),
                format!(
                    "no {} is named \"{name}\" so far{hint}; the settings apply to one created later",
                    kind_label(P::SPEC.name)
                ),
            )
        });
        let set: Vec<&'static str> = P::SPEC
            .keys
            .iter()
            .map(|key| key.name)
            .filter(|key| keys.contains_key(key))
            .collect();
        let change = InstanceChange {
            kind: P::KIND,
            name: name.to_owned(),
            keys: set.clone(),
        };
        let mut problems = Vec::new();
        let apply: Option<Box<dyn FnOnce() -> bool>> =
            match live {
                // A running instance gets exactly these keys; its other settings stay as they
                // are, including changes made through its handle.
                Some((instance, _)) => {
                    let before = instance.in_force();
                    let layers = [Some(keys)];
                    let (config, _) = layered::<P>(before.clone(), &layers);
                    let issue = |(key, message): (&'static str, String)| {
                        ConfigIssue::error(origin(key, &layers, key), message)
                    };
                    problems.extend(P::check(&set, &config).into_iter().map(issue));
                    problems.extend(
                        P::fixed_while_running(&before, &config)
                            .into_iter()
                            .map(issue),
                    );
                    Some(Box::new(move || {
                        let changed = before != config;
                        if changed {
                            instance.reconfigure(config);
                        }
                        changed
                    }))
                }
                // One created later gets its declaration with every layer on top: check that.
                None => {
                    let base = declared.unwrap_or_else(P::undeclared_config);
                    let mut merged = self
                        .overrides
                        .get(&(P::SPEC.name, name.to_owned()))
                        .cloned()
                        .unwrap_or_default();
                    merged.extend(keys.iter().map(|(key, value)| (*key, value.clone())));
                    let names = registry
                        .map(|registry| registry.family::<P>().names())
                        .unwrap_or_default();
                    let env = self.env_keys::<P>(name, names.iter().copied());
                    let layers = [env, Some(&merged)];
                    let (config, _) = layered::<P>(base, &layers);
                    problems.extend(P::check(&set, &config).into_iter().map(|(key, message)| {
                        ConfigIssue::error(origin(key, &layers, key), message)
                    }));
                    None
                }
            };
        if problems.is_empty() {
            Ok((Plan { change, apply }, warning))
        } else {
            Err(problems)
        }
    }

    /// For every running instance of `P` whose environment settings differ between `old`
    /// and `new`: the reconfiguration to its declaration with `new` and the overrides.
    fn replan_env<P: Addressable>(
        &self,
        registry: &'static Registry,
        old: &BTreeMap<(&'static str, String), EnvKeys>,
        new: &EnvLayer,
    ) -> Result<Vec<Plan>, Vec<ConfigIssue>> {
        let mut plans = Vec::new();
        let mut problems = Vec::new();
        let entries = registry.family::<P>().entries();
        let names: Vec<&str> = entries.iter().map(|(name, _, _)| *name).collect();
        for (name, instance, declared) in entries.iter().cloned() {
            let normalized = normalize(name);
            let key = (P::SPEC.name, normalized);
            let shared = names
                .iter()
                .any(|other| *other != name && normalize(other) == key.1);
            let (before, after) = (old.get(&key), new.settings.get(&key));
            if shared || before == after {
                continue;
            }
            let overrides = self.overrides.get(&(P::SPEC.name, name.to_owned()));
            let layers = [after, overrides];
            let (config, set) = layered::<P>(declared, &layers);
            let env_set: Vec<&'static str> = set
                .into_iter()
                .filter(|key| after.is_some_and(|keys| keys.contains_key(key)))
                .collect();
            let current = instance.in_force();
            let found: Vec<_> = P::check(&env_set, &config)
                .into_iter()
                .chain(P::fixed_while_running(&current, &config))
                .map(|(key, message)| ConfigIssue::error(origin(key, &layers, key), message))
                .collect();
            if !found.is_empty() {
                problems.extend(found);
                continue;
            }
            let instance: Arc<P> = instance;
            plans.push(Plan {
                change: InstanceChange {
                    kind: P::KIND,
                    name: name.to_owned(),
                    keys: env_set,
                },
                apply: Some(Box::new(move || {
                    let changed = current != config;
                    if changed {
                        instance.reconfigure(config);
                    }
                    changed
                })),
            });
        }
        if problems.is_empty() {
            Ok(plans)
        } else {
            Err(problems)
        }
    }
}

/// The configuration the attributes declare for `name` (the first in source order).
fn declared_in_code<P: Addressable>(name: &str) -> Option<P::Config> {
    declarations()
        .into_iter()
        .filter(|declaration| declaration.name() == name)
        .find_map(|declaration| P::declared(&declaration.config))
}
