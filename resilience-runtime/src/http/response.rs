//! [`Error`] as an HTTP response, for axum handlers that return it (or an error type that
//! wraps it) straight to the client.

use std::time::Duration;

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error_body::json_error;
use crate::base::error::Error;

/// The status a rejection or timeout answers with, with a JSON body
/// `{"error": "<the error's Display>", "status": <code>}` and, when the error knows how long
/// to wait, `Retry-After` in whole seconds, rounded up (200 ms is `1`, zero is `0`).
///
/// | error | status | `Retry-After` |
/// |---|---|---|
/// | [`RateLimited`](Error::RateLimited) | 429 Too Many Requests | its `retry_after` |
/// | [`QuotaExceeded`](Error::QuotaExceeded) | 429 Too Many Requests | its `resets_in` |
/// | [`CircuitOpen`](Error::CircuitOpen) | 503 Service Unavailable | its `retry_after` |
/// | [`BulkheadFull`](Error::BulkheadFull) | 503 Service Unavailable | none |
/// | [`Timeout`](Error::Timeout) | 504 Gateway Timeout | none |
///
/// The message names the instance (`rate limit `api` exceeded; retry after 1.5s`): an
/// application that keeps its instance names from clients maps the error to its own
/// response instead.
///
/// ```
/// use axum::response::IntoResponse;
/// use resilience_runtime::Error;
/// use std::time::Duration;
///
/// let response = Error::rate_limited("api", Some(Duration::from_millis(1500))).into_response();
/// assert_eq!(response.status(), 429);
/// assert_eq!(response.headers()["retry-after"], "2");
/// ```
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, retry_after) = match &self {
            Self::RateLimited { retry_after, .. } => (StatusCode::TOO_MANY_REQUESTS, *retry_after),
            Self::CircuitOpen { retry_after, .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, *retry_after)
            }
            Self::BulkheadFull { .. } => (StatusCode::SERVICE_UNAVAILABLE, None),
            Self::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, None),
            Self::QuotaExceeded { resets_in, .. } => (StatusCode::TOO_MANY_REQUESTS, *resets_in),
            // Exhaustive on purpose (`non_exhaustive` binds only other crates): a new
            // variant must choose its status here.
        };
        let mut response = json_error(status, &self.to_string());
        if let Some(delay) = retry_after {
            response.headers_mut().insert(
                RETRY_AFTER,
                HeaderValue::from(whole_seconds_rounded_up(delay)),
            );
        }
        response
    }
}

/// `delay` in whole seconds, a fraction counting as one more: a client that waits the
/// header's seconds never comes back early.
fn whole_seconds_rounded_up(delay: Duration) -> u64 {
    delay
        .as_secs()
        .saturating_add(u64::from(delay.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_of_a_second_round_up() {
        let up = |nanos| whole_seconds_rounded_up(Duration::from_nanos(nanos));
        assert_eq!(up(0), 0);
        assert_eq!(up(1), 1);
        assert_eq!(up(200_000_000), 1);
        assert_eq!(up(1_000_000_000), 1);
        assert_eq!(up(1_000_000_001), 2);
        assert_eq!(whole_seconds_rounded_up(Duration::MAX), u64::MAX);
    }

    #[test]
    fn each_error_answers_with_its_status() {
        let cases = [
            (Error::rate_limited("api", None), 429),
            (Error::quota_exceeded("daily", None), 429),
            (Error::circuit_open("db", None), 503),
            (Error::bulkhead_full("pool", 4), 503),
            (Error::timeout(Duration::from_secs(1)), 504),
        ];
        for (error, status) in cases {
            let response = error.clone().into_response();
            assert_eq!(response.status().as_u16(), status, "{error}");
            assert!(!response.headers().contains_key(RETRY_AFTER), "{error}");
        }
        let response = Error::circuit_open("db", Some(Duration::ZERO)).into_response();
        assert_eq!(response.headers()[RETRY_AFTER], "0");
        let response =
            Error::quota_exceeded("daily", Some(Duration::from_millis(86_399_001))).into_response();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()[RETRY_AFTER], "86400");
    }
}
