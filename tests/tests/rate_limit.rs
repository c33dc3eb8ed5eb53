//! `#[rate_limit]` as users write it: queue mode, per-key queues with a bounded key table,
//! and retuning a live limiter through the registry.

use std::time::Duration;

use resilience_runtime::rate_limit::{OnLimit, Rate};
use resilience_runtime::{Error, rate_limit, registry};
use resilience_tests::ServiceError;
use tokio::time::Instant;

#[rate_limit(
    name = "rl-int-queue",
    rate = "10/s",
    burst = 1,
    on_limit = "queue",
    max_queue = 2
)]
async fn queued() -> Result<(), ServiceError> {
    Ok(())
}

fn is_rejected(result: &Result<(), ServiceError>) -> bool {
    matches!(
        result,
        Err(ServiceError::Resilience(Error::RateLimited { .. }))
    )
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_rejects_and_the_queue_is_served_in_order() {
    let t0 = Instant::now();
    let stamp = || async move {
        let result = queued().await;
        (result, t0.elapsed())
    };
    let (a, b, c, d) = tokio::join!(stamp(), stamp(), stamp(), stamp());
    assert_eq!(a, (Ok(()), Duration::ZERO));
    assert_eq!(b, (Ok(()), Duration::from_millis(100)));
    assert_eq!(c, (Ok(()), Duration::from_millis(200)));
    assert!(is_rejected(&d.0), "two were waiting already");
    assert_eq!(d.1, Duration::ZERO, "rejected without waiting");
    let metrics = registry().rate_limiter("rl-int-queue").unwrap().metrics();
    assert_eq!(
        (metrics.permitted, metrics.rejected, metrics.waiting),
        (3, 1, 0)
    );
}

#[rate_limit(
    name = "rl-int-tenants",
    rate = "1/s",
    burst = 1,
    on_limit = "reject",
    key = tenant,
    max_keys = 3,
    idle_ttl = "10s"
)]
async fn per_tenant(tenant: &str) -> Result<(), ServiceError> {
    let _ = tenant;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_key_table_stays_bounded() {
    for tenant in ["a", "b", "c", "d", "e"] {
        per_tenant(tenant).await.unwrap();
        assert!(is_rejected(&per_tenant(tenant).await));
    }
    let limiter = registry().rate_limiter("rl-int-tenants").unwrap();
    assert_eq!(limiter.metrics().tracked_keys, 3);
    assert_eq!(limiter.config().max_keys(), 3);
    assert_eq!(limiter.config().idle_ttl(), Duration::from_secs(10));
    // The newest key is still tracked, and limited.
    assert!(is_rejected(&per_tenant("e").await));
}

#[rate_limit(name = "rl-int-retuned", rate = "1/s", burst = 1, on_limit = "reject")]
async fn retuned() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_registry_handle_retunes_a_live_limiter() {
    retuned().await.unwrap();
    assert!(is_rejected(&retuned().await));
    let limiter = registry().rate_limiter("rl-int-retuned").unwrap();
    limiter.set_rate(Rate::per_second(100));
    limiter.set_burst(5);
    // The state is kept: the limit recovers when it would have (1s after the permit taken),
    // less the new burst's tolerance (4 × 10ms).
    assert_eq!(
        retuned().await,
        Err(ServiceError::Resilience(Error::rate_limited(
            "rl-int-retuned",
            Some(Duration::from_millis(960))
        )))
    );
    tokio::time::advance(Duration::from_secs(1)).await;
    // Then the new burst and rate apply.
    for _ in 0..5 {
        retuned().await.unwrap();
    }
    assert!(is_rejected(&retuned().await));
    tokio::time::advance(Duration::from_millis(10)).await;
    retuned().await.unwrap();
    let config = limiter.config();
    assert_eq!((config.rate(), config.burst()), (Rate::per_second(100), 5));
    assert_eq!(config.on_limit(), OnLimit::Reject);
    let shown = registry().snapshot().to_string();
    assert!(shown.contains("rl-int-retuned"), "{shown}");
    assert!(registry().conflicts().is_empty());
}
