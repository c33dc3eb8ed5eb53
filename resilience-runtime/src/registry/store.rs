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
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::base::clock::{self, ClockSource};
use crate::base::kill_switch;
use crate::settings::batch::Keys;
use crate::settings::env::{self, EnvLayer, KnownNames};
use crate::settings::report::ConfigIssue;

/// Everything above the declarations.
#[derive(Debug)]
pub(crate) struct Store {
    /// The registry has started creating instances.
    pub(super) started: bool,
    /// The environment has been read (on first use of the registry or of configuration).
    pub(super) env_read: bool,
    pub(super) env: EnvLayer,
    /// Files and code, by kind and exact name.
    pub(super) overrides: BTreeMap<(&'static str, String), Keys>,
    /// The kill switch as files or code set it: wins over the environment.
    pub(super) disabled: Option<bool>,
    /// The clock source as files or code set it: wins over the environment.
    pub(super) clock: Option<ClockSource>,
    /// Problems found outside a `load`/`apply` call: the environment's, and overrides that
    /// could not apply to an instance created later.
    pub(super) issues: Vec<ConfigIssue>,
}

static STORE: Mutex<Store> = Mutex::new(Store::new());

/// The store, locked.
pub(crate) type Locked = MutexGuard<'static, Store>;

pub(crate) fn lock() -> Locked {
    STORE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks the registry as started and reads the environment. Called once, by the registry,
/// before it creates the declared instances.
pub(crate) fn start(known: &KnownNames) {
    let mut store = lock();
    store.started = true;
    store.read_env_once(known);
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

/// The process's `RESILIENCE_*` variables.
pub(super) fn process_env() -> Vec<(String, Option<String>)> {
    env::utf8_vars(std::env::vars_os())
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

    pub(super) fn read_env_once(&mut self, known: &KnownNames) {
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
                target: "resilience_runtime::config",
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
}

impl Store {
    /// The names files and code configure for `kind`.
    pub(super) fn override_names(&self, kind: &str) -> Vec<String> {
        self.overrides
            .keys()
            .filter(|(of, _)| *of == kind)
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Whether environment variables configure instance `name` of `kind`.
    pub(super) fn env_configures(&self, kind: &'static str, name: &str) -> bool {
        self.env
            .settings
            .contains_key(&(kind, env::normalize(name)))
    }
}

/// A kind as prose: `circuit breaker`.
pub(super) fn kind_label(kind: &str) -> String {
    kind.replace('_', " ")
}
