//! What a call site keeps in its `static`s: its cached registry handle ([`Site`]) or, for
//! layers without a registry instance in methods, its name ([`SiteName`], [`method_name`]).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::base::scope;

/// A call site's name, for layers that have no registry instance (timeouts, fallbacks) in
/// methods, whose name is made once at run time.
pub struct SiteName(OnceLock<&'static str>);

impl SiteName {
    /// An empty site name, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The name, made on first use.
    pub fn get_or_init(&'static self, name: impl FnOnce() -> &'static str) -> &'static str {
        self.0.get_or_init(name)
    }
}

impl Default for SiteName {
    fn default() -> Self {
        Self::new()
    }
}

/// A call site's cached registry handle.
pub struct Site<P>(OnceLock<Arc<P>>);

impl<P: Send + Sync + 'static> Site<P> {
    /// An empty site, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The cached instance, declaring it on first use; inside a test scope, the scope's own
    /// (declared on the site's first use in that scope).
    #[inline]
    pub fn get_or_init(&'static self, declare: impl FnOnce() -> Arc<P>) -> &'static P {
        if scope::any_active()
            && let Some(id) = scope::current()
        {
            return self.scoped(id, declare);
        }
        self.0.get_or_init(declare)
    }

    /// The instance of scope `id`, cached per scope and site.
    #[cold]
    #[inline(never)]
    fn scoped(&'static self, id: u64, declare: impl FnOnce() -> Arc<P>) -> &'static P {
        let key = (id, std::ptr::from_ref(self) as usize);
        if let Some(found) = scoped_sites()
            .get(&key)
            .and_then(|found| found.downcast_ref())
        {
            return found;
        }
        // Declared outside the lock: declaring may reach other sites' code.
        let instance: &'static Arc<P> = Box::leak(Box::new(declare()));
        scoped_sites().entry(key).or_insert(instance);
        instance
    }
}

/// Instances by test scope and site (the site's address); each an `Arc` of the site's kind.
type ScopedSites = HashMap<(u64, usize), &'static (dyn Any + Send + Sync)>;

/// Each test scope's instances, by scope and site. Scopes live as long as a test and their
/// instances are few, so they are kept (leaked) rather than reference-counted on the hot path.
fn scoped_sites() -> std::sync::MutexGuard<'static, ScopedSites> {
    static SITES: OnceLock<Mutex<ScopedSites>> = OnceLock::new();
    SITES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Forgets scope `id`'s site instances once it ended.
pub(crate) fn forget_scope(id: u64) {
    scoped_sites().retain(|(scope, _), _| *scope != id);
}

impl<P: Send + Sync + 'static> Default for Site<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// The default name of a method's policy: `Type::method`, without generic arguments.
/// Called once per call site; the name lives for the rest of the process.
#[must_use]
pub fn method_name(self_type: &str, method: &str) -> &'static str {
    let base = self_type.split('<').next().unwrap_or(self_type);
    Box::leak(format!("{base}::{method}").into_boxed_str())
}
