//! Tower layers share their registry instance with the attribute sites of the same name:
//! `named` adopts what is declared, `new` declares (a different configuration is reported as
//! a conflict, as between two attribute sites), and a layer built in a test scope takes the
//! scope's instance.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
use resilience_runtime::config::{self, ConfigOverrides};
use resilience_runtime::tower::{BulkheadLayer, CircuitBreakerLayer, RateLimitLayer, RetryLayer};
use resilience_runtime::{Error, bulkhead, circuit_breaker, rate_limit, registry, retry, testing};
use resilience_tests::ServiceError;
use tokio::time::sleep;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};

async fn send<S: Service<Req>, Req>(
    service: &mut S,
    request: Req,
) -> Result<S::Response, S::Error> {
    service.ready().await?.call(request).await
}

fn layer_error(error: &BoxError) -> &Error {
    error
        .downcast_ref()
        .unwrap_or_else(|| panic!("not a layer's error: {error}"))
}

/// A service that fails when asked to.
fn fails_when_asked() -> impl Service<bool, Response = (), Error = BoxError> + Clone {
    service_fn(|fail: bool| async move {
        if fail {
            Err(BoxError::from("down"))
        } else {
            Ok(())
        }
    })
}

#[circuit_breaker(
    name = "tower-shared-db",
    failure_threshold = 2,
    recovery_timeout = "30s"
)]
async fn load(fail: bool) -> Result<u32, ServiceError> {
    if fail {
        Err(ServiceError::Permanent)
    } else {
        Ok(1)
    }
}

#[tokio::test(start_paused = true)]
async fn a_breaker_is_one_instance_for_layers_and_attribute_sites() {
    let layer = CircuitBreakerLayer::named("tower-shared-db");
    let breaker = registry().circuit_breaker("tower-shared-db").unwrap();
    assert!(std::ptr::eq(layer.breaker(), &*breaker));
    assert_eq!(layer.breaker().config().failure_threshold(), 2, "adopted");
    let mut service = ServiceBuilder::new()
        .layer(layer)
        .service(fails_when_asked());

    // Opened through the layer: the attribute site is rejected.
    for _ in 0..2 {
        assert!(send(&mut service, true).await.is_err());
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    assert!(matches!(
        load(false).await,
        Err(ServiceError::Resilience(Error::CircuitOpen {
            name: "tower-shared-db",
            ..
        }))
    ));

    // Opened through the attribute site: the layer is rejected.
    breaker.reset();
    for _ in 0..2 {
        assert_eq!(load(true).await, Err(ServiceError::Permanent));
    }
    let rejected = send(&mut service, false).await.unwrap_err();
    assert!(matches!(layer_error(&rejected), Error::CircuitOpen { .. }));
}

#[bulkhead(name = "tower-shared-pool", max_concurrent = 1)]
async fn work() -> Result<(), ServiceError> {
    Ok(())
}

#[rate_limit(
    name = "tower-shared-limit",
    rate = "1/s",
    burst = 1,
    on_limit = "reject"
)]
async fn limited() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn bulkhead_slots_and_rate_permits_are_shared() {
    let mut pooled = ServiceBuilder::new()
        .layer(BulkheadLayer::named("tower-shared-pool"))
        .service(service_fn(|()| async {
            sleep(Duration::from_secs(1)).await;
            Ok::<_, BoxError>(())
        }));
    let holding = pooled.ready().await.unwrap().call(());
    assert!(matches!(
        work().await,
        Err(ServiceError::Resilience(Error::BulkheadFull {
            max_concurrent: 1,
            ..
        }))
    ));
    holding.await.unwrap();
    assert_eq!(work().await, Ok(()));

    let mut metered = ServiceBuilder::new()
        .layer(RateLimitLayer::named("tower-shared-limit"))
        .service(fails_when_asked());
    assert_eq!(limited().await, Ok(()));
    let limited_by_the_site = send(&mut metered, false).await.unwrap_err();
    assert!(matches!(
        layer_error(&limited_by_the_site),
        Error::RateLimited {
            name: "tower-shared-limit",
            ..
        }
    ));
}

static RETRIED_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(
    name = "tower-shared-retry",
    max_attempts = 4,
    initial_delay = "10ms",
    jitter = "none"
)]
async fn retried() -> Result<u32, ServiceError> {
    Ok(RETRIED_CALLS.fetch_add(1, Ordering::SeqCst))
}

#[tokio::test(start_paused = true)]
async fn a_retry_policy_and_its_metrics_are_shared() {
    let calls = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&calls);
    let mut service = ServiceBuilder::new()
        .layer(RetryLayer::named("tower-shared-retry"))
        .service(service_fn(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Err::<(), _>(BoxError::from("down")) }
        }));

    assert!(send(&mut service, ()).await.is_err());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "the attribute's max_attempts"
    );
    retried().await.unwrap();
    let metrics = registry().retry("tower-shared-retry").unwrap().metrics();
    assert_eq!(
        (metrics.calls, metrics.retries, metrics.exhausted),
        (2, 3, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn new_declares_and_a_second_configuration_is_a_conflict() {
    let first_line = line!() + 1;
    let first = CircuitBreakerLayer::new(
        "tower-shared-new",
        CircuitBreakerConfig::new().with_failure_threshold(3),
    );
    let second_line = line!() + 1;
    let second = CircuitBreakerLayer::new(
        "tower-shared-new",
        CircuitBreakerConfig::new().with_failure_threshold(4),
    );
    assert!(std::ptr::eq(first.breaker(), second.breaker()));
    assert_eq!(
        second.breaker().config().failure_threshold(),
        3,
        "the first wins"
    );

    let conflict = registry()
        .conflicts()
        .into_iter()
        .find(|conflict| conflict.name == "tower-shared-new")
        .expect("reported");
    assert_eq!(conflict.kind, "circuit_breaker");
    assert_eq!(
        conflict.kept_at,
        format!("tower::CircuitBreakerLayer at {}:{first_line}", file!())
    );
    assert_eq!(
        conflict.ignored_at,
        format!("tower::CircuitBreakerLayer at {}:{second_line}", file!())
    );
}

#[tokio::test(start_paused = true)]
async fn named_takes_configuration_or_the_defaults_when_no_site_declares_it() {
    config::apply(ConfigOverrides::new().bulkhead("tower-shared-configured", "max_concurrent", 3))
        .unwrap();
    let configured = BulkheadLayer::named("tower-shared-configured");
    assert_eq!(configured.bulkhead().max_concurrent(), 3);

    let undeclared = BulkheadLayer::named("tower-shared-undeclared");
    assert_eq!(
        undeclared.bulkhead().config(),
        BulkheadConfig::new(16),
        "the defaults of a bulkhead declared nowhere"
    );
}

#[circuit_breaker(name = "tower-scoped-db", failure_threshold = 1)]
async fn scoped_load() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_layer_built_in_a_test_scope_keeps_the_scope_instance() {
    let mut service = {
        let _scope = testing::scope();
        let mut service = ServiceBuilder::new()
            .layer(CircuitBreakerLayer::named("tower-scoped-db"))
            .service(fails_when_asked());
        assert!(send(&mut service, true).await.is_err());
        // The scope's attribute site shares the layer's breaker...
        assert!(matches!(
            scoped_load().await,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
        ));
        service
    };
    // ...the process's does not.
    assert_eq!(scoped_load().await, Ok(()));
    let process = registry().circuit_breaker("tower-scoped-db").unwrap();
    assert_eq!(process.state(), CircuitState::Closed);
    // The service keeps the scope's breaker after the scope.
    let rejected = send(&mut service, false).await.unwrap_err();
    assert!(matches!(layer_error(&rejected), Error::CircuitOpen { .. }));
}
