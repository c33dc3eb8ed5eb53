//! Metrics as Prometheus scrapes them: a scripted run, `record()`, the exporter's text parsed
//! back, and exact values checked.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};
use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::metrics::{circuit_state_value, record, spawn_recorder};
use resilience_runtime::quota::{Backend, QuotaConfig, QuotaLimit};
use resilience_runtime::{Error, bulkhead, circuit_breaker, rate_limit, registry, retry};
use tokio::time::sleep;

#[derive(Debug, PartialEq, thiserror::Error)]
enum TestError {
    #[error("transient")]
    Transient,
    #[error("permanent")]
    Permanent,
    #[error(transparent)]
    Resilience(#[from] Error),
}

impl TestError {
    fn is_transient(&self) -> bool {
        *self == Self::Transient
    }
}

#[circuit_breaker(name = "prom-db", failure_threshold = 2, recovery_timeout = "60s")]
async fn db(ok: bool) -> Result<(), TestError> {
    if ok {
        Ok(())
    } else {
        Err(TestError::Permanent)
    }
}

/// Fails the first `failures` attempts of the current call.
static FAILURES_LEFT: AtomicU32 = AtomicU32::new(0);

#[retry(
    name = "prom-retry",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when = TestError::is_transient
)]
async fn flaky(permanent: bool) -> Result<(), TestError> {
    if permanent {
        return Err(TestError::Permanent);
    }
    let left = FAILURES_LEFT.load(Ordering::SeqCst);
    if left > 0 {
        FAILURES_LEFT.store(left - 1, Ordering::SeqCst);
        return Err(TestError::Transient);
    }
    Ok(())
}

#[rate_limit(name = "prom-api", rate = "2/s", max_wait = "1s")]
async fn api() -> Result<(), TestError> {
    Ok(())
}

#[rate_limit(name = "prom-strict", rate = "1/s", on_limit = "reject")]
async fn strict() -> Result<(), TestError> {
    Ok(())
}

#[rate_limit(name = "prom-keyed", rate = "1/s", on_limit = "reject", key = tenant)]
async fn per_tenant(tenant: &str) -> Result<(), TestError> {
    let _ = tenant;
    Ok(())
}

#[bulkhead(name = "prom-pool", max_concurrent = 1)]
async fn pooled() -> Result<(), TestError> {
    sleep(Duration::from_secs(1)).await;
    Ok(())
}

/// One sample: metric name and labels.
type Series = (String, BTreeMap<String, String>);

/// Parses the text exposition format: `name{label="value",...} number` lines, and the
/// `# TYPE` of each metric.
fn parse(text: &str) -> (HashMap<Series, f64>, HashMap<String, String>) {
    let mut samples = HashMap::new();
    let mut types = HashMap::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample line");
        let value: f64 = value.parse().expect("a number");
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').expect("closing brace");
                let labels = labels
                    .split(',')
                    .map(|pair| {
                        let (key, value) = pair.split_once('=').expect("label=value");
                        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
                        (key.to_owned(), value.expect("quoted").to_owned())
                    })
                    .collect();
                (name, labels)
            }
            None => (series, BTreeMap::new()),
        };
        samples.insert((name.to_owned(), labels), value);
    }
    (samples, types)
}

struct Scrape {
    samples: HashMap<Series, f64>,
    types: HashMap<String, String>,
    text: String,
}

impl Scrape {
    /// Records the registry into a fresh exporter and parses what it renders.
    fn take() -> Self {
        let recorder: PrometheusRecorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, record);
        let text = handle.render();
        let (samples, types) = parse(&text);
        Self {
            samples,
            types,
            text,
        }
    }

    fn value(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        let labels = labels
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        let series = (metric.to_owned(), labels);
        *self
            .samples
            .get(&series)
            .unwrap_or_else(|| panic!("no sample {series:?} in\n{}", self.text))
    }

    fn calls(&self, name: &str, layer: &str, outcome: &str) -> f64 {
        self.value(
            "resilience_calls_total",
            &[("name", name), ("layer", layer), ("outcome", outcome)],
        )
    }

    fn of(&self, metric: &str, name: &str) -> f64 {
        self.value(metric, &[("name", name)])
    }
}

#[tokio::test(start_paused = true)]
async fn a_scripted_run_scrapes_to_exact_values() {
    // A breaker: one success, two failures open it, three calls are rejected.
    db(true).await.unwrap();
    let _ = db(false).await;
    let _ = db(false).await;
    for _ in 0..3 {
        assert!(matches!(
            db(true).await,
            Err(TestError::Resilience(Error::CircuitOpen { .. }))
        ));
    }
    // A retry: at once; after one retry; giving up after three attempts; not retryable.
    flaky(false).await.unwrap();
    FAILURES_LEFT.store(1, Ordering::SeqCst);
    flaky(false).await.unwrap();
    FAILURES_LEFT.store(5, Ordering::SeqCst);
    assert_eq!(flaky(false).await, Err(TestError::Transient));
    assert_eq!(flaky(true).await, Err(TestError::Permanent));
    // A limiter of 2/s with a burst of 2: the third and fourth calls wait 500ms each.
    for _ in 0..4 {
        api().await.unwrap();
    }
    // A rejecting limiter, and a keyed one with three tenants.
    strict().await.unwrap();
    assert!(strict().await.is_err());
    for tenant in ["tenant-a", "tenant-b", "tenant-c", "tenant-a"] {
        let _ = per_tenant(tenant).await;
    }
    // A pool of one: the second concurrent call is turned away.
    let holder = tokio::spawn(pooled());
    tokio::task::yield_now().await;
    assert!(pooled().await.is_err());
    holder.await.unwrap().unwrap();

    let scrape = Scrape::take();
    let breaker = "circuit_breaker";
    assert_eq!(scrape.calls("prom-db", breaker, "successful"), 1.0);
    assert_eq!(scrape.calls("prom-db", breaker, "failed"), 2.0);
    assert_eq!(scrape.calls("prom-db", breaker, "rejected"), 3.0);
    assert_eq!(scrape.calls("prom-db", breaker, "ignored"), 0.0);
    assert_eq!(
        scrape.of("resilience_circuit_breaker_state", "prom-db"),
        circuit_state_value(CircuitState::Open)
    );
    assert_eq!(
        scrape.of("resilience_circuit_breaker_state", "prom-db"),
        1.0
    );
    assert_eq!(
        scrape.of("resilience_circuit_breaker_transitions_total", "prom-db"),
        1.0
    );
    assert_eq!(
        scrape.of("resilience_circuit_breaker_failure_rate", "prom-db"),
        -1.0
    );

    assert_eq!(
        scrape.calls("prom-retry", "retry", "successful_without_retry"),
        1.0
    );
    assert_eq!(
        scrape.calls("prom-retry", "retry", "successful_with_retry"),
        1.0
    );
    assert_eq!(
        scrape.calls("prom-retry", "retry", "failed_with_retry"),
        1.0
    );
    assert_eq!(
        scrape.calls("prom-retry", "retry", "failed_without_retry"),
        1.0
    );
    assert_eq!(
        scrape.of("resilience_retry_attempts_total", "prom-retry"),
        3.0
    );

    assert_eq!(scrape.calls("prom-api", "rate_limiter", "permitted"), 4.0);
    assert_eq!(scrape.calls("prom-api", "rate_limiter", "rejected"), 0.0);
    assert_eq!(
        scrape.of("resilience_rate_limit_waits_total", "prom-api"),
        2.0
    );
    assert_eq!(
        scrape.of("resilience_rate_limit_wait_seconds_total", "prom-api"),
        1.0
    );
    assert_eq!(
        scrape.calls("prom-strict", "rate_limiter", "permitted"),
        1.0
    );
    assert_eq!(scrape.calls("prom-strict", "rate_limiter", "rejected"), 1.0);
    assert_eq!(scrape.calls("prom-keyed", "rate_limiter", "permitted"), 3.0);
    assert_eq!(scrape.calls("prom-keyed", "rate_limiter", "rejected"), 1.0);
    assert_eq!(
        scrape.of("resilience_rate_limit_tracked_keys", "prom-keyed"),
        3.0
    );
    assert!(
        !scrape.text.contains("tenant-"),
        "keys must never become labels:\n{}",
        scrape.text
    );

    assert_eq!(scrape.calls("prom-pool", "bulkhead", "permitted"), 1.0);
    assert_eq!(scrape.calls("prom-pool", "bulkhead", "rejected"), 1.0);
    assert_eq!(scrape.of("resilience_bulkhead_in_flight", "prom-pool"), 0.0);
    assert_eq!(scrape.of("resilience_bulkhead_waiting", "prom-pool"), 0.0);
    assert_eq!(
        scrape.of("resilience_bulkhead_max_concurrent", "prom-pool"),
        1.0
    );
    assert_eq!(
        scrape.of("resilience_bulkhead_peak_in_flight", "prom-pool"),
        1.0
    );

    // One naming scheme, typed as documented, labelled by name (+ layer, outcome) only.
    for (metric, kind) in [
        ("resilience_calls_total", "counter"),
        ("resilience_circuit_breaker_state", "gauge"),
        ("resilience_circuit_breaker_transitions_total", "counter"),
        ("resilience_retry_attempts_total", "counter"),
        ("resilience_rate_limit_waits_total", "counter"),
        ("resilience_rate_limit_wait_seconds_total", "gauge"),
        ("resilience_bulkhead_in_flight", "gauge"),
    ] {
        assert_eq!(
            scrape.types.get(metric).map(String::as_str),
            Some(kind),
            "{metric}"
        );
    }
    for (metric, labels) in scrape.samples.keys() {
        assert!(metric.starts_with("resilience_"), "{metric}");
        let allowed: &[&str] = if metric == "resilience_calls_total" {
            &["layer", "name", "outcome"]
        } else {
            &["name"]
        };
        let keys: Vec<&str> = labels.keys().map(String::as_str).collect();
        assert_eq!(keys, allowed, "{metric}");
    }

    // A reset clears what the breaker's snapshot shows, not the exported counters.
    let breaker_handle = registry().circuit_breaker("prom-db").unwrap();
    breaker_handle.reset();
    db(true).await.unwrap();
    assert_eq!(breaker_handle.metrics().successful, 1);
    let scrape = Scrape::take();
    assert_eq!(scrape.calls("prom-db", breaker, "successful"), 2.0);
    assert_eq!(scrape.calls("prom-db", breaker, "failed"), 2.0);
    assert_eq!(scrape.calls("prom-db", breaker, "rejected"), 3.0);
    assert_eq!(
        scrape.of("resilience_circuit_breaker_state", "prom-db"),
        0.0
    );
    assert_eq!(
        scrape.of("resilience_circuit_breaker_transitions_total", "prom-db"),
        2.0
    );

    // Three calls at once on the recovered 2/s limiter: the burst admits two, one waits.
    assert_eq!(scrape.of("resilience_rate_limit_waiting", "prom-api"), 0.0);
    let calls: Vec<_> = (0..3).map(|_| tokio::spawn(api())).collect();
    tokio::task::yield_now().await;
    let scrape = Scrape::take();
    assert_eq!(scrape.of("resilience_rate_limit_waiting", "prom-api"), 1.0);
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        Scrape::take().of("resilience_rate_limit_waiting", "prom-api"),
        0.0
    );
}

/// A quota whose Redis backend cannot be reached (a port nothing listens on, or no `redis`
/// feature at all): its backend's health as the scrape shows it.
#[tokio::test(start_paused = true)]
async fn a_quotas_unreachable_backend_scrapes_as_down_with_its_errors_and_fallbacks() {
    registry().set_redis_url("redis://127.0.0.1:1/");
    let quota = registry().register_quota(
        "prom-quota-shared",
        QuotaConfig::new(QuotaLimit::per_hour(2)).with_backend(Backend::Redis),
    );
    let local = registry().register_quota(
        "prom-quota-local",
        QuotaConfig::new(QuotaLimit::per_hour(2)),
    );
    local.acquire().await.unwrap();
    // "local", the default: this process's count decides while the backend is down; the
    // first call fails to reach it, the second finds it resting.
    quota.acquire().await.unwrap();
    quota.acquire().await.unwrap();
    assert!(matches!(
        quota.acquire().await,
        Err(Error::QuotaExceeded { .. })
    ));

    let scrape = Scrape::take();
    let shared = "prom-quota-shared";
    assert_eq!(scrape.of("resilience_quota_admitted_total", shared), 2.0);
    assert_eq!(scrape.of("resilience_quota_rejected_total", shared), 1.0);
    assert_eq!(scrape.of("resilience_quota_backend_available", shared), 0.0);
    assert_eq!(
        scrape.of("resilience_quota_backend_errors_total", shared),
        1.0
    );
    assert_eq!(
        scrape.of("resilience_quota_backend_fallback_decisions_total", shared),
        3.0
    );
    for (metric, kind) in [
        ("resilience_quota_backend_available", "gauge"),
        ("resilience_quota_backend_errors_total", "counter"),
        (
            "resilience_quota_backend_fallback_decisions_total",
            "counter",
        ),
    ] {
        assert_eq!(
            scrape.types.get(metric).map(String::as_str),
            Some(kind),
            "{metric}"
        );
    }
    // A local quota has no backend series.
    assert_eq!(
        scrape.of("resilience_quota_admitted_total", "prom-quota-local"),
        1.0
    );
    assert!(
        !scrape
            .text
            .contains(r#"resilience_quota_backend_available{name="prom-quota-local"}"#),
        "{}",
        scrape.text
    );
}

#[tokio::test(start_paused = true)]
async fn the_recorder_task_publishes_periodically() {
    // The task records into the global recorder; this test binary's only global one.
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .expect("the first global recorder");
    let pool = registry().register_bulkhead(
        "prom-periodic",
        resilience_runtime::bulkhead::BulkheadConfig::new(4),
    );
    let task = spawn_recorder(Duration::from_secs(5));
    sleep(Duration::from_millis(1)).await; // the first record happens at once
    let in_flight = |text: &str| {
        parse(text)
            .0
            .get(&(
                "resilience_bulkhead_in_flight".to_owned(),
                BTreeMap::from([("name".to_owned(), "prom-periodic".to_owned())]),
            ))
            .copied()
    };
    assert_eq!(in_flight(&handle.render()), Some(0.0));

    let permit = pool.try_acquire().unwrap();
    assert_eq!(in_flight(&handle.render()), Some(0.0), "not recorded yet");
    sleep(Duration::from_secs(5)).await;
    assert_eq!(in_flight(&handle.render()), Some(1.0));
    drop(permit);
    sleep(Duration::from_secs(5)).await;
    assert_eq!(in_flight(&handle.render()), Some(0.0));
    task.abort();
}
