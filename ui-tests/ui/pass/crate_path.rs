//! `crate = "path"` on every attribute, for a crate that reaches the runtime under another
//! name (here a re-exporting module and a renamed `extern crate`), and sibling attributes
//! named through that path.

extern crate resilience_runtime as resil;

mod facade {
    pub use resilience_runtime::*;
}

#[derive(Debug, PartialEq)]
enum AppError {
    Down,
    Layer(resil::Error),
}

impl From<resil::Error> for AppError {
    fn from(error: resil::Error) -> Self {
        Self::Layer(error)
    }
}

fn recover(_: AppError) -> Result<u32, AppError> {
    Ok(0)
}

#[facade::fallback(recover, crate = "crate::facade")]
#[facade::circuit_breaker(name = "facade-breaker", crate = "crate::facade")]
#[facade::retry(max_attempts = 2, initial_delay = "1ms", crate = "crate::facade")]
#[facade::timeout("1s", crate = "crate::facade")]
#[facade::rate_limit(rate = "100/s", crate = "crate::facade")]
#[facade::bulkhead(max_concurrent = 2, crate = "crate::facade")]
async fn through_facade(up: bool) -> Result<u32, AppError> {
    if up { Ok(1) } else { Err(AppError::Down) }
}

// One `crate` on the first attribute covers the siblings named through the same path.
#[resil::retry(max_attempts = 2, initial_delay = "1ms", crate = "::resil")]
#[resil::timeout("1s")]
#[resil::bulkhead(name = "resil-pool", max_concurrent = 1)]
async fn through_renamed(up: bool) -> Result<u32, AppError> {
    if up { Ok(2) } else { Err(AppError::Down) }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        assert_eq!(through_facade(true).await, Ok(1));
        assert_eq!(through_facade(false).await, Ok(0));
        assert_eq!(through_renamed(true).await, Ok(2));
        assert_eq!(through_renamed(false).await, Err(AppError::Down));
    });
    assert!(resil::registry().circuit_breaker("facade-breaker").is_some());
    assert_eq!(resil::registry().bulkhead("resil-pool").unwrap().max_concurrent(), 1);
}
