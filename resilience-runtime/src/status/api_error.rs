//! An error answer of the status routes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::http::error_body::json_error;

/// The status and the message of `{"error": message, "status": code}`.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_error(self.status, &self.message)
    }
}
