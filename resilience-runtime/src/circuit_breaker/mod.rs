//! Circuit breaker: stop calling a failing service, then probe it before trusting it again.
//!
//! The semantics follow resilience4j. A **closed** breaker lets calls through and counts their
//! outcomes, either as consecutive failures or as failure and slow-call rates over a sliding
//! window (see [`CircuitBreakerConfig`]). When the count or a rate crosses its threshold the
//! breaker **opens** and rejects calls with [`Error::CircuitOpen`] carrying the remaining open
//! time, which may grow on repeated openings (`recovery_backoff`). After it the next call moves
//! the breaker to **half-open**, which admits a fixed number of trial calls, reserved
//! atomically; a cancelled or ignored trial call gives its permit back. In the consecutive model
//! enough successes close it again and any failure reopens it; in the rate model it decides
//! once every trial call has completed, by the same rates. `max_wait_in_half_open` bounds how
//! long that may take.
//!
//! Manual control: [`force_open`](CircuitBreaker::force_open),
//! [`close`](CircuitBreaker::close), [`disable`](CircuitBreaker::disable) (pass everything,
//! record nothing), [`metrics_only`](CircuitBreaker::metrics_only) (record, never open) and
//! [`reset`](CircuitBreaker::reset). Every change of state is one [`CircuitEvent`]: a `tracing`
//! event, a call to each [subscriber](CircuitBreaker::subscribe) in order, and an entry among
//! the [recent transitions](CircuitBreaker::recent_transitions).
//!
//! The closed path is lock-free and allocation-free: acquiring a permit is one atomic load,
//! recording a consecutive-model outcome a few more atomic operations. Every state change is a
//! single compare-and-swap on a packed state word that carries a generation, so exactly one
//! thread performs each transition and outcomes from an earlier period cannot change a later
//! one. Loom model tests check the state machine (`RUSTFLAGS="--cfg loom" cargo test -p
//! resilience-runtime --release --lib loom`).
//!
//! ```
//! use resilience_runtime::Error;
//! use resilience_runtime::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitState};
//! use std::time::Duration;
//!
//! static CONFIG: CircuitBreakerConfig = CircuitBreakerConfig::new()
//!     .with_failure_threshold(2)
//!     .with_recovery_timeout(Duration::from_secs(30));
//! let breaker = CircuitBreaker::new("doc-db", CONFIG);
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! for _ in 0..2 {
//!     let outcome: Result<(), Error> = breaker.call(async { Err(Error::timeout(Duration::from_secs(1))) }).await;
//!     assert!(outcome.is_err());
//! }
//! assert_eq!(breaker.state(), CircuitState::Open);
//! let rejected: Result<(), Error> = breaker.call(async { Ok(()) }).await;
//! assert!(matches!(rejected, Err(Error::CircuitOpen { .. })));
//! # });
//! ```
//!
//! [`Error::CircuitOpen`]: crate::Error::CircuitOpen

// The public face: the breaker, its handle and permits, manual control, reconfiguration.
mod breaker;
mod calls;
mod manual_control;
mod permit;
mod reconfigure;
mod record_on;

// The state machine: the packed state word, admission, outcomes, transitions.
mod acquire;
pub(crate) mod adapter;
mod period;
mod record;
mod state;
mod sync;
mod transition;
mod trial;

// What the state machine reads and counts: configuration, live tuning, sliding windows.
mod append_only;
mod backend;
mod config;
mod sliding_window;
mod tuning;
mod window_switch;

// What the breaker reports: metrics, events and their subscribers.
mod event;
mod fleet_cause;
mod metrics;
mod subscription;

// A breaker shared by a fleet of processes.
#[cfg(feature = "redis")]
mod fleet;

#[cfg(all(test, not(loom)))]
mod test_support;

pub use backend::{Backend, BackendStatus, FleetLink};
pub use breaker::{CircuitBreaker, CircuitBreakerHandle};
pub use config::{CircuitBreakerConfig, MAX_WINDOW_CALLS, MAX_WINDOW_SECS, SlidingWindow};
pub use event::{CircuitEvent, TransitionReason};
pub use fleet_cause::FleetCause;
pub use metrics::{CircuitBreakerMetrics, CircuitBreakerSnapshot};
pub use permit::CircuitPermit;
pub use record_on::RecordOn;
pub use state::CircuitState;
pub use subscription::{RECENT_TRANSITIONS, Subscription};
