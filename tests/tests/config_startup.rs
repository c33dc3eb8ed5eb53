//! A file loaded at startup, before the first resilient call: instances are created with it,
//! so even settings a running instance cannot change apply. One test: the registry starts once.

use std::time::Duration;

use resilience_runtime::rate_limit::{OnLimit, Rate};
use resilience_runtime::{Error, config, rate_limit, registry};
use resilience_tests::ServiceError;

#[rate_limit(name = "startup-api", rate = "100/s")]
async fn startup_api() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn settings_loaded_before_the_first_call_create_the_instances() {
    let report = config::load_str(
        r#"
        [rate_limiter.startup-api]
        rate = "2/s"
        on_limit = "reject"
        "#,
    )
    .unwrap();
    // Nothing was running yet: the settings were remembered, and the registry started with
    // them.
    assert!(report.reconfigured.is_empty());
    assert_eq!(report.remembered[0].keys, ["rate", "on_limit"]);
    assert!(
        report.warnings.is_empty(),
        "the attribute declares the name"
    );

    let limiter = registry().rate_limiter("startup-api").unwrap();
    assert_eq!(limiter.config().rate(), Rate::per_second(2));
    assert_eq!(limiter.config().on_limit(), OnLimit::Reject);
    assert_eq!(
        limiter.config().max_wait(),
        Duration::from_secs(5),
        "default"
    );
    assert_eq!(startup_api().await, Ok(()));
    assert_eq!(startup_api().await, Ok(()));
    assert!(matches!(
        startup_api().await,
        Err(ServiceError::Resilience(Error::RateLimited { .. }))
    ));
}
