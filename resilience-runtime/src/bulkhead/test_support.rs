//! Helpers the bulkhead's unit tests share.

use std::future::{Future, poll_fn};
use std::task::Poll;

pub(super) use std::sync::Arc;
pub(super) use std::time::Duration;

pub(super) use tokio::time::{Instant, sleep};

pub(super) use super::{Bulkhead, BulkheadConfig};
pub(super) use crate::Error;

pub(super) const MS: fn(u64) -> Duration = Duration::from_millis;

pub(super) fn bulkhead(max: usize, max_wait: Duration) -> Bulkhead {
    Bulkhead::new("test", BulkheadConfig::new(max).with_max_wait(max_wait))
}

/// Polls `fut` once; true if it is still pending.
pub(super) async fn pending<F: Future>(fut: std::pin::Pin<&mut F>) -> bool {
    let mut fut = fut;
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_pending())).await
}
