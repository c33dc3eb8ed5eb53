//! `#[chaos(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{LitStr, Path};

use super::{Common, error_at, from_items, non_zero};
use crate::value::{DurationLit, Float, Int};

#[derive(FromMeta)]
struct ChaosArgs {
    error_rate: Option<Float>,
    error: Option<Path>,
    latency: Option<DurationLit>,
    latency_rate: Option<Float>,
    outage: Option<DurationLit>,
    period: Option<DurationLit>,
    seed: Option<Int>,
    name: Option<LitStr>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[chaos]`.
pub(crate) struct ChaosLayer {
    pub(crate) common: Common,
    pub(crate) error_rate: Option<f64>,
    /// The `fn() -> E` that builds the injected error; present whenever errors are injected.
    pub(crate) error: Option<Path>,
    pub(crate) latency: Option<Duration>,
    pub(crate) latency_rate: Option<f64>,
    /// `(outage, period)`.
    pub(crate) outage: Option<(Duration, Duration)>,
    pub(crate) seed: Option<u64>,
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<ChaosLayer> {
    let args: ChaosArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let common = Common::new(args.name, args.krate, &mut errors);

    let any_fault_key = args.error_rate.is_some()
        || args.error.is_some()
        || args.latency.is_some()
        || args.latency_rate.is_some()
        || args.outage.is_some()
        || args.period.is_some();
    if !any_fault_key {
        errors.push(error_at(
            span,
            "`#[chaos]` needs a fault to inject: `error_rate`, `latency` or `outage`, e.g. \
             `#[chaos(error_rate = 0.2, error = MyError::injected)]`",
        ));
    }

    let error_rate = fraction(args.error_rate, "error_rate", &mut errors);

    let latency = non_zero(args.latency, "latency", &mut errors);
    let latency_rate = match (args.latency_rate, args.latency) {
        (Some(rate), None) => {
            errors.push(error_at(
                rate.span,
                "`latency_rate` needs `latency`, the delay it injects, e.g. `latency = \"200ms\"`",
            ));
            None
        }
        (rate, _) => fraction(rate, "latency_rate", &mut errors),
    };

    let outage = match (args.outage, args.period) {
        (Some(outage), None) => {
            errors.push(error_at(
                outage.span,
                "`outage` needs `period`: the outage recurs at the start of every period, \
                 e.g. `outage = \"5s\", period = \"60s\"`",
            ));
            None
        }
        (None, Some(period)) => {
            errors.push(error_at(
                period.span,
                "`period` only applies to an `outage`, e.g. `outage = \"5s\", period = \"60s\"`",
            ));
            None
        }
        (Some(outage_lit), Some(period_lit)) => {
            let outage = non_zero(Some(outage_lit), "outage", &mut errors);
            let period = non_zero(Some(period_lit), "period", &mut errors);
            match (outage, period) {
                (Some(outage), Some(period)) if outage >= period => {
                    errors.push(error_at(
                        outage_lit.span,
                        format!(
                            "`outage` ({outage:?}) must be shorter than `period` ({period:?}), \
                             or the service is never up"
                        ),
                    ));
                    None
                }
                (Some(outage), Some(period)) => Some((outage, period)),
                _ => None,
            }
        }
        (None, None) => None,
    };

    // Errors are injected by `error_rate` or an outage; either needs `error`, and `error`
    // needs one of them.
    let fails_at = args
        .error_rate
        .map(|rate| (rate.span, "error_rate"))
        .or_else(|| args.outage.map(|outage| (outage.span, "outage")));
    match (&args.error, fails_at) {
        (None, Some((at, key))) => errors.push(error_at(
            at,
            format!(
                "`{key}` needs `error`: a path to a `fn() -> E` that builds the injected error \
                 (E being the fn's error type), e.g. `error = MyError::injected`"
            ),
        )),
        (Some(path), None) => errors.push(error_at(
            path.span(),
            "`error` is only used with `error_rate` or `outage`; remove it or add one of them",
        )),
        _ => {}
    }

    errors.finish_with(ChaosLayer {
        common,
        error_rate,
        error: args.error,
        latency,
        latency_rate,
        outage,
        seed: args.seed.map(|seed| seed.value),
    })
}

/// A rate key: a fraction of calls from 0.0 to 1.0.
fn fraction(
    value: Option<Float>,
    key: &str,
    errors: &mut darling::error::Accumulator,
) -> Option<f64> {
    let value = value?;
    if (0.0..=1.0).contains(&value.value) {
        return Some(value.value);
    }
    // A whole number of percent, e.g. `20`, is a likely slip.
    let hint = if value.value >= 2.0 && value.value <= 100.0 && value.value.fract() == 0.0 {
        format!(": for {}%, write `{}`", value.value, value.value / 100.0)
    } else {
        String::new()
    };
    errors.push(error_at(
        value.span,
        format!("`{key}` is a fraction of calls from 0.0 to 1.0{hint}"),
    ));
    None
}
