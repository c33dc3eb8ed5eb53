//! A waiter dropped after its permit's time has passed: the slot is spent, so no later waiter
//! moves into it and no two admissions come closer than the rate allows.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use resilience_runtime::{Error, rate_limit};
use tokio::time::Instant;

#[rate_limit(
    name = "rl-cancel-expired",
    rate = "1/100ms",
    burst = 1,
    on_limit = "wait"
)]
async fn paced() -> Result<(), Error> {
    Ok(())
}

#[rate_limit(
    name = "rl-cancel-expired-keyed",
    rate = "1/100ms",
    burst = 1,
    on_limit = "wait",
    key = tenant
)]
async fn paced_per_tenant(tenant: &'static str) -> Result<(), Error> {
    let _ = tenant;
    Ok(())
}

/// Polls `future` once: it must still be waiting.
fn poll_once<F: Future>(future: &mut Pin<Box<F>>) {
    let waker = std::task::Waker::noop();
    assert!(
        future
            .as_mut()
            .poll(&mut Context::from_waker(waker))
            .is_pending(),
        "the call should wait for its permit"
    );
}

/// A admitted at 0; B and C queue for 100 and 200 ms; B is never polled again and is dropped
/// at 130 ms; C and a later caller D are polled promptly. Returns when C and D got in.
async fn scenario<F, Fut>(call: F) -> (Duration, Duration)
where
    F: Fn() -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    let t0 = Instant::now();
    call().await.unwrap();
    let mut b = Box::pin(call());
    poll_once(&mut b);
    let c = tokio::spawn(async move {
        call().await.unwrap();
        t0.elapsed()
    });
    tokio::task::yield_now().await;
    tokio::time::advance(Duration::from_millis(130)).await;
    drop(b);
    let d = tokio::spawn(async move {
        call().await.unwrap();
        t0.elapsed()
    });
    (c.await.unwrap(), d.await.unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_waiter_dropped_past_its_time_hands_no_expired_slot_on() {
    let (c, d) = scenario(paced).await;
    assert!(c >= Duration::from_millis(100), "C at {c:?}");
    assert!(
        d - c >= Duration::from_millis(100),
        "C at {c:?}, D at {d:?}"
    );
    assert_eq!(
        (c, d),
        (Duration::from_millis(200), Duration::from_millis(300))
    );
}

#[tokio::test(start_paused = true)]
async fn a_keyed_waiter_dropped_past_its_time_hands_no_expired_slot_on() {
    let (c, d) = scenario(|| paced_per_tenant("acme")).await;
    assert!(c >= Duration::from_millis(100), "C at {c:?}");
    assert!(
        d - c >= Duration::from_millis(100),
        "C at {c:?}, D at {d:?}"
    );
    assert_eq!(
        (c, d),
        (Duration::from_millis(200), Duration::from_millis(300))
    );
}
