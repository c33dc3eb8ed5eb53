//! HTTP's own retry signals for `#[retry]`: the status codes worth retrying
//! ([`is_transient`]) and the server's `Retry-After` ([`retry_after`]: seconds or an
//! HTTP-date). Needs the `http` feature. The types are the `http` 1.x crate's, which
//! reqwest, hyper, axum and tonic share, so a reqwest `Response`'s `status()` and
//! `headers()` go straight in.
//!
//! `#[retry]` sees only the fn's error, so put the status and the hint into the error when a
//! response is not a success, and give `when` and `retry_after` the error's methods. A
//! server's hint then replaces the backoff delay (still capped by `max_delay`), whether it
//! came as `Retry-After: 2` or as `Retry-After: Sun, 06 Nov 1994 08:49:37 GMT`:
//!
//! ```
//! use std::time::Duration;
//! use resilience_runtime::http::{is_transient, retry_after};
//! use resilience_runtime::retry;
//! # use std::sync::atomic::{AtomicU32, Ordering};
//!
//! #[derive(Debug, thiserror::Error)]
//! enum FetchError {
//!     #[error("the server answered {status}")]
//!     Status { status: http::StatusCode, retry_after: Option<Duration> },
//!     #[error(transparent)]
//!     Resilience(#[from] resilience_runtime::Error),
//! }
//!
//! impl FetchError {
//!     fn is_transient(&self) -> bool {
//!         matches!(self, Self::Status { status, .. } if is_transient(*status))
//!     }
//!
//!     fn retry_after(&self) -> Option<Duration> {
//!         match self {
//!             Self::Status { retry_after, .. } => *retry_after,
//!             Self::Resilience(error) => error.retry_after(),
//!         }
//!     }
//! }
//!
//! #[retry(max_attempts = 4, initial_delay = "100ms", max_delay = "30s",
//!         when = FetchError::is_transient, retry_after = FetchError::retry_after)]
//! async fn fetch() -> Result<String, FetchError> {
//!     // With reqwest: `let response = client.get(url).send().await?;` and the same lines.
//!     let response = send().await;
//!     let status = response.status();
//!     if !status.is_success() {
//!         let retry_after = retry_after(response.headers());
//!         return Err(FetchError::Status { status, retry_after });
//!     }
//!     Ok(response.into_body())
//! }
//! # static CALLS: AtomicU32 = AtomicU32::new(0);
//! # /// 503 with `Retry-After: 2`, then 200.
//! # async fn send() -> http::Response<String> {
//! #     if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
//! #         return http::Response::builder().status(503).header("retry-after", "2")
//! #             .body(String::new()).unwrap();
//! #     }
//! #     http::Response::new("in stock".into())
//! # }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let started = tokio::time::Instant::now();
//! assert_eq!(fetch().await.unwrap(), "in stock");
//! assert_eq!(started.elapsed(), Duration::from_secs(2)); // the server's 2s, not 100ms
//! # }
//! ```
//!
//! `examples/http_client.rs` runs the same against a server on loopback with reqwest.
//!
//! With the `axum` feature, [`Error`](crate::Error) is also an axum response: 429 or 503
//! with `Retry-After` for a rate limit or an open breaker, 503 for a full bulkhead, 504 for
//! a timeout (see its `IntoResponse` implementation), and `resilience_runtime::status::router()`
//! serves the registry's status and breaker control.

mod calendar;
#[cfg(feature = "axum")]
pub(crate) mod error_body;
mod http_date;
#[cfg(feature = "axum")]
mod response;
mod retry_after;
mod transient;

pub use retry_after::{MAX_RETRY_AFTER, retry_after, retry_after_at};
pub use transient::is_transient;
