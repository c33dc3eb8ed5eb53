//! A `tracing` subscriber that panics while a breaker logs a transition must not wedge the
//! breaker's event log: the transition is still recorded, and once the subscriber is gone,
//! subscribers and `recent_transitions()` get every later transition.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
use resilience_runtime::registry;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Panics on the breaker's "changed state" event.
struct PanicOnTransition;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PanicOnTransition {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target().starts_with("resilience_runtime") {
            panic!("a subscriber that panics");
        }
    }
}

#[test]
fn a_panicking_log_subscriber_does_not_stop_the_event_log() {
    let breaker = registry().register_circuit_breaker(
        "panicking-subscriber-db",
        CircuitBreakerConfig::new().with_failure_threshold(1),
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let _subscription = breaker.subscribe(move |event| sink.lock().unwrap().push(event.to));

    let panicking = tracing_subscriber::registry().with(PanicOnTransition);
    tracing::subscriber::with_default(panicking, || {
        let tripped = catch_unwind(AssertUnwindSafe(|| breaker.force_open()));
        assert!(tripped.is_err(), "the subscriber panicked");
    });
    assert_eq!(breaker.state(), CircuitState::ForcedOpen);

    // The subscriber is gone: the breaker cycles, and every transition is reported.
    breaker.reset();
    breaker.force_open();
    breaker.reset();
    assert_eq!(breaker.state(), CircuitState::Closed);
    let transitions: Vec<CircuitState> = breaker
        .recent_transitions()
        .iter()
        .map(|event| event.to)
        .collect();
    assert_eq!(
        transitions,
        [
            CircuitState::ForcedOpen,
            CircuitState::Closed,
            CircuitState::ForcedOpen,
            CircuitState::Closed
        ]
    );
    // The transition whose log panicked was recorded, but not handed to subscribers while
    // its thread unwound (a panic in one then would abort); every later one was.
    assert_eq!(*seen.lock().unwrap(), transitions[1..]);

    // And keeps doing so: no backlog builds up behind a lost event.
    for _ in 0..1_000 {
        breaker.force_open();
        breaker.reset();
    }
    assert_eq!(seen.lock().unwrap().len(), 2_003);
}
