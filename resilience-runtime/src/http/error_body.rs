//! The JSON body of every error answer the crate gives over HTTP.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `{"error": "...", "status": 503}`: the message a person reads, and the status again for
/// clients that only keep the body.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    status: u16,
}

/// An answer with `status` and the JSON body `{"error": message, "status": code}`.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        error: message,
        status: status.as_u16(),
    };
    (status, Json(body)).into_response()
}
