//! The configuration layers above the declarations, and how they reach instances.
//!
//! An instance runs with its declared configuration (attribute, code or defaults), then the
//! environment layer, then the override layer (files and code), each applied key by key in
//! its kind's key order. Instances are created under the store's lock, and every change of a
//! layer holds it while it validates, commits and reconfigures, so an instance is either
//! created before a change (and reconfigured by it) or after it (and created with it).
//!
//! Lock order: the store, then a registry family's map, then an instance's own lock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::env::{self, EnvKeys, EnvLayer, KnownNames, normalize};
use super::keys::{Configurable, Setting};
use super::report::{ConfigIssue, ConfigReport, InstanceChange, Severity};
use super::{ConfigError, KINDS};
use crate::base::clock::{self, ClockSource};
use crate::base::kill_switch;
use crate::bulkhead::Bulkhead;
use crate::circuit_breaker::CircuitBreaker;
use crate::rate_limit::RateLimiter;
use crate::registry::{self, Declaration, Member, Registry};
use crate::retry::Retry;

/// Settings of one instance in the override layer, each with where it was set.
pub(crate) type Keys = BTreeMap<&'static str, (Setting, String)>;

/// Everything above the declarations.
#[derive(Debug)]
pub(crate) struct Store {
    /// The registry has started creating instances.
    started: bool,
    /// The environment has been read (on first use of the registry or of configuration).
    env_read: bool,
    env: EnvLayer,
    /// Files and code, by kind and exact name.
    overrides: BTreeMap<(&'static str, String), Keys>,
    /// The kill switch as files or code set it: wins over the environment.
    disabled: Option<bool>,
    /// The clock source as files or code set it: wins over the environment.
    clock: Option<ClockSource>,
    /// Problems found outside a `load`/`apply` call: the environment's, and overrides that
    /// could not apply to an instance created later.
    issues: Vec<ConfigIssue>,
}

static STORE: Mutex<Store> = Mutex::new(Store::new());

/// The store, locked.
pub(crate) type Locked = MutexGuard<'static, Store>;

pub(crate) fn lock() -> Locked {
    STORE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One key to set, as a source wrote it.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) key: String,
    pub(crate) raw: super::value::Raw,
    /// Where, for messages: `circuit_breaker."db".failure_threshold`, with a file's path.
    pub(crate) at: String,
}

/// Keys to set, the kill switch and the clock source, from one source, with the problems
/// its reading found.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) entries: Vec<Incoming>,
    pub(crate) disabled: Option<bool>,
    pub(crate) clock: Option<ClockSource>,
    pub(crate) issues: Vec<ConfigIssue>,
}

/// What one instance's change will do once everything is validated.
struct Plan {
    change: InstanceChange,
    /// Reconfigures a running instance; false when it already ran with that configuration.
    apply: Option<Box<dyn FnOnce() -> bool>>,
}

/// Marks the registry as started and reads the environment. Called once, by the registry,
/// before it creates the declared instances.
pub(crate) fn start(declarations: &[&'static Declaration]) {
    let mut store = lock();
    store.started = true;
    let known = known_names(None, declarations);
    store.read_env_once(&known);
}

/// The environment is read (if it was not yet) and the kill switch and clock source set
/// from it.
pub(crate) fn ensure_env() {
    let mut store = lock();
    if !store.env_read {
        let known = known_names(registry::started(), &registry::declarations());
        store.read_env_once(&known);
    }
}

/// Every problem found outside a `load`/`apply` call so far.
pub(crate) fn issues() -> Vec<ConfigIssue> {
    ensure_env();
    lock().issues.clone()
}

/// Sets the kill switch from code.
pub(crate) fn set_disabled(disabled: bool) {
    let mut store = lock();
    store.disabled = Some(disabled);
    kill_switch::set(disabled, "code");
}

/// Sets the clock source from code.
pub(crate) fn set_clock(source: ClockSource) {
    let mut store = lock();
    store.clock = Some(source);
    clock::apply(source, "code");
}

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

/// Validates `batch` entirely, then commits it to the override layer and reconfigures the
/// running instances it changes; nothing at all when anything is wrong.
pub(crate) fn apply(batch: Batch, source: &str) -> Result<ConfigReport, ConfigError> {
    let (mut store, registry) = lock_with_registry();
    let known = known_names(registry, &registry::declarations());
    store.read_env_once(&known);

    let mut errors: Vec<ConfigIssue> = batch.issues;
    let mut warnings = Vec::new();
    let resolved = resolve_all(batch.entries, &mut errors);
    let mut plans = Vec::new();
    for ((kind, name), keys) in &resolved {
        let planned = match *kind {
            "circuit_breaker" => store.plan::<CircuitBreaker>(registry, name, keys),
            "rate_limiter" => store.plan::<RateLimiter>(registry, name, keys),
            "bulkhead" => store.plan::<Bulkhead>(registry, name, keys),
            _ => store.plan::<Retry>(registry, name, keys),
        };
        match planned {
            Ok((plan, warning)) => {
                plans.push(plan);
                warnings.extend(warning);
            }
            Err(problems) => errors.extend(problems),
        }
    }
    if !errors.is_empty() {
        let error = ConfigError::new(errors);
        tracing::error!(source, "{error}");
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
    let known = known_names(registry, &registry::declarations());
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
        tracing::error!(source = "environment", "{error}");
        return Err(error);
    }
    let mut errors = Vec::new();
    let mut plans = Vec::new();
    if let Some(registry) = registry {
        let old = &store.env.settings;
        let mut collect = |result: Result<Vec<Plan>, Vec<ConfigIssue>>| match result {
            Ok(more) => plans.extend(more),
            Err(problems) => errors.extend(problems),
        };
        collect(store.replan_env::<CircuitBreaker>(registry, old, &layer));
        collect(store.replan_env::<RateLimiter>(registry, old, &layer));
        collect(store.replan_env::<Bulkhead>(registry, old, &layer));
        collect(store.replan_env::<Retry>(registry, old, &layer));
    }
    if !errors.is_empty() {
        let error = ConfigError::new(errors);
        tracing::error!(source = "environment", "{error}");
        return Err(error);
    }
    for issue in &layer.issues {
        issue.log();
    }
    store.issues = layer.issues.clone();
    let disabled = layer.disabled;
    let env_clock = layer.clock;
    store.env = layer;
    let mut report = ConfigReport {
        warnings: store.issues.clone(),
        ..ConfigReport::default()
    };
    if store.disabled.is_none()
        && let Some(disabled) = disabled
    {
        kill_switch::set(disabled, env::DISABLED);
        report.disabled = Some(disabled);
    }
    if store.clock.is_none()
        && let Some(source) = env_clock
    {
        clock::apply(source, env::CLOCK);
        report.clock = Some(source);
    }
    for plan in plans {
        if let Some(apply) = plan.apply
            && apply()
        {
            report.reconfigured.push(plan.change);
        }
    }
    Ok(report)
}

/// The store, locked, with the registry if it has finished starting. Waits for a registry
/// that is starting on another thread (outside the lock: starting takes it).
fn lock_with_registry() -> (Locked, Option<&'static Registry>) {
    loop {
        let store = lock();
        match registry::started() {
            Some(registry) => return (store, Some(registry)),
            None if !store.started => return (store, None),
            None => {
                drop(store);
                let _ = crate::registry();
            }
        }
    }
}

/// The process's `RESILIENCE_*` variables.
fn process_env() -> Vec<(String, Option<String>)> {
    env::utf8_vars(std::env::vars_os())
}

/// Every name declared with the attributes or in use, by kind.
fn known_names(
    registry: Option<&'static Registry>,
    declarations: &[&'static Declaration],
) -> KnownNames {
    let mut known = KnownNames::new();
    for declaration in declarations {
        known
            .entry(declaration.kind())
            .or_default()
            .insert(declaration.name().to_owned());
    }
    if let Some(registry) = registry {
        for (kind, names) in registry.names_by_kind() {
            known
                .entry(kind)
                .or_default()
                .extend(names.into_iter().map(str::to_owned));
        }
    }
    known
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

/// `base` with the settings of `layers` applied, layer after layer, each in key order; and
/// the keys set.
pub(crate) fn layered<P: Configurable>(
    base: P::Config,
    layers: &[Option<&BTreeMap<&'static str, (Setting, String)>>],
) -> (P::Config, Vec<&'static str>) {
    let mut config = base;
    let mut set = Vec::new();
    for layer in layers.iter().flatten() {
        for key in P::SPEC.keys {
            if let Some((setting, _)) = layer.get(key.name) {
                config = P::set(config, key.name, setting);
                if !set.contains(&key.name) {
                    set.push(key.name);
                }
            }
        }
    }
    (config, set)
}

/// Where `key` was set among `layers`, the last one first (for messages).
pub(crate) fn origin(
    key: &str,
    layers: &[Option<&BTreeMap<&'static str, (Setting, String)>>],
    fallback: &str,
) -> String {
    layers
        .iter()
        .rev()
        .flatten()
        .find_map(|layer| layer.get(key).map(|(_, at)| at.clone()))
        .unwrap_or_else(|| fallback.to_owned())
}

fn kind_label(kind: &str) -> String {
    kind.replace('_', " ")
}

impl Store {
    const fn new() -> Self {
        Self {
            started: false,
            env_read: false,
            env: EnvLayer {
                settings: BTreeMap::new(),
                disabled: None,
                clock: None,
                issues: Vec::new(),
            },
            overrides: BTreeMap::new(),
            disabled: None,
            clock: None,
            issues: Vec::new(),
        }
    }

    fn read_env_once(&mut self, known: &KnownNames) {
        if self.env_read {
            return;
        }
        self.env_read = true;
        let mut layer = env::read(process_env(), known);
        for issue in &layer.issues {
            issue.log();
        }
        if layer.has_errors() {
            tracing::error!(
                "resilience configuration from the environment rejected, none of it applied: fix the variables above"
            );
            layer.settings.clear();
            layer.disabled = None;
            layer.clock = None;
        }
        self.issues = layer.issues.clone();
        if self.disabled.is_none()
            && let Some(disabled) = layer.disabled
        {
            kill_switch::set(disabled, env::DISABLED);
        }
        if self.clock.is_none()
            && let Some(source) = layer.clock
        {
            clock::apply(source, env::CLOCK);
        }
        self.env = layer;
    }

    /// The environment's settings for instance `name` of `P`, unless another instance in
    /// `others` has a name that normalises the same.
    fn env_keys<'a, P: Configurable>(
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

    /// Validates setting `keys` on instance `name` of `P`; what to do if everything is
    /// valid, and a warning for a name no instance has.
    #[allow(clippy::type_complexity)]
    fn plan<P: Configurable>(
        &self,
        registry: Option<&'static Registry>,
        name: &str,
        keys: &Keys,
    ) -> Result<(Plan, Option<ConfigIssue>), Vec<ConfigIssue>> {
        let live = registry.and_then(|registry| P::family(registry).entry(name));
        let declared = live
            .as_ref()
            .map(|(_, declared)| declared.clone())
            .or_else(|| declared_in_code::<P>(name));
        let warning = (live.is_none() && declared.is_none()).then(|| {
            let names: Vec<String> = registry
                .map(|registry| P::family(registry).names())
                .unwrap_or_default()
                .into_iter()
                .map(str::to_owned)
                .chain(
                    registry::declarations()
                        .into_iter()
                        .filter(|declaration| declaration.kind() == P::KIND)
                        .map(|declaration| declaration.name().to_owned()),
                )
                .collect();
            let hint = super::keys::closest(name, &names)
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
                        .map(|registry| P::family(registry).names())
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
    fn replan_env<P: Configurable>(
        &self,
        registry: &'static Registry,
        old: &BTreeMap<(&'static str, String), EnvKeys>,
        new: &EnvLayer,
    ) -> Result<Vec<Plan>, Vec<ConfigIssue>> {
        let mut plans = Vec::new();
        let mut problems = Vec::new();
        let entries = P::family(registry).entries();
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
fn declared_in_code<P: Member>(name: &str) -> Option<P::Config> {
    registry::declarations()
        .into_iter()
        .filter(|declaration| declaration.name() == name)
        .find_map(|declaration| P::declared(declaration))
}
