//! The `tracing` spans of a fused stack: one per call, one per retry attempt, each closed with
//! the outcome of what it ran.
//!
//! Generated code creates the span (a callsite of its own in the user's crate, so that
//! subscribers filter it by target and level as any other) and hands it here with the code
//! it covers. With no subscriber interested the span is disabled and all that is paid is
//! the callsite's check: entering, exiting and recording a disabled span do nothing.
//!
//! The spans and their fields are documented in [`crate::spans`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tracing::Span;

use super::outcome::{Attempt, Failure};

pin_project_lite::pin_project! {
    /// A future polled inside its span, which records the outcome when the future finishes.
    pub struct InSpan<F> {
        span: Span,
        #[pin]
        inner: F,
    }
}

/// Runs the async code `inner` inside `span`, recording its outcome on the span.
#[inline(always)]
pub fn in_span<T, E, F>(span: Span, inner: F) -> InSpan<F>
where
    F: Future<Output = Attempt<T, E>>,
{
    InSpan { span, inner }
}

impl<T, E, F> Future for InSpan<F>
where
    F: Future<Output = Attempt<T, E>>,
{
    type Output = Attempt<T, E>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = {
            let _entered = this.span.enter();
            ready!(this.inner.poll(cx))
        };
        record_span_outcome(this.span, &outcome);
        Poll::Ready(outcome)
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

/// Records `outcome` on `span` (sync code enters its span in place, then calls this).
#[inline(always)]
pub fn record_span_outcome<T, E>(span: &Span, outcome: &Attempt<T, E>) {
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
