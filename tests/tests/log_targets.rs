//! Every event's `tracing` target is the kind's own, stable whatever file logs it:
//! `resilience_runtime::<kind>`, as the README's logging table lists, so a filter such as
//! `RUST_LOG=resilience_runtime::retry=debug` keeps working.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use resilience_runtime::{Error, bulkhead, circuit_breaker, hedge, rate_limit, retry, timeout};
use tracing_subscriber::layer::{Context, SubscriberExt};

#[derive(Clone, Default)]
struct Targets(Arc<Mutex<Vec<(String, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Targets {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        self.0
            .lock()
            .unwrap()
            .push((event.metadata().target().to_owned(), message.0));
    }
}

impl Targets {
    fn target_of(&self, message: &str) -> String {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|(_, logged)| logged.contains(message))
            .unwrap_or_else(|| panic!("no event {message:?}"))
            .0
            .clone()
    }
}

#[circuit_breaker(name = "targets-db", failure_threshold = 1)]
#[retry(
    name = "targets-retry",
    max_attempts = 2,
    initial_delay = "1ms",
    jitter = "none"
)]
#[timeout("10ms")]
async fn slow() -> Result<(), Error> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[rate_limit(name = "targets-api", rate = "1/h", on_limit = "reject")]
#[bulkhead(name = "targets-pool", max_concurrent = 1)]
async fn limited() -> Result<(), Error> {
    Ok(())
}

static HEDGED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

#[hedge(name = "targets-hedge", delay = "10ms")]
async fn hedged() -> Result<(), Error> {
    let first = HEDGED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
    tokio::time::sleep(Duration::from_millis(if first { 100 } else { 1 })).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn each_kind_logs_under_its_own_target() {
    let targets = Targets::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(targets.clone()));
    let _ = slow().await;
    let _ = slow().await;
    limited().await.unwrap();
    let _ = limited().await;
    hedged().await.unwrap();

    let expect = |message: &str, kind: &str| {
        assert_eq!(
            targets.target_of(message),
            format!("resilience_runtime::{kind}"),
            "{message}"
        );
    };
    expect("retrying after a failed attempt", "retry");
    expect("giving up after retrying", "retry");
    expect("circuit breaker changed state", "circuit_breaker");
    expect("circuit breaker rejected a call", "circuit_breaker");
    expect("call timed out", "timeout");
    expect("rate limit exceeded; call rejected", "rate_limit");
    expect("no answer within the delay; hedge started", "hedge");
    expect("a hedge answered first", "hedge");
}
