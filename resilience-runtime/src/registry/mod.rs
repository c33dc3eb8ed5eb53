//! The process-wide registry of named policy instances.
//!
//! Every circuit breaker, rate limiter, bulkhead and retry policy has a name, and every name
//! lives here once. Call sites that give the same name share one instance. A site that only
//! names an instance adopts the configuration declared elsewhere; declarations made with the
//! attributes are collected when the program starts, so adoption does not depend on which
//! site runs first. Two declarations of one name with different configurations are reported
//! (a `tracing` warning and an entry in [`RegistrySnapshot::conflicts`]), never merged: the
//! first one wins, in source order (file, then line) for attribute declarations, and before
//! any declaration made at run time.
//!
//! ```
//! use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
//! use resilience_runtime::registry;
//!
//! let db = registry().register_circuit_breaker("docs-db", CircuitBreakerConfig::new());
//! assert_eq!(db.state(), CircuitState::Closed);
//! let same = registry().circuit_breaker("docs-db").unwrap();
//! same.force_open();
//! assert_eq!(db.state(), CircuitState::ForcedOpen);
//! ```

mod declaration;
mod family;
mod overlay;
pub(crate) mod reconfigure;
mod snapshot;
pub(crate) mod store;
mod table;

use std::borrow::Cow;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

pub use declaration::Declaration;
pub(crate) use declaration::DeclaredConfig;
use family::Family;
pub use snapshot::{Conflict, RegistrySnapshot};

use crate::base::named::Named;
use crate::bulkhead::{Bulkhead, BulkheadConfig, BulkheadHandle};
use crate::chaos::{Chaos, ChaosConfig, ChaosHandle};
use crate::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitBreakerHandle};
use crate::rate_limit::{RateLimitConfig, RateLimiter, RateLimiterHandle};
use crate::retry::{Retry, RetryHandle, RetryPolicy};

/// A [`Named`] kind with its own map in the registry.
pub(crate) trait Member: Named {
    /// The configuration of an instance that is named but declared nowhere.
    fn undeclared_config() -> Self::Config;
    /// This kind's map.
    fn family(registry: &Registry) -> &Family<Self>;
    /// The configuration `declaration` declares, if it declares this kind.
    fn declared(declaration: &Declaration) -> Option<Self::Config>;
}

/// The process-wide registry; get it with [`registry()`].
pub struct Registry {
    circuit_breakers: Family<CircuitBreaker>,
    rate_limiters: Family<RateLimiter>,
    bulkheads: Family<Bulkhead>,
    retries: Family<Retry>,
    chaos: Family<Chaos>,
    conflicts: Mutex<Vec<Conflict>>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The process-wide registry.
///
/// The first call collects every declaration made with the attributes anywhere in the program,
/// reads the configuration environment variables (see [`config`](crate::config)) and creates
/// the declared instances.
#[must_use]
pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| {
        let registry = Registry {
            circuit_breakers: Family::default(),
            rate_limiters: Family::default(),
            bulkheads: Family::default(),
            retries: Family::default(),
            chaos: Family::default(),
            conflicts: Mutex::new(Vec::new()),
        };
        let declarations = declarations();
        store::start(&declarations);
        for declaration in declarations {
            registry.apply(declaration);
        }
        registry
    })
}

/// The registry, if it has finished starting.
pub(crate) fn started() -> Option<&'static Registry> {
    REGISTRY.get()
}

/// Every declaration made with the attributes, in source order.
pub(crate) fn declarations() -> Vec<&'static Declaration> {
    let mut declarations: Vec<&Declaration> = inventory::iter::<Declaration>().collect();
    declarations.sort_by(|a, b| source_order(a.location).cmp(&source_order(b.location)));
    declarations
}

/// `file:line` sorted by file, then numerically by line.
fn source_order(location: &str) -> (&str, u32) {
    match location.rsplit_once(':') {
        Some((file, line)) => (file, line.parse().unwrap_or(0)),
        None => (location, 0),
    }
}

impl Registry {
    /// The circuit breaker named `name`, if one is declared or in use.
    #[must_use]
    pub fn circuit_breaker(&self, name: &str) -> Option<CircuitBreakerHandle> {
        self.circuit_breakers.get(name)
    }

    /// The rate limiter named `name`, if one is declared or in use.
    #[must_use]
    pub fn rate_limiter(&self, name: &str) -> Option<RateLimiterHandle> {
        self.rate_limiters.get(name)
    }

    /// The bulkhead named `name`, if one is declared or in use.
    #[must_use]
    pub fn bulkhead(&self, name: &str) -> Option<BulkheadHandle> {
        self.bulkheads.get(name)
    }

    /// The retry policy named `name`, if one is declared or in use.
    #[must_use]
    pub fn retry(&self, name: &str) -> Option<RetryHandle> {
        self.retries.get(name)
    }

    /// The chaos instance named `name`, once its site has run (see [`chaos`](mod@crate::chaos)).
    #[must_use]
    pub fn chaos(&self, name: &str) -> Option<ChaosHandle> {
        self.chaos.get(name)
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
        policy: RetryPolicy,
    ) -> RetryHandle {
        self.declare(name.into(), Some(policy), "registered from code")
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
    pub fn set_redis_url(&self, url: impl Into<String>) {
        crate::base::redis_url::set(url.into());
    }

    /// The Redis server of Redis-backed rate limiters: the one set with
    /// [`set_redis_url`](Self::set_redis_url), else `RESILIENCE_REDIS_URL`, else `None`.
    #[must_use]
    pub fn redis_url(&self) -> Option<String> {
        crate::base::redis_url::get()
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
            circuit_breakers: self.circuit_breakers.map(|breaker| breaker.snapshot()),
            rate_limiters: self.rate_limiters.map(|limiter| limiter.snapshot()),
            bulkheads: self.bulkheads.map(|bulkhead| bulkhead.snapshot()),
            retries: self.retries.map(|retry| retry.snapshot()),
            chaos: self.chaos.map(|chaos| chaos.snapshot()),
            conflicts: self.conflicts(),
        }
    }

    /// Every instance of one kind, sorted by name.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn instances<P: crate::settings::keys::Configurable>(
        &self,
    ) -> Vec<std::sync::Arc<P>> {
        P::family(self).instances()
    }

    fn apply(&self, declaration: &Declaration) {
        let name = Cow::Borrowed(declaration.name);
        match declaration.config {
            DeclaredConfig::CircuitBreaker(config) => {
                self.declare::<CircuitBreaker>(name, Some(config), declaration.location);
            }
            DeclaredConfig::RateLimiter(config) => {
                self.declare::<RateLimiter>(name, Some(config), declaration.location);
            }
            DeclaredConfig::Bulkhead(config) => {
                self.declare::<Bulkhead>(name, Some(config), declaration.location);
            }
            DeclaredConfig::Retry(config) => {
                self.declare::<Retry>(name, Some(config), declaration.location);
            }
        }
    }

    /// The names in use, by kind.
    pub(crate) fn names_by_kind(&self) -> [(&'static str, Vec<&'static str>); 4] {
        [
            (CircuitBreaker::KIND, self.circuit_breakers.names()),
            (RateLimiter::KIND, self.rate_limiters.names()),
            (Bulkhead::KIND, self.bulkheads.names()),
            (Retry::KIND, self.retries.names()),
        ]
    }

    /// The instance named `name`, created on first use. `config` is `None` for a site that
    /// adopts a configuration declared elsewhere.
    pub(crate) fn declare<P: crate::settings::keys::Configurable>(
        &self,
        name: Cow<'static, str>,
        config: Option<P::Config>,
        location: &'static str,
    ) -> std::sync::Arc<P> {
        let family = P::family(self);
        let (instance, conflict) = family.declare(name, config, location);
        if let Some(conflict) = conflict {
            tracing::warn!(
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

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("circuit_breakers", &self.circuit_breakers.names())
            .field("rate_limiters", &self.rate_limiters.names())
            .field("bulkheads", &self.bulkheads.names())
            .field("retries", &self.retries.names())
            .field("chaos", &self.chaos.names())
            .finish_non_exhaustive()
    }
}

impl Member for CircuitBreaker {
    fn undeclared_config() -> CircuitBreakerConfig {
        CircuitBreakerConfig::new()
    }
    fn family(registry: &Registry) -> &Family<Self> {
        &registry.circuit_breakers
    }
    fn declared(declaration: &Declaration) -> Option<CircuitBreakerConfig> {
        match declaration.config {
            DeclaredConfig::CircuitBreaker(config) => Some(config),
            _ => None,
        }
    }
}

impl Member for RateLimiter {
    fn undeclared_config() -> RateLimitConfig {
        RateLimitConfig::new(crate::rate_limit::Rate::per_second(100))
    }
    fn family(registry: &Registry) -> &Family<Self> {
        &registry.rate_limiters
    }
    fn declared(declaration: &Declaration) -> Option<RateLimitConfig> {
        match declaration.config {
            DeclaredConfig::RateLimiter(config) => Some(config),
            _ => None,
        }
    }
}

impl Member for Bulkhead {
    fn undeclared_config() -> BulkheadConfig {
        BulkheadConfig::new(16)
    }
    fn family(registry: &Registry) -> &Family<Self> {
        &registry.bulkheads
    }
    fn declared(declaration: &Declaration) -> Option<BulkheadConfig> {
        match declaration.config {
            DeclaredConfig::Bulkhead(config) => Some(config),
            _ => None,
        }
    }
}

impl Member for Retry {
    fn undeclared_config() -> RetryPolicy {
        RetryPolicy::new()
    }
    fn family(registry: &Registry) -> &Family<Self> {
        &registry.retries
    }
    fn declared(declaration: &Declaration) -> Option<RetryPolicy> {
        match declaration.config {
            DeclaredConfig::Retry(config) => Some(config),
            _ => None,
        }
    }
}

impl Member for Chaos {
    fn undeclared_config() -> ChaosConfig {
        ChaosConfig::new()
    }
    fn family(registry: &Registry) -> &Family<Self> {
        &registry.chaos
    }
    // Chaos sites always declare, when they first run: nothing is declared at link time.
    fn declared(_: &Declaration) -> Option<ChaosConfig> {
        None
    }
}
