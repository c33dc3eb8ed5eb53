//! Which HTTP status codes are worth retrying.

use ::http::StatusCode;

/// True for the status codes that say "try again later": the same request may succeed
/// when sent again, without any change.
///
/// Exactly these: 408 Request Timeout, 425 Too Early, 429 Too Many Requests,
/// 500 Internal Server Error, 502 Bad Gateway, 503 Service Unavailable and
/// 504 Gateway Timeout. Every other code is false: a success or redirect needs no retry,
/// another 4xx repeats the client's own mistake, and 501 Not Implemented or 505 HTTP
/// Version Not Supported will not change by waiting.
///
/// Retrying is only safe for requests that may be repeated: an idempotent method, or a
/// request the server can tell apart from its first sending.
///
/// ```
/// use http::StatusCode;
/// use resilience_runtime::http::is_transient;
///
/// assert!(is_transient(StatusCode::SERVICE_UNAVAILABLE));
/// assert!(is_transient(StatusCode::TOO_MANY_REQUESTS));
/// assert!(!is_transient(StatusCode::NOT_FOUND));
/// assert!(!is_transient(StatusCode::NOT_IMPLEMENTED));
/// ```
#[must_use]
pub fn is_transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 425 | 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_seven_codes() {
        let transient: Vec<u16> = (100..=999)
            .filter_map(|code| StatusCode::from_u16(code).ok())
            .filter(|status| is_transient(*status))
            .map(|status| status.as_u16())
            .collect();
        assert_eq!(transient, [408, 425, 429, 500, 502, 503, 504]);
    }
}
