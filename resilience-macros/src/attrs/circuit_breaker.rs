//! `#[circuit_breaker(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use super::{Common, bounded, error_at, from_items, non_zero};
use crate::value::{DurationLit, Float, Int, Window};

#[derive(FromMeta)]
struct CircuitBreakerArgs {
    name: Option<LitStr>,
    failure_threshold: Option<Int>,
    failure_rate: Option<Int>,
    window: Option<Window>,
    minimum_calls: Option<Int>,
    slow_call_duration: Option<DurationLit>,
    slow_call_rate: Option<Int>,
    recovery_timeout: Option<DurationLit>,
    recovery_backoff: Option<Float>,
    max_recovery_timeout: Option<DurationLit>,
    success_threshold: Option<Int>,
    half_open_max_calls: Option<Int>,
    max_wait_in_half_open: Option<DurationLit>,
    record_if: Option<Path>,
    ignore_if: Option<Path>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// The breaker's window as written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WindowSpec {
    Calls(u32),
    Time(Duration),
}

/// A validated `#[circuit_breaker]`.
pub(crate) struct CircuitBreakerLayer {
    pub(crate) common: Common,
    pub(crate) failure_threshold: Option<u32>,
    pub(crate) failure_rate: Option<u32>,
    pub(crate) window: Option<WindowSpec>,
    pub(crate) minimum_calls: Option<u32>,
    pub(crate) slow_call_duration: Option<Duration>,
    pub(crate) slow_call_rate: Option<u32>,
    pub(crate) recovery_timeout: Option<Duration>,
    pub(crate) recovery_backoff: Option<f64>,
    pub(crate) max_recovery_timeout: Option<Duration>,
    pub(crate) success_threshold: Option<u32>,
    pub(crate) half_open_max_calls: Option<u32>,
    pub(crate) max_wait_in_half_open: Option<Duration>,
    pub(crate) record_if: Option<Path>,
    pub(crate) ignore_if: Option<Path>,
}

impl CircuitBreakerLayer {
    /// Whether the site declares a configuration, or only names a breaker declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.common.name.is_none()
            || self.failure_threshold.is_some()
            || self.failure_rate.is_some()
            || self.window.is_some()
            || self.minimum_calls.is_some()
            || self.slow_call_duration.is_some()
            || self.slow_call_rate.is_some()
            || self.recovery_timeout.is_some()
            || self.recovery_backoff.is_some()
            || self.max_recovery_timeout.is_some()
            || self.success_threshold.is_some()
            || self.half_open_max_calls.is_some()
            || self.max_wait_in_half_open.is_some()
    }
}

const MAX_COUNT: u64 = 1_000_000;
/// The runtime's default `recovery_timeout`.
const DEFAULT_RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest `recovery_backoff`: beyond it a second failed recovery already means hours.
const MAX_RECOVERY_BACKOFF: f64 = 10.0;
/// The runtime's `MAX_WINDOW_CALLS`: a larger count window would be silently clamped.
const MAX_WINDOW_CALLS: u64 = 100_000;
/// The runtime's cap on the half-open counts (`success_threshold`, `half_open_max_calls`),
/// which share a packed atomic word: a larger value would be silently clamped.
const MAX_HALF_OPEN_CALLS: u64 = 16_383;

pub(super) fn parse(items: &[NestedMeta], _span: Span) -> darling::Result<CircuitBreakerLayer> {
    let args: CircuitBreakerArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let common = Common::new(args.name, args.krate, &mut errors);

    let failure_rate = bounded(
        args.failure_rate,
        1,
        100,
        "`failure_rate` is a percentage from 1 to 100",
        &mut errors,
    );
    let slow_call_rate = bounded(
        args.slow_call_rate,
        1,
        100,
        "`slow_call_rate` is a percentage from 1 to 100",
        &mut errors,
    );
    let failure_threshold = bounded(
        args.failure_threshold,
        1,
        MAX_COUNT,
        "`failure_threshold` must be between 1 and 1000000 consecutive failures",
        &mut errors,
    );
    if let (Some(threshold), Some(_)) = (args.failure_threshold, args.failure_rate) {
        errors.push(error_at(
            threshold.span,
            "`failure_threshold` (consecutive failures) and `failure_rate` are two trip models; keep one",
        ));
    }
    let rate_model = args.failure_rate.is_some() || args.slow_call_rate.is_some();

    let window = args.window.and_then(|window| {
        if !rate_model {
            errors.push(error_at(
                window.span(),
                "`window` only applies with `failure_rate` or `slow_call_rate`",
            ));
            return None;
        }
        match window {
            Window::Calls(calls) => bounded(
                Some(calls),
                1,
                MAX_WINDOW_CALLS,
                "`window` must be between 1 and 100000 calls",
                &mut errors,
            )
            .map(WindowSpec::Calls),
            Window::Time(time) => {
                let duration = window.duration().unwrap_or_default();
                if duration < Duration::from_secs(1) || duration.subsec_nanos() != 0 {
                    errors.push(error_at(
                        time.span,
                        "a time `window` is counted in one-second buckets: use whole seconds, at least \"1s\"",
                    ));
                    None
                } else if duration > Duration::from_secs(3600) {
                    errors.push(error_at(time.span, "a time `window` must be at most \"1h\""));
                    None
                } else {
                    Some(WindowSpec::Time(duration))
                }
            }
        }
    });

    let minimum_calls = args.minimum_calls.and_then(|minimum| {
        if rate_model {
            bounded(
                Some(minimum),
                1,
                MAX_COUNT,
                "`minimum_calls` must be between 1 and 1000000",
                &mut errors,
            )
        } else {
            errors.push(error_at(
                minimum.span,
                "`minimum_calls` only applies with `failure_rate` or `slow_call_rate`",
            ));
            None
        }
    });

    let slow_call_duration = non_zero(args.slow_call_duration, "slow_call_duration", &mut errors);
    match (args.slow_call_duration, args.slow_call_rate) {
        (Some(duration), None) => errors.push(error_at(
            duration.span,
            "`slow_call_duration` needs `slow_call_rate` (the percentage of slow calls that trips the breaker)",
        )),
        (None, Some(rate)) => errors.push(error_at(
            rate.span,
            "`slow_call_rate` needs `slow_call_duration` (how long a call must take to count as slow)",
        )),
        _ => {}
    }

    let recovery_timeout = non_zero(args.recovery_timeout, "recovery_timeout", &mut errors);
    let recovery_backoff = args.recovery_backoff.and_then(|backoff| {
        if backoff.value <= 1.0 {
            errors.push(error_at(
                backoff.span,
                "`recovery_backoff` must be greater than 1 so that the open wait grows",
            ));
            None
        } else if backoff.value > MAX_RECOVERY_BACKOFF {
            errors.push(error_at(
                backoff.span,
                "`recovery_backoff` must be at most 10",
            ));
            None
        } else {
            Some(backoff.value)
        }
    });
    let max_recovery_timeout = args.max_recovery_timeout.and_then(|max| {
        let base = args
            .recovery_timeout
            .map_or(DEFAULT_RECOVERY_TIMEOUT, |timeout| timeout.value);
        let base_text = if args.recovery_timeout.is_some() {
            String::new()
        } else {
            String::from(", the default")
        };
        if args.recovery_backoff.is_none() {
            errors.push(error_at(
                max.span,
                "`max_recovery_timeout` caps the growth of `recovery_backoff`; add `recovery_backoff` (e.g. `recovery_backoff = 2`) or remove it",
            ));
            None
        } else if max.value < base {
            errors.push(error_at(
                max.span,
                format!(
                    "`max_recovery_timeout` ({:?}) is below `recovery_timeout` ({base:?}{base_text})",
                    max.value
                ),
            ));
            None
        } else {
            Some(max.value)
        }
    });
    let max_wait_in_half_open = non_zero(
        args.max_wait_in_half_open,
        "max_wait_in_half_open",
        &mut errors,
    );
    let success_threshold = bounded(
        args.success_threshold,
        1,
        MAX_HALF_OPEN_CALLS,
        "`success_threshold` must be between 1 and 16383",
        &mut errors,
    );
    let half_open_max_calls = bounded(
        args.half_open_max_calls,
        1,
        MAX_HALF_OPEN_CALLS,
        "`half_open_max_calls` must be between 1 and 16383",
        &mut errors,
    );
    if args.failure_rate.is_some() {
        // The rate model judges all trial calls together by the rates; a success count would
        // silently mean nothing.
        if let Some(threshold) = args.success_threshold {
            errors.push(error_at(
                threshold.span,
                "`success_threshold` applies to the consecutive model; with `failure_rate` the half-open trial calls are judged by the rates once all `half_open_max_calls` of them complete",
            ));
        }
    } else {
        // The consecutive model closes after `success_threshold` successful trial calls, so
        // it must admit at least that many. A `success_threshold` out of range is already
        // reported, so it is not compared again.
        let needed = match (args.success_threshold, success_threshold) {
            (None, _) => Some((2, ", the default")),
            (Some(_), Some(needed)) => Some((needed, "")),
            (Some(_), None) => None,
        };
        if let (Some(permits), Some(written), Some((needed, default))) =
            (half_open_max_calls, args.half_open_max_calls, needed)
            && permits < needed
        {
            errors.push(error_at(
                written.span,
                format!(
                    "`half_open_max_calls` ({permits}) is below `success_threshold` ({needed}{default}): a half-open breaker would admit fewer trial calls than the successes it needs to close"
                ),
            ));
        }
    }

    errors.finish_with(CircuitBreakerLayer {
        common,
        failure_threshold,
        failure_rate,
        window,
        minimum_calls,
        slow_call_duration,
        slow_call_rate,
        recovery_timeout,
        recovery_backoff,
        max_recovery_timeout,
        success_threshold,
        half_open_max_calls,
        max_wait_in_half_open,
        record_if: args.record_if,
        ignore_if: args.ignore_if,
    })
}
