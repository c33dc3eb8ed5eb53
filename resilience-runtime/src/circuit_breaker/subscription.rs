//! Transition events in order: the subscribers, the ring of recent transitions, and delivery.
//!
//! Only transitions touch this, never the closed path. Every generation change reports here,
//! including silent ones (a reset of a closed breaker), so events can be put back in the
//! order of their generations when two threads make consecutive transitions at once: whoever
//! finds the next generations ready delivers them, with the lock released while subscriber
//! callbacks run, so a callback may itself call into the breaker.

use std::collections::VecDeque;
use std::fmt;
use std::ops::DerefMut;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, PoisonError, Weak};

use super::event::CircuitEvent;
use super::state::next_generation;
use super::sync::Mutex;

/// How many transitions [`recent_transitions`](super::CircuitBreaker::recent_transitions) keeps.
pub const RECENT_TRANSITIONS: usize = 16;

type Callback = Arc<dyn Fn(&CircuitEvent) + Send + Sync>;

/// The breaker's event log: subscribers, undelivered transitions and recent transitions.
pub(super) struct EventLog {
    state: Mutex<LogState>,
}

struct LogState {
    /// The generation whose transition is delivered next.
    next: u32,
    /// Transitions that arrived before an earlier generation's; `None` for silent ones.
    waiting: Vec<(u32, Option<CircuitEvent>)>,
    /// A thread is delivering: others leave their transitions for it.
    delivering: bool,
    recent: VecDeque<CircuitEvent>,
    subscribers: Vec<(u64, Callback)>,
    next_id: u64,
}

/// Ends a delivery that a panic interrupted (a `tracing` subscriber's, while reporting a
/// subscriber that panicked), so that later transitions are still delivered.
/// (A delivery that starts while the thread unwinds runs no callback and ends normally.)
struct DeliveryGuard<'a> {
    log: &'a EventLog,
    unwinding_before: bool,
}

impl Drop for DeliveryGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.unwinding_before {
            self.log.lock().delivering = false;
        }
    }
}

impl EventLog {
    /// A log for a breaker whose first generation is `generation`.
    pub(super) fn new(generation: u32) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(LogState {
                next: next_generation(generation),
                waiting: Vec::new(),
                delivering: false,
                recent: VecDeque::with_capacity(RECENT_TRANSITIONS),
                subscribers: Vec::new(),
                next_id: 0,
            }),
        })
    }

    fn lock(&self) -> impl DerefMut<Target = LogState> + '_ {
        // A panic never happens under the lock (callbacks run outside it), but stay usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reports the transition into `generation`: `Some(event)` for a change of state, `None`
    /// for a new period in the same state. Delivers every transition that is now in order.
    pub(super) fn publish(&self, generation: u32, event: Option<CircuitEvent>) {
        let mut state = self.lock();
        state.waiting.push((generation, event));
        if state.delivering {
            return;
        }
        state.delivering = true;
        let _unwinding = DeliveryGuard {
            log: self,
            unwinding_before: std::thread::panicking(),
        };
        loop {
            let mut ready = Vec::new();
            while let Some(index) = state
                .waiting
                .iter()
                .position(|(generation, _)| *generation == state.next)
            {
                let (_, event) = state.waiting.swap_remove(index);
                state.next = next_generation(state.next);
                if let Some(event) = event {
                    if state.recent.len() == RECENT_TRANSITIONS {
                        state.recent.pop_front();
                    }
                    state.recent.push_back(event.clone());
                    ready.push(event);
                }
            }
            // While unwinding (a `tracing` subscriber panicked as the transition was logged),
            // the events are recorded but not handed to subscribers: a panic in one now would
            // abort the process.
            if ready.is_empty() || state.subscribers.is_empty() || std::thread::panicking() {
                state.delivering = false;
                return;
            }
            let subscribers: Vec<Callback> = state
                .subscribers
                .iter()
                .map(|(_, callback)| Arc::clone(callback))
                .collect();
            drop(state);
            for event in &ready {
                for callback in &subscribers {
                    if catch_unwind(AssertUnwindSafe(|| callback(event))).is_err() {
                        tracing::error!(
                            target: "resilience_runtime::circuit_breaker",
                            name = event.name,
                            "a circuit breaker event subscriber panicked; the event was skipped for it"
                        );
                    }
                }
            }
            state = self.lock();
        }
    }

    /// The last [`RECENT_TRANSITIONS`] delivered transitions, oldest first.
    pub(super) fn recent(&self) -> Vec<CircuitEvent> {
        self.lock().recent.iter().cloned().collect()
    }

    pub(super) fn subscribe(self: &Arc<Self>, callback: Callback) -> Subscription {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.subscribers.push((id, callback));
        Subscription {
            log: Arc::downgrade(self),
            id,
            active: true,
        }
    }

    fn unsubscribe(&self, id: u64) {
        self.lock().subscribers.retain(|(other, _)| *other != id);
    }

    #[cfg(all(test, not(loom)))]
    pub(super) fn subscribers(&self) -> usize {
        self.lock().subscribers.len()
    }
}

/// A subscription to a breaker's transition events, from
/// [`CircuitBreaker::subscribe`](super::CircuitBreaker::subscribe).
///
/// Dropping it unsubscribes; [`detach`](Self::detach) keeps the callback for the breaker's
/// lifetime instead.
#[must_use = "dropping the subscription unsubscribes at once; call .detach() to keep it"]
pub struct Subscription {
    log: Weak<EventLog>,
    id: u64,
    active: bool,
}

impl Subscription {
    /// Keeps the callback subscribed for as long as the breaker lives.
    pub fn detach(mut self) {
        self.active = false;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.active
            && let Some(log) = self.log.upgrade()
        {
            log.unsubscribe(self.id);
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("active", &self.active)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Barrier;

    use super::super::test_support::*;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn events_reach_subscribers_in_order_and_unsubscribe_on_drop() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_threshold(1)
                .with_recovery_timeout(SEC)
                .with_success_threshold(1),
        );
        let (subscription, events) = record_events(&breaker);
        let (detached, kept) = record_events(&breaker);
        detached.detach();
        assert_eq!(breaker.subscribers(), 2);
        fail(&breaker);
        advance(SEC).await;
        succeed(&breaker);
        let expected = [
            "closed → open (1 consecutive failures)",
            "open → half_open (open for 1s)",
            "half_open → closed (1 successful trial calls)",
        ];
        assert_eq!(*events.lock().unwrap(), expected);
        drop(subscription);
        assert_eq!(breaker.subscribers(), 1);
        fail(&breaker);
        assert_eq!(events.lock().unwrap().len(), 3, "unsubscribed");
        assert_eq!(kept.lock().unwrap().len(), 4, "detached stays");

        // The ring keeps the last RECENT_TRANSITIONS, oldest first, and serializes.
        for _ in 0..20 {
            breaker.close();
            fail(&breaker);
        }
        let recent = breaker.recent_transitions();
        assert_eq!(recent.len(), RECENT_TRANSITIONS);
        assert_eq!(recent.last().unwrap().to, CircuitState::Open);
        assert_eq!(recent.last().unwrap().from, CircuitState::Closed);
        let json = serde_json::to_value(breaker.snapshot()).unwrap();
        let last = &json["recent_transitions"][RECENT_TRANSITIONS - 1];
        assert_eq!(last["reason"], "1 consecutive failures");
        assert_eq!(last["to"], "open");
        assert!(last["at_unix_ms"].as_u64().unwrap() > 0);
        // A subscription outliving its breaker drops quietly.
        let orphan = breaker.subscribe(|_| {});
        drop(breaker);
        drop(orphan);
    }

    #[tokio::test(start_paused = true)]
    async fn panicking_subscriber_does_not_break_calls() {
        start().await;
        let breaker = breaker(
            CircuitBreakerConfig::new()
                .with_failure_threshold(1)
                .with_recovery_timeout(SEC),
        );
        let _panics = breaker.subscribe(|_| panic!("subscriber bug"));
        let (_subscription, events) = record_events(&breaker);
        let outcome: Result<(), Error> = breaker.call(async { Err(Error::timeout(SEC)) }).await;
        assert!(matches!(outcome, Err(Error::Timeout { .. })));
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(
            events.lock().unwrap().len(),
            1,
            "later subscribers still hear it"
        );
        advance(SEC).await;
        breaker.try_acquire().expect("trial").record_success();
        assert_eq!(events.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_subscriber_may_call_into_the_breaker() {
        let breaker = std::sync::Arc::new(breaker(
            CircuitBreakerConfig::new().with_failure_threshold(1),
        ));
        let weak = std::sync::Arc::downgrade(&breaker);
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&seen);
        breaker
            .subscribe(move |event| {
                sink.lock().unwrap().push(event.to);
                // Reset as soon as it opens: a transition from inside a callback.
                if event.to == CircuitState::Open
                    && let Some(breaker) = weak.upgrade()
                {
                    breaker.close();
                }
            })
            .detach();
        fail(&breaker);
        assert_eq!(breaker.state(), CircuitState::Closed);
        assert_eq!(
            *seen.lock().unwrap(),
            [CircuitState::Open, CircuitState::Closed]
        );
    }

    /// Events from transitions made by many threads at once arrive in generation order.
    #[test]
    fn concurrent_transitions_deliver_events_in_order() {
        const THREADS: usize = 4;
        let breaker = CircuitBreaker::new("ordered", CircuitBreakerConfig::new());
        let (_subscription, events) = record_events(&breaker);
        let barrier = Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (breaker, barrier) = (&breaker, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    for i in 0..500 {
                        match (thread + i) % 4 {
                            0 => breaker.force_open(),
                            1 => breaker.close(),
                            2 => breaker.metrics_only(),
                            _ => breaker.disable(),
                        }
                    }
                });
            }
        });
        let events = events.lock().unwrap();
        assert_eq!(events.len() as u64, breaker.metrics().transitions);
        // In order, each event starts where the previous one ended.
        for pair in events.windows(2) {
            let previous_to = pair[0]
                .split(" → ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            let from = pair[1].split(" → ").next().unwrap();
            assert_eq!(previous_to, from, "{pair:?}");
        }
        let last_to = events
            .last()
            .unwrap()
            .split(" → ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert_eq!(last_to, breaker.state().as_str());
    }
}
