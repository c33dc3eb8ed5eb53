//! Each call through an attribute stack is a `tracing` span, each retry or hedge attempt a
//! child span, exported through `tracing-opentelemetry` and `opentelemetry_sdk`'s in-memory
//! exporter.

use std::sync::atomic::{AtomicU32, Ordering};

use opentelemetry::trace::{SpanId, Status, TracerProvider as _};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use resilience_runtime::{circuit_breaker, hedge, registry, retry, spans, timeout};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug, thiserror::Error)]
enum StoreError {
    #[error("store unavailable")]
    Unavailable,
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

#[retry(max_attempts = 3, initial_delay = "10ms", jitter = "none")]
#[circuit_breaker(name = "spans-store", failure_threshold = 10)]
async fn load(failures_left: &AtomicU32) -> Result<u32, StoreError> {
    let left = failures_left.load(Ordering::Relaxed);
    if left > 0 {
        failures_left.store(left - 1, Ordering::Relaxed);
        return Err(StoreError::Unavailable);
    }
    Ok(7)
}

#[circuit_breaker(name = "spans-rejecting", failure_threshold = 5)]
async fn behind_open_breaker() -> Result<u32, StoreError> {
    Ok(1)
}

#[timeout("50ms")]
async fn slow() -> Result<u32, StoreError> {
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    Ok(1)
}

#[retry(max_attempts = 2, initial_delay = "1ms", jitter = "none")]
fn load_blocking(failures_left: &AtomicU32) -> Result<u32, StoreError> {
    let left = failures_left.load(Ordering::Relaxed);
    if left > 0 {
        failures_left.store(left - 1, Ordering::Relaxed);
        return Err(StoreError::Unavailable);
    }
    Ok(3)
}

static SEARCHES: AtomicU32 = AtomicU32::new(0);

#[hedge(name = "spans-hedge", delay = "50ms")]
async fn search() -> Result<u32, StoreError> {
    let attempt = SEARCHES.fetch_add(1, Ordering::Relaxed);
    let latency = if attempt == 0 { 1_000 } else { 10 };
    tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    Ok(attempt)
}

/// A subscriber exporting every span to an in-memory exporter.
struct Exported {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
}

impl Exported {
    fn new() -> (Self, impl tracing::Subscriber + Send + Sync) {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("resilience-tests");
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
        (Self { exporter, provider }, subscriber)
    }

    fn spans(&self) -> Vec<SpanData> {
        self.provider.force_flush().expect("flush");
        self.exporter.get_finished_spans().expect("finished spans")
    }
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|KeyValue { key: k, .. }| k.as_str() == key)
        .map(|kv| &kv.value)
}

fn text(span: &SpanData, key: &str) -> String {
    attribute(span, key)
        .unwrap_or_else(|| panic!("span `{}` has no `{key}`: {:?}", span.name, span.attributes))
        .as_str()
        .into_owned()
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> Vec<&'a SpanData> {
    spans.iter().filter(|span| span.name == name).collect()
}

#[tokio::test(start_paused = true)]
async fn a_call_is_a_span_and_each_attempt_a_child_span() {
    let (exported, subscriber) = Exported::new();
    let _default = tracing::subscriber::set_default(subscriber);

    let failures = AtomicU32::new(2);
    assert_eq!(load(&failures).await.unwrap(), 7);

    let spans = exported.spans();
    let calls = named(&spans, "load");
    assert_eq!(calls.len(), 1, "one span for the call: {spans:#?}");
    let call = calls[0];
    assert_eq!(call.instrumentation_scope.name(), "resilience-tests");
    assert_eq!(
        call.parent_span_id,
        SpanId::INVALID,
        "the call is a root span"
    );
    assert!(text(call, "code.function.name").ends_with("spans::load"));
    assert_eq!(text(call, "resilience.layers"), "retry,circuit_breaker");
    assert_eq!(text(call, "resilience.outcome"), "ok");
    assert_eq!(call.status, Status::Ok);

    let mut attempts = named(&spans, "load attempt");
    attempts.sort_by_key(|span| span.start_time);
    assert_eq!(attempts.len(), 3, "one child span per attempt");
    for (number, attempt) in attempts.iter().enumerate() {
        assert_eq!(
            attempt.parent_span_id,
            call.span_context.span_id(),
            "attempt {number} is a child of the call"
        );
        assert_eq!(
            attribute(attempt, "resilience.attempt"),
            Some(&Value::I64(number as i64 + 1))
        );
        assert_eq!(
            attempt.span_context.trace_id(),
            call.span_context.trace_id()
        );
    }
    let outcomes: Vec<String> = attempts
        .iter()
        .map(|span| text(span, "resilience.outcome"))
        .collect();
    assert_eq!(outcomes, ["error", "error", "ok"]);
    assert!(matches!(attempts[0].status, Status::Error { .. }));
    assert_eq!(attempts[2].status, Status::Ok);

    // The retry's events (at debug: one per retry, then the success) sit inside the call's
    // span. (Other events may land there too: the registry's warnings at its start go to
    // whichever span is current.)
    let events: Vec<String> = call
        .events
        .iter()
        .map(|event| event.name.to_string())
        .filter(|name| name.contains("retrying"))
        .collect();
    assert_eq!(
        events,
        [
            "retrying after a failed attempt",
            "retrying after a failed attempt",
            "succeeded after retrying"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn rejections_and_timeouts_are_outcomes_of_their_own() {
    let (exported, subscriber) = Exported::new();
    let _default = tracing::subscriber::set_default(subscriber);

    // Declares the breaker, then opens it by hand.
    behind_open_breaker().await.unwrap();
    registry()
        .circuit_breaker("spans-rejecting")
        .expect("declared")
        .force_open();
    assert!(behind_open_breaker().await.is_err());
    assert!(matches!(
        slow().await,
        Err(StoreError::Resilience(
            resilience_runtime::Error::Timeout { .. }
        ))
    ));

    let spans = exported.spans();
    let outcomes: Vec<String> = named(&spans, "behind_open_breaker")
        .iter()
        .map(|span| text(span, "resilience.outcome"))
        .collect();
    assert_eq!(outcomes, ["ok", "rejected"]);
    let timed_out = named(&spans, "slow");
    assert_eq!(text(timed_out[0], "resilience.outcome"), "timeout");
    assert_eq!(text(timed_out[0], "resilience.layers"), "timeout");
    assert!(matches!(timed_out[0].status, Status::Error { .. }));
    assert!(
        named(&spans, "slow attempt").is_empty(),
        "no retry, no attempt spans"
    );
}

#[tokio::test(start_paused = true)]
async fn each_hedge_attempt_is_a_child_span() {
    let (exported, subscriber) = Exported::new();
    let _default = tracing::subscriber::set_default(subscriber);
    assert_eq!(search().await.unwrap(), 1);

    let spans = exported.spans();
    let call = named(&spans, "search");
    assert_eq!(call.len(), 1);
    assert_eq!(text(call[0], "resilience.layers"), "hedge");
    assert_eq!(text(call[0], "resilience.outcome"), "ok");
    let mut attempts = named(&spans, "search attempt");
    attempts.sort_by_key(|span| span.start_time);
    assert_eq!(attempts.len(), 2, "the first attempt and its hedge");
    for (number, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt.parent_span_id, call[0].span_context.span_id());
        assert_eq!(
            attribute(attempt, "resilience.attempt"),
            Some(&Value::I64(number as i64 + 1))
        );
        assert_eq!(
            attribute(attempt, "resilience.hedge"),
            Some(&Value::Bool(number > 0))
        );
    }
    // The hedge answered; the first attempt was dropped before it had an outcome.
    assert_eq!(text(attempts[1], "resilience.outcome"), "ok");
    assert!(attribute(attempts[0], "resilience.outcome").is_none());
}

#[test]
fn a_sync_fn_has_the_same_spans() {
    let (exported, subscriber) = Exported::new();
    tracing::subscriber::with_default(subscriber, || {
        let failures = AtomicU32::new(1);
        assert_eq!(load_blocking(&failures).unwrap(), 3);
    });
    let spans = exported.spans();
    let call = named(&spans, "load_blocking");
    assert_eq!(call.len(), 1);
    let attempts = named(&spans, "load_blocking attempt");
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts
            .iter()
            .all(|span| span.parent_span_id == call[0].span_context.span_id())
    );
    assert_eq!(text(call[0], "resilience.outcome"), "ok");
}

#[test]
fn the_targets_are_the_documented_ones() {
    assert_eq!(spans::CALL_TARGET, "resilience_runtime::call");
    assert_eq!(spans::ATTEMPT_TARGET, "resilience_runtime::attempt");
}
