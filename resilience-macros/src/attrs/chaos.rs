//! `#[chaos(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{LitStr, Path};

use resilience_syntax::rules::Written;
use resilience_syntax::rules::chaos::{self as rules, View};

use super::checked::{duration, number};
use super::common::Common;
use super::error::{error_at, report};
use super::items::from_items;
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

impl ChaosArgs {
    /// The keys written (those the combination rules know).
    fn written(&self) -> Vec<&'static str> {
        [
            ("error_rate", self.error_rate.is_some()),
            ("error", self.error.is_some()),
            ("latency", self.latency.is_some()),
            ("latency_rate", self.latency_rate.is_some()),
            ("outage", self.outage.is_some()),
            ("period", self.period.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, written)| written.then_some(key))
        .collect()
    }

    /// Where the value of `key` is written.
    fn at(&self, key: &str) -> Option<Span> {
        match key {
            "error_rate" => self.error_rate.map(|value| value.span),
            "error" => self.error.as_ref().map(Spanned::span),
            "latency_rate" => self.latency_rate.map(|value| value.span),
            "outage" => self.outage.map(|value| value.span),
            "period" => self.period.map(|value| value.span),
            _ => None,
        }
    }
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<ChaosLayer> {
    let args: ChaosArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let written = args.written();
    let at = |key: &str| args.at(key);
    let common = Common::new(args.name.clone(), args.krate.clone(), &mut errors);

    if written.is_empty() {
        errors.push(error_at(
            span,
            "`#[chaos]` needs a fault to inject: `error_rate`, `latency` or `outage`, e.g. \
             `#[chaos(error_rate = 0.2, error = MyError::injected)]`",
        ));
    }
    let mut view = View {
        set: Written(&written),
        outage: None,
        period: None,
    };

    let error_rate = number(args.error_rate, &rules::ERROR_RATE, &mut errors);

    let latency = duration(args.latency, &rules::LATENCY, &mut errors);
    let latency_rate = if report(rules::latency_rate_needs_latency(&view), at, &mut errors) {
        None
    } else {
        number(args.latency_rate, &rules::LATENCY_RATE, &mut errors)
    };

    let outage = if report(rules::outage_needs_period(&view), at, &mut errors)
        || report(rules::period_needs_outage(&view), at, &mut errors)
    {
        None
    } else {
        view.outage = duration(args.outage, &rules::OUTAGE, &mut errors);
        view.period = duration(args.period, &rules::PERIOD, &mut errors);
        if report(rules::outage_shorter_than_period(&view), at, &mut errors) {
            None
        } else {
            view.outage.zip(view.period)
        }
    };

    // Errors are injected by `error_rate` or an outage; either needs `error`, and `error`
    // needs one of them.
    report(rules::injected_errors_need_error(&view), at, &mut errors);
    report(rules::error_needs_injected_errors(&view), at, &mut errors);

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
