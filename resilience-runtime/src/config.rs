//! Configuration outside the code: environment variables, a TOML file, overrides from code,
//! a kill switch, the clock source, and reconfiguration of running instances that keeps
//! their state.
//!
//! # Precedence
//!
//! Each key of a named instance takes the value of the highest layer that sets it:
//!
//! | layer | set by | applies |
//! |---|---|---|
//! | 4 (highest) | a file ([`load`]) or code ([`apply`]): whichever came later | at once to running instances, and to instances created later |
//! | 3 | environment variables `RESILIENCE_<KIND>_<NAME>_<KEY>` | when an instance is created ([`reload_env`] to read them again) |
//! | 2 | the attribute (`#[circuit_breaker(failure_threshold = 5)]`) or `registry().register_*` | the declaration |
//! | 1 (lowest) | the built-in defaults | |
//!
//! Layers apply key by key: a file that sets only `failure_threshold` keeps the attribute's
//! `recovery_timeout`. Within one layer a retry's `preset` applies before the other keys, so
//! they override it. The attributes' declarations are read when the registry starts (on the
//! first call to any resilient fn or to [`registry()`](crate::registry())), so every
//! attribute-declared instance exists from then on; instances registered from code later get
//! the layers when they are created.
//!
//! # Values
//!
//! The keys are the attributes' keys that take values, with the attributes' ranges, rules and
//! messages. Durations and rates use exactly the attribute grammar (`"250ms"`, `"1m30s"`,
//! `"100/s"`, `"5/250ms"`), parsed by the same code (the `resilience-syntax` crate). Keys that
//! are code (`when`, `retry_after`, `record_if`, `ignore_if`, `key`) or identity (`name`,
//! `crate`) cannot be configured. A combination the attribute rejects (`multiplier` with
//! `backoff = "fixed"`, `max_delay` below `initial_delay`, ...) is rejected when a key of
//! it is set.
//!
//! **Nothing half-applies.** A source is validated entirely (every key, every value, every
//! combination with the instance's other layers, for every instance) before anything of it
//! applies; any problem rejects all of it with a [`ConfigError`] that lists every problem,
//! each naming the variable or key and the accepted form. Nothing here panics.
//!
//! # Environment variables
//!
//! `RESILIENCE_<KIND>_<NAME>_<KEY>=<value>`, e.g.
//! `RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD=10`:
//!
//! - KIND: `CIRCUIT_BREAKER`, `RATE_LIMITER`, `BULKHEAD` or `RETRY`.
//! - NAME: the instance's name upper-cased, every run of characters other than ASCII letters
//!   and digits turned into one `_`: `inventory-db` → `INVENTORY_DB`,
//!   `my_app::db::load` → `MY_APP_DB_LOAD` ([`variable_name`] computes it). Two instances of
//!   one kind whose names normalise the same (`a-b`, `a_b`) cannot be told apart: a variable
//!   naming them is an error (configure them in a file, where names are exact).
//! - KEY: the attribute key upper-cased: `FAILURE_THRESHOLD`, `MAX_WAIT`.
//! - Values are the attribute's, without quotes: `RESILIENCE_RETRY_FETCH_INITIAL_DELAY=250ms`,
//!   `RESILIENCE_RATE_LIMITER_API_RATE=100/s`, `RESILIENCE_CIRCUIT_BREAKER_DB_WINDOW=60s`.
//!
//! The variables are read once, when the registry starts (or at the first call into this
//! module, if earlier), and again by [`reload_env`]. A variable with a typo in its kind or key,
//! or a bad value, is an error: it is logged (`tracing::warn!`, with a did-you-mean), listed by
//! [`issues`], and none of the environment's settings apply, so a deployment never runs with
//! half of what it asked for. A name that no instance has yet is only a warning: the variable
//! applies to an instance of that name created later.
//!
//! # A configuration file
//!
//! ```toml
//! [global]
//! disabled = false                 # the kill switch
//! clock = "tokio"                  # the clock source: "tokio" (default) or "cpu"
//!
//! [circuit_breaker."inventory-db"]
//! failure_threshold = 10
//! recovery_timeout = "30s"
//!
//! [rate_limiter.api]
//! rate = "100/s"
//!
//! [bulkhead.pool]
//! max_concurrent = 8
//!
//! [retry.fetch]
//! max_attempts = 5
//! backoff = "fixed"
//! ```
//!
//! Load it at startup with [`load`] (the `config-file` feature, on by default); errors name
//! the file and the key, as in `resilience.toml: circuit_breaker."inventory-db".failure_threshold:
//! 0 is out of range: ... (accepted: a whole number from 1 to 1000000)`. Loading again later
//! applies the new values to running instances. Loads and [`apply`] calls add up key by key:
//! a key keeps the last value given until given another (removing it from the file does not
//! unset it).
//!
//! ```
//! use resilience_runtime::config;
//! use resilience_runtime::circuit_breaker::CircuitBreakerConfig;
//! use resilience_runtime::registry;
//!
//! let db = registry().register_circuit_breaker("doc-config-db", CircuitBreakerConfig::new());
//! let report = config::load_str(r#"
//!     [circuit_breaker."doc-config-db"]
//!     failure_threshold = 10
//!     recovery_timeout = "30s"
//! "#).unwrap();
//! assert_eq!(report.reconfigured[0].keys, ["failure_threshold", "recovery_timeout"]);
//! assert_eq!(db.config().failure_threshold(), 10);
//!
//! let error = config::load_str(r#"
//!     [circuit_breaker."doc-config-db"]
//!     failure_threshold = 0
//!     recovery_timeout = "5s"
//! "#).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "configuration rejected, nothing applied: circuit_breaker.\"doc-config-db\".failure_threshold: \
//!      0 is out of range: `failure_threshold` must be between 1 and 1000000 consecutive failures \
//!      (accepted: a whole number from 1 to 1000000)"
//! );
//! assert_eq!(db.config().recovery_timeout(), std::time::Duration::from_secs(30)); // unchanged
//! ```
//!
//! # Running instances keep their state
//!
//! A change reaches a running instance through its handle, as
//! [`CircuitBreaker::reconfigure`](crate::circuit_breaker::CircuitBreaker::reconfigure),
//! [`Bulkhead::set_max_concurrent`](crate::bulkhead::Bulkhead::set_max_concurrent) and
//! [`Retry::set_policy`](crate::retry::Retry::set_policy) do when called directly: a breaker
//! keeps its state, its window (unless the window's kind or size changes: a new window
//! starts empty) and the end of its current open period; a bulkhead keeps its calls in
//! flight and leaks no slot when it shrinks; a retry's calls already retrying finish with the
//! policy they started retrying with. [`load`] and [`apply`] set exactly the keys they give: the
//! instance's other settings stay as they are, including changes made through its handle.
//! [`reload_env`] sets an instance whose variables changed to its declaration with the
//! environment and the file/code layers on top (so a removed variable goes back to the
//! declared value).
//!
//! A running rate limiter changes its `rate` and `burst`
//! ([`RateLimiter::set_rate`](crate::rate_limit::RateLimiter::set_rate) and
//! [`set_burst`](crate::rate_limit::RateLimiter::set_burst), keeping each limit's state); a
//! burst that was the old rate's default follows the new rate. Its other keys (`on_limit`,
//! `max_wait`, `max_queue`, `max_keys`, `idle_ttl`, `backend`, `on_backend_error`) are fixed
//! once it is created: set them with environment variables, or with [`load`]/[`apply`] before
//! the registry starts; changing them on a running limiter is an error naming the key.
//! `max_keys` and `idle_ttl` only matter to limiters with a `key`.
//!
//! # The kill switch
//!
//! `RESILIENCE_DISABLED=1` (read when the registry starts), `[global] disabled = true` in a
//! file, or [`set_disabled`]`(true)` make every layer a pass-through: breakers admit every call
//! and record nothing, rate limiters and bulkheads admit every call, retries make one attempt,
//! timeouts never fire. The switch is one relaxed atomic load per layer and call. A file or
//! code wins over the environment. Releasing the switch needs no restart; bulkheads kept
//! counting their calls in flight, so none of their slots leaks.
//!
//! # The clock source
//!
//! `RESILIENCE_CLOCK=tokio|cpu` (read when the registry starts), `clock = "tokio"|"cpu"`
//! under `[global]` in a file, [`ConfigOverrides::clock`] or
//! [`clock::set_source`](crate::clock::set_source) choose the clock every policy reads:
//! tokio's (the default, which a paused test runtime drives) or the CPU's time-stamp counter
//! (cheaper to read, blind to a paused tokio clock: never in tests that pause time). Values
//! are checked like the kill switch's, all or nothing: any other word is an error naming the
//! variable or key and the accepted values, and a misspelt variable (`RESILIENCE_CLOK`) or
//! key gets a did-you-mean. A file or code wins over the environment. See the
//! [`clock`](crate::clock) module for what each source gives and gives up.

#[cfg(feature = "config-file")]
pub use crate::registry::dry_run::dry_run_str;
pub use crate::registry::dry_run::{DryRun, dry_run_env};
pub use crate::settings::overrides::ConfigOverrides;
pub use crate::settings::report::{
    ConfigError, ConfigIssue, ConfigReport, InstanceChange, Severity,
};
pub use crate::settings::value::ConfigValue;

use crate::registry::{environment, reconfigure, store};
use crate::settings::env;
#[cfg(feature = "config-file")]
use crate::settings::file;

/// Loads a TOML file of named instances and applies it: see the [module docs](self) for its
/// shape.
///
/// Everything is validated before anything applies. Running instances are reconfigured at
/// once, keeping their state; the settings of names no instance has yet apply when one is
/// created. Best called at startup, before the first resilient call.
///
/// # Errors
///
/// A [`ConfigError`] listing every problem (an unreadable file, TOML syntax, an unknown
/// section or key, a bad value, an impossible combination); nothing was applied.
#[cfg(feature = "config-file")]
pub fn load(path: impl AsRef<std::path::Path>) -> Result<ConfigReport, ConfigError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| {
        ConfigError::new(vec![ConfigIssue::error(
            &shown,
            format!("cannot read the file: {error}"),
        )])
    })?;
    reconfigure::apply(file::parse(&text, &format!("{shown}: ")), &shown)
}

/// [`load`] from TOML text rather than a file (places in messages have no file name).
///
/// # Errors
///
/// As [`load`].
#[cfg(feature = "config-file")]
pub fn load_str(toml: &str) -> Result<ConfigReport, ConfigError> {
    reconfigure::apply(file::parse(toml, ""), "configuration text")
}

/// Applies overrides from code: the same keys, values, checks and effects as [`load`].
///
/// # Errors
///
/// A [`ConfigError`] listing every problem; nothing was applied.
pub fn apply(overrides: ConfigOverrides) -> Result<ConfigReport, ConfigError> {
    reconfigure::apply(overrides.into_batch(), "code")
}

/// Reads the `RESILIENCE_*` environment variables again and applies what changed to running
/// instances (keys a file or code set keep those values).
///
/// # Errors
///
/// A [`ConfigError`] listing the wrong variables; nothing was applied, and the previous
/// environment settings stay.
pub fn reload_env() -> Result<ConfigReport, ConfigError> {
    reconfigure::reload_env()
}

/// Engages (`true`) or releases (`false`) the kill switch: while engaged, every layer is a
/// pass-through (see the [module docs](self#the-kill-switch)). Wins over
/// `RESILIENCE_DISABLED`.
pub fn set_disabled(disabled: bool) {
    store::set_disabled(disabled);
}

/// True while the kill switch is engaged (by `RESILIENCE_DISABLED`, a file or code).
#[must_use]
pub fn is_disabled() -> bool {
    environment::ensure_env();
    crate::base::kill_switch::engaged()
}

/// Starts the registry now and fails if the environment's configuration was rejected: the
/// fail-fast entry for a service that must not run on its attributes' values when a
/// `RESILIENCE_*` variable is wrong. Call it first thing in `main`; without it, a bad
/// variable is logged and listed by [`issues`], and the service starts anyway.
///
/// On success the report lists the warnings (a variable naming no instance yet, a name used
/// but declared nowhere) and the kill switch and clock source the environment set.
///
/// ```no_run
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let report = resilience_runtime::config::init()?;
///     for warning in &report.warnings {
///         eprintln!("{warning}");
///     }
///     // ... serve
///     Ok(())
/// }
/// ```
///
/// # Errors
///
/// A [`ConfigError`] listing every rejected variable; the registry runs on the attributes'
/// values (and the kill switch and clock on their defaults) until they are fixed and
/// [`reload_env`] reads them again.
pub fn init() -> Result<ConfigReport, ConfigError> {
    let _ = crate::registry::registry();
    let (errors, warnings): (Vec<ConfigIssue>, Vec<ConfigIssue>) = environment::issues()
        .into_iter()
        .partition(|issue| issue.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(ConfigError::new(errors));
    }
    let (disabled, clock) = environment::env_switches();
    Ok(ConfigReport {
        disabled,
        clock,
        warnings,
        ..ConfigReport::default()
    })
}

/// Problems found outside [`load`] and [`apply`] calls: with the environment variables (when
/// they were read at startup or by [`reload_env`]), and layers that could not apply to an
/// instance created later. Each was also logged.
#[must_use]
pub fn issues() -> Vec<ConfigIssue> {
    environment::issues()
}

/// The environment variable that sets `key` of the instance of `kind` (`"circuit_breaker"`,
/// `"rate_limiter"`, `"bulkhead"` or `"retry"`) named `name`.
///
/// ```
/// use resilience_runtime::config::variable_name;
///
/// assert_eq!(
///     variable_name("circuit_breaker", "inventory-db", "failure_threshold"),
///     "RESILIENCE_CIRCUIT_BREAKER_INVENTORY_DB_FAILURE_THRESHOLD"
/// );
/// assert_eq!(variable_name("retry", "app::fetch", "max_attempts"), "RESILIENCE_RETRY_APP_FETCH_MAX_ATTEMPTS");
/// ```
#[must_use]
pub fn variable_name(kind: &str, name: &str, key: &str) -> String {
    format!(
        "{}{}_{}_{}",
        env::PREFIX,
        kind.to_ascii_uppercase(),
        env::normalize(name),
        key.to_ascii_uppercase()
    )
}
