//! Every resilience action is a `tracing` event at a sensible level, with the instance's name
//! as a field: checked with a subscriber that captures events.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use resilience_runtime::{
    Error, bulkhead, circuit_breaker, fallback, rate_limit, registry, retry, timeout,
};
use resilience_tests::ServiceError;
use tokio::time::sleep;
use tracing::Level;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// One captured event: its level and fields (the message under `message`).
#[derive(Debug, Clone)]
struct Event {
    level: Level,
    fields: BTreeMap<String, String>,
}

impl Event {
    fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map_or_else(|| panic!("no field {name} in {self:?}"), String::as_str)
    }
}

/// A layer that keeps every event.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Event {
                level: *event.metadata().level(),
                fields,
            });
    }
}

impl Capture {
    /// Captures the events of this thread until the guard drops.
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::set_default(subscriber)
    }

    /// Takes the events so far with `message` for the instance `name`.
    fn take(&self, message: &str, name: &str) -> Vec<Event> {
        let mut events = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (taken, kept) = events.drain(..).partition(|event: &Event| {
            event.fields.get("message").map(String::as_str) == Some(message)
                && event.fields.get("name").map(String::as_str) == Some(name)
        });
        *events = kept;
        taken
    }

    /// The one event with `message` for `name`, which must be at `level`.
    fn one(&self, level: Level, message: &str, name: &str) -> Event {
        let events = self.take(message, name);
        assert_eq!(events.len(), 1, "{message:?} for {name}: {events:?}");
        let event = events.into_iter().next().unwrap();
        assert_eq!(event.level, level, "{event:?}");
        event
    }
}

#[retry(
    name = "log-retry",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when = ServiceError::is_transient
)]
async fn flaky(failures: &AtomicU32) -> Result<u32, ServiceError> {
    let left = failures.load(Ordering::SeqCst);
    if left == 0 {
        return Ok(3);
    }
    failures.store(left - 1, Ordering::SeqCst);
    Err(ServiceError::Transient(format!("{left} left")))
}

/// An error type without `Debug`: the contract does not ask for one.
struct Opaque;

impl From<Error> for Opaque {
    fn from(_: Error) -> Self {
        Opaque
    }
}

#[retry(
    name = "log-opaque",
    max_attempts = 2,
    initial_delay = "1ms",
    jitter = "none"
)]
async fn opaque() -> Result<(), Opaque> {
    Err(Opaque)
}

#[retry(
    name = "log-timeouts",
    max_attempts = 2,
    initial_delay = "1ms",
    jitter = "none"
)]
#[timeout("50ms")]
async fn slow() -> Result<(), ServiceError> {
    sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[circuit_breaker(name = "log-breaker", failure_threshold = 2, recovery_timeout = "1s")]
async fn guarded(ok: bool) -> Result<(), ServiceError> {
    if ok {
        Ok(())
    } else {
        Err(ServiceError::Permanent)
    }
}

#[rate_limit(name = "log-limiter", rate = "1/s", max_wait = "2s")]
async fn limited() -> Result<(), ServiceError> {
    Ok(())
}

#[rate_limit(name = "log-strict", rate = "1/s", on_limit = "reject")]
async fn strict() -> Result<(), ServiceError> {
    Ok(())
}

#[bulkhead(name = "log-pool", max_concurrent = 1, max_wait = "100ms")]
async fn pooled(hold: Duration) -> Result<(), ServiceError> {
    sleep(hold).await;
    Ok(())
}

fn cached(_: ServiceError) -> Result<u32, ServiceError> {
    Ok(0)
}

#[fallback(cached)]
#[timeout("10ms")]
async fn with_fallback() -> Result<u32, ServiceError> {
    sleep(Duration::from_secs(1)).await;
    Ok(1)
}

struct Inventory;

impl Inventory {
    #[timeout("10ms")]
    async fn count(&self) -> Result<u32, ServiceError> {
        sleep(Duration::from_secs(1)).await;
        Ok(1)
    }
}

#[tokio::test(start_paused = true)]
async fn retry_attempts_log_at_debug_and_giving_up_at_warn() {
    let capture = Capture::default();
    let _guard = capture.install();

    assert_eq!(flaky(&AtomicU32::new(2)).await, Ok(3));
    let retries = capture.take("retrying after a failed attempt", "log-retry");
    assert_eq!(retries.len(), 2, "{retries:?}");
    for (retry, attempt) in retries.iter().zip(["2", "3"]) {
        // An attempt is routine under load: debug. Only giving up is a warning.
        assert_eq!(retry.level, Level::DEBUG);
        assert_eq!(retry.field("attempt"), attempt);
        assert_eq!(retry.field("max_attempts"), "3");
        assert_eq!(retry.field("delay"), "10ms");
    }
    // The error's Debug: `ServiceError` has one.
    assert_eq!(retries[0].field("error"), r#"Transient("2 left")"#);
    assert_eq!(retries[1].field("error"), r#"Transient("1 left")"#);
    let saved = capture.one(Level::DEBUG, "succeeded after retrying", "log-retry");
    assert_eq!(saved.field("attempts"), "3");

    assert!(flaky(&AtomicU32::new(5)).await.is_err());
    assert_eq!(
        capture
            .take("retrying after a failed attempt", "log-retry")
            .len(),
        2
    );
    let gave_up = capture.one(Level::WARN, "giving up after retrying", "log-retry");
    assert_eq!(gave_up.field("attempts"), "3");
    assert_eq!(gave_up.field("error"), r#"Transient("3 left")"#);

    // Without `Debug`, the type's name.
    assert!(opaque().await.is_err());
    let retry = capture.one(
        Level::DEBUG,
        "retrying after a failed attempt",
        "log-opaque",
    );
    assert_eq!(
        retry.field("error"),
        "an error of type `logging::Opaque` (value not shown: no Debug)"
    );
    capture.one(Level::WARN, "giving up after retrying", "log-opaque");

    // A layer's error by its `Display`; the timeout itself at debug, with the fn's name.
    assert!(slow().await.is_err());
    let retry = capture.one(
        Level::DEBUG,
        "retrying after a failed attempt",
        "log-timeouts",
    );
    assert_eq!(retry.field("error"), "call timed out after 50ms");
    let timeouts = capture.take("call timed out", "logging::slow");
    assert_eq!(timeouts.len(), 2, "one per attempt: {timeouts:?}");
    for event in timeouts {
        assert_eq!(event.level, Level::DEBUG);
        assert_eq!(event.field("after"), "50ms");
    }
}

#[tokio::test(start_paused = true)]
async fn breaker_transitions_carry_their_reason_and_rejections_are_debug() {
    let capture = Capture::default();
    let _guard = capture.install();

    let _ = guarded(false).await;
    let _ = guarded(false).await;
    let opened = capture.one(Level::WARN, "circuit breaker changed state", "log-breaker");
    assert_eq!(opened.field("from"), "closed");
    assert_eq!(opened.field("to"), "open");
    assert_eq!(opened.field("reason"), "2 consecutive failures");

    assert!(guarded(true).await.is_err());
    let rejected = capture.one(
        Level::DEBUG,
        "circuit breaker rejected a call",
        "log-breaker",
    );
    assert_eq!(rejected.field("state"), "open");

    sleep(Duration::from_secs(1)).await;
    guarded(true).await.unwrap();
    guarded(true).await.unwrap();
    let changes = capture.take("circuit breaker changed state", "log-breaker");
    let seen: Vec<_> = changes
        .iter()
        .map(|event| {
            (
                event.level,
                event.field("to").to_owned(),
                event.field("reason").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                Level::INFO,
                "half_open".to_owned(),
                "open for 1s".to_owned()
            ),
            (
                Level::INFO,
                "closed".to_owned(),
                "2 successful trial calls".to_owned()
            ),
        ]
    );

    let breaker = registry().circuit_breaker("log-breaker").unwrap();
    breaker.force_open();
    let forced = capture.one(Level::WARN, "circuit breaker changed state", "log-breaker");
    assert_eq!(forced.field("reason"), "forced open");
    breaker.reset();
    let reset = capture.one(Level::INFO, "circuit breaker changed state", "log-breaker");
    assert_eq!(reset.field("reason"), "reset");
}

#[tokio::test(start_paused = true)]
async fn limiter_and_bulkhead_waits_and_rejections_are_debug() {
    let capture = Capture::default();
    let _guard = capture.install();

    limited().await.unwrap();
    limited().await.unwrap(); // waits a second for the next permit
    let wait = capture.one(
        Level::DEBUG,
        "rate limit reached; waiting for a permit",
        "log-limiter",
    );
    assert_eq!(wait.field("wait"), "1s");

    strict().await.unwrap();
    assert!(strict().await.is_err());
    let rejected = capture.one(
        Level::DEBUG,
        "rate limit exceeded; call rejected",
        "log-strict",
    );
    assert_eq!(rejected.field("retry_after"), "Some(1s)");

    let holder = tokio::spawn(pooled(Duration::from_secs(1)));
    tokio::task::yield_now().await;
    assert!(pooled(Duration::ZERO).await.is_err());
    holder.await.unwrap().unwrap();
    let waited = capture.one(Level::DEBUG, "bulkhead full; waiting", "log-pool");
    assert_eq!(waited.field("max_wait"), "100ms");
    let rejected = capture.one(Level::DEBUG, "bulkhead full; call rejected", "log-pool");
    assert_eq!(rejected.field("max_concurrent"), "1");

    registry()
        .bulkhead("log-pool")
        .unwrap()
        .set_max_concurrent(2);
    let resized = capture.one(Level::INFO, "bulkhead resized", "log-pool");
    assert_eq!(resized.field("after"), "2");
}

#[tokio::test(start_paused = true)]
async fn timeouts_and_fallbacks_name_their_fn() {
    let capture = Capture::default();
    let _guard = capture.install();

    assert_eq!(with_fallback().await, Ok(0));
    let timed_out = capture.one(Level::DEBUG, "call timed out", "logging::with_fallback");
    assert_eq!(timed_out.field("after"), "10ms");
    let fell_back = capture.one(
        Level::DEBUG,
        "calling the fallback",
        "logging::with_fallback",
    );
    assert_eq!(fell_back.field("fallback"), "cached");
    assert_eq!(
        fell_back.field("error"),
        "call timed out after 10ms",
        "a layer's error, by its Display"
    );

    assert!(Inventory.count().await.is_err());
    capture.one(Level::DEBUG, "call timed out", "logging::Inventory::count");
}
