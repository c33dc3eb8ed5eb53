//! Counters and gauges through the [`metrics`](https://docs.rs/metrics) facade, so any
//! exporter (Prometheus, StatsD, OpenTelemetry, ...) can publish them. Needs the `metrics`
//! feature.
//!
//! The policies already count everything in atomics of their own; [`record`] copies those
//! counts into the installed recorder: counters as absolute values, gauges as they stand. The
//! hot path therefore never calls the recorder: it stays lock-free and allocation-free
//! whatever exporter is installed. Call [`record`] right before an exporter renders (e.g. in
//! the handler that serves `/metrics`), or let [`spawn_recorder`] call it periodically.
//!
//! # Names
//!
//! Every series is labelled by `name` (the registry name) only, plus `layer` and `outcome`
//! on [`CALLS_TOTAL`]: the number of series is bounded by the number of named instances.
//! A keyed rate limiter is one series; keys never become labels.
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `resilience_calls_total` | counter | `name`, `layer`, `outcome` | calls by how they ended, per layer (below) |
//! | `resilience_circuit_breaker_state` | gauge | `name` | the state: 0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled, 5 metrics only |
//! | `resilience_circuit_breaker_failure_rate` | gauge | `name` | percent of failed calls in the window; -1 until `minimum_calls` |
//! | `resilience_circuit_breaker_slow_call_rate` | gauge | `name` | percent of slow calls in the window; -1 until `minimum_calls` or without slow-call tracking |
//! | `resilience_circuit_breaker_slow_calls_total` | counter | `name` | calls slower than `slow_call_duration` |
//! | `resilience_circuit_breaker_transitions_total` | counter | `name` | state changes |
//! | `resilience_rate_limit_waits_total` | counter | `name` | permitted calls that waited for their permit |
//! | `resilience_rate_limit_wait_seconds_total` | gauge (only grows) | `name` | the time those calls waited, in total |
//! | `resilience_rate_limit_waiting` | gauge | `name` | calls waiting for a permit in this process |
//! | `resilience_rate_limit_tracked_keys` | gauge | `name` | keys a keyed limiter tracks |
//! | `resilience_rate_limit_backend_available` | gauge | `name` | remote backend only: 1 if its last request succeeded, else 0 |
//! | `resilience_rate_limit_backend_errors_total` | counter | `name` | remote backend only: failed requests |
//! | `resilience_rate_limit_backend_fallback_decisions_total` | counter | `name` | remote backend only: decisions made by `on_backend_error` |
//! | `resilience_bulkhead_in_flight` | gauge | `name` | calls holding a slot |
//! | `resilience_bulkhead_waiting` | gauge | `name` | calls waiting for a slot |
//! | `resilience_bulkhead_max_concurrent` | gauge | `name` | the configured limit (an adaptive bulkhead's highest) |
//! | `resilience_bulkhead_limit` | gauge | `name` | the limit in force (an adaptive bulkhead's moves) |
//! | `resilience_bulkhead_peak_in_flight` | gauge | `name` | the most calls in flight at once so far |
//! | `resilience_retry_attempts_total` | counter | `name` | retries: attempts after the first of their call |
//! | `resilience_retry_budget_exhausted_total` | counter | `name` | retries the budget refused: each ended its call with its last outcome |
//! | `resilience_retry_budget_exhaustions_total` | counter | `name` | bursts of refusals: how often the budget ran out after having allowed |
//! | `resilience_retry_budget_spent` | gauge | `name` | with a budget: retries spent over its window |
//! | `resilience_retry_budget_allowed` | gauge | `name` | with a budget: retries its window allows now (spent ≥ allowed: exhausted) |
//! | `resilience_hedge_calls_total` | counter | `name` | hedged calls started |
//! | `resilience_hedge_hedges_total` | counter | `name` | extra attempts started after the delay |
//! | `resilience_hedge_wins_total` | counter | `name` | calls whose `Ok` came from an extra attempt |
//! | `resilience_hedge_delay_seconds` | gauge | `name` | the delay a call starting now waits before hedging; -1 while a percentile is not known |
//! | `resilience_quota_admitted_total` | counter | `name` | calls counted against the quota and let through |
//! | `resilience_quota_rejected_total` | counter | `name` | calls rejected with `QuotaExceeded` |
//! | `resilience_quota_remaining` | gauge | `name` | calls the unkeyed quota has left in its period |
//! | `resilience_quota_tracked_keys` | gauge | `name` | keys a per-key quota tracks |
//! | `resilience_quota_backend_available` | gauge | `name` | remote backend only: 1 if its last request succeeded, else 0 |
//! | `resilience_quota_backend_errors_total` | counter | `name` | remote backend only: failed requests |
//! | `resilience_quota_backend_fallback_decisions_total` | counter | `name` | remote backend only: decisions made by `on_backend_error` |
//!
//! `resilience_calls_total` outcomes, by `layer`:
//!
//! | `layer` | `outcome` |
//! |---|---|
//! | `circuit_breaker` | `successful`, `failed`, `ignored` (unrecorded errors, inner rejections, cancelled calls), `rejected` (not permitted) |
//! | `rate_limiter` | `permitted` (at once or after waiting), `rejected`, `cancelled` (dropped while waiting) |
//! | `bulkhead` | `permitted`, `rejected` |
//! | `retry` | `successful_without_retry`, `successful_with_retry`, `failed_without_retry`, `failed_with_retry` |
//!
//! Counters count from the instance's creation: a breaker's
//! [`reset`](crate::circuit_breaker::CircuitBreaker::reset) clears the counts its snapshot
//! shows, not these. Timeouts and fallbacks have no instance of their own: a timeout is a
//! failure of the breaker around it (if any) and a `debug` event.
//!
//! **Why the rate-limit wait is a total, not a histogram.** A histogram takes one
//! observation per call, so the waiting path would call into the recorder (whose cost and
//! locking depend on the exporter). The limiter already adds every wait to a total; with the
//! count of waits beside it, `rate(resilience_rate_limit_wait_seconds_total[5m]) /
//! rate(resilience_rate_limit_waits_total[5m])` is the mean wait over any interval. The total
//! is a gauge because the facade's counters count whole numbers; it never goes down, so
//! `rate()` works on it as on a counter.
//!
//! ```
//! use metrics_exporter_prometheus::PrometheusBuilder;
//! use resilience_runtime::circuit_breaker::CircuitBreakerConfig;
//!
//! let recorder = PrometheusBuilder::new().build_recorder();
//! let handle = recorder.handle();
//! resilience_runtime::registry().register_circuit_breaker("doc-metrics", CircuitBreakerConfig::new());
//! metrics::with_local_recorder(&recorder, resilience_runtime::metrics::record);
//! let text = handle.render();
//! assert!(text.contains(r#"resilience_circuit_breaker_state{name="doc-metrics"} 0"#));
//! ```

use std::time::Duration;

use ::metrics::{Unit, counter, describe_counter, describe_gauge, gauge};

use crate::bulkhead::Bulkhead;
use crate::circuit_breaker::{CircuitBreaker, CircuitState};
use crate::hedge::Hedge;
use crate::quota::Quota;
use crate::rate_limit::RateLimiter;
use crate::registry::registry;
use crate::retry::Retry;

/// `resilience_calls_total{name, layer, outcome}`: calls by layer and outcome.
pub const CALLS_TOTAL: &str = "resilience_calls_total";
/// `resilience_circuit_breaker_state{name}`: see [`circuit_state_value`].
pub const CIRCUIT_BREAKER_STATE: &str = "resilience_circuit_breaker_state";
/// `resilience_circuit_breaker_failure_rate{name}`: percent, -1 until judged.
pub const CIRCUIT_BREAKER_FAILURE_RATE: &str = "resilience_circuit_breaker_failure_rate";
/// `resilience_circuit_breaker_slow_call_rate{name}`: percent, -1 until judged.
pub const CIRCUIT_BREAKER_SLOW_CALL_RATE: &str = "resilience_circuit_breaker_slow_call_rate";
/// `resilience_circuit_breaker_slow_calls_total{name}`.
pub const CIRCUIT_BREAKER_SLOW_CALLS_TOTAL: &str = "resilience_circuit_breaker_slow_calls_total";
/// `resilience_circuit_breaker_transitions_total{name}`.
pub const CIRCUIT_BREAKER_TRANSITIONS_TOTAL: &str = "resilience_circuit_breaker_transitions_total";
/// `resilience_rate_limit_waits_total{name}`: permitted calls that waited.
pub const RATE_LIMIT_WAITS_TOTAL: &str = "resilience_rate_limit_waits_total";
/// `resilience_rate_limit_wait_seconds_total{name}`: their total wait (a gauge that only
/// grows; see the [module docs](self)).
pub const RATE_LIMIT_WAIT_SECONDS_TOTAL: &str = "resilience_rate_limit_wait_seconds_total";
/// `resilience_rate_limit_waiting{name}`.
pub const RATE_LIMIT_WAITING: &str = "resilience_rate_limit_waiting";
/// `resilience_rate_limit_tracked_keys{name}`.
pub const RATE_LIMIT_TRACKED_KEYS: &str = "resilience_rate_limit_tracked_keys";
/// `resilience_rate_limit_backend_available{name}`: 1 or 0, for a remote backend.
pub const RATE_LIMIT_BACKEND_AVAILABLE: &str = "resilience_rate_limit_backend_available";
/// `resilience_rate_limit_backend_errors_total{name}`, for a remote backend.
pub const RATE_LIMIT_BACKEND_ERRORS_TOTAL: &str = "resilience_rate_limit_backend_errors_total";
/// `resilience_rate_limit_backend_fallback_decisions_total{name}`, for a remote backend.
pub const RATE_LIMIT_BACKEND_FALLBACK_DECISIONS_TOTAL: &str =
    "resilience_rate_limit_backend_fallback_decisions_total";
/// `resilience_bulkhead_in_flight{name}`.
pub const BULKHEAD_IN_FLIGHT: &str = "resilience_bulkhead_in_flight";
/// `resilience_bulkhead_waiting{name}`.
pub const BULKHEAD_WAITING: &str = "resilience_bulkhead_waiting";
/// `resilience_bulkhead_max_concurrent{name}`.
pub const BULKHEAD_MAX_CONCURRENT: &str = "resilience_bulkhead_max_concurrent";
/// `resilience_bulkhead_limit{name}`.
pub const BULKHEAD_LIMIT: &str = "resilience_bulkhead_limit";
/// `resilience_bulkhead_peak_in_flight{name}`.
pub const BULKHEAD_PEAK_IN_FLIGHT: &str = "resilience_bulkhead_peak_in_flight";
/// `resilience_retry_attempts_total{name}`: retries (attempts after the first).
pub const RETRY_ATTEMPTS_TOTAL: &str = "resilience_retry_attempts_total";
/// `resilience_retry_budget_exhausted_total{name}`: retries the budget refused.
pub const RETRY_BUDGET_EXHAUSTED_TOTAL: &str = "resilience_retry_budget_exhausted_total";
/// `resilience_retry_budget_exhaustions_total{name}`: bursts of refusals.
pub const RETRY_BUDGET_EXHAUSTIONS_TOTAL: &str = "resilience_retry_budget_exhaustions_total";
/// `resilience_retry_budget_spent{name}`: retries spent over the budget's window.
pub const RETRY_BUDGET_SPENT: &str = "resilience_retry_budget_spent";
/// `resilience_retry_budget_allowed{name}`: retries the budget's window allows now.
pub const RETRY_BUDGET_ALLOWED: &str = "resilience_retry_budget_allowed";

/// `resilience_hedge_calls_total{name}`: hedged calls started.
pub const HEDGE_CALLS_TOTAL: &str = "resilience_hedge_calls_total";
/// `resilience_hedge_hedges_total{name}`: extra attempts started.
pub const HEDGE_HEDGES_TOTAL: &str = "resilience_hedge_hedges_total";
/// `resilience_hedge_wins_total{name}`: calls an extra attempt answered.
pub const HEDGE_WINS_TOTAL: &str = "resilience_hedge_wins_total";
/// `resilience_hedge_delay_seconds{name}`: the delay in force; -1 while not known.
pub const HEDGE_DELAY_SECONDS: &str = "resilience_hedge_delay_seconds";

/// `resilience_quota_admitted_total{name}`: calls counted and let through.
pub const QUOTA_ADMITTED_TOTAL: &str = "resilience_quota_admitted_total";
/// `resilience_quota_rejected_total{name}`: calls rejected with `QuotaExceeded`.
pub const QUOTA_REJECTED_TOTAL: &str = "resilience_quota_rejected_total";
/// `resilience_quota_remaining{name}`: what the unkeyed quota has left in its period.
pub const QUOTA_REMAINING: &str = "resilience_quota_remaining";
/// `resilience_quota_tracked_keys{name}`: keys a per-key quota tracks.
pub const QUOTA_TRACKED_KEYS: &str = "resilience_quota_tracked_keys";
/// `resilience_quota_backend_available{name}`: 1 or 0, for a remote backend.
pub const QUOTA_BACKEND_AVAILABLE: &str = "resilience_quota_backend_available";
/// `resilience_quota_backend_errors_total{name}`, for a remote backend.
pub const QUOTA_BACKEND_ERRORS_TOTAL: &str = "resilience_quota_backend_errors_total";
/// `resilience_quota_backend_fallback_decisions_total{name}`, for a remote backend.
pub const QUOTA_BACKEND_FALLBACK_DECISIONS_TOTAL: &str =
    "resilience_quota_backend_fallback_decisions_total";

/// The shortest period [`spawn_recorder`] accepts; shorter ones are raised to it.
pub const MIN_RECORD_PERIOD: Duration = Duration::from_millis(10);

/// The value of [`CIRCUIT_BREAKER_STATE`] for `state`: 0 closed, 1 open, 2 half-open,
/// 3 forced open, 4 disabled, 5 metrics only.
#[must_use]
pub const fn circuit_state_value(state: CircuitState) -> f64 {
    match state {
        CircuitState::Closed => 0.0,
        CircuitState::Open => 1.0,
        CircuitState::HalfOpen => 2.0,
        CircuitState::ForcedOpen => 3.0,
        CircuitState::Disabled => 4.0,
        CircuitState::MetricsOnly => 5.0,
    }
}

/// Copies every named instance's counts into the installed `metrics` recorder (the global
/// one, or a [local](::metrics::with_local_recorder) one), with descriptions.
///
/// Counters are set with `absolute` to the policies' own counts, gauges to the current
/// values, so calling it again, from anywhere and as often as needed, is harmless. It reads
/// atomics and takes the registry's lock briefly; the calls it makes into the recorder
/// allocate their keys, which is why this runs off the hot path.
pub fn record() {
    describe();
    let registry = registry();
    for breaker in registry.instances::<CircuitBreaker>() {
        record_circuit_breaker(&breaker);
    }
    for limiter in registry.instances::<RateLimiter>() {
        record_rate_limiter(&limiter);
    }
    for bulkhead in registry.instances::<Bulkhead>() {
        record_bulkhead(&bulkhead);
    }
    for retry in registry.instances::<Retry>() {
        record_retry(&retry);
    }
    for hedge in registry.instances::<Hedge>() {
        record_hedge(&hedge);
    }
    for quota in registry.instances::<Quota>() {
        record_quota(&quota);
    }
}

/// Spawns a tokio task that calls [`record`] every `period` (at least
/// [`MIN_RECORD_PERIOD`]), starting at once, until the returned handle is aborted or the
/// runtime shuts down. For exporters that push, or that render without a hook to call
/// [`record`] first.
///
/// # Panics
///
/// Outside a tokio runtime, as [`tokio::spawn`] does.
pub fn spawn_recorder(period: Duration) -> tokio::task::JoinHandle<()> {
    let period = period.max(MIN_RECORD_PERIOD);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            record();
        }
    })
}

fn calls(name: &'static str, layer: &'static str, outcome: &'static str, value: u64) {
    counter!(CALLS_TOTAL, "name" => name, "layer" => layer, "outcome" => outcome).absolute(value);
}

fn record_circuit_breaker(breaker: &CircuitBreaker) {
    let name = breaker.name();
    let counts = breaker.lifetime_counts();
    let layer = "circuit_breaker";
    calls(name, layer, "successful", counts.successful);
    calls(name, layer, "failed", counts.failed);
    calls(name, layer, "ignored", counts.ignored);
    calls(name, layer, "rejected", counts.not_permitted);
    let metrics = breaker.metrics();
    counter!(CIRCUIT_BREAKER_SLOW_CALLS_TOTAL, "name" => name).absolute(counts.slow);
    counter!(CIRCUIT_BREAKER_TRANSITIONS_TOTAL, "name" => name).absolute(metrics.transitions);
    gauge!(CIRCUIT_BREAKER_STATE, "name" => name).set(circuit_state_value(breaker.state()));
    gauge!(CIRCUIT_BREAKER_FAILURE_RATE, "name" => name).set(metrics.failure_rate.unwrap_or(-1.0));
    gauge!(CIRCUIT_BREAKER_SLOW_CALL_RATE, "name" => name)
        .set(metrics.slow_call_rate.unwrap_or(-1.0));
}

fn record_rate_limiter(limiter: &RateLimiter) {
    let name = limiter.name();
    let snapshot = limiter.snapshot();
    let metrics = snapshot.metrics;
    let layer = "rate_limiter";
    calls(name, layer, "permitted", metrics.permitted);
    calls(name, layer, "rejected", metrics.rejected);
    calls(name, layer, "cancelled", metrics.cancelled);
    counter!(RATE_LIMIT_WAITS_TOTAL, "name" => name).absolute(metrics.waited);
    gauge!(RATE_LIMIT_WAIT_SECONDS_TOTAL, "name" => name).set(metrics.total_wait.as_secs_f64());
    gauge!(RATE_LIMIT_WAITING, "name" => name).set(as_gauge(metrics.waiting));
    gauge!(RATE_LIMIT_TRACKED_KEYS, "name" => name).set(as_gauge(metrics.tracked_keys));
    if let Some(backend) = snapshot.backend {
        let available = if backend.available { 1.0 } else { 0.0 };
        gauge!(RATE_LIMIT_BACKEND_AVAILABLE, "name" => name).set(available);
        counter!(RATE_LIMIT_BACKEND_ERRORS_TOTAL, "name" => name).absolute(backend.errors);
        counter!(RATE_LIMIT_BACKEND_FALLBACK_DECISIONS_TOTAL, "name" => name)
            .absolute(backend.fallback_decisions);
    }
}

fn record_bulkhead(bulkhead: &Bulkhead) {
    let name = bulkhead.name();
    let metrics = bulkhead.metrics();
    let layer = "bulkhead";
    calls(name, layer, "permitted", metrics.permitted);
    calls(name, layer, "rejected", metrics.rejected);
    gauge!(BULKHEAD_IN_FLIGHT, "name" => name).set(as_gauge(metrics.in_flight));
    gauge!(BULKHEAD_WAITING, "name" => name).set(as_gauge(metrics.waiting));
    gauge!(BULKHEAD_MAX_CONCURRENT, "name" => name).set(as_gauge(bulkhead.max_concurrent()));
    gauge!(BULKHEAD_LIMIT, "name" => name).set(as_gauge(metrics.limit));
    gauge!(BULKHEAD_PEAK_IN_FLIGHT, "name" => name).set(as_gauge(metrics.peak_in_flight));
}

fn record_retry(retry: &Retry) {
    let name = retry.name();
    let metrics = retry.metrics();
    let layer = "retry";
    // Each read on its own: a call finishing meanwhile may be half-counted, never negative.
    let with_retry = metrics.succeeded_after_retry.min(metrics.succeeded);
    calls(
        name,
        layer,
        "successful_without_retry",
        metrics.succeeded - with_retry,
    );
    calls(name, layer, "successful_with_retry", with_retry);
    let with_retry = metrics.exhausted.min(metrics.failed);
    calls(
        name,
        layer,
        "failed_without_retry",
        metrics.failed - with_retry,
    );
    calls(name, layer, "failed_with_retry", with_retry);
    counter!(RETRY_ATTEMPTS_TOTAL, "name" => name).absolute(metrics.retries);
    // Only a retry with a budget has these series: one without pays nothing for them.
    if let Some(budget) = retry.budget() {
        counter!(RETRY_BUDGET_EXHAUSTED_TOTAL, "name" => name).absolute(budget.refused);
        counter!(RETRY_BUDGET_EXHAUSTIONS_TOTAL, "name" => name).absolute(budget.exhaustions);
        gauge!(RETRY_BUDGET_SPENT, "name" => name).set(count_gauge(budget.retries_in_window));
        gauge!(RETRY_BUDGET_ALLOWED, "name" => name).set(count_gauge(budget.allowed_in_window));
    }
}

/// A `u64` count as a gauge value; exact below 2^53.
#[allow(clippy::cast_precision_loss)]
fn count_gauge(count: u64) -> f64 {
    count as f64
}

fn record_hedge(hedge: &Hedge) {
    let name = hedge.name();
    let metrics = hedge.metrics();
    counter!(HEDGE_CALLS_TOTAL, "name" => name).absolute(metrics.calls);
    counter!(HEDGE_HEDGES_TOTAL, "name" => name).absolute(metrics.hedges_started);
    counter!(HEDGE_WINS_TOTAL, "name" => name).absolute(metrics.hedges_won);
    let delay = hedge.delay().map_or(-1.0, |delay| delay.as_secs_f64());
    gauge!(HEDGE_DELAY_SECONDS, "name" => name).set(delay);
}

fn record_quota(quota: &Quota) {
    let name = quota.name();
    let snapshot = quota.snapshot();
    let metrics = snapshot.metrics;
    counter!(QUOTA_ADMITTED_TOTAL, "name" => name).absolute(metrics.admitted);
    counter!(QUOTA_REJECTED_TOTAL, "name" => name).absolute(metrics.rejected);
    gauge!(QUOTA_REMAINING, "name" => name).set(count_gauge(snapshot.remaining));
    gauge!(QUOTA_TRACKED_KEYS, "name" => name).set(as_gauge(metrics.tracked_keys));
    if let Some(backend) = snapshot.backend {
        let available = if backend.available { 1.0 } else { 0.0 };
        gauge!(QUOTA_BACKEND_AVAILABLE, "name" => name).set(available);
        counter!(QUOTA_BACKEND_ERRORS_TOTAL, "name" => name).absolute(backend.errors);
        counter!(QUOTA_BACKEND_FALLBACK_DECISIONS_TOTAL, "name" => name)
            .absolute(backend.fallback_decisions);
    }
}

/// A count as a gauge value; exact below 2^53.
#[allow(clippy::cast_precision_loss)]
fn as_gauge(count: usize) -> f64 {
    count as f64
}

/// Descriptions and units, for exporters that show them (`# HELP` lines in Prometheus).
fn describe() {
    describe_counter!(
        CALLS_TOTAL,
        Unit::Count,
        "Calls by layer and outcome (see resilience_runtime::metrics)"
    );
    describe_gauge!(
        CIRCUIT_BREAKER_STATE,
        "Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 forced open, 4 disabled, 5 metrics only"
    );
    describe_gauge!(
        CIRCUIT_BREAKER_FAILURE_RATE,
        Unit::Percent,
        "Failed calls in the sliding window, percent; -1 until minimum_calls"
    );
    describe_gauge!(
        CIRCUIT_BREAKER_SLOW_CALL_RATE,
        Unit::Percent,
        "Slow calls in the sliding window, percent; -1 until minimum_calls or when not tracked"
    );
    describe_counter!(
        CIRCUIT_BREAKER_SLOW_CALLS_TOTAL,
        Unit::Count,
        "Calls slower than slow_call_duration"
    );
    describe_counter!(
        CIRCUIT_BREAKER_TRANSITIONS_TOTAL,
        Unit::Count,
        "Circuit breaker state changes"
    );
    describe_counter!(
        RATE_LIMIT_WAITS_TOTAL,
        Unit::Count,
        "Permitted calls that waited for their permit"
    );
    describe_gauge!(
        RATE_LIMIT_WAIT_SECONDS_TOTAL,
        Unit::Seconds,
        "Total time calls waited for a permit (only grows)"
    );
    describe_gauge!(
        RATE_LIMIT_WAITING,
        Unit::Count,
        "Calls waiting for a rate limit permit in this process"
    );
    describe_gauge!(
        RATE_LIMIT_BACKEND_AVAILABLE,
        "1 if the rate limiter's remote backend answered its last request, else 0"
    );
    describe_counter!(
        RATE_LIMIT_BACKEND_ERRORS_TOTAL,
        Unit::Count,
        "Failed requests to the rate limiter's remote backend"
    );
    describe_counter!(
        RATE_LIMIT_BACKEND_FALLBACK_DECISIONS_TOTAL,
        Unit::Count,
        "Rate limit decisions made by on_backend_error instead of the backend"
    );
    describe_gauge!(
        RATE_LIMIT_TRACKED_KEYS,
        Unit::Count,
        "Keys a keyed rate limiter tracks"
    );
    describe_gauge!(
        BULKHEAD_IN_FLIGHT,
        Unit::Count,
        "Calls holding a bulkhead slot"
    );
    describe_gauge!(
        BULKHEAD_WAITING,
        Unit::Count,
        "Calls waiting for a bulkhead slot"
    );
    describe_gauge!(
        BULKHEAD_MAX_CONCURRENT,
        Unit::Count,
        "The bulkhead's configured limit"
    );
    describe_gauge!(
        BULKHEAD_LIMIT,
        Unit::Count,
        "The bulkhead's limit in force (an adaptive one moves it)"
    );
    describe_gauge!(
        BULKHEAD_PEAK_IN_FLIGHT,
        Unit::Count,
        "The most calls in flight at once so far"
    );
    describe_counter!(
        RETRY_ATTEMPTS_TOTAL,
        Unit::Count,
        "Retries: attempts after the first of their call"
    );
    describe_counter!(HEDGE_CALLS_TOTAL, Unit::Count, "Hedged calls started");
    describe_counter!(
        HEDGE_HEDGES_TOTAL,
        Unit::Count,
        "Extra attempts started after the hedge delay"
    );
    describe_counter!(
        HEDGE_WINS_TOTAL,
        Unit::Count,
        "Calls whose Ok came from an extra attempt"
    );
    describe_gauge!(
        HEDGE_DELAY_SECONDS,
        Unit::Seconds,
        "The delay before a hedge for a call starting now; -1 while a percentile is not known"
    );
    describe_counter!(
        QUOTA_ADMITTED_TOTAL,
        Unit::Count,
        "Calls counted against the quota and let through"
    );
    describe_counter!(
        QUOTA_REJECTED_TOTAL,
        Unit::Count,
        "Calls rejected because the quota's allowance was used up"
    );
    describe_gauge!(
        QUOTA_REMAINING,
        Unit::Count,
        "Calls the unkeyed quota has left in its period"
    );
    describe_gauge!(
        QUOTA_TRACKED_KEYS,
        Unit::Count,
        "Keys a per-key quota tracks"
    );
    describe_gauge!(
        QUOTA_BACKEND_AVAILABLE,
        "1 if the quota's remote backend answered its last request, else 0"
    );
    describe_counter!(
        QUOTA_BACKEND_ERRORS_TOTAL,
        Unit::Count,
        "Failed requests to the quota's remote backend"
    );
    describe_counter!(
        QUOTA_BACKEND_FALLBACK_DECISIONS_TOTAL,
        Unit::Count,
        "Quota decisions made by on_backend_error instead of the backend"
    );
}
