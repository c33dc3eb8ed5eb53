//! `#[timeout]` in both forms, with every duration shape: "250ms", "2s", "1m30s", "1h".

use std::time::Duration;

use resilience_runtime::{timeout, Error};
use tokio::time::{sleep, Instant};

#[derive(Debug, PartialEq)]
enum AppError {
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

#[timeout("250ms")]
async fn quarter_second(work: Duration) -> Result<&'static str, AppError> {
    sleep(work).await;
    Ok("done")
}

#[timeout("2s")]
async fn two_seconds(work: Duration) -> Result<&'static str, AppError> {
    sleep(work).await;
    Ok("done")
}

#[timeout(duration = "1m30s")]
async fn ninety_seconds(work: Duration) -> Result<&'static str, AppError> {
    sleep(work).await;
    Ok("done")
}

#[timeout(duration = "1h", crate = "resilience_runtime")]
async fn one_hour(work: Duration) -> Result<&'static str, AppError> {
    sleep(work).await;
    Ok("done")
}

#[timeout("2s", crate = "resilience_runtime")]
async fn short_form_with_crate(work: Duration) -> Result<&'static str, AppError> {
    sleep(work).await;
    Ok("done")
}

fn timed_out(after: Duration) -> AppError {
    AppError::Layer(Error::timeout(after))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;

        assert_eq!(quarter_second(ms(249)).await, Ok("done"));
        let started = Instant::now();
        assert_eq!(quarter_second(secs(1)).await, Err(timed_out(ms(250))));
        assert_eq!(started.elapsed(), ms(250));

        assert_eq!(two_seconds(ms(1999)).await, Ok("done"));
        assert_eq!(two_seconds(secs(3)).await, Err(timed_out(secs(2))));

        assert_eq!(ninety_seconds(secs(89)).await, Ok("done"));
        assert_eq!(ninety_seconds(secs(91)).await, Err(timed_out(secs(90))));

        assert_eq!(one_hour(secs(3599)).await, Ok("done"));
        assert_eq!(one_hour(secs(3601)).await, Err(timed_out(secs(3600))));

        assert_eq!(short_form_with_crate(ms(1)).await, Ok("done"));
        assert_eq!(short_form_with_crate(secs(5)).await, Err(timed_out(secs(2))));
    });
}
