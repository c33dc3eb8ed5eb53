//! What generated code calls. Not public API: no semver guarantees, hidden from docs.
//!
//! Each layer of a fused stack evaluates to an [`Attempt`], which keeps the service's own
//! error apart from a layer's [`Error`] until [`finish`] converts to the fn's `Result<T, E>`.
//! That is how an outer breaker tells an inner rejection from a failure, and how an outer
//! retry tells an open circuit (never retried) from a rate limit (waited out).
//!
//! This module only re-exports what lives where it belongs: the shared plumbing in `call/`,
//! the error-description probe in `describe/`, each kind's adapter in its own folder, the
//! retry step in `retry/`, the declare shims in `declare`. Three fns stay written here,
//! each a line or a compile-time check, because the compiler's notes about their bounds
//! point at this file.

mod declare;

use std::ops::ControlFlow;
use std::time::Duration;

pub use inventory;
pub use tracing;

pub use crate::base::admission::Admission;
pub use crate::base::call::fallback::{AsyncFallback, SyncFallback, falling_back};
pub use crate::base::call::outcome::{
    Attempt, Failure, FailureText, Outcome, attempt, attempt_sync, finish, layer_error, lift,
};
pub use crate::base::call::site::{Site, SiteName, method_name};
pub use crate::base::call::span::{SpanGuard, Traced, traced};
pub use crate::base::call::start::{CallStart, call_start};
pub use crate::base::call::wait::{Waiting, sleep, sleep_blocking};
pub use crate::base::describe::probe::{DescribeWith, Probe, ProbeDebug, ProbeOther, by_type_name};
pub use crate::base::describe::{DescribeError, Described};
pub use crate::bulkhead::adapter::{bulkhead_admit, bulkhead_finish, bulkhead_wait};
pub use crate::circuit_breaker::adapter::{ignore_none, ok_succeeds, record_any, record_outcome};
pub use crate::hedge::adapter::hedge_call;
pub use crate::quota::adapter::{
    quota_admit, quota_admit_key, quota_ask, quota_ask_key, quota_decide, quota_decide_key,
};
pub use crate::rate_limit::adapter::{
    rate_limit_admit, rate_limit_admit_key, rate_limit_block_key, rate_limit_wait,
    rate_limit_wait_key,
};
pub use crate::registry::adoption::Adoption;
pub use crate::registry::declaration::Declaration;
pub use crate::retry::driver::{keep_ok, no_hint, retry_any, retry_start};
pub use crate::retry::step::RetryCall;
pub use crate::timeout::adapter::{timed_out, timeout};
pub use declare::declare_quota;
pub use declare::{
    declare_bulkhead, declare_chaos, declare_circuit_breaker, declare_hedge, declare_rate_limiter,
    declare_retry,
};

use crate::Error;
use crate::retry::step::FailureJudge;
use crate::retry::{Retry, RetryOn};

/// Whether this crate was built with its `redis` feature: `backend = "redis"` fails the
/// build, with the reason, when it was not.
pub const REDIS_BACKEND: bool = cfg!(feature = "redis");

/// The check a `#[hedge]` inside a `#[retry]` of the same stack passes before each hedge:
/// each hedge spends one retry of that retry's budget, and none starts when it is spent (a
/// retry without a budget allows every hedge, at the cost of one load).
#[inline]
pub fn hedge_within_retry(retry: &Retry) -> impl crate::hedge::MayHedge + '_ {
    move || retry.try_spend(crate::base::clock::now())
}

/// A failure as the user's error type, a layer's error converted with `convert` (the site's
/// `E::from`).
#[inline]
pub fn into_error<E>(failure: Failure<E>, convert: fn(Error) -> E) -> E {
    failure.into_error_with(convert)
}

/// Decides after one attempt of the loop `#[retry]` generates: `Break` with the final
/// outcome, or `Continue` with the delay before the next attempt. The retry step, with the
/// failures judged as a fused stack's (`retry::step::FailureJudge`) by `on`'s `when` and
/// `retry_after`, and an `Ok` by its `when_ok`.
#[inline]
pub fn retry_step<T, E, W, K, H>(
    retry: &Retry,
    call: &mut RetryCall,
    outcome: Attempt<T, E>,
    on: RetryOn<T, E, W, K, H>,
    describe: impl DescribeWith<E>,
    // The site's `E::from`: a layer's error is judged as the user's error type.
    convert: fn(Error) -> E,
) -> ControlFlow<Attempt<T, E>, Duration>
where
    W: Fn(&E) -> bool,
    K: Fn(&T) -> bool,
    H: Fn(&E) -> Option<Duration>,
{
    let RetryOn {
        when,
        when_ok,
        retry_after,
        ..
    } = on;
    call.step(
        retry,
        outcome,
        FailureJudge::new(when, retry_after, describe, convert),
        when_ok,
    )
}
