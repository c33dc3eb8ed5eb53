//! One kind's instances by name.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::conflict::Conflict;
use crate::base::named::Named;
use crate::settings::keys::Configurable;

/// The instances of one kind. Looked up only when a call site first runs (each site caches
/// its handle) and by inspection, so a lock is fine here.
pub(crate) struct Family<P: Named> {
    entries: RwLock<BTreeMap<&'static str, Entry<P>>>,
}

struct Entry<P: Named> {
    /// Runs with the configuration layers applied to `declared`.
    instance: Arc<P>,
    /// The configuration declared (or the defaults), before any configuration layer: what
    /// later declarations are compared with, and what the layers apply to.
    declared: P::Config,
    /// Where the kept configuration was declared; `None` when a site that only names it ran
    /// before any declaration, so it runs with the defaults.
    declared_at: Option<&'static str>,
}

impl<P: Named> Default for Family<P> {
    fn default() -> Self {
        Self {
            entries: RwLock::new(BTreeMap::new()),
        }
    }
}

impl<P: Configurable> Family<P> {
    pub(crate) fn get(&self, name: &str) -> Option<Arc<P>> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(name).map(|entry| Arc::clone(&entry.instance))
    }

    /// The instance named `name` and its declared configuration.
    pub(crate) fn entry(&self, name: &str) -> Option<(Arc<P>, P::Config)> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(name)
            .map(|entry| (Arc::clone(&entry.instance), entry.declared.clone()))
    }

    /// Every instance with its name and declared configuration.
    pub(crate) fn entries(&self) -> Vec<(&'static str, Arc<P>, P::Config)> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .map(|(name, entry)| (*name, Arc::clone(&entry.instance), entry.declared.clone()))
            .collect()
    }

    /// The names of instances created with a declared configuration (not by a site that only
    /// names them).
    pub(crate) fn declared_names(&self) -> Vec<String> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .filter(|(_, entry)| entry.declared_at.is_some())
            .map(|(name, _)| (*name).to_owned())
            .collect()
    }

    pub(crate) fn names(&self) -> Vec<&'static str> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.keys().copied().collect()
    }

    /// Every instance, collected so that callers run without the lock.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn instances(&self) -> Vec<Arc<P>> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .values()
            .map(|entry| Arc::clone(&entry.instance))
            .collect()
    }

    pub(crate) fn map<T>(&self, f: impl Fn(&P) -> T) -> Vec<T> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.values().map(|entry| f(&entry.instance)).collect()
    }

    /// The instance named `name`, created if new, and a conflict if `config` differs from the
    /// configuration the instance already runs with.
    pub(crate) fn declare(
        &self,
        name: Cow<'static, str>,
        config: Option<P::Config>,
        location: &'static str,
        undeclared: impl FnOnce() -> P::Config,
    ) -> (Arc<P>, Option<Conflict>) {
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = entries.get(name.as_ref()) {
                let conflict = conflict(&name, entry, config.as_ref(), location);
                return (Arc::clone(&entry.instance), conflict);
            }
        }
        // The configuration layers are locked first (see `config::store` on lock order), so
        // a configuration change either sees this instance or is seen by it.
        let mut layers = super::store::lock();
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(name.as_ref()) {
            let conflict = conflict(&name, entry, config.as_ref(), location);
            return (Arc::clone(&entry.instance), conflict);
        }
        let name: &'static str = match name {
            Cow::Borrowed(name) => name,
            // Names are few and live as long as the registry, which is the whole process.
            Cow::Owned(name) => Box::leak(name.into_boxed_str()),
        };
        let declared_at = config.is_some().then_some(location);
        let config = config.unwrap_or_else(|| {
            tracing::warn!(
                target: "resilience_runtime::registry",
                kind = P::KIND,
                name,
                location,
                "named but declared nowhere; using the default configuration"
            );
            undeclared()
        });
        let in_force = layers.overlay::<P>(name, config.clone(), location, entries.keys().copied());
        drop(layers);
        let instance = P::shared(name, in_force);
        entries.insert(
            name,
            Entry {
                instance: Arc::clone(&instance),
                declared: config,
                declared_at,
            },
        );
        (instance, None)
    }
}

fn conflict<P: Configurable>(
    name: &str,
    entry: &Entry<P>,
    config: Option<&P::Config>,
    location: &'static str,
) -> Option<Conflict> {
    let config = config?;
    let kept = &entry.declared;
    if kept == config {
        return None;
    }
    Some(Conflict {
        kind: P::KIND,
        name: name.to_owned(),
        kept: format!("{kept:?}"),
        kept_at: entry
            .declared_at
            .unwrap_or("first use, before any declaration (defaults)"),
        ignored: format!("{config:?}"),
        ignored_at: location,
    })
}
