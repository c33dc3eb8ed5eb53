//! Where Redis-backed instances connect: set from code, else the environment. Process-wide,
//! like the kill switch, so that a policy reads it without reaching up to the registry.

use std::sync::{PoisonError, RwLock};

/// The environment variable naming the Redis server when code sets none.
pub(crate) const VARIABLE: &str = "RESILIENCE_REDIS_URL";

static SET: RwLock<Option<String>> = RwLock::new(None);

/// Sets the URL for connections opened from now on.
pub(crate) fn set(url: String) {
    *SET.write().unwrap_or_else(PoisonError::into_inner) = Some(url);
}

/// The URL set from code, else `RESILIENCE_REDIS_URL`, else `None`.
pub(crate) fn get() -> Option<String> {
    let set = SET.read().unwrap_or_else(PoisonError::into_inner).clone();
    set.or_else(|| std::env::var(VARIABLE).ok())
}
