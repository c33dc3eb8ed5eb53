//! [`Backend`]: where a rate limit's or a quota's state lives.

use std::fmt;

/// Where a limiter or a quota keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// In this process: lock-free, no I/O.
    #[default]
    Local,
    /// On a Redis server shared by every process that uses the instance's name: one Lua
    /// script per decision, run atomically on the server. Needs the crate's `redis` feature;
    /// the server's URL comes from
    /// [`Registry::set_redis_url`](crate::Registry::set_redis_url) or the
    /// `RESILIENCE_REDIS_URL` environment variable.
    // Present without the feature (attributes name it either way); docs.rs marks it.
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    Redis,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Local => "local",
            Self::Redis => "redis",
        })
    }
}
