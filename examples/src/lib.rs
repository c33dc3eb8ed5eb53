//! Code the examples share: the registry's status endpoint as an axum router.

pub mod status_api;
