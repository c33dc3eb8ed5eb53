//! [`Hedging`]: one hedged call. Its attempts run inside the future itself, polled in turn
//! (no task is spawned), so they may borrow what the caller borrows, and nothing outlives
//! the call: dropping the future, or the call ending, drops every attempt still running.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::task::coop::{Unconstrained, unconstrained};
use tokio::time::{Sleep, sleep_until};

use super::instance::Hedge;
use super::seams::{Attempts, MayHedge};
use crate::base::clock::{self, Nanos};
use crate::base::kill_switch;

/// Attempts one call may have: the first and [`HedgeConfig::MAX_HEDGES`](super::HedgeConfig::MAX_HEDGES).
const SLOTS: u32 = 5;

pin_project_lite::pin_project! {
    /// One hedged call, from [`Hedge::run`] (and what `#[hedge]` and the tower layer run).
    ///
    /// The first attempt starts when the future is first polled. Each time the delay passes
    /// without an answer, one more starts (up to `max_hedges`, each `delay` after the one
    /// before), if the call's [`MayHedge`] agrees. The first `Ok` is the call's outcome, and
    /// the attempts still running are dropped at once, releasing what they hold. A failed
    /// attempt does not start another: when the last attempt in flight fails, its error is
    /// the call's (errors are a retry's to handle, outside the hedge).
    #[must_use = "futures do nothing unless polled"]
    #[project = HedgingProjection]
    pub struct Hedging<'h, A, M>
    where
        A: Attempts,
    {
        hedge: &'h Hedge,
        attempts: A,
        may_hedge: M,
        #[pin]
        first: Option<A::Future>,
        #[pin]
        second: Option<A::Future>,
        #[pin]
        third: Option<A::Future>,
        #[pin]
        fourth: Option<A::Future>,
        #[pin]
        fifth: Option<A::Future>,
        // Unconstrained: a hedge must start even when the attempts used up the task's
        // cooperative budget.
        #[pin]
        timer: Option<Unconstrained<Sleep>>,
        progress: Progress,
    }
}

/// Where a call stands.
#[derive(Debug, Clone, Copy)]
struct Progress {
    /// Attempts started so far (0 before the first poll).
    started: u32,
    /// Attempts still running.
    running: u32,
    /// Attempts this call may start: 1 + `max_hedges`, or fewer once no more may.
    limit: u32,
    /// The delay between attempts.
    delay: Duration,
    /// When the call first waited, on the clock's scale: the delay and the latency count
    /// from there (a poll that does not wait takes no time worth a clock read).
    start: Nanos,
    /// Whether the call has waited yet (and `start` is read).
    waited: bool,
    /// The outcome was handed out.
    done: bool,
}

impl<'h, A: Attempts, M: MayHedge> Hedging<'h, A, M> {
    /// A call of `hedge` whose attempts `attempts` starts, asking `may_hedge` before each
    /// hedge.
    #[inline]
    pub(crate) fn new(hedge: &'h Hedge, attempts: A, may_hedge: M) -> Self {
        Self {
            hedge,
            attempts,
            may_hedge,
            first: None,
            second: None,
            third: None,
            fourth: None,
            fifth: None,
            timer: None,
            progress: Progress {
                started: 0,
                running: 0,
                limit: 1,
                delay: Duration::ZERO,
                start: 0,
                waited: false,
                done: false,
            },
        }
    }
}

impl<'a, A: Attempts, M> HedgingProjection<'a, '_, A, M> {
    /// Slot `index` (0 to 4).
    fn slot(&mut self, index: u32) -> Pin<&mut Option<A::Future>> {
        match index {
            0 => self.first.as_mut(),
            1 => self.second.as_mut(),
            2 => self.third.as_mut(),
            3 => self.fourth.as_mut(),
            _ => self.fifth.as_mut(),
        }
    }

    /// Drops every attempt still running, and the timer.
    fn drop_all(&mut self) {
        for index in 0..self.progress.started {
            self.slot(index).set(None);
        }
        self.timer.set(None);
        self.progress.running = 0;
    }

    /// Starts attempt number `started`.
    fn start_next(&mut self) {
        let index = self.progress.started;
        let attempt = self.attempts.start(index);
        self.slot(index).set(Some(attempt));
        self.progress.started += 1;
        self.progress.running += 1;
    }
}

impl<A, M, T, E> Future for Hedging<'_, A, M>
where
    A: Attempts,
    A::Future: Future<Output = Result<T, E>>,
    M: MayHedge,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.progress.done {
            // Polled after its outcome was handed out: there is nothing more to give.
            return Poll::Pending;
        }
        if this.progress.started == 0 {
            begin(&mut this);
        }
        loop {
            for index in 0..this.progress.started {
                let Some(attempt) = this.slot(index).as_pin_mut() else {
                    continue;
                };
                let Poll::Ready(outcome) = attempt.poll(cx) else {
                    continue;
                };
                this.slot(index).set(None);
                this.progress.running -= 1;
                if outcome.is_ok() {
                    this.drop_all();
                    this.progress.done = true;
                    won(this.hedge, index, this.progress);
                    return Poll::Ready(outcome);
                }
                if this.progress.running == 0 {
                    // The last attempt in flight failed: its error is the call's.
                    this.drop_all();
                    this.progress.done = true;
                    return Poll::Ready(outcome);
                }
            }
            if !this.progress.waited {
                this.progress.waited = true;
                this.progress.start = clock::now();
            }
            if this.progress.started >= this.progress.limit {
                return Poll::Pending;
            }
            if this.timer.is_none() {
                let deadline = this
                    .progress
                    .start
                    .saturating_add(clock::to_nanos(this.progress.delay));
                this.timer
                    .set(Some(unconstrained(sleep_until(clock::instant_at(
                        deadline,
                    )))));
            }
            let Some(timer) = this.timer.as_mut().as_pin_mut() else {
                return Poll::Pending;
            };
            if timer.poll(cx).is_pending() {
                return Poll::Pending;
            }
            if kill_switch::engaged() || !this.may_hedge.may_hedge() {
                // No more hedges for this call: it goes on with the attempts it has.
                this.progress.limit = this.progress.started;
                this.timer.set(None);
                return Poll::Pending;
            }
            this.start_next();
            hedge_started(this.hedge, this.progress.started - 1);
            if this.progress.started < this.progress.limit {
                let next = clock::now().saturating_add(clock::to_nanos(this.progress.delay));
                this.timer
                    .set(Some(unconstrained(sleep_until(clock::instant_at(next)))));
            } else {
                this.timer.set(None);
            }
        }
    }
}

/// The first poll: reads the configuration once for the whole call and starts the first
/// attempt.
#[inline]
fn begin<A: Attempts, M>(this: &mut HedgingProjection<'_, '_, A, M>) {
    let hedge = *this.hedge;
    hedge.count_call();
    let config = hedge.config();
    // Without a known delay (a percentile not seen yet) the call does not hedge.
    if let Some(delay) = hedge.delay_of(config) {
        this.progress.delay = delay;
        this.progress.limit = (1 + config.max_hedges()).min(SLOTS);
    }
    this.start_next();
}

/// Counts an `Ok` and records its latency (none if the call never waited).
#[inline]
fn won(hedge: &Hedge, attempt: u32, progress: &Progress) {
    let latency = if progress.waited {
        clock::to_duration(clock::now().saturating_sub(progress.start))
    } else {
        Duration::ZERO
    };
    hedge.histogram.record(latency);
    if attempt > 0 {
        hedge_won(hedge, attempt, latency);
    }
}

#[cold]
#[inline(never)]
fn hedge_won(hedge: &Hedge, attempt: u32, latency: Duration) {
    hedge
        .hedges_won
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::debug!(
        target: "resilience_runtime::hedge",
        name = hedge.name(), attempt, latency = ?latency, "a hedge answered first");
}

#[cold]
#[inline(never)]
fn hedge_started(hedge: &Hedge, attempt: u32) {
    hedge
        .hedges_started
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::debug!(
        target: "resilience_runtime::hedge",
        name = hedge.name(), attempt, "no answer within the delay; hedge started");
}

impl<A: Attempts, M> fmt::Debug for Hedging<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hedging")
            .field("name", &self.hedge.name())
            .field("started", &self.progress.started)
            .field("running", &self.progress.running)
            .finish_non_exhaustive()
    }
}

impl Hedge {
    /// Runs one hedged call: `attempts(0)` at once, then `attempts(1)`, .. each time the
    /// delay passes without an answer, up to `max_hedges` (see [`Hedging`]). The first `Ok`
    /// is returned and the other attempts are dropped; if every attempt started fails, the
    /// error of the last to fail is returned.
    ///
    /// The attempts run inside the returned future, so they may borrow from the caller.
    #[inline]
    pub fn run<A>(&self, attempts: A) -> Hedging<'_, A, super::AlwaysHedge>
    where
        A: Attempts,
    {
        Hedging::new(self, attempts, super::AlwaysHedge)
    }

    /// [`run`](Self::run), asking `may_hedge` before each hedge: the seam for a budget
    /// shared with other layers.
    #[inline]
    pub fn run_with<A, M>(&self, attempts: A, may_hedge: M) -> Hedging<'_, A, M>
    where
        A: Attempts,
        M: MayHedge,
    {
        Hedging::new(self, attempts, may_hedge)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::{HedgeConfig, HedgeDelay};
    use super::*;
    use std::cell::Cell;
    use tokio::time::{Instant, sleep};

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn hedge(delay: u64, max_hedges: u32) -> Hedge {
        Hedge::new(
            "hedging-test",
            HedgeConfig::new(HedgeDelay::Fixed(MS(delay))).with_max_hedges(max_hedges),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn hedges_start_each_delay_after_the_previous_up_to_the_limit() {
        let hedge = hedge(50, 3);
        let begun = Instant::now();
        let starts = std::cell::RefCell::new(Vec::new());
        let outcome: Result<u32, u32> = hedge
            .run(|attempt| {
                starts.borrow_mut().push(begun.elapsed());
                async move {
                    sleep(MS(1_000)).await;
                    Err(attempt)
                }
            })
            .await;
        assert_eq!(*starts.borrow(), [MS(0), MS(50), MS(100), MS(150)]);
        // All fail: the last to fail is the last started.
        assert_eq!(outcome, Err(3));
        assert_eq!(begun.elapsed(), MS(1_150));
        assert_eq!(hedge.metrics().hedges_started, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_leaves_the_call_with_the_attempts_it_has() {
        let hedge = hedge(10, 4);
        let asked = Cell::new(0);
        let outcome: Result<u32, ()> = hedge
            .run_with(
                |attempt| async move {
                    sleep(MS(100)).await;
                    Ok(attempt)
                },
                || {
                    asked.set(asked.get() + 1);
                    asked.get() < 2
                },
            )
            .await;
        assert_eq!(outcome, Ok(0));
        assert_eq!(asked.get(), 2);
        assert_eq!(hedge.metrics().hedges_started, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_early_failure_alone_ends_the_call() {
        let hedge = hedge(50, 2);
        let begun = Instant::now();
        let outcome: Result<(), &str> = hedge.run(|_| async { Err("down") }).await;
        assert_eq!(outcome, Err("down"));
        assert_eq!(begun.elapsed(), Duration::ZERO);
        assert_eq!(hedge.metrics().hedges_started, 0);
    }
}
