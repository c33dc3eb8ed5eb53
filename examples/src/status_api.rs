//! The registry over HTTP: a status page for operators and manual control of breakers.
//!
//! | method | path | answer |
//! |---|---|---|
//! | `GET` | `/resilience/status` | the [`RegistrySnapshot`] as JSON, or as tables with `Accept: text/plain` |
//! | `GET` | `/resilience/breakers/{name}` | one breaker's snapshot |
//! | `POST` | `/resilience/breakers/{name}/{action}` | runs `reset`, `force-open`, `disable`, `close` or `metrics-only` on the breaker and answers with its snapshot |
//!
//! Every error is JSON, `{"error": "...", "status": 404}`: 404 for an unknown breaker, action
//! or path, 405 (with `Allow`) for a wrong method, 400 for a name that is not valid
//! percent-encoded UTF-8. Names are path segments: percent-encode a `/` in a name as `%2F`.
//!
//! ```no_run
//! # async fn serve() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, resilience_examples::status_api::router()).await
//! # }
//! ```
//!
//! [`RegistrySnapshot`]: resilience_runtime::registry::RegistrySnapshot

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use resilience_runtime::circuit_breaker::{CircuitBreakerHandle, CircuitBreakerSnapshot};
use resilience_runtime::registry;
use serde::Serialize;

/// The routes above, serving [`registry()`](resilience_runtime::registry()).
pub fn router() -> Router {
    Router::new()
        .route("/resilience/status", get(status))
        .route("/resilience/breakers/{name}", get(breaker))
        .route("/resilience/breakers/{name}/{action}", post(control))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// What an operator can do to a breaker by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// [`reset`](resilience_runtime::circuit_breaker::CircuitBreaker::reset): closed, counts
    /// cleared.
    Reset,
    /// [`force_open`](resilience_runtime::circuit_breaker::CircuitBreaker::force_open).
    ForceOpen,
    /// [`disable`](resilience_runtime::circuit_breaker::CircuitBreaker::disable).
    Disable,
    /// [`close`](resilience_runtime::circuit_breaker::CircuitBreaker::close).
    Close,
    /// [`metrics_only`](resilience_runtime::circuit_breaker::CircuitBreaker::metrics_only).
    MetricsOnly,
}

impl Action {
    /// Every action, as it appears in the path.
    pub const NAMES: [&'static str; 5] =
        ["reset", "force-open", "disable", "close", "metrics-only"];

    /// The action named `name` in a path, e.g. `"force-open"`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "reset" => Some(Self::Reset),
            "force-open" => Some(Self::ForceOpen),
            "disable" => Some(Self::Disable),
            "close" => Some(Self::Close),
            "metrics-only" => Some(Self::MetricsOnly),
            _ => None,
        }
    }

    /// Does it to `breaker`.
    pub fn apply(self, breaker: &CircuitBreakerHandle) {
        match self {
            Self::Reset => breaker.reset(),
            Self::ForceOpen => breaker.force_open(),
            Self::Disable => breaker.disable(),
            Self::Close => breaker.close(),
            Self::MetricsOnly => breaker.metrics_only(),
        }
    }
}

/// An error answer: the status, and `{"error": message, "status": code}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    status: u16,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            status: self.status.as_u16(),
        };
        (self.status, Json(body)).into_response()
    }
}

async fn status(headers: HeaderMap) -> Response {
    let snapshot = registry().snapshot();
    if prefers_text(&headers) {
        let content_type = [(CONTENT_TYPE, "text/plain; charset=utf-8")];
        (content_type, snapshot.to_string()).into_response()
    } else {
        Json(snapshot).into_response()
    }
}

async fn breaker(
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<CircuitBreakerSnapshot>, ApiError> {
    let Path(name) = path.map_err(bad_path)?;
    Ok(Json(find_breaker(&name)?.snapshot()))
}

async fn control(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<CircuitBreakerSnapshot>, ApiError> {
    let Path((name, action_name)) = path.map_err(bad_path)?;
    let breaker = find_breaker(&name)?;
    let action = Action::parse(&action_name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "unknown action `{action_name}`; one of {}",
                Action::NAMES.join(", ")
            ),
        )
    })?;
    let before = breaker.state();
    action.apply(&breaker);
    tracing::info!(
        name = breaker.name(),
        action = action_name,
        from = %before,
        to = %breaker.state(),
        "circuit breaker controlled over HTTP"
    );
    Ok(Json(breaker.snapshot()))
}

fn find_breaker(name: &str) -> Result<CircuitBreakerHandle, ApiError> {
    registry().circuit_breaker(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no circuit breaker named `{name}`"),
        )
    })
}

fn bad_path(rejection: PathRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text())
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no endpoint at `{}`", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("`{method}` is not allowed on `{}`", uri.path()),
    )
}

/// Whether `Accept` asks for plain text before JSON (`*/*` and no header mean JSON).
fn prefers_text(headers: &HeaderMap) -> bool {
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
    fn actions_parse_by_their_path_names() {
        for name in Action::NAMES {
            assert!(Action::parse(name).is_some(), "{name}");
        }
        assert_eq!(Action::parse("force_open"), None);
        assert_eq!(Action::parse(""), None);
    }

    #[test]
    fn accept_header_picks_text_or_json() {
        let accept = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, value.parse().unwrap());
            prefers_text(&headers)
        };
        assert!(accept("text/plain"));
        assert!(accept("text/plain; q=0.9, application/json"));
        assert!(!accept("application/json, text/plain"));
        assert!(!accept("*/*"));
        assert!(!prefers_text(&HeaderMap::new()));
    }
}
