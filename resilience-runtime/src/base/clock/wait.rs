//! Waiting on tokio's clock, or blocking the thread in sync fns.

use std::time::Duration;

/// Waits `duration` on tokio's clock.
pub(crate) async fn sleep(duration: Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

/// Blocks the thread for `duration`; the waiting primitive of sync fns.
pub(crate) fn sleep_blocking(duration: Duration) {
    if !duration.is_zero() {
        std::thread::sleep(duration);
    }
}
