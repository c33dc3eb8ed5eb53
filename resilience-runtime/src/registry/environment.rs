//! The environment layer read on first use, and the names configuration can address: what
//! needs both the store and the registry.

use super::declaration::{Declaration, declarations, declared_names};
use super::global::{Registry, started};
use super::store::{Locked, lock};
use super::undeclared::UndeclaredName;
use crate::base::clock::ClockSource;
use crate::settings::env::KnownNames;
use crate::settings::report::ConfigIssue;

/// The environment is read (if it was not yet) and the kill switch and clock source set
/// from it.
pub(crate) fn ensure_env() {
    let mut store = lock();
    if !store.env_read {
        let known = known_names(started(), &declarations());
        store.read_env_once(&known);
    }
}

/// Every problem found outside a `load`/`apply` call so far.
pub(crate) fn issues() -> Vec<ConfigIssue> {
    let undeclared = super::global::registry().undeclared();
    let mut issues = lock().issues.clone();
    issues.extend(undeclared.iter().map(UndeclaredName::issue));
    issues
}

/// The kill switch and clock source the environment layer sets, if any.
pub(crate) fn env_switches() -> (Option<bool>, Option<ClockSource>) {
    ensure_env();
    let store = lock();
    (store.env.disabled, store.env.clock)
}

/// The store, locked, with the registry if it has finished starting. Waits for a registry
/// that is starting on another thread (outside the lock: starting takes it).
pub(super) fn lock_with_registry() -> (Locked, Option<&'static Registry>) {
    loop {
        let store = lock();
        match started() {
            Some(registry) => return (store, Some(registry)),
            None if !store.started => return (store, None),
            None => {
                drop(store);
                let _ = crate::registry();
            }
        }
    }
}

/// Every name declared with the attributes or in use, by kind.
pub(super) fn known_names(
    registry: Option<&'static Registry>,
    declarations: &[&'static Declaration],
) -> KnownNames {
    let mut known = declared_names(declarations);
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
