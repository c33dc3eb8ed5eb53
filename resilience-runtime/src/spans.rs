//! The `tracing` spans of attribute sites, and the names of their fields.
//!
//! Every call of a fn with resilience attributes runs in a span, and under `#[retry]` or
//! `#[hedge]` each attempt runs in a child span of it, so `tracing-opentelemetry` exports one span per call
//! and one per attempt, linked as parent and child. The events of the layers (a retry, a
//! breaker opening, a rejection) sit inside them.
//!
//! | span | target | level | name | fields |
//! |---|---|---|---|---|
//! | the call | [`CALL_TARGET`] | `INFO` | the fn's name (`load_inventory`) | `code.function.name` (the fn's path), `resilience.layers` (the attributes, outermost first: `"retry,circuit_breaker,timeout"`), `resilience.outcome`, `otel.status_code` |
//! | one attempt | [`ATTEMPT_TARGET`] | `INFO` | the fn's name and `attempt` (`load_inventory attempt`) | `resilience.attempt` (1 for the first call, 2 for the first retry or hedge...), `resilience.hedge` (under `#[hedge]` only: whether the attempt is a hedge), `resilience.outcome`, `otel.status_code` |
//!
//! `resilience.outcome` is recorded when the span's code finishes: `"ok"`, `"error"` (the
//! service's own error), `"rejected"` (a layer refused the call: an open breaker, a rate
//! limit, a full bulkhead) or `"timeout"`; `otel.status_code` is `"OK"` or `"ERROR"`
//! accordingly, which OpenTelemetry exporters read as the span's status. A call whose
//! `#[fallback]` answered is `"ok"`; its attempts show what failed. A span whose future is
//! dropped before it finishes closes without an outcome, as a hedge's losing attempts do.
//!
//! With no subscriber interested in these targets the spans are disabled at their
//! callsites, and a call pays one check per span and a few untaken branches (BENCHMARKS.md,
//! "The cost of spans", has the figures). The spans are entered only while the call's code
//! runs: a call that waits (a backoff, a queue, an await in the body) leaves none of them
//! entered on the thread. To keep the events but drop
//! the spans, filter the targets out (`RUST_LOG=info,resilience_runtime::call=off,resilience_runtime::attempt=off`).
//!
//! ```
//! use resilience_runtime::{retry, spans};
//!
//! #[retry(max_attempts = 2, initial_delay = "1ms")]
//! fn load() -> Result<u32, resilience_runtime::Error> {
//!     Ok(7)
//! }
//!
//! // A subscriber sees `load` under `spans::CALL_TARGET` and `load attempt` under
//! // `spans::ATTEMPT_TARGET`.
//! assert_eq!(spans::CALL_TARGET, "resilience_runtime::call");
//! assert_eq!(load().unwrap(), 7);
//! ```

/// The target of each call's span.
pub const CALL_TARGET: &str = "resilience_runtime::call";

/// The target of each retry or hedge attempt's span.
pub const ATTEMPT_TARGET: &str = "resilience_runtime::attempt";
