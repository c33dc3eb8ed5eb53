//! The plain API stacked by hand follows the attributes' rules: the same script through
//! `#[circuit_breaker] #[retry] #[timeout] #[bulkhead]` and through `CircuitBreaker::call`,
//! `Retry::run`, `timeout::timeout` and `Bulkhead::call` gives the same outcomes, counts and
//! states, call by call. In particular a full bulkhead is not a failure for the breaker.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use resilience_runtime::bulkhead::{Bulkhead, BulkheadConfig};
use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
use resilience_runtime::retry::{BackoffKind, Jitter, Retry, RetryConfig};

use resilience_runtime::{bulkhead, circuit_breaker, registry, retry, timeout};
use resilience_tests::ServiceError;

/// What the service does on its next attempt.
#[derive(Debug, Clone, Copy)]
enum Step {
    Answer(u32),
    Fail,
    Hang,
}

/// A service that follows a script, one step per attempt.
struct Script(Mutex<VecDeque<Step>>);

impl Script {
    fn new(steps: &[Step]) -> Self {
        Self(Mutex::new(steps.iter().copied().collect()))
    }

    async fn attempt(&self) -> Result<u32, ServiceError> {
        let step = self
            .0
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Step::Answer(0));
        match step {
            Step::Answer(value) => Ok(value),
            Step::Fail => Err(ServiceError::Transient(String::from("down"))),
            Step::Hang => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(0)
            }
        }
    }
}

#[circuit_breaker(
    name = "plain-vs-attr-db",
    failure_threshold = 2,
    recovery_timeout = "10s"
)]
#[retry(
    name = "plain-vs-attr-retry",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none"
)]
#[timeout("100ms")]
#[bulkhead(name = "plain-vs-attr-pool", max_concurrent = 1)]
async fn with_attributes(script: &Script) -> Result<u32, ServiceError> {
    script.attempt().await
}

struct ByHand {
    breaker: CircuitBreaker,
    retry: Retry,
    pool: Bulkhead,
}

impl ByHand {
    fn new() -> Self {
        Self {
            breaker: CircuitBreaker::new(
                "plain-db",
                CircuitBreakerConfig::new()
                    .with_failure_threshold(2)
                    .with_recovery_timeout(Duration::from_secs(10)),
            ),
            retry: Retry::new(
                "plain-retry",
                RetryConfig::new()
                    .with_max_attempts(3)
                    .with_backoff(BackoffKind::Fixed)
                    .with_initial_delay(Duration::from_millis(10))
                    .with_jitter(Jitter::None),
            ),
            pool: Bulkhead::new("plain-pool", BulkheadConfig::new(1)),
        }
    }

    async fn call(&self, script: &Script) -> Result<u32, ServiceError> {
        self.breaker
            .call(self.retry.run(
                |_| true,
                || async {
                    timeout::timeout(Duration::from_millis(100), self.pool.call(script.attempt()))
                        .await
                        .unwrap_or_else(|timed_out| Err(timed_out.into()))
                },
            ))
            .await
    }
}

/// One call's outcome and what the layers show afterwards.
#[derive(Debug, PartialEq)]
struct Seen {
    outcome: String,
    state: CircuitState,
    counts: (u64, u64, u64, u64),
    retries: (u64, u64),
}

fn seen(outcome: &Result<u32, ServiceError>, breaker: &CircuitBreaker, retry: &Retry) -> Seen {
    // Names differ between the two stacks; the rest must not.
    let outcome = format!("{outcome:?}")
        .replace("plain-vs-attr-", "")
        .replace("plain-", "");
    let metrics = breaker.metrics();
    let retries = retry.metrics();
    Seen {
        outcome,
        state: breaker.state(),
        counts: (
            metrics.successful,
            metrics.failed,
            metrics.ignored,
            metrics.not_permitted,
        ),
        retries: (retries.calls, retries.retries),
    }
}

#[tokio::test(start_paused = true)]
async fn stacked_by_hand_the_layers_behave_as_the_attributes() {
    let script_steps = [
        Step::Answer(1),
        Step::Fail,
        Step::Answer(2),
        Step::Hang,
        Step::Answer(3),
        Step::Fail,
        Step::Fail,
        Step::Fail,
        Step::Fail,
        Step::Fail,
        Step::Fail,
    ];
    let attr_script = Script::new(&script_steps);
    let hand_script = Script::new(&script_steps);
    let by_hand = ByHand::new();

    let mut traces = (Vec::new(), Vec::new());
    let mut step = async |busy: bool| {
        // Busy: another caller holds the bulkhead's only slot.
        let attr_pool = registry().bulkhead("plain-vs-attr-pool");
        let held = busy.then(|| {
            (
                attr_pool.as_ref().map(|pool| pool.try_acquire().unwrap()),
                by_hand.pool.try_acquire().unwrap(),
            )
        });
        // Side by side on the paused clock, so both see the same times.
        let (attr, hand) = tokio::join!(with_attributes(&attr_script), by_hand.call(&hand_script));
        drop(held);
        let attr_breaker = registry().circuit_breaker("plain-vs-attr-db").unwrap();
        let attr_retry = registry().retry("plain-vs-attr-retry").unwrap();
        traces.0.push(seen(&attr, &attr_breaker, &attr_retry));
        traces.1.push(seen(&hand, &by_hand.breaker, &by_hand.retry));
    };
    step(false).await; // answers at once
    step(false).await; // fails, then answers on the retry
    step(false).await; // hangs past the timeout, then answers
    step(true).await; // the bulkhead is full on every attempt: not a failure
    step(false).await; // fails three times: one failure for the breaker
    step(false).await; // again: the breaker opens
    step(false).await; // rejected by the open breaker, never retried

    assert_eq!(traces.0, traces.1);
    let full = &traces.1[3];
    assert!(full.outcome.contains("BulkheadFull"), "{full:?}");
    assert_eq!(
        full.state,
        CircuitState::Closed,
        "a full bulkhead is not a failure"
    );
    assert_eq!(traces.1[5].state, CircuitState::Open);
    let rejected = &traces.1[6];
    assert!(rejected.outcome.contains("CircuitOpen"), "{rejected:?}");
    // The breaker is outermost: the retry inside it never ran.
    assert_eq!(rejected.retries, traces.1[5].retries, "{rejected:?}");
}
