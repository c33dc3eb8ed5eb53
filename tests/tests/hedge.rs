//! `#[hedge]`: a slow attempt loses to a hedge, the first `Ok` wins, no hedge before the
//! delay, `max_hedges` bounds the attempts, a percentile delay follows the latencies seen;
//! metrics, the snapshot, sharing with a tower layer, configuration and live changes.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use resilience_runtime::config::{self, ConfigOverrides};
use resilience_runtime::hedge::{HedgeConfig, HedgeDelay, Percentile};
use resilience_runtime::tower::HedgeLayer;
use resilience_runtime::{hedge, registry};
use resilience_tests::ServiceError;
use tokio::time::{Instant, sleep};
use tower::{BoxError, Layer, Service, ServiceBuilder, ServiceExt, service_fn};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// Latencies by attempt: the first call of each site sleeps `first`, later ones `rest`.
struct Script {
    attempts: AtomicU32,
}

impl Script {
    const fn new() -> Self {
        Self {
            attempts: AtomicU32::new(0),
        }
    }

    /// This attempt's number (0 first) and when it started.
    fn next(&self) -> u32 {
        self.attempts.fetch_add(1, Ordering::SeqCst)
    }

    fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::SeqCst)
    }
}

static SLOW_FIRST: Script = Script::new();

#[hedge(name = "hedge-slow-first", delay = "50ms")]
async fn slow_first(query: &str) -> Result<String, ServiceError> {
    let attempt = SLOW_FIRST.next();
    sleep(MS(if attempt == 0 { 1_000 } else { 10 })).await;
    Ok(format!("{query}:{attempt}"))
}

#[tokio::test(start_paused = true)]
async fn a_slow_first_attempt_loses_to_a_hedge() {
    let start = Instant::now();
    let query = String::from("socks"); // borrowed by both attempts
    assert_eq!(slow_first(&query).await.unwrap(), "socks:1");
    assert_eq!(start.elapsed(), MS(60));
    assert_eq!(SLOW_FIRST.attempts(), 2);
    let metrics = registry().hedge("hedge-slow-first").unwrap().metrics();
    assert_eq!(
        (metrics.calls, metrics.hedges_started, metrics.hedges_won),
        (1, 1, 1)
    );
}

static ERRS_FIRST: Script = Script::new();

#[hedge(name = "hedge-errs-first", delay = "50ms")]
async fn errs_first() -> Result<u32, ServiceError> {
    let attempt = ERRS_FIRST.next();
    if attempt == 0 {
        // Fails at 100 ms, while the hedge (started at 50 ms) is still running.
        sleep(MS(100)).await;
        return Err(ServiceError::Transient(String::from("first")));
    }
    sleep(MS(80)).await;
    Ok(attempt)
}

#[tokio::test(start_paused = true)]
async fn the_first_ok_wins_even_when_an_earlier_attempt_errs() {
    let start = Instant::now();
    assert_eq!(errs_first().await.unwrap(), 1);
    assert_eq!(start.elapsed(), MS(130));
    let metrics = registry().hedge("hedge-errs-first").unwrap().metrics();
    assert_eq!((metrics.hedges_started, metrics.hedges_won), (1, 1));
}

static FAST: Script = Script::new();

#[hedge(name = "hedge-fast", delay = "50ms", max_hedges = 4)]
async fn fast() -> Result<u32, ServiceError> {
    FAST.next();
    sleep(MS(49)).await;
    Ok(7)
}

#[tokio::test(start_paused = true)]
async fn no_hedge_when_the_answer_comes_before_the_delay() {
    for _ in 0..10 {
        assert_eq!(fast().await.unwrap(), 7);
    }
    assert_eq!(FAST.attempts(), 10);
    let metrics = registry().hedge("hedge-fast").unwrap().metrics();
    assert_eq!(
        (metrics.calls, metrics.hedges_started, metrics.hedges_won),
        (10, 0, 0)
    );
}

static NEVER_ANSWERS: Script = Script::new();

#[hedge(name = "hedge-bounded", delay = "50ms", max_hedges = 2)]
async fn stuck() -> Result<u32, ServiceError> {
    let attempt = NEVER_ANSWERS.next();
    sleep(MS(1_000)).await;
    Err(ServiceError::Transient(format!("attempt {attempt}")))
}

#[tokio::test(start_paused = true)]
async fn max_hedges_bounds_the_attempts_and_the_last_error_is_the_calls() {
    let start = Instant::now();
    let error = stuck().await.unwrap_err();
    // Three attempts, at 0, 50 and 100 ms; the last to fail (at 1100 ms) is the last started.
    assert_eq!(NEVER_ANSWERS.attempts(), 3);
    assert_eq!(error.to_string(), "transient failure: attempt 2");
    assert_eq!(start.elapsed(), MS(1_100));
    let metrics = registry().hedge("hedge-bounded").unwrap().metrics();
    assert_eq!((metrics.hedges_started, metrics.hedges_won), (2, 0));
}

/// The latency of a percentile site's next attempts, and whether the first attempt of a
/// call is stuck (then it takes a second and the hedges take the normal latency).
static LATENCY_MS: AtomicU64 = AtomicU64::new(10);
static STICK_FIRST: AtomicU32 = AtomicU32::new(0);

#[hedge(name = "hedge-p95", delay = "p95")]
async fn by_percentile() -> Result<(), ServiceError> {
    let stuck = STICK_FIRST.swap(0, Ordering::SeqCst) == 1;
    let latency = LATENCY_MS.load(Ordering::SeqCst);
    sleep(MS(if stuck { 1_000 } else { latency })).await;
    Ok(())
}

/// One call whose first attempt is stuck; how long the call took.
async fn stuck_call() -> Duration {
    STICK_FIRST.store(1, Ordering::SeqCst);
    let start = Instant::now();
    by_percentile().await.unwrap();
    start.elapsed()
}

#[tokio::test(start_paused = true)]
async fn a_percentile_delay_follows_the_latencies_seen() {
    let hedge = registry().hedge("hedge-p95").unwrap();
    // Before 128 successful calls no percentile is known: a stuck call is not hedged.
    for _ in 0..100 {
        by_percentile().await.unwrap();
    }
    assert_eq!(hedge.delay(), None);
    assert_eq!(stuck_call().await, MS(1_000));
    assert_eq!(hedge.metrics().hedges_started, 0);

    // With the latencies of 10 ms calls the delay is their p95: 10 ms, within a bucket.
    for _ in 0..100 {
        by_percentile().await.unwrap();
    }
    let delay = hedge.delay().unwrap();
    assert!(delay >= MS(10) && delay <= MS(10) * 9 / 8, "{delay:?}");
    // A stuck call is answered by its hedge, started after that delay.
    let took = stuck_call().await;
    assert!(took >= MS(20) && took <= MS(22), "{took:?}");
    assert_eq!(hedge.metrics().hedges_won, 1);

    // The service slows down to 40 ms: within two windows the delay follows.
    LATENCY_MS.store(40, Ordering::SeqCst);
    for _ in 0..1_100 {
        by_percentile().await.unwrap();
    }
    let delay = hedge.delay().unwrap();
    assert!(delay >= MS(40) && delay <= MS(40) * 9 / 8, "{delay:?}");
    let latencies = hedge.latencies();
    assert!(latencies.p99.unwrap() >= MS(40), "{latencies:?}");
}

#[hedge(name = "hedge-shown", delay = "50ms")]
async fn shown() -> Result<(), ServiceError> {
    sleep(MS(1)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn metrics_and_snapshot_show_the_hedge() {
    shown().await.unwrap();
    let snapshot = registry().snapshot();
    let entry = snapshot
        .hedges
        .iter()
        .find(|hedge| hedge.name == "hedge-shown")
        .unwrap();
    assert_eq!(
        entry.config,
        HedgeConfig::new(HedgeDelay::Fixed(MS(50))).with_max_hedges(1)
    );
    assert_eq!(entry.delay_in_force, Some(MS(50)));
    assert_eq!(entry.metrics.calls, 1);
    assert_eq!(entry.latencies.samples, 1);
    let json = serde_json::to_value(&snapshot).unwrap();
    assert!(
        json["hedges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|hedge| { hedge["name"] == "hedge-shown" && hedge["config"]["max_hedges"] == 1 })
    );
    let text = snapshot.to_string();
    assert!(text.contains("Hedges"), "{text}");
    assert!(text.contains("hedge-shown"), "{text}");
}

static SHARED: Script = Script::new();

#[hedge(name = "hedge-shared", delay = "20ms", max_hedges = 2)]
async fn shared_site() -> Result<u32, ServiceError> {
    SHARED.next();
    sleep(MS(5)).await;
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn an_attribute_site_and_a_tower_layer_share_a_hedge_by_name() {
    shared_site().await.unwrap();
    let layer = HedgeLayer::named("hedge-shared");
    let hedge = registry().hedge("hedge-shared").unwrap();
    assert!(std::ptr::eq(layer.hedge(), &*hedge));
    assert_eq!(layer.hedge().config().max_hedges(), 2);

    // Through the layer: the first request is stuck, its copy answers.
    let sent = std::sync::Arc::new(AtomicU32::new(0));
    let counted = std::sync::Arc::clone(&sent);
    let mut service = ServiceBuilder::new()
        .layer(layer)
        .service(service_fn(move |n: u32| {
            let attempt = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                sleep(MS(if attempt == 0 { 1_000 } else { 5 })).await;
                Ok::<_, BoxError>(n * 10 + attempt)
            }
        }));
    let start = Instant::now();
    let response = service.ready().await.unwrap().call(4).await.unwrap();
    assert_eq!((response, start.elapsed()), (41, MS(25)));
    assert_eq!(sent.load(Ordering::SeqCst), 2);
    // The counts add up across the site and the layer.
    let metrics = hedge.metrics();
    assert_eq!(
        (metrics.calls, metrics.hedges_started, metrics.hedges_won),
        (2, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_that_cannot_be_copied_is_sent_once() {
    let layer = HedgeLayer::new(
        "hedge-tower-uncopied",
        HedgeConfig::new(HedgeDelay::Fixed(MS(10))),
    )
    .clone_request(|_: &u32| None);
    let sent = std::sync::Arc::new(AtomicU32::new(0));
    let counted = std::sync::Arc::clone(&sent);
    let mut service = layer.layer(service_fn(move |n: u32| {
        counted.fetch_add(1, Ordering::SeqCst);
        async move {
            sleep(MS(100)).await;
            Ok::<_, BoxError>(n)
        }
    }));
    assert_eq!(service.ready().await.unwrap().call(3).await.unwrap(), 3);
    assert_eq!(sent.load(Ordering::SeqCst), 1);
}

#[hedge(name = "hedge-configured", delay = "50ms")]
async fn configured() -> Result<(), ServiceError> {
    sleep(MS(1)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn toml_and_overrides_reconfigure_a_running_hedge() {
    configured().await.unwrap();
    let hedge = registry().hedge("hedge-configured").unwrap();
    config::load_str("[hedge.hedge-configured]\ndelay = \"p99\"\nmax_hedges = 3").unwrap();
    assert_eq!(
        hedge.config(),
        HedgeConfig::new(HedgeDelay::Percentile(Percentile::P99)).with_max_hedges(3)
    );
    // The calls seen so far are kept: one latency.
    assert_eq!(hedge.latencies().samples, 1);
    config::apply(ConfigOverrides::new().hedge("hedge-configured", "delay", "20ms")).unwrap();
    assert_eq!(hedge.config().delay(), HedgeDelay::Fixed(MS(20)));
    assert_eq!(hedge.config().max_hedges(), 3);

    // Mistakes are rejected whole, with the attribute's words.
    let error = config::load_str("[hedge.hedge-configured]\ndelay = \"p50\"").unwrap_err();
    assert!(
        error.to_string().contains("unknown percentile \"p50\""),
        "{error}"
    );
    let error = config::load_str("[hedge.hedge-configured]\nmax_hedges = 5").unwrap_err();
    assert!(error.to_string().contains("from 1 to 4"), "{error}");
    assert_eq!(hedge.config().delay(), HedgeDelay::Fixed(MS(20)));
}

static LIVE: Script = Script::new();

#[hedge(name = "hedge-live", delay = "1s")]
async fn live() -> Result<u32, ServiceError> {
    let attempt = LIVE.next();
    sleep(MS(if attempt == 0 { 500 } else { 10 })).await;
    Ok(attempt)
}

#[tokio::test(start_paused = true)]
async fn a_live_change_applies_to_the_next_call() {
    let hedge = registry().hedge("hedge-live").unwrap();
    hedge.set_config(HedgeConfig::new(HedgeDelay::Fixed(MS(100))));
    let start = Instant::now();
    // The first attempt (500 ms) now loses to a hedge started at 100 ms.
    assert_eq!(live().await.unwrap(), 1);
    assert_eq!(start.elapsed(), MS(110));
}

#[tokio::test(start_paused = true)]
async fn hedged_fns_with_borrowed_arguments_and_results() {
    let words = vec![String::from("socks"), String::from("shoes")];
    let found = resilience_tests::hedged(&words, "shoes").await.unwrap();
    assert_eq!(found, Some(&words[1]));
    let index = resilience_tests::Index { words };
    assert!(index.knows("socks").await.unwrap());
    assert!(!index.knows("hats").await.unwrap());
    assert_eq!(registry().hedge("lint-hedge").unwrap().metrics().calls, 1);
    let pool = registry().bulkhead("lint-hedge-pool").unwrap();
    assert_eq!(pool.in_flight(), 0);
}
