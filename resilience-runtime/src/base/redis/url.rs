//! Where Redis-backed instances connect: set from code, else the environment. Process-wide,
//! like the kill switch, so that a policy reads it without reaching up to the registry.

use std::sync::{PoisonError, RwLock};

/// The environment variable naming the Redis server when code sets none.
pub(crate) const VARIABLE: &str = "RESILIENCE_REDIS_URL";

/// The environment variable naming a PEM file of certificates that `rediss://` connections
/// trust besides the platform's roots.
pub(crate) const CA_VARIABLE: &str = "RESILIENCE_REDIS_CA";

/// The environment variable that makes a single URL the seed of a Redis Cluster (`1`).
pub(crate) const CLUSTER_VARIABLE: &str = "RESILIENCE_REDIS_CLUSTER";

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

#[cfg(feature = "redis")]
/// Whether `RESILIENCE_REDIS_CLUSTER` asks for a cluster client (`1`, `true`, `yes`, `on`).
pub(crate) fn cluster_requested() -> bool {
    std::env::var(CLUSTER_VARIABLE).is_ok_and(|value| is_on(&value))
}

/// The PEM file named by `RESILIENCE_REDIS_CA`, if set and not empty.
#[cfg(feature = "redis-tls")]
pub(crate) fn ca_file() -> Option<std::path::PathBuf> {
    std::env::var_os(CA_VARIABLE)
        .filter(|path| !path.is_empty())
        .map(std::path::PathBuf::from)
}

#[cfg(feature = "redis")]
fn is_on(value: &str) -> bool {
    ["1", "true", "yes", "on"]
        .iter()
        .any(|on| value.trim().eq_ignore_ascii_case(on))
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_switch_reads_the_usual_words_for_on() {
        for on in ["1", "true", "TRUE", " yes ", "on"] {
            assert!(is_on(on), "{on}");
        }
        for off in ["", "0", "false", "no", "off", "2"] {
            assert!(!is_on(off), "{off}");
        }
    }
}
