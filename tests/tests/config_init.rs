//! `config::init()`: the fail-fast entry. A wrong `RESILIENCE_*` variable fails it, naming the
//! variable; once fixed and re-read, it succeeds. One test: the environment is process-wide.

use resilience_runtime::config;
use resilience_runtime::{Error, retry};

#[retry(name = "init-fetch", max_attempts = 2)]
async fn fetch() -> Result<(), Error> {
    Ok(())
}

#[test]
fn init_fails_on_a_rejected_variable_and_succeeds_once_it_is_fixed() {
    // SAFETY: this binary's only test, before anything reads the environment.
    unsafe { std::env::set_var("RESILIENCE_RETRY_INIT_FETCH_MAX_ATTEMPTS", "0") };
    let error = config::init().unwrap_err();
    assert_eq!(error.issues().len(), 1, "{error}");
    assert_eq!(
        error.issues()[0].at,
        "RESILIENCE_RETRY_INIT_FETCH_MAX_ATTEMPTS"
    );
    assert!(error.to_string().contains("0 is out of range"), "{error}");

    // SAFETY: as above.
    unsafe { std::env::set_var("RESILIENCE_RETRY_INIT_FETCH_MAX_ATTEMPTS", "5") };
    config::reload_env().unwrap();
    let report = config::init().unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.disabled, None);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(fetch()).unwrap();
    let retry = resilience_runtime::registry().retry("init-fetch").unwrap();
    assert_eq!(retry.policy().max_attempts(), 5);
}
