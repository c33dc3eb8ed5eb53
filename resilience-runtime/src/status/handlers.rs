//! The handlers behind [`router`](super::router).

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::accept::prefers_text;
use super::action::Action;
use super::api_error::ApiError;
use crate::circuit_breaker::{CircuitBreakerHandle, CircuitBreakerSnapshot};
use crate::registry::registry;

/// `GET /resilience/status`.
pub(super) async fn status(headers: HeaderMap) -> Response {
    let snapshot = registry().snapshot();
    if prefers_text(&headers) {
        let content_type = [(CONTENT_TYPE, "text/plain; charset=utf-8")];
        (content_type, snapshot.to_string()).into_response()
    } else {
        Json(snapshot).into_response()
    }
}

/// `GET /resilience/breakers/{name}`.
pub(super) async fn breaker(
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<CircuitBreakerSnapshot>, ApiError> {
    let Path(name) = path.map_err(bad_path)?;
    Ok(Json(find_breaker(&name)?.snapshot()))
}

/// `POST /resilience/breakers/{name}/{action}`.
pub(super) async fn control(
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
        target: "resilience_runtime::circuit_breaker",
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

/// Any path the routes do not know.
pub(super) async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no endpoint at `{}`", uri.path()),
    )
}

/// A known path with another method.
pub(super) async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("`{method}` is not allowed on `{}`", uri.path()),
    )
}
