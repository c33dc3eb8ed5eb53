//! Admission outside the closed state: the open wait and the move to half-open, the trial
//! permits of a half-open breaker, the rejections. The closed state's one-load admission is
//! [`try_acquire`](super::CircuitBreaker::try_acquire) itself.

use std::time::Duration;

use crate::Error;
use crate::base::clock;

use super::CircuitBreaker;
use super::event::TransitionReason;
use super::permit::{CircuitPermit, PermitKind, PermitPeriod};
use super::state::{CircuitState, Word};
use super::sync::Ordering;

impl CircuitBreaker {
    /// [`try_acquire`](Self::try_acquire) in every state but closed, from state word `current`.
    #[cold]
    pub(super) fn acquire_outside_closed(
        &self,
        mut current: Word,
    ) -> Result<CircuitPermit<'_>, Error> {
        loop {
            match current.state() {
                CircuitState::Closed => {
                    return Ok(self.permit(current.generation(), PermitKind::Closed));
                }
                CircuitState::MetricsOnly => {
                    return Ok(self.permit(current.generation(), PermitKind::MetricsOnly));
                }
                CircuitState::Disabled => {
                    return Ok(self.permit(current.generation(), PermitKind::Disabled));
                }
                CircuitState::ForcedOpen => return Err(self.reject(current, None)),
                CircuitState::Open => {
                    if let Some(rejection) = self.reject_while_open(current) {
                        return Err(rejection);
                    }
                    let wait = self.open_length(current);
                    if self.fleet_decides() {
                        // The fleet hands its trial to one process; until this one holds
                        // it, the breaker stays open here.
                        return Err(self.reject(current, None));
                    }
                    // The caller that wins this swap makes the transition and takes the first
                    // trial permit in the same step.
                    let next = current
                        .next(CircuitState::HalfOpen)
                        .with_streak(current.streak())
                        .with_used(1);
                    let reason = TransitionReason::RecoveryTimeout {
                        waited: clock::to_duration(wait),
                    };
                    match self.transition(current, next, reason) {
                        Ok(()) => return Ok(self.permit(next.generation(), PermitKind::Trial)),
                        Err(actual) => current = actual,
                    }
                }
                CircuitState::HalfOpen => {
                    if let Some(max) = self.half_open_limit(current)
                        && self.remaining(current, max) == 0
                    {
                        let next = self.reopened(current);
                        let reason = TransitionReason::HalfOpenTimeout {
                            waited: clock::to_duration(max),
                        };
                        match self.transition(current, next, reason) {
                            Ok(()) => {
                                let wait = self.open_wait(next.streak());
                                return Err(self.reject(next, Some(clock::to_duration(wait))));
                            }
                            Err(actual) => {
                                current = actual;
                                continue;
                            }
                        }
                    }
                    let used = current.used();
                    if used >= self.tuning.half_open_max() {
                        return Err(self.reject(current, None));
                    }
                    match self.word.compare_exchange_weak(
                        current.raw(),
                        current.with_used(used + 1).raw(),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return Ok(self.permit(current.generation(), PermitKind::Trial)),
                        Err(actual) => current = Word::from_raw(actual),
                    }
                }
            }
        }
    }

    /// A permit of period `generation`, stamped with its start time when slow calls are
    /// tracked.
    #[inline(always)]
    pub(super) fn permit(&self, generation: u32, kind: PermitKind) -> CircuitPermit<'_> {
        CircuitPermit {
            breaker: self,
            period: PermitPeriod::new(generation, kind),
            // Only slow-call tracking needs the start time; the plain closed path reads no clock.
            started: if self.tuning.slow_after().is_some() {
                clock::now()
            } else {
                0
            },
        }
    }

    /// The rejection of a call while open word `current`'s recovery time runs, with the time
    /// left as its hint; `None` once it has run out (the caller makes the transition).
    ///
    /// Inlined into `try_acquire` as well as here: an open breaker's rejection is then built
    /// in the caller's result, with no call out of line whose `Result` comes back through
    /// memory to be copied again (the copy's wide loads of the callee's narrow stores stalled
    /// on store forwarding, a third of the rejection's time).
    #[inline(always)]
    pub(super) fn reject_while_open(&self, current: Word) -> Option<Error> {
        let remaining = self.remaining(current, self.open_length(current));
        (remaining > 0).then(|| self.reject(current, Some(clock::to_duration(remaining))))
    }

    /// The rejection of a call in `current`, counted and logged. The error is built inline,
    /// in the caller's result, counted inline, and logged out of line only when the log is on
    /// (see the rate limiter's `reject`).
    #[inline(always)]
    fn reject(&self, current: Word, retry_after: Option<Duration>) -> Error {
        self.counters.rejected();
        if tracing::enabled!(target: "resilience_runtime::circuit_breaker", tracing::Level::DEBUG) {
            self.log_rejection(current, retry_after);
        }
        Error::circuit_open(self.name, retry_after)
    }

    #[cold]
    #[inline(never)]
    fn log_rejection(&self, current: Word, retry_after: Option<Duration>) {
        tracing::debug!(
            target: "resilience_runtime::circuit_breaker",
            name = self.name,
            state = %current.state(),
            retry_after = ?retry_after,
            "circuit breaker rejected a call"
        );
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::collections::HashMap;
    use std::sync::Barrier;

    use super::super::test_support::*;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn open_rejects_with_remaining_time() {
        start().await;
        let breaker = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC * 30));
        assert_eq!(retry_after(breaker.try_acquire()), Some(SEC * 30));
        advance(SEC * 10).await;
        assert_eq!(retry_after(breaker.try_acquire()), Some(SEC * 20));
        let err = breaker.try_acquire().unwrap_err();
        assert!(err.is_rejection());
        assert_eq!(
            err.to_string(),
            "circuit breaker `test` is open; retry after 20s"
        );
        assert_eq!(breaker.metrics().not_permitted, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_comes_lazily_after_recovery_timeout() {
        start().await;
        let breaker = tripped(CircuitBreakerConfig::new().with_recovery_timeout(SEC * 30));
        advance(SEC * 30 - Duration::from_nanos(1)).await;
        assert_eq!(
            retry_after(breaker.try_acquire()),
            Some(Duration::from_nanos(1))
        );
        advance(Duration::from_nanos(1)).await;
        // Nothing moves the breaker until a call arrives.
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(breaker.metrics().transitions, 1);
        let permit = breaker.try_acquire().expect("first trial call");
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        assert_eq!(breaker.metrics().transitions, 2);
        drop(permit);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_admits_exactly_its_permits() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_success_threshold(3),
        );
        advance(SEC).await;
        let permits: Vec<_> = (0..3)
            .map(|_| breaker.try_acquire().expect("trial permit"))
            .collect();
        assert_eq!(retry_after(breaker.try_acquire()), None);
        assert_eq!(retry_after(breaker.try_acquire()), None);
        assert_eq!(breaker.metrics().not_permitted, 2);
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        drop(permits);
    }

    /// Under contention a half-open breaker never has more than `half_open_max_calls` trial calls
    /// of one period in flight, and admits exactly that many when nobody gives permits back.
    #[test]
    fn concurrent_half_open_admission_never_exceeds_permits() {
        const THREADS: usize = 8;
        const PERMITS: u32 = 3;
        let config = CircuitBreakerConfig::new()
            .with_failure_threshold(1)
            .with_recovery_timeout(Duration::ZERO)
            .with_success_threshold(PERMITS);

        // Nobody gives a permit back: exactly PERMITS calls are admitted in total.
        let breaker = CircuitBreaker::new("stress", config);
        breaker.try_acquire().expect("closed").record_failure();
        let barrier = Barrier::new(THREADS);
        let held = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    barrier.wait();
                    for _ in 0..1_000 {
                        if let Ok(permit) = breaker.try_acquire() {
                            // Keep the permit's generation; the permit itself must not be dropped.
                            held.lock().unwrap().push(permit.period.generation());
                            std::mem::forget(permit);
                        }
                    }
                });
            }
        });
        assert_eq!(held.lock().unwrap().len(), PERMITS as usize);
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        assert_eq!(breaker.load().used(), PERMITS);

        // Permits come and go, trial calls succeed, fail or are cancelled, the breaker cycles
        // through open, half-open and closed: per half-open period, never more than PERMITS held.
        let breaker = CircuitBreaker::new("stress", config);
        let in_flight: Mutex<HashMap<u32, u32>> = Mutex::new(HashMap::new());
        let barrier = Barrier::new(THREADS);
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (breaker, in_flight, barrier) = (&breaker, &in_flight, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    for i in 0..3_000 {
                        let Ok(permit) = breaker.try_acquire() else {
                            continue;
                        };
                        let generation = permit.period.generation();
                        let trial = permit.period.kind() == PermitKind::Trial;
                        if trial {
                            let mut map = in_flight.lock().unwrap();
                            let count = map.entry(generation).or_default();
                            *count += 1;
                            assert!(*count <= PERMITS, "{count} trial calls in flight");
                        }
                        std::thread::yield_now();
                        if trial {
                            *in_flight.lock().unwrap().get_mut(&generation).unwrap() -= 1;
                        }
                        match (thread + i) % 7 {
                            0 => permit.record_failure(),
                            1 | 2 => drop(permit),
                            3 => permit.record_ignored(),
                            _ => permit.record_success(),
                        }
                    }
                });
            }
        });
        // At rest, every trial permit still counted is one whose success was recorded.
        let word = breaker.load();
        if word.state() == CircuitState::HalfOpen {
            assert_eq!(word.used(), word.successes());
        }
        assert!(!word.pending());
    }

    #[tokio::test(start_paused = true)]
    async fn max_wait_in_half_open_reopens_on_the_next_call() {
        start().await;
        let breaker = tripped(
            CircuitBreakerConfig::new()
                .with_recovery_timeout(SEC)
                .with_success_threshold(2)
                .with_max_wait_in_half_open(SEC * 10),
        );
        advance(SEC).await;
        let stuck = breaker.try_acquire().expect("trial");
        let (_subscription, events) = record_events(&breaker);
        advance(SEC * 10 - Duration::from_nanos(1)).await;
        let second = breaker.try_acquire().expect("still within the wait");
        assert_eq!(retry_after(breaker.try_acquire()), None, "no permits left");
        advance(Duration::from_nanos(1)).await;
        assert_eq!(breaker.state(), CircuitState::HalfOpen, "lazily");
        assert_eq!(retry_after(breaker.try_acquire()), Some(SEC));
        assert_eq!(breaker.state(), CircuitState::Open);
        assert_eq!(
            *events.lock().unwrap(),
            ["half_open → open (no decision within 10s in half-open)"]
        );
        // The stuck trial calls end in a period that is over: no effect.
        stuck.record_success();
        second.record_success();
        assert_eq!(breaker.state(), CircuitState::Open);
    }
}
