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
//! # A breaker for the fleet
//!
//! With [`Backend::Redis`] (`backend = "redis"`, feature `redis`) every process that names the
//! breaker sees one state. Each process still decides each call with its own breaker: no round
//! trip per call, and a warm call allocates nothing and takes no lock, as a local breaker's.
//! A task per breaker, started by its first call, manual action or
//! [`sync_fleet`](CircuitBreaker::sync_fleet) inside a tokio runtime, runs one *exchange*
//! with the server every [`sync_interval`](CircuitBreakerConfig::with_sync_interval) (100 ms
//! by default, 10 ms to 500 ms), and one at once after a manual action: one atomic Lua script
//! that
//!
//! 1. takes over the process's latest manual transition ([`force_open`](CircuitBreaker::force_open),
//!    [`close`](CircuitBreaker::close), [`reset`](CircuitBreaker::reset),
//!    [`open_for`](CircuitBreaker::open_for), [`half_open`](CircuitBreaker::half_open),
//!    [`disable`](CircuitBreaker::disable), [`metrics_only`](CircuitBreaker::metrics_only),
//!    the status API's actions), so that it reaches every process;
//! 2. adds the process's outcomes since its last exchange to the shared window (one-second
//!    buckets by the server's clock, which expire with the window);
//! 3. judges the fleet's counts by the breaker's own rules: `failure_rate`, `slow_call_rate`,
//!    `minimum_calls` and the window over the fleet's calls, so one bad replica with few calls
//!    cannot open the breaker for everyone; in the consecutive model a batch with any success
//!    ends the fleet's run of failures;
//! 4. hands the half-open trial to one process: when the fleet's open wait is over, the first
//!    process to exchange wins a *trial lease* (for `max_wait_in_half_open`, else 10 s); its
//!    breaker goes half-open and its trial calls decide for the fleet, which closes or reopens
//!    on its verdict; the others stay open (rejecting without a retry hint) until then, and a
//!    lease whose holder goes quiet passes to the next process that asks;
//! 5. returns the state with its generation (one more per change), which the process applies
//!    to its breaker as a transition like any other, logged and sent to subscribers with
//!    [`TransitionReason::Fleet`].
//!
//! So a change of the shared state reaches every process within one `sync_interval` plus one
//! `backend_timeout` (default 100 ms): 200 ms by default, at most 500 ms plus the timeout.
//! A manual action is sent at once, so it reaches the others within one `sync_interval` and
//! two `backend_timeout`s. While the process is joined, its own rules never open
//! its breaker nor move it to half-open: the fleet does. When an exchange fails (the server
//! is down, slow past `backend_timeout`, or the script fails) the process falls back to its
//! own breaker, which decides alone by the same rules from then on; the snapshot says so
//! ([`BackendStatus`]: `link: "fallen_back"`, `last_error`), the server is tried again after
//! a second, and the first exchange that succeeds re-joins the fleet: its state wins, and a
//! manual action made meanwhile is sent with it. Outcomes recorded while fallen back are not
//! sent later (they were judged here). A breaker made with [`CircuitBreaker::new`] cannot
//! start the task (it has no handle to itself): make it with [`CircuitBreaker::shared`] (as the
//! registry does), or call [`sync_fleet`](CircuitBreaker::sync_fleet) yourself.
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
