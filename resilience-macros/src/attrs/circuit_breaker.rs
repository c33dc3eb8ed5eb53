//! `#[circuit_breaker(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use resilience_syntax::rules::circuit_breaker::{self as rules, View};
use resilience_syntax::rules::{InForce, Written};

use super::checked::{duration, number, whole};
use super::common::Common;
use super::error::report;
use super::items::from_items;
use super::rate_limit::Backend;
use crate::value::{Choice, DurationLit, Float, Int, Window};

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
    backend: Option<Choice<Backend>>,
    backend_timeout: Option<DurationLit>,
    record_if: Option<Path>,
    ignore_if: Option<Path>,
    record_if_ok: Option<Path>,
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
    /// The backend and where it was written.
    pub(crate) backend: Option<Choice<Backend>>,
    pub(crate) backend_timeout: Option<Duration>,
    pub(crate) record_if: Option<Path>,
    pub(crate) ignore_if: Option<Path>,
    /// `fn(&T) -> bool`: an `Ok` it flags counts as a failure.
    pub(crate) record_if_ok: Option<Path>,
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
            || self.backend.is_some()
            || self.backend_timeout.is_some()
    }

    /// Where `backend = "redis"` is written, if it is.
    pub(crate) fn redis_backend(&self) -> Option<Span> {
        self.backend
            .filter(|backend| backend.value == Backend::Redis)
            .map(|backend| backend.span)
    }
}

impl CircuitBreakerArgs {
    /// The keys written that take values.
    fn written(&self) -> Vec<&'static str> {
        [
            ("failure_threshold", self.failure_threshold.is_some()),
            ("failure_rate", self.failure_rate.is_some()),
            ("window", self.window.is_some()),
            ("minimum_calls", self.minimum_calls.is_some()),
            ("slow_call_duration", self.slow_call_duration.is_some()),
            ("slow_call_rate", self.slow_call_rate.is_some()),
            ("recovery_timeout", self.recovery_timeout.is_some()),
            ("recovery_backoff", self.recovery_backoff.is_some()),
            ("max_recovery_timeout", self.max_recovery_timeout.is_some()),
            ("success_threshold", self.success_threshold.is_some()),
            ("half_open_max_calls", self.half_open_max_calls.is_some()),
            (
                "max_wait_in_half_open",
                self.max_wait_in_half_open.is_some(),
            ),
            ("backend", self.backend.is_some()),
            ("backend_timeout", self.backend_timeout.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, written)| written.then_some(key))
        .collect()
    }

    /// Where the value of `key` is written.
    fn at(&self, key: &str) -> Option<Span> {
        let int = |value: &Option<Int>| value.map(|value| value.span);
        let duration = |value: &Option<DurationLit>| value.map(|value| value.span);
        match key {
            "failure_threshold" => int(&self.failure_threshold),
            "failure_rate" => int(&self.failure_rate),
            "window" => self.window.map(|window| window.span()),
            "minimum_calls" => int(&self.minimum_calls),
            "slow_call_duration" => duration(&self.slow_call_duration),
            "slow_call_rate" => int(&self.slow_call_rate),
            "recovery_timeout" => duration(&self.recovery_timeout),
            "recovery_backoff" => self.recovery_backoff.map(|value| value.span),
            "max_recovery_timeout" => duration(&self.max_recovery_timeout),
            "success_threshold" => int(&self.success_threshold),
            "half_open_max_calls" => int(&self.half_open_max_calls),
            "max_wait_in_half_open" => duration(&self.max_wait_in_half_open),
            "backend" => self.backend.map(|value| value.span),
            "backend_timeout" => duration(&self.backend_timeout),
            _ => None,
        }
    }

    /// What the combination rules look at: the written values, the defaults for the rest
    /// (said so in the messages). A count out of range is left out: it is reported on its
    /// own and not compared again.
    fn view<'a>(&self, written: &'a [&'a str]) -> View<'a> {
        View {
            set: Written(written),
            failure_rate: self.failure_rate.map(|rate| rate.value),
            slow_call_rate: self.slow_call_rate.map(|rate| rate.value),
            slow_call_duration: self.slow_call_duration.map(|duration| duration.value),
            recovery_timeout: self.recovery_timeout.map_or(
                InForce {
                    value: rules::DEFAULT_RECOVERY_TIMEOUT,
                    is_default: true,
                },
                |timeout| InForce {
                    value: timeout.value,
                    is_default: false,
                },
            ),
            recovery_backoff: self.recovery_backoff.map(|backoff| backoff.value),
            max_recovery_timeout: self.max_recovery_timeout.map(|max| max.value),
            success_threshold: match self.success_threshold {
                None => Some(InForce {
                    value: u64::from(rules::DEFAULT_SUCCESS_THRESHOLD),
                    is_default: true,
                }),
                Some(written) => rules::SUCCESS_THRESHOLD
                    .check_whole(written.value)
                    .ok()
                    .map(|value| InForce {
                        value,
                        is_default: false,
                    }),
            },
            half_open_max_calls: self
                .half_open_max_calls
                .and_then(|calls| rules::HALF_OPEN_MAX_CALLS.check_whole(calls.value).ok()),
            backend: match self.backend {
                Some(Choice {
                    value: Backend::Redis,
                    ..
                }) => "redis",
                _ => rules::BACKENDS[0],
            },
        }
    }
}

pub(super) fn parse(items: &[NestedMeta], _span: Span) -> darling::Result<CircuitBreakerLayer> {
    let args: CircuitBreakerArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let written = args.written();
    let view = args.view(&written);
    let at = |key: &str| args.at(key);
    let common = Common::new(args.name.clone(), args.krate.clone(), &mut errors);

    let failure_rate = whole(args.failure_rate, &rules::FAILURE_RATE, &mut errors);
    let slow_call_rate = whole(args.slow_call_rate, &rules::SLOW_CALL_RATE, &mut errors);
    let failure_threshold = whole(
        args.failure_threshold,
        &rules::FAILURE_THRESHOLD,
        &mut errors,
    );
    report(rules::one_trip_model(&view), at, &mut errors);

    let window = args.window.and_then(|window| {
        if report(rules::window_needs_rates(&view), at, &mut errors) {
            return None;
        }
        match window {
            Window::Calls(calls) => {
                whole(Some(calls), &rules::WINDOW, &mut errors).map(WindowSpec::Calls)
            }
            Window::Time(time) => {
                duration(Some(time), &rules::WINDOW, &mut errors).map(WindowSpec::Time)
            }
        }
    });

    let minimum_calls = args.minimum_calls.and_then(|minimum| {
        if report(rules::minimum_calls_needs_rates(&view), at, &mut errors) {
            return None;
        }
        whole(Some(minimum), &rules::MINIMUM_CALLS, &mut errors)
    });

    let slow_call_duration = duration(
        args.slow_call_duration,
        &rules::SLOW_CALL_DURATION,
        &mut errors,
    );
    report(rules::slow_call_duration_needs_rate(&view), at, &mut errors);
    report(rules::slow_call_rate_needs_duration(&view), at, &mut errors);

    let recovery_timeout = duration(args.recovery_timeout, &rules::RECOVERY_TIMEOUT, &mut errors);
    let recovery_backoff = number(args.recovery_backoff, &rules::RECOVERY_BACKOFF, &mut errors);
    let max_recovery_timeout = args.max_recovery_timeout.and_then(|max| {
        if report(
            rules::max_recovery_timeout_caps_backoff(&view),
            at,
            &mut errors,
        ) {
            return None;
        }
        duration(Some(max), &rules::MAX_RECOVERY_TIMEOUT, &mut errors)
    });
    let max_wait_in_half_open = duration(
        args.max_wait_in_half_open,
        &rules::MAX_WAIT_IN_HALF_OPEN,
        &mut errors,
    );
    let success_threshold = whole(
        args.success_threshold,
        &rules::SUCCESS_THRESHOLD,
        &mut errors,
    );
    let half_open_max_calls = whole(
        args.half_open_max_calls,
        &rules::HALF_OPEN_MAX_CALLS,
        &mut errors,
    );
    report(
        rules::success_threshold_is_consecutive(&view),
        at,
        &mut errors,
    );
    report(rules::half_open_admits_successes(&view), at, &mut errors);
    report(rules::backend_timeout_needs_remote(&view), at, &mut errors);
    let backend_timeout = duration(args.backend_timeout, &rules::BACKEND_TIMEOUT, &mut errors);

    errors.finish_with(CircuitBreakerLayer {
        common,
        failure_threshold,
        failure_rate,
        window,
        minimum_calls,
        backend: args.backend,
        backend_timeout,
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
        record_if_ok: args.record_if_ok,
    })
}
