//! `#[quota]`: a fixed window resets at its UTC boundary and a sliding one never over-admits;
//! keyed allowances, `max_keys` and `idle_ttl`; the handle; the snapshot and metrics;
//! configuration and live changes; a tower layer sharing a quota with an attribute site; and
//! stacks: an outer retry does not retry a used-up quota, an outer breaker does not count it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use resilience_runtime::config::{self, ConfigOverrides};
use resilience_runtime::quota::{Quota, QuotaConfig, QuotaLimit, QuotaWindow};
use resilience_runtime::tower::QuotaLayer;
use resilience_runtime::{CircuitState, Error, circuit_breaker, quota, registry, retry};
use resilience_tests::ServiceError;
use tokio::time::advance;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

const SECS: fn(u64) -> Duration = Duration::from_secs;
const DAY: Duration = Duration::from_secs(86_400);

fn exceeded<T: std::fmt::Debug>(result: Result<T, ServiceError>) -> Option<Duration> {
    match result {
        Err(ServiceError::Resilience(Error::QuotaExceeded { resets_in, .. })) => resets_in,
        other => panic!("expected QuotaExceeded, got {other:?}"),
    }
}

#[quota(name = "quota-daily", limit = "3/day")]
async fn daily() -> Result<u32, ServiceError> {
    Ok(7)
}

#[tokio::test(start_paused = true)]
async fn a_fixed_window_admits_its_allowance_at_once_and_resets_at_midnight_utc() {
    for _ in 0..3 {
        assert_eq!(daily().await.unwrap(), 7);
    }
    let resets_in = exceeded(daily().await).expect("a fixed window knows its end");
    let quota = registry().quota("quota-daily").unwrap();
    assert_eq!(quota.resets_in(&()), Some(resets_in));
    assert_eq!(quota.remaining(&()), 0);
    // The boundary is 00:00 UTC. The wall clock was read once (when the quota first
    // decided) and stands still under the paused clock, so the system clock now can only be
    // a little later than the instant the quota reads; a minute covers any slow machine.
    let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let midnight = (wall + resets_in).as_secs() % 86_400;
    assert!(
        !(60..=86_400 - 60).contains(&midnight),
        "{midnight} s past midnight"
    );

    // One nanosecond before the boundary: still used up. At it: the whole allowance again.
    advance(resets_in - Duration::from_nanos(1)).await;
    assert_eq!(exceeded(daily().await), Some(Duration::from_nanos(1)));
    advance(Duration::from_nanos(1)).await;
    assert_eq!(quota.remaining(&()), 3);
    assert_eq!(quota.resets_in(&()), Some(DAY));
    for _ in 0..3 {
        daily().await.unwrap();
    }
    assert_eq!(exceeded(daily().await), Some(DAY));
    let metrics = quota.metrics();
    assert_eq!((metrics.admitted, metrics.rejected), (6, 3));
}

#[quota(name = "quota-sliding", limit = "4/31s", window = "sliding")]
fn sliding() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_sliding_window_never_admits_more_than_its_limit_in_any_period() {
    // A call every 3 s for five minutes, against a brute-force log of what was admitted.
    let period = SECS(31);
    let mut admitted: Vec<Duration> = Vec::new();
    let mut elapsed = Duration::ZERO;
    let mut refused = 0;
    while elapsed < SECS(300) {
        match sliding() {
            Ok(()) => admitted.push(elapsed),
            Err(ServiceError::Resilience(Error::QuotaExceeded { resets_in, .. })) => {
                let resets_in = resets_in.unwrap();
                // A slot frees a period after its call, at most a bucket (1 s) later.
                assert!(resets_in <= period + SECS(1), "{resets_in:?}");
                refused += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
        advance(SECS(3)).await;
        elapsed += SECS(3);
    }
    for (i, start) in admitted.iter().enumerate() {
        let within = admitted[i..]
            .iter()
            .take_while(|t| **t <= *start + period)
            .count();
        assert!(within <= 4, "{within} calls within a period from {start:?}");
    }
    assert!(refused > 0);
    // Steady state: four per period and a little, not fewer than 4 per 32 s.
    assert!(admitted.len() >= 300 / 32 * 4, "{}", admitted.len());
}

#[quota(name = "quota-keyed", limit = "2/h", key = client)]
async fn keyed(client: &str) -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn each_key_has_its_own_allowance() {
    keyed("acme").await.unwrap();
    keyed("acme").await.unwrap();
    assert!(exceeded(keyed("acme").await).is_some());
    keyed("globex").await.unwrap();
    let quota = registry().quota("quota-keyed").unwrap();
    assert_eq!(quota.remaining(&"acme"), 0);
    assert_eq!(quota.remaining(&String::from("globex")), 1);
    assert_eq!(quota.remaining(&"initech"), 2);
    // The unkeyed count is the unit key's, untouched by keyed calls.
    assert_eq!(quota.remaining(&()), 2);
    assert_eq!(quota.limit(), QuotaLimit::per_hour(2));
    assert_eq!(quota.metrics().tracked_keys, 2);
}

#[tokio::test(start_paused = true)]
async fn max_keys_bounds_the_table_and_idle_keys_are_forgotten() {
    let quota = Quota::new(
        "quota-bounded",
        QuotaConfig::new(QuotaLimit::new(1, SECS(10)))
            .with_max_keys(8)
            .with_idle_ttl(SECS(5)),
    );
    for client in 0..100 {
        quota.try_acquire_key(&client).unwrap();
        assert!(quota.metrics().tracked_keys <= 8);
    }
    assert_eq!(quota.metrics().tracked_keys, 8);
    // The newest key keeps its count through its own insertion.
    assert_eq!(quota.remaining(&99), 0);

    // Keys whose window ended `idle_ttl` ago are swept away by calls that pass by.
    let quota = Quota::new(
        "quota-idle",
        QuotaConfig::new(QuotaLimit::new(1, SECS(10))).with_idle_ttl(SECS(5)),
    );
    for client in 0..20 {
        quota.try_acquire_key(&("idle", client)).unwrap();
    }
    advance(SECS(30)).await;
    for client in 0..200 {
        quota.try_acquire_key(&("busy", client)).unwrap();
    }
    assert_eq!(quota.metrics().tracked_keys, 200);
}

#[tokio::test(start_paused = true)]
async fn a_sliding_quotas_handle_says_when_a_slot_frees() {
    let quota = Quota::new(
        "quota-sliding-handle",
        QuotaConfig::new(QuotaLimit::new(2, SECS(62))).with_window(QuotaWindow::Sliding),
    );
    assert_eq!(quota.resets_in(&"k"), None);
    quota.try_acquire_key(&"k").unwrap();
    advance(SECS(10)).await;
    quota.try_acquire_key(&"k").unwrap();
    let error = quota.try_acquire_key(&"k").unwrap_err();
    let resets_in = quota.resets_in(&"k").unwrap();
    assert_eq!(error.retry_after(), Some(resets_in));
    // The first call frees 62 s after it, at most one 2 s bucket later.
    assert!(
        resets_in > SECS(52) && resets_in <= SECS(54),
        "{resets_in:?}"
    );
    advance(resets_in).await;
    assert_eq!(quota.remaining(&"k"), 1);
    quota.try_acquire_key(&"k").unwrap();
}

#[quota(name = "quota-shown", limit = "5/min", window = "sliding")]
async fn shown() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_and_metrics_show_the_quota() {
    shown().await.unwrap();
    shown().await.unwrap();
    let snapshot = registry().snapshot();
    let entry = snapshot
        .quotas
        .iter()
        .find(|quota| quota.name == "quota-shown")
        .unwrap();
    assert_eq!(
        entry.config,
        QuotaConfig::new(QuotaLimit::per_minute(5)).with_window(QuotaWindow::Sliding)
    );
    assert_eq!((entry.metrics.admitted, entry.remaining), (2, 3));
    let json = serde_json::to_value(&snapshot).unwrap();
    assert!(json["quotas"].as_array().unwrap().iter().any(|quota| {
        quota["name"] == "quota-shown"
            && quota["config"]["limit"] == "5/min"
            && quota["config"]["window"] == "sliding"
            && quota["metrics"]["admitted"] == 2
    }));
    let text = snapshot.to_string();
    assert!(text.contains("Quotas"), "{text}");
    assert!(text.contains("quota-shown"), "{text}");
    assert!(text.contains("5/min"), "{text}");
}

#[quota(name = "quota-configured", limit = "2/day")]
async fn configured() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_raised_limit_applies_at_once_and_keeps_the_counts() {
    configured().await.unwrap();
    configured().await.unwrap();
    assert!(exceeded(configured().await).is_some());
    let quota = registry().quota("quota-configured").unwrap();
    config::load_str("[quota.quota-configured]\nlimit = \"3/day\"").unwrap();
    assert_eq!(quota.limit(), QuotaLimit::per_day(3));
    // One more call: the two made are still counted.
    configured().await.unwrap();
    assert!(exceeded(configured().await).is_some());
    config::apply(ConfigOverrides::new().quota("quota-configured", "limit", "5/day")).unwrap();
    assert_eq!(quota.remaining(&()), 2);
    quota.set_limit(1);
    assert!(exceeded(configured().await).is_some());

    // What a running quota cannot change is refused whole, with the attribute's words.
    let error = config::load_str("[quota.quota-configured]\nlimit = \"5/h\"").unwrap_err();
    assert!(error.to_string().contains("period"), "{error}");
    let error = config::load_str("[quota.quota-configured]\nwindow = \"sliding\"").unwrap_err();
    assert!(error.to_string().contains("cannot change"), "{error}");
    let error = config::load_str("[quota.quota-configured]\nlimit = \"1000\"").unwrap_err();
    assert!(error.to_string().contains("missing \"/\""), "{error}");
    let error = config::load_str("[quota.quota-configured]\nwindow = \"slidng\"").unwrap_err();
    assert!(
        error.to_string().contains("did you mean \"sliding\""),
        "{error}"
    );
    assert_eq!(quota.limit(), QuotaLimit::per_day(1));
}

#[quota(name = "quota-shared", limit = "3/day", key = client)]
async fn shared_site(client: &str) -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_tower_layer_and_an_attribute_site_share_a_quota_by_name() {
    shared_site("acme").await.unwrap();
    let layer = QuotaLayer::named("quota-shared").key_by(|client: &&'static str| *client);
    let quota = registry().quota("quota-shared").unwrap();
    assert!(std::ptr::eq(layer.quota(), &*quota));
    let mut service =
        ServiceBuilder::new()
            .layer(layer)
            .service(service_fn(|client: &'static str| async move {
                Ok::<_, BoxError>(client.len())
            }));
    assert_eq!(
        service.ready().await.unwrap().call("acme").await.unwrap(),
        4
    );
    assert_eq!(
        service.ready().await.unwrap().call("acme").await.unwrap(),
        4
    );
    let error = service
        .ready()
        .await
        .unwrap()
        .call("acme")
        .await
        .unwrap_err();
    assert!(matches!(
        error.downcast_ref::<Error>(),
        Some(Error::QuotaExceeded {
            name: "quota-shared",
            ..
        })
    ));
    assert!(exceeded(shared_site("acme").await).is_some());
    assert_eq!(
        service.ready().await.unwrap().call("globex").await.unwrap(),
        6
    );
    assert_eq!(quota.metrics().admitted, 4);
}

static RETRIED: AtomicU32 = AtomicU32::new(0);

#[retry(max_attempts = 5, initial_delay = "10ms")]
#[quota(name = "quota-under-retry", limit = "1/day")]
async fn under_retry() -> Result<(), ServiceError> {
    RETRIED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_outer_retry_does_not_wait_out_or_retry_a_used_up_quota() {
    under_retry().await.unwrap();
    let start = tokio::time::Instant::now();
    assert!(exceeded(under_retry().await).is_some());
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(RETRIED.load(Ordering::SeqCst), 1);
    let quota = registry().quota("quota-under-retry").unwrap();
    // One rejection: the retry asked once.
    assert_eq!(quota.metrics().rejected, 1);
}

#[circuit_breaker(
    name = "quota-breaker",
    failure_threshold = 2,
    recovery_timeout = "30s"
)]
#[quota(name = "quota-under-breaker", limit = "1/day")]
async fn under_breaker() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_used_up_quota_is_not_a_failure_for_an_outer_breaker() {
    under_breaker().await.unwrap();
    for _ in 0..5 {
        assert!(exceeded(under_breaker().await).is_some());
    }
    let breaker = registry().circuit_breaker("quota-breaker").unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().failed, 0);
}

#[tokio::test(start_paused = true)]
async fn a_limit_of_zero_admits_nothing_and_tracks_no_key() {
    let quota = Quota::new("quota-closed", QuotaConfig::new(QuotaLimit::per_day(0)));
    let error = quota.try_acquire_key(&"anyone").unwrap_err();
    assert_eq!(error, Error::quota_exceeded("quota-closed", None));
    assert_eq!(quota.metrics().tracked_keys, 0);
}
