//! Where limiters with a Redis backend find their server when code names none.

/// The environment variable naming the Redis server of limiters with
/// [`Backend::Redis`](super::Backend::Redis), when
/// [`Registry::set_redis_url`](crate::Registry::set_redis_url) was not called:
/// `RESILIENCE_REDIS_URL`, e.g. `redis://127.0.0.1:6379`, in any of the forms
/// [`Registry::set_redis_url`](crate::Registry::set_redis_url) takes.
pub const REDIS_URL_VARIABLE: &str = crate::base::redis::url::VARIABLE;
