//! Whether a client asks for the status as text or as JSON.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;

/// Whether `Accept` names plain text before JSON (`*/*` and no header mean JSON). The order
/// of the list decides, not `q` weights: a client that wants the tables says so first.
pub(super) fn prefers_text(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(ACCEPT).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    accept
        .split(',')
        .map(|media| media.split(';').next().unwrap_or_default().trim())
        .find(|media| matches!(*media, "text/plain" | "text/*" | "application/json"))
        .is_some_and(|media| media != "application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_picks_text_or_json() {
        let accept = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, value.parse().unwrap());
            prefers_text(&headers)
        };
        assert!(accept("text/plain"));
        assert!(accept("text/*"));
        assert!(accept("text/plain; q=0.9, application/json"));
        assert!(!accept("application/json, text/plain"));
        assert!(!accept("*/*"));
        assert!(!accept("text/html"));
        assert!(!prefers_text(&HeaderMap::new()));
    }
}
