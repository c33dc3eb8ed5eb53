//! Configuration from `RESILIENCE_*` environment variables, set before the registry starts
//! (the environment is process-wide, so these tests have a binary of their own).

use std::sync::{Mutex, Once};
use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::clock::{self, ClockSource};
use resilience_runtime::config::{self, Severity};
use resilience_runtime::hedge::{HedgeConfig, HedgeDelay, Percentile};
use resilience_runtime::quota::{QuotaConfig, QuotaLimit, QuotaWindow};
use resilience_runtime::rate_limit::Rate;
use resilience_runtime::{
    Error, bulkhead, circuit_breaker, hedge, quota, rate_limit, registry, retry,
};
use resilience_tests::ServiceError;

/// Counts its calls; every call fails.
#[derive(Default)]
struct Failing(std::sync::atomic::AtomicU32);

impl Failing {
    fn call(&self) -> Result<u32, ServiceError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Err(ServiceError::Transient(String::from("down")))
    }

    fn calls(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

const VARIABLES: &[(&str, &str)] = &[
    // attribute < environment
    ("RESILIENCE_CIRCUIT_BREAKER_ENV_DB_FAILURE_THRESHOLD", "2"),
    ("RESILIENCE_BULKHEAD_ENV_POOL_MAX_CONCURRENT", "5"),
    ("RESILIENCE_BULKHEAD_ENV_POOL_MAX_WAIT", "250ms"),
    ("RESILIENCE_RETRY_ENV_RETRY_MAX_ATTEMPTS", "2"),
    ("RESILIENCE_RATE_LIMITER_ENV_API_RATE", "2/s"),
    ("RESILIENCE_HEDGE_ENV_SEARCH_DELAY", "p99"),
    ("RESILIENCE_HEDGE_ENV_SEARCH_MAX_HEDGES", "3"),
    ("RESILIENCE_QUOTA_ENV_DAILY_LIMIT", "3/h"),
    ("RESILIENCE_QUOTA_ENV_DAILY_WINDOW", "sliding"),
    // environment < file
    (
        "RESILIENCE_CIRCUIT_BREAKER_ENV_LAYERS_FAILURE_THRESHOLD",
        "7",
    ),
    (
        "RESILIENCE_CIRCUIT_BREAKER_ENV_LAYERS_RECOVERY_TIMEOUT",
        "20s",
    ),
    // for an instance registered from code later
    ("RESILIENCE_BULKHEAD_LATER_POOL_MAX_WAIT", "50ms"),
    // the clock source: tokio's is the default, so paused-clock tests keep working
    ("RESILIENCE_CLOCK", "tokio"),
    // a default name: the fn's path, normalised
    (
        "RESILIENCE_RETRY_CONFIG_ENV_DEFAULT_NAMED_MAX_ATTEMPTS",
        "1",
    ),
];

/// Sets the variables before anything starts the registry.
fn setup() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        for (name, value) in VARIABLES {
            // SAFETY: set once, before the registry (or any other thread of these tests)
            // reads the environment.
            unsafe { std::env::set_var(name, value) };
        }
    });
}

/// Tests that change the environment or read the issues it caused run one at a time.
static ENVIRONMENT: Mutex<()> = Mutex::new(());

#[circuit_breaker(name = "env-db", failure_threshold = 3, recovery_timeout = "30s")]
async fn env_db(fail: bool) -> Result<(), ServiceError> {
    if fail {
        Err(ServiceError::Permanent)
    } else {
        Ok(())
    }
}

#[circuit_breaker(
    name = "env-layers",
    failure_threshold = 3,
    recovery_timeout = "30s",
    success_threshold = 3
)]
async fn env_layers() -> Result<(), ServiceError> {
    Ok(())
}

#[bulkhead(name = "env-pool", max_concurrent = 2)]
async fn env_pool() -> Result<(), ServiceError> {
    Ok(())
}

#[bulkhead(name = "env-reload", max_concurrent = 1)]
fn env_reload() -> Result<(), ServiceError> {
    Ok(())
}

#[retry(
    name = "env-retry",
    max_attempts = 4,
    initial_delay = "1ms",
    jitter = "none"
)]
async fn env_retry(flaky: &Failing) -> Result<u32, ServiceError> {
    flaky.call()
}

#[retry(max_attempts = 4, initial_delay = "1ms", jitter = "none")]
async fn default_named(flaky: &Failing) -> Result<u32, ServiceError> {
    flaky.call()
}

#[rate_limit(name = "env-api", rate = "100/s", on_limit = "reject")]
async fn env_api() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_environment_overrides_the_attribute_key_by_key() {
    setup();
    let breaker = registry().circuit_breaker("env-db").unwrap();
    let config = breaker.config();
    assert_eq!(config.failure_threshold(), 2, "environment");
    assert_eq!(
        config.recovery_timeout(),
        Duration::from_secs(30),
        "attribute"
    );
    assert_eq!(config.success_threshold(), 2, "default");
    assert_eq!(env_db(true).await, Err(ServiceError::Permanent));
    assert_eq!(env_db(true).await, Err(ServiceError::Permanent));
    assert!(matches!(
        env_db(false).await,
        Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
    ));
}

#[tokio::test(start_paused = true)]
async fn every_kind_takes_its_variables() {
    setup();
    let pool = registry().bulkhead("env-pool").unwrap();
    assert_eq!(
        pool.config(),
        BulkheadConfig::new(5).with_max_wait(Duration::from_millis(250))
    );
    assert_eq!(env_pool().await, Ok(()));

    let flaky = Failing::default();
    assert!(env_retry(&flaky).await.is_err());
    assert_eq!(
        flaky.calls(),
        2,
        "RESILIENCE_RETRY_ENV_RETRY_MAX_ATTEMPTS=2"
    );

    let flaky = Failing::default();
    assert!(default_named(&flaky).await.is_err());
    assert_eq!(flaky.calls(), 1, "the fn's path, normalised");

    let limiter = registry().rate_limiter("env-api").unwrap();
    assert_eq!(limiter.config().rate(), Rate::per_second(2));
    assert_eq!(
        limiter.config().burst(),
        2,
        "the default burst follows the rate"
    );
    assert_eq!(env_api().await, Ok(()));
    assert_eq!(env_api().await, Ok(()));
    assert!(matches!(
        env_api().await,
        Err(ServiceError::Resilience(Error::RateLimited { .. }))
    ));
}

#[tokio::test(start_paused = true)]
async fn the_clock_variable_is_read_and_checked_like_the_kill_switch() {
    setup();
    assert_eq!(clock::source(), ClockSource::Tokio);
    assert!(
        config::issues()
            .iter()
            .all(|issue| issue.at != "RESILIENCE_CLOCK"),
        "a valid value"
    );
    // The paused clock still drives the policies.
    let start = clock::instant_now();
    tokio::time::advance(Duration::from_secs(90)).await;
    assert_eq!(clock::instant_now() - start, Duration::from_secs(90));

    // Read as the registry reads the environment, without applying it.
    let read = config::dry_run_env([("RESILIENCE_CLOCK", "cpu")]).unwrap();
    assert_eq!(read.clock, Some(ClockSource::CpuCounter));
    let error = config::dry_run_env([("RESILIENCE_CLOCK", "fast")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration rejected, nothing applied: RESILIENCE_CLOCK: unknown clock \"fast\"; \
         expected \"tokio\" or \"cpu\" (accepted: tokio (tokio's clock, the default) or cpu \
         (the CPU's time-stamp counter))"
    );
    let error = config::dry_run_env([("RESILIENCE_CLOCK", "cpuu")]).unwrap_err();
    assert!(
        error.issues()[0].message.contains("did you mean \"cpu\"?"),
        "{error}"
    );
    let error = config::dry_run_env([("RESILIENCE_CLOK", "cpu")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration rejected, nothing applied: RESILIENCE_CLOK: unknown variable; did you mean \
         RESILIENCE_CLOCK?"
    );
}

#[test]
fn a_file_overrides_the_environment_key_by_key() {
    setup();
    let _ = env_layers; // declared by its attribute
    let breaker = registry().circuit_breaker("env-layers").unwrap();
    let report = config::load_str(
        r#"
        [circuit_breaker.env-layers]
        recovery_timeout = "10s"
        "#,
    )
    .unwrap();
    assert_eq!(
        report.reconfigured.len(),
        1,
        "running since the registry started"
    );
    let config = breaker.config();
    assert_eq!(config.failure_threshold(), 7, "environment");
    assert_eq!(config.recovery_timeout(), Duration::from_secs(10), "file");
    assert_eq!(config.success_threshold(), 3, "attribute");
    assert_eq!(config.minimum_calls(), 100, "default");
}

#[test]
fn instances_registered_later_get_their_variables() {
    setup();
    let _serial = ENVIRONMENT.lock().unwrap();
    assert!(registry().bulkhead("later-pool").is_none());
    let warning = config::issues()
        .into_iter()
        .find(|issue| issue.at == "RESILIENCE_BULKHEAD_LATER_POOL_MAX_WAIT")
        .expect("a name no instance has yet is reported");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(warning.message.contains("applies to one created later"));

    let pool = registry().register_bulkhead("later-pool", BulkheadConfig::new(3));
    assert_eq!(
        pool.config(),
        BulkheadConfig::new(3).with_max_wait(Duration::from_millis(50))
    );
}

#[test]
fn reload_env_applies_what_changed_and_rejects_typos() {
    setup();
    let _serial = ENVIRONMENT.lock().unwrap();
    assert_eq!(env_reload(), Ok(()));
    let pool = registry().bulkhead("env-reload").unwrap();
    assert_eq!(pool.max_concurrent(), 1);

    // SAFETY: the tests that read the environment take the lock held here.
    unsafe { std::env::set_var("RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURRENT", "4") };
    let report = config::reload_env().unwrap();
    let names: Vec<&str> = report
        .reconfigured
        .iter()
        .map(|change| change.name.as_str())
        .collect();
    assert_eq!(names, ["env-reload"], "only what changed");
    assert_eq!(pool.max_concurrent(), 4);

    // A typo rejects the whole environment, and the last good settings stay.
    unsafe {
        std::env::set_var("RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURRENT", "6");
        std::env::set_var("RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURENT", "9");
    }
    let error = config::reload_env().unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration rejected, nothing applied: RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURENT: \
         unknown key; did you mean RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURRENT?"
    );
    assert_eq!(pool.max_concurrent(), 4);
    assert!(
        config::issues()
            .iter()
            .any(|issue| issue.at == "RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURENT")
    );

    unsafe { std::env::remove_var("RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURENT") };
    config::reload_env().unwrap();
    assert_eq!(pool.max_concurrent(), 6);

    // Removing the variable goes back to the attribute's value.
    unsafe { std::env::remove_var("RESILIENCE_BULKHEAD_ENV_RELOAD_MAX_CONCURRENT") };
    config::reload_env().unwrap();
    assert_eq!(pool.max_concurrent(), 1);
    assert!(
        config::issues()
            .iter()
            .all(|issue| issue.severity == Severity::Warning)
    );
}

#[hedge(name = "env-search", delay = "50ms")]
async fn env_search() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn environment_variables_configure_a_hedge() {
    setup();
    env_search().await.unwrap();
    assert_eq!(
        registry().hedge("env-search").unwrap().config(),
        HedgeConfig::new(HedgeDelay::Percentile(Percentile::P99)).with_max_hedges(3)
    );
}

#[quota(name = "env-daily", limit = "1000/day")]
async fn env_daily() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn environment_variables_configure_a_quota() {
    setup();
    for _ in 0..3 {
        env_daily().await.unwrap();
    }
    assert!(matches!(
        env_daily().await,
        Err(Error::QuotaExceeded { .. })
    ));
    assert_eq!(
        registry().quota("env-daily").unwrap().config(),
        QuotaConfig::new(QuotaLimit::per_hour(3)).with_window(QuotaWindow::Sliding)
    );
}
