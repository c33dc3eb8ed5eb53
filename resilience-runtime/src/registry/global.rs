//! The process-wide registry: one map per kind, looked up by name.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use super::adoption::adoptions;
use super::conflict::Conflict;
use super::declaration::{Declaration, declarations, declared_names};
use super::family::Family;
use super::kinds::{
    Addressable, DeclarationVisitor, Families, KindVisitor, Member, visit_addressable,
    visit_declared,
};
use super::snapshot::RegistrySnapshot;
use super::store;
use super::undeclared::{self, UndeclaredName};
use crate::base::scope;
use crate::bulkhead::{BulkheadConfig, BulkheadHandle};
use crate::chaos::{ChaosConfig, ChaosHandle};
use crate::circuit_breaker::{CircuitBreakerConfig, CircuitBreakerHandle};
use crate::hedge::{HedgeConfig, HedgeHandle};
use crate::quota::{QuotaConfig, QuotaHandle};
use crate::rate_limit::{RateLimitConfig, RateLimiterHandle};
use crate::retry::{RetryConfig, RetryHandle};

/// The process-wide registry; get it with [`registry()`].
pub struct Registry {
    pub(super) families: Families,
    conflicts: Mutex<Vec<Conflict>>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The process-wide registry.
///
/// The first call collects every declaration made with the attributes anywhere in the program,
/// reads the configuration environment variables (see [`config`](crate::config)) and creates
/// the declared instances.
///
/// Inside a [`testing::scope`](crate::testing::scope), the scope's own registry.
#[must_use]
pub fn registry() -> &'static Registry {
    if scope::any_active()
        && let Some(id) = scope::current()
    {
        return scoped(id);
    }
    process()
}

/// The process's registry, whatever the scope.
fn process() -> &'static Registry {
    REGISTRY.get_or_init(|| {
        let registry = Registry::empty();
        let declarations = declarations();
        store::start(&declared_names(&declarations));
        for declaration in declarations {
            registry.adopt(declaration);
        }
        for name in registry.undeclared() {
            name.issue().log();
        }
        registry
    })
}

/// The registry of test scope `id`, made on first use with the attributes' declarations.
fn scoped(id: u64) -> &'static Registry {
    let _ = process(); // the environment is read and the store started first
    let mut scopes = scopes();
    if let Some(found) = scopes.get(&id) {
        return found;
    }
    let registry: &'static Registry = Box::leak(Box::new(Registry::empty()));
    scopes.insert(id, registry);
    drop(scopes);
    for declaration in declarations() {
        registry.adopt(declaration);
    }
    registry
}

/// The registries of live test scopes. Each is kept (leaked) after its scope: scopes last as
/// long as a test, and sites of the scope may still hold its instances.
fn scopes() -> MutexGuard<'static, HashMap<u64, &'static Registry>> {
    static SCOPES: OnceLock<Mutex<HashMap<u64, &'static Registry>>> = OnceLock::new();
    SCOPES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Forgets test scope `id`'s registry once the scope ended.
pub(crate) fn end_scope(id: u64) {
    scopes().remove(&id);
}

/// The process's registry, if it has finished starting.
pub(crate) fn started() -> Option<&'static Registry> {
    REGISTRY.get()
}

impl Registry {
    fn empty() -> Self {
        Self {
            families: Families::default(),
            conflicts: Mutex::new(Vec::new()),
        }
    }
}

impl Registry {
    /// The circuit breaker named `name`, if one is declared or in use.
    #[must_use]
    pub fn circuit_breaker(&self, name: &str) -> Option<CircuitBreakerHandle> {
        self.families.circuit_breakers.get(name)
    }

    /// The rate limiter named `name`, if one is declared or in use.
    #[must_use]
    pub fn rate_limiter(&self, name: &str) -> Option<RateLimiterHandle> {
        self.families.rate_limiters.get(name)
    }

    /// The bulkhead named `name`, if one is declared or in use.
    #[must_use]
    pub fn bulkhead(&self, name: &str) -> Option<BulkheadHandle> {
        self.families.bulkheads.get(name)
    }

    /// The retry policy named `name`, if one is declared or in use.
    #[must_use]
    pub fn retry(&self, name: &str) -> Option<RetryHandle> {
        self.families.retries.get(name)
    }

    /// The hedge named `name`, if one is declared or in use.
    #[must_use]
    pub fn hedge(&self, name: &str) -> Option<HedgeHandle> {
        self.families.hedges.get(name)
    }

    /// The quota named `name`, if one is declared or in use.
    ///
    /// ```
    /// use resilience_runtime::{quota, registry, Error};
    ///
    /// #[quota(name = "doc-registry-quota", limit = "2/day", key = client)]
    /// async fn fetch(client: &str) -> Result<(), Error> {
    ///     Ok(())
    /// }
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// fetch("acme").await.unwrap();
    /// let quota = registry().quota("doc-registry-quota").unwrap();
    /// assert_eq!(quota.remaining(&"acme"), 1);
    /// assert_eq!(quota.limit().to_string(), "2/day");
    /// # }
    /// ```
    #[must_use]
    pub fn quota(&self, name: &str) -> Option<QuotaHandle> {
        self.families.quotas.get(name)
    }

    /// The chaos instance named `name`, once its site has run (see [`chaos`](mod@crate::chaos)).
    #[must_use]
    pub fn chaos(&self, name: &str) -> Option<ChaosHandle> {
        self.families.chaos.get(name)
    }

    /// Declares a circuit breaker from code, or returns the existing one of that name (a
    /// different `config` for an existing name is reported as a conflict; the existing
    /// configuration stays).
    pub fn register_circuit_breaker(
        &self,
        name: impl Into<Cow<'static, str>>,
        config: CircuitBreakerConfig,
    ) -> CircuitBreakerHandle {
        self.declare(name.into(), Some(config), "registered from code")
    }

    /// Declares a rate limiter from code; see [`register_circuit_breaker`](Self::register_circuit_breaker).
    pub fn register_rate_limiter(
        &self,
        name: impl Into<Cow<'static, str>>,
        config: RateLimitConfig,
    ) -> RateLimiterHandle {
        self.declare(name.into(), Some(config), "registered from code")
    }

    /// Declares a bulkhead from code; see [`register_circuit_breaker`](Self::register_circuit_breaker).
    pub fn register_bulkhead(
        &self,
        name: impl Into<Cow<'static, str>>,
        config: BulkheadConfig,
    ) -> BulkheadHandle {
        self.declare(name.into(), Some(config), "registered from code")
    }

    /// Declares a retry policy from code; see [`register_circuit_breaker`](Self::register_circuit_breaker).
    pub fn register_retry(
        &self,
        name: impl Into<Cow<'static, str>>,
        policy: RetryConfig,
    ) -> RetryHandle {
        self.declare(name.into(), Some(policy), "registered from code")
    }

    /// Declares a hedge from code; see [`register_circuit_breaker`](Self::register_circuit_breaker).
    pub fn register_hedge(
        &self,
        name: impl Into<Cow<'static, str>>,
        config: HedgeConfig,
    ) -> HedgeHandle {
        self.declare(name.into(), Some(config), "registered from code")
    }

    /// Declares a quota from code; see [`register_circuit_breaker`](Self::register_circuit_breaker).
    pub fn register_quota(
        &self,
        name: impl Into<Cow<'static, str>>,
        config: QuotaConfig,
    ) -> QuotaHandle {
        self.declare(name.into(), Some(config), "registered from code")
    }

    /// Declares a chaos instance from code; see [`register_circuit_breaker`](Self::register_circuit_breaker).
    pub fn register_chaos(
        &self,
        name: impl Into<Cow<'static, str>>,
        config: ChaosConfig,
    ) -> ChaosHandle {
        self.declare(name.into(), Some(config), "registered from code")
    }

    /// Sets the Redis server of rate limiters with
    /// [`Backend::Redis`](crate::rate_limit::Backend::Redis), e.g. `"redis://127.0.0.1:6379"`.
    /// It takes precedence over the `RESILIENCE_REDIS_URL` environment variable and applies
    /// to connections opened from now on (each limiter connects on its first decision).
    ///
    /// It takes `redis://[user:password@]host[:port][/db]`, `rediss://..` (TLS, feature
    /// `redis-tls`: the platform's roots plus the PEM file named by `RESILIENCE_REDIS_CA`),
    /// `redis+unix:///path/to.sock`, or the comma-separated seeds of a Redis Cluster
    /// (`"redis://10.0.0.1:7000,redis://10.0.0.2:7000"`; one seed with
    /// `RESILIENCE_REDIS_CLUSTER=1`). A URL that cannot work is said in the snapshot's
    /// `backend.last_error` on the first decision, which follows `on_backend_error`.
    ///
    /// ```
    /// resilience_runtime::registry().set_redis_url("redis://limiter:secret@127.0.0.1:6379/");
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn set_redis_url(&self, url: impl Into<String>) {
        crate::base::redis::url::set(url.into());
    }

    /// The Redis server of Redis-backed rate limiters: the one set with
    /// [`set_redis_url`](Self::set_redis_url), else `RESILIENCE_REDIS_URL`, else `None`.
    #[must_use]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis_url(&self) -> Option<String> {
        crate::base::redis::url::get()
    }

    /// Names that attribute sites use without declaring them (`#[circuit_breaker(name = "db")]`
    /// with no other key) and that nothing declares: no attribute, no `register_*` call, no
    /// file, environment variable or override. Each runs with the built-in defaults, which
    /// usually means a typo; each comes with the closest declared name of its kind. Logged as
    /// a warning when the registry starts, listed by [`config::issues`](crate::config::issues)
    /// and in the snapshot; [`testing::assert_all_declared`](crate::testing::assert_all_declared)
    /// fails a test on any.
    ///
    /// ```standalone_crate
    /// use resilience_runtime::{circuit_breaker, registry, Error};
    ///
    /// #[circuit_breaker(name = "doc-inventory-db", failure_threshold = 3)]
    /// async fn load() -> Result<(), Error> { Ok(()) }
    ///
    /// #[circuit_breaker(name = "doc-inventroy-db")]
    /// async fn save() -> Result<(), Error> { Ok(()) }
    ///
    /// let typo = registry().undeclared().into_iter().find(|u| u.name == "doc-inventroy-db").unwrap();
    /// assert_eq!(typo.did_you_mean.as_deref(), Some("doc-inventory-db"));
    /// ```
    #[must_use]
    pub fn undeclared(&self) -> Vec<UndeclaredName> {
        // Lock order: the store, then a family's map.
        let store = store::lock();
        let declarations = declarations();
        let adoptions = adoptions();
        // The declared names of each kind some site adopts, gathered once per kind.
        let mut declared: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for adoption in &adoptions {
            declared.entry(adoption.kind).or_insert_with(|| {
                let mut names =
                    visit_addressable(adoption.kind, DeclaredNames(self)).unwrap_or_default();
                names.extend(
                    declarations
                        .iter()
                        .filter(|declaration| declaration.kind() == adoption.kind)
                        .map(|declaration| declaration.name().to_owned()),
                );
                names.extend(store.override_names(adoption.kind));
                names
            });
        }
        let names_of = |kind: &str| declared.get(kind).map_or(&[][..], Vec::as_slice);
        undeclared::find(
            &adoptions,
            |kind, name| {
                names_of(kind).iter().any(|declared| declared == name)
                    || store.env_configures(kind, name)
            },
            |kind| names_of(kind).to_vec(),
        )
    }

    /// Conflicting declarations seen so far.
    #[must_use]
    pub fn conflicts(&self) -> Vec<Conflict> {
        self.conflicts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A serializable picture of every named instance, sorted by name within each kind.
    #[must_use]
    pub fn snapshot(&self) -> RegistrySnapshot {
        RegistrySnapshot {
            circuit_breakers: self
                .families
                .circuit_breakers
                .map(|breaker| breaker.snapshot()),
            rate_limiters: self
                .families
                .rate_limiters
                .map(|limiter| limiter.snapshot()),
            bulkheads: self.families.bulkheads.map(|bulkhead| bulkhead.snapshot()),
            retries: self.families.retries.map(|retry| retry.snapshot()),
            hedges: self.families.hedges.map(|hedge| hedge.snapshot()),
            quotas: self.families.quotas.map(|quota| quota.snapshot()),
            chaos: self.families.chaos.map(|chaos| chaos.snapshot()),
            conflicts: self.conflicts(),
            undeclared: self.undeclared(),
        }
    }

    /// Every instance of one kind, sorted by name.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn instances<P: Member>(&self) -> Vec<std::sync::Arc<P>> {
        self.family::<P>().instances()
    }

    /// The names in use, by kind.
    pub(crate) fn names_by_kind(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        self.families.addressable_names()
    }

    /// The instance named `name`, created on first use. `config` is `None` for a site that
    /// adopts a configuration declared elsewhere.
    pub(crate) fn declare<P: Member>(
        &self,
        name: Cow<'static, str>,
        config: Option<P::Config>,
        location: &'static str,
    ) -> std::sync::Arc<P> {
        let family = self.family::<P>();
        let (instance, conflict) = family.declare(name, config, location, P::undeclared_config);
        if let Some(conflict) = conflict {
            tracing::warn!(
                target: "resilience_runtime::registry",
                kind = conflict.kind,
                name = conflict.name,
                kept = %conflict.kept,
                kept_at = conflict.kept_at,
                ignored = %conflict.ignored,
                ignored_at = conflict.ignored_at,
                "conflicting declarations of one name; the first one is kept"
            );
            let mut conflicts = self
                .conflicts
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !conflicts.contains(&conflict) {
                conflicts.push(conflict);
            }
        }
        instance
    }
}

impl Registry {
    /// The map of kind `P`.
    pub(super) fn family<P: Member>(&self) -> &Family<P> {
        P::family(&self.families)
    }

    /// Creates the instance `declaration` declares.
    fn adopt(&self, declaration: &'static Declaration) {
        visit_declared(
            &declaration.config,
            Adopt {
                registry: self,
                declaration,
            },
        );
    }
}

/// The names of the visited kind's instances created with a declared configuration.
struct DeclaredNames<'a>(&'a Registry);

impl KindVisitor for DeclaredNames<'_> {
    type Output = Vec<String>;

    fn visit<P: Addressable>(self) -> Vec<String> {
        self.0.family::<P>().declared_names()
    }
}

/// [`Registry::declare`] for a declaration's kind.
struct Adopt<'a> {
    registry: &'a Registry,
    declaration: &'static Declaration,
}

impl DeclarationVisitor for Adopt<'_> {
    fn visit<P: Member>(self, config: P::Config) {
        let name = Cow::Borrowed(self.declaration.name);
        self.registry
            .declare::<P>(name, Some(config), self.declaration.location);
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Registry");
        for (kind, names) in self.families.all_names() {
            debug.field(kind, &names);
        }
        debug.finish_non_exhaustive()
    }
}
