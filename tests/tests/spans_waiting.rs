//! A call's spans are entered only while its code runs: while the call waits (a retry's
//! backoff, an await in the body, a bulkhead's queue) no span of it is current on the thread,
//! and when it is polled again its code is back inside them, including when only the call's
//! span is enabled, inside a timeout and in a hedge's attempts. A call dropped while it waits leaves nothing entered.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::{bulkhead, hedge, retry, spans, timeout};
use tracing::Span;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

#[derive(Debug, thiserror::Error)]
enum FeedError {
    #[error("feed unavailable")]
    Unavailable,
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

/// The name of the span current on this thread, if any.
fn current() -> Option<&'static str> {
    Span::current().metadata().map(|meta| meta.name())
}

/// Fails its first attempt; each attempt waits inside the body, and notes the span current
/// before and after that wait.
#[retry(max_attempts = 2, initial_delay = "20ms", jitter = "none")]
async fn paced(
    failures_left: &AtomicU32,
    seen: &Mutex<Vec<Option<&'static str>>>,
) -> Result<u32, FeedError> {
    seen.lock().unwrap().push(current());
    tokio::time::sleep(Duration::from_millis(5)).await;
    seen.lock().unwrap().push(current());
    if failures_left.fetch_sub(1, Ordering::Relaxed) > 0 {
        return Err(FeedError::Unavailable);
    }
    Ok(1)
}

#[bulkhead(name = "spans-waiting-pool", max_concurrent = 1, max_wait = "1s")]
async fn pooled(hold: Duration) -> Result<Option<&'static str>, FeedError> {
    tokio::time::sleep(hold).await;
    Ok(current())
}

/// Waits inside a timeout (an await nested in another of the stack's awaits).
#[timeout("1s")]
async fn timed(seen: &Mutex<Vec<Option<&'static str>>>) -> Result<u32, FeedError> {
    seen.lock().unwrap().push(current());
    tokio::time::sleep(Duration::from_millis(5)).await;
    seen.lock().unwrap().push(current());
    Ok(2)
}

/// The first attempt is slow, so a hedge starts while it waits.
#[hedge(delay = "10ms")]
async fn hedged(
    attempts: &AtomicU32,
    seen: &Mutex<Vec<Option<&'static str>>>,
) -> Result<u32, FeedError> {
    let first = attempts.fetch_add(1, Ordering::Relaxed) == 0;
    seen.lock().unwrap().push(current());
    let pause = if first { 50 } else { 5 };
    tokio::time::sleep(Duration::from_millis(pause)).await;
    seen.lock().unwrap().push(current());
    Ok(3)
}

/// Notes the current span every millisecond for `for_ms`, from the same task as the call.
async fn observe(for_ms: u64) -> Vec<Option<&'static str>> {
    let mut seen = Vec::new();
    for _ in 0..for_ms {
        tokio::time::sleep(Duration::from_millis(1)).await;
        seen.push(current());
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn a_waiting_call_leaves_no_span_entered() {
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
    let (failures, seen) = (AtomicU32::new(1), Mutex::new(Vec::new()));

    // Both run in this task: whenever the call waits, the observer runs on the same thread.
    let (outcome, observed) = tokio::join!(paced(&failures, &seen), observe(40));
    assert_eq!(outcome.unwrap(), 1);
    assert_eq!(observed.len(), 40);
    assert!(
        observed.iter().all(Option::is_none),
        "no span of the call is current while it waits: {observed:?}"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [Some("paced attempt"); 4],
        "the body runs in its attempt's span before and after its own wait"
    );
    assert_eq!(current(), None);
}

#[tokio::test(start_paused = true)]
async fn with_only_the_call_span_enabled_waits_exit_it_too() {
    let only_calls = Targets::new().with_target(spans::CALL_TARGET, tracing::Level::INFO);
    let _default =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(only_calls));
    let (failures, seen) = (AtomicU32::new(1), Mutex::new(Vec::new()));

    let (outcome, observed) = tokio::join!(paced(&failures, &seen), observe(40));
    assert_eq!(outcome.unwrap(), 1);
    assert!(observed.iter().all(Option::is_none), "{observed:?}");
    assert_eq!(*seen.lock().unwrap(), [Some("paced"); 4]);
}

#[tokio::test(start_paused = true)]
async fn a_call_queued_in_a_bulkhead_waits_outside_its_span() {
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
    // The first call holds the only slot for 10 ms; the second waits for it in the queue.
    let (first, second, observed) = tokio::join!(
        pooled(Duration::from_millis(10)),
        pooled(Duration::from_millis(1)),
        observe(20)
    );
    assert_eq!(first.unwrap(), Some("pooled"));
    assert_eq!(second.unwrap(), Some("pooled"));
    assert!(observed.iter().all(Option::is_none), "{observed:?}");
}

#[tokio::test(start_paused = true)]
async fn a_call_dropped_while_it_waits_leaves_nothing_entered() {
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
    let (failures, seen) = (AtomicU32::new(5), Mutex::new(Vec::new()));
    // Dropped during its first attempt's wait, then during the retry's backoff.
    for after in [Duration::from_millis(2), Duration::from_millis(10)] {
        let cut_short = tokio::time::timeout(after, paced(&failures, &seen)).await;
        assert!(cut_short.is_err());
        assert_eq!(current(), None);
    }
    tracing::info!("after the dropped calls");
    assert_eq!(current(), None);
}

#[tokio::test(start_paused = true)]
async fn an_await_inside_a_timeout_waits_outside_the_span_too() {
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
    let seen = Mutex::new(Vec::new());
    let (outcome, observed) = tokio::join!(timed(&seen), observe(10));
    assert_eq!(outcome.unwrap(), 2);
    assert!(observed.iter().all(Option::is_none), "{observed:?}");
    assert_eq!(*seen.lock().unwrap(), [Some("timed"); 2]);
}

#[tokio::test(start_paused = true)]
async fn hedge_attempts_wait_outside_their_spans() {
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
    let (attempts, seen) = (AtomicU32::new(0), Mutex::new(Vec::new()));
    let (outcome, observed) = tokio::join!(hedged(&attempts, &seen), observe(30));
    assert_eq!(outcome.unwrap(), 3);
    assert_eq!(attempts.load(Ordering::Relaxed), 2, "the hedge started");
    assert!(observed.iter().all(Option::is_none), "{observed:?}");
    // Both attempts start in their spans; the hedge answers in its own, and the first attempt
    // is dropped while it waits.
    assert_eq!(*seen.lock().unwrap(), [Some("hedged attempt"); 3]);
}
