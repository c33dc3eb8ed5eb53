//! The registry over HTTP, as an axum router to mount in a service: a status page for
//! operators and manual control of circuit breakers. Needs the `axum` feature.
//!
//! | method | path | answer |
//! |---|---|---|
//! | `GET` | `/resilience/status` | the [`RegistrySnapshot`] as JSON, or as tables with `Accept: text/plain` |
//! | `GET` | `/resilience/breakers/{name}` | one breaker's snapshot |
//! | `POST` | `/resilience/breakers/{name}/{action}` | runs `reset`, `force-open`, `disable`, `close` or `metrics-only` on the breaker and answers with its snapshot |
//!
//! Every error is JSON, `{"error": "...", "status": 404}`, as [`Error`](crate::Error)'s own
//! responses are: 404 for an unknown breaker, action or path, 405 (with `Allow`) for a wrong
//! method, 400 for a name that is not valid percent-encoded UTF-8. Names are path segments:
//! percent-encode a `/` in a name as `%2F`. Each action is logged at `info` under the target
//! `resilience_runtime::circuit_breaker`, with the states before and after.
//!
//! The routes change breakers: mount them where only operators reach them (behind the
//! application's authentication, or on an internal port).
//!
//! ```
//! use axum::Router;
//! use axum::routing::get;
//!
//! let app: Router = Router::new()
//!     .route("/orders", get(|| async { "orders" }))
//!     .merge(resilience_runtime::status::router());
//! // axum::serve(listener, app).await?;
//! ```
//!
//! The router answers unmatched paths itself (404 in JSON). axum's `merge` refuses two
//! fallbacks, so an app with a fallback of its own merges `router().reset_fallback()`, or
//! nests the router under a prefix (`Router::nest("/ops", router())`). An app with state
//! merges it after `with_state`, which makes the app a `Router<()>` too.
//!
//! [`RegistrySnapshot`]: crate::registry::RegistrySnapshot

mod accept;
mod action;
mod api_error;
mod handlers;

use axum::Router;
use axum::routing::{get, post};

/// The routes above, serving [`registry()`](crate::registry()).
pub fn router() -> Router {
    Router::new()
        .route("/resilience/status", get(handlers::status))
        .route("/resilience/breakers/{name}", get(handlers::breaker))
        .route(
            "/resilience/breakers/{name}/{action}",
            post(handlers::control),
        )
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
}
