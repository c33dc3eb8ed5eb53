//! Time limits on async calls.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::coop::{Unconstrained, unconstrained};
use tokio::time::{Sleep, sleep_until};

use crate::Error;
use crate::base::clock::{self, Nanos};

pub(crate) mod adapter;

/// A deadline too far in the future to represent (`Duration::MAX`, say): never.
const NEVER: Nanos = Nanos::MAX;

/// Runs `fut` for at most `after` (on the [`clock`](mod@crate::clock) the policies read);
/// past that, drops it and returns [`Error::Timeout`]. A future that is ready at once wins even with a zero limit.
///
/// Dropping `fut` is what cancels the call, so everything it held (e.g. a bulkhead permit) is
/// released.
///
/// Unlike `tokio::time::timeout`, the timer is only created once `fut` first returns
/// `Pending`, so a call that completes without waiting never touches the timer (the limit
/// still counts from the call's start).
///
/// ```
/// use resilience_runtime::{Error, timeout::timeout};
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true)
/// #     .build().unwrap().block_on(async {
/// let slow = tokio::time::sleep(Duration::from_secs(10));
/// let err = timeout(Duration::from_millis(500), slow).await.unwrap_err();
/// assert_eq!(err, Error::timeout(Duration::from_millis(500)));
///
/// let fast = async { 42 };
/// assert_eq!(timeout(Duration::from_millis(500), fast).await, Ok(42));
/// # });
/// ```
///
/// # Errors
///
/// The future resolves to [`Error::Timeout`] carrying `after` when the limit elapsed first.
pub fn timeout<F: IntoFuture>(after: Duration, fut: F) -> Timeout<F::IntoFuture> {
    Timeout::new(clock::now(), after, fut.into_future(), true)
}

/// [`timeout`] for generated code, counting from `start` (the call's start, which generated
/// code also hands to the layers below, so the call reads the clock once); generated code
/// logs the expiry itself, with the fn's name.
#[inline]
pub(crate) fn timeout_unlogged<F: Future>(start: Nanos, after: Duration, fut: F) -> Timeout<F> {
    Timeout::new(start, after, fut, false)
}

impl<F> Timeout<F> {
    #[inline]
    fn new(start: Nanos, after: Duration, future: F, logs: bool) -> Self {
        Self {
            future,
            // A limit too far in the future to represent saturates: never.
            deadline: start.saturating_add(clock::to_nanos(after)),
            after,
            logs,
            timer: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        // On the clock's scale; the timer converts it only when it is created.
        deadline: Nanos,
        after: Duration,
        // Whether an expiry is logged here (a debug event without a name).
        logs: bool,
        // Unconstrained: the timer must fire even when the call used up its task's
        // cooperative budget.
        #[pin]
        timer: Option<Unconstrained<Sleep>>,
    }
}

impl<F> std::fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeout")
            .field("after", &self.after)
            .field("timer_started", &self.timer.is_some())
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Error>;

    // Inlined into the caller's poll: a call that completes at once then hands its output
    // on without a copy through memory.
    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match expiry(*this.deadline, *this.after, *this.logs, this.timer, cx) {
            Poll::Ready(error) => Poll::Ready(Err(error)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The timer's side of [`Timeout::poll`] once the future is pending: starts the timer on the
/// first wait, and says whether the limit elapsed. Not generic over the future, so it stays
/// out of line.
#[inline(never)]
fn expiry(
    deadline: Nanos,
    after: Duration,
    logs: bool,
    mut timer: Pin<&mut Option<Unconstrained<Sleep>>>,
    cx: &mut Context<'_>,
) -> Poll<Error> {
    if timer.is_none() {
        if deadline == NEVER || crate::base::kill_switch::engaged() {
            return Poll::Pending;
        }
        let deadline = clock::instant_at(deadline);
        timer.set(Some(unconstrained(sleep_until(deadline))));
    }
    match timer.as_pin_mut().map(|timer| timer.poll(cx)) {
        Some(Poll::Ready(())) if crate::base::kill_switch::engaged() => Poll::Pending,
        Some(Poll::Ready(())) => {
            if logs {
                tracing::debug!(
                    target: "resilience_runtime::timeout",
                    after = ?after, "call timed out");
            }
            Poll::Ready(Error::timeout(after))
        }
        _ => Poll::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Instant, sleep};

    #[tokio::test(start_paused = true)]
    async fn fires_at_exactly_the_limit() {
        let start = Instant::now();
        let result = timeout(Duration::from_millis(250), sleep(Duration::from_secs(1))).await;
        assert_eq!(result, Err(Error::timeout(Duration::from_millis(250))));
        assert_eq!(start.elapsed(), Duration::from_millis(250));
    }

    #[tokio::test(start_paused = true)]
    async fn passes_results_through() {
        let start = Instant::now();
        let ok = timeout(Duration::from_secs(1), async {
            sleep(Duration::from_millis(999)).await;
            Ok::<u8, &str>(7)
        })
        .await;
        assert_eq!(ok, Ok(Ok(7)));
        assert_eq!(start.elapsed(), Duration::from_millis(999));
        let err = timeout(Duration::from_secs(1), async { Err::<u8, &str>("boom") }).await;
        assert_eq!(err, Ok(Err("boom")));
    }

    #[tokio::test(start_paused = true)]
    async fn ready_future_beats_zero_limit_and_huge_limits_work() {
        assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        let result = timeout(Duration::ZERO, sleep(Duration::from_millis(1))).await;
        assert_eq!(result, Err(Error::timeout(Duration::ZERO)));
        let start = Instant::now();
        let result = timeout(Duration::MAX, sleep(Duration::from_secs(3600))).await;
        assert_eq!(result, Ok(()));
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_drops_the_inner_future() {
        struct Flag<'a>(&'a std::cell::Cell<bool>);
        impl Drop for Flag<'_> {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let dropped = std::cell::Cell::new(false);
        let result = timeout(Duration::from_millis(10), async {
            let _flag = Flag(&dropped);
            sleep(Duration::from_secs(1)).await;
        })
        .await;
        assert!(result.is_err());
        assert!(dropped.get());
    }
}
