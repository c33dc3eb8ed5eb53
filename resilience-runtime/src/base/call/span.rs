//! The `tracing` spans of a fused stack: one per call, one per retry attempt, each closed with
//! the outcome of what it ran.
//!
//! Generated code creates the span (a callsite of its own in the user's crate, so that
//! subscribers filter it by target and level as any other) and hands it here. With no
//! subscriber interested the span is disabled and all that is paid is the callsite's check and
//! a few untaken branches: entering, exiting and recording a disabled span do nothing.
//!
//! An async stack does not nest its code in another future to run it inside the span (every
//! nested future is copied whole into its parent, and that copy cost more than the rest of a
//! small stack). Instead the span's [`SpanGuard`] lives beside the stack's locals: it enters the
//! span when it is made, and each of the stack's awaits goes through [`traced`], which exits
//! the span while the call waits and enters it again when the call is polled. So the layers'
//! code, their events and the body all run inside the span, and a call that waits leaves no
//! span entered on the thread. Sync code holds the same guard, and has no awaits.
//!
//! The spans and their fields are documented in [`crate::spans`].

use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use tracing::Span;

use super::outcome::{Attempt, Failure};

/// The span a call (or one retry attempt, inside its call's span) runs in, entered while the
/// stack's code runs and exited while it waits.
///
/// One pointer wide: `None` while no span of the stack is enabled, so that the disabled case
/// adds the least to the call's future.
#[derive(Debug)]
pub struct SpanGuard<'p> {
    // Dropped by hand, in a cold fn: the glue of an `Option<Box<_>>` is a call, even for `None`.
    state: Option<ManuallyDrop<Box<Entered<'p>>>>,
}

/// Not entered: the call waits, or the guard has not entered it yet.
const EXITED: u8 = 0;
/// Entered, and the stack's code runs in it.
const ENTERED: u8 = 1;
/// Entered, and an await's poll is in charge of it: that poll exits it if it is pending.
/// Awaits nested inside it (a timeout's inner layers, a hedge's attempts) leave it be, so the
/// code between them stays inside.
const CLAIMED: u8 = 2;

/// An enabled guard's state.
#[derive(Debug)]
struct Entered<'p> {
    /// The span (an attempt's may be disabled while its call's is not).
    span: Span,
    /// [`EXITED`], [`ENTERED`] or [`CLAIMED`], on the thread polling the call.
    state: AtomicU8,
    /// The call's state, for an attempt's: entered below it and exited after it.
    parent: Option<&'p Entered<'p>>,
}

impl SpanGuard<'static> {
    /// Enters a call's `span`.
    #[inline(always)]
    #[must_use]
    pub fn call(span: Span) -> Self {
        if span.is_disabled() {
            return Self { state: None };
        }
        Self::entered(span, None)
    }
}

impl<'p> SpanGuard<'p> {
    /// Enters an attempt's `span` above its call's.
    #[inline(always)]
    #[must_use]
    pub fn attempt(span: Span, call: &'p SpanGuard<'p>) -> Self {
        let parent = call.state.as_deref().map(|state| &**state);
        if span.is_disabled() && parent.is_none() {
            return Self { state: None };
        }
        Self::entered(span, parent)
    }

    #[cold]
    fn entered(span: Span, parent: Option<&'p Entered<'p>>) -> Self {
        let state = Entered {
            span,
            state: AtomicU8::new(EXITED),
            parent,
        };
        state.claim_own();
        state.release_own(false);
        Self {
            state: Some(ManuallyDrop::new(Box::new(state))),
        }
    }

    /// Records the outcome of the code the span covered; the span closes when the guard drops.
    #[inline(always)]
    pub fn record<T, E>(&self, outcome: &Attempt<T, E>) {
        if let Some(state) = &self.state {
            record_span_outcome(&state.span, outcome);
        }
    }
}

impl Drop for SpanGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            close(ManuallyDrop::into_inner(state));
        }
    }
}

/// Exits a guard's own span and closes it. Only its own: an attempt ends inside its call,
/// whose code goes on.
#[cold]
#[inline(never)]
#[expect(clippy::boxed_local, reason = "it takes the box to free it")]
fn close(state: Box<Entered<'_>>) {
    state.exit_own();
}

/// What an await's poll did with a span: whether it is in charge of it until it returns.
type Claimed = bool;

impl Entered<'_> {
    /// Takes charge of this span and the call's for one poll of an await (see [`Traced`]).
    fn claim(&self) -> (Claimed, Claimed) {
        let parent = self.parent.is_some_and(Entered::claim_own);
        (self.claim_own(), parent)
    }

    /// Gives back what [`claim`](Self::claim) took: exits those spans if the await is pending.
    fn release(&self, (own, parent): (Claimed, Claimed), pending: bool) {
        if own {
            self.release_own(pending);
        }
        if let (true, Some(call)) = (parent, self.parent) {
            call.release_own(pending);
        }
    }

    /// Enters the span if it is not entered, or takes it over from the stack's code, which
    /// entered it; false when an await further out is in charge of it already.
    fn claim_own(&self) -> Claimed {
        match self.state.load(Ordering::Relaxed) {
            EXITED => {
                self.state.store(CLAIMED, Ordering::Relaxed);
                self.span
                    .with_subscriber(|(id, subscriber)| subscriber.enter(id));
                true
            }
            ENTERED => {
                self.state.store(CLAIMED, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Exits the span when the await is pending; otherwise the stack's code goes on in it.
    fn release_own(&self, pending: bool) {
        if pending {
            self.exit_own();
        } else {
            self.state.store(ENTERED, Ordering::Relaxed);
        }
    }

    fn exit_own(&self) {
        if self.state.swap(EXITED, Ordering::Relaxed) != EXITED {
            self.span
                .with_subscriber(|(id, subscriber)| subscriber.exit(id));
        }
    }
}

/// One of the stack's awaits: `inner` polled inside the span of `guard`, which is exited
/// whenever `inner` is pending.
#[inline(always)]
pub fn traced<'g, F: Future>(guard: &'g SpanGuard<'g>, inner: F) -> Traced<'g, F> {
    Traced {
        state: guard.state.as_deref().map(|state| &**state),
        inner,
    }
}

pin_project_lite::pin_project! {
    /// The future [`traced`] returns.
    #[derive(Debug)]
    pub struct Traced<'g, F> {
        state: Option<&'g Entered<'g>>,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Traced<'_, F> {
    type Output = F::Output;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // After a wait the call is polled again here, with its span exited.
        let claimed = this.state.map(Entered::claim);
        let poll = this.inner.poll(cx);
        if let (Some(state), Some(claimed)) = (*this.state, claimed) {
            state.release(claimed, poll.is_pending());
        }
        poll
    }
}

/// The outcome of an attempt or a call, as its span's `resilience.outcome` says it.
#[must_use]
fn outcome_name<T, E>(outcome: &Attempt<T, E>) -> &'static str {
    match outcome {
        Ok(_) => "ok",
        Err(Failure::Service(_)) => "error",
        Err(Failure::Layer(error)) if error.is_rejection() => "rejected",
        Err(Failure::Layer(_)) => "timeout",
    }
}

/// Records `outcome` on `span`.
#[inline(always)]
fn record_span_outcome<T, E>(span: &Span, outcome: &Attempt<T, E>) {
    if span.is_disabled() {
        return;
    }
    record_enabled(span, outcome_name(outcome), outcome.is_ok());
}

#[cold]
fn record_enabled(span: &Span, outcome: &'static str, ok: bool) {
    span.record("resilience.outcome", outcome);
    // What OpenTelemetry exporters read as the span's status.
    span.record("otel.status_code", if ok { "OK" } else { "ERROR" });
}
