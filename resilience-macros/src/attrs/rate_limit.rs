//! `#[rate_limit(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use super::{Common, bounded, error_at, from_items};
use crate::value::{Choice, DurationLit, Int, Keyword, RateLit, RawExpr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnLimit {
    Wait,
    Reject,
}

impl Keyword for OnLimit {
    const KEY: &'static str = "on_limit";
    const ALL: &'static [(&'static str, Self)] = &[("wait", Self::Wait), ("reject", Self::Reject)];
}

#[derive(FromMeta)]
struct RateLimitArgs {
    name: Option<LitStr>,
    rate: Option<RateLit>,
    burst: Option<Int>,
    on_limit: Option<Choice<OnLimit>>,
    max_wait: Option<DurationLit>,
    key: Option<RawExpr>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[rate_limit]`.
pub(crate) struct RateLimitLayer {
    pub(crate) common: Common,
    /// `(count, period)`; `None` only when the site adopts a limiter declared elsewhere.
    pub(crate) rate: Option<(u32, Duration)>,
    pub(crate) burst: Option<u32>,
    pub(crate) on_limit: Option<OnLimit>,
    pub(crate) max_wait: Option<Duration>,
    pub(crate) key: Option<syn::Expr>,
}

impl RateLimitLayer {
    /// Whether the site declares a configuration, or only names a limiter declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.rate.is_some()
    }
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<RateLimitLayer> {
    let args: RateLimitArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let common = Common::new(args.name, args.krate, &mut errors);
    let configures = args.burst.is_some() || args.on_limit.is_some() || args.max_wait.is_some();
    if args.rate.is_none() && (common.name.is_none() || configures) {
        errors.push(error_at(
            span,
            "`#[rate_limit]` needs a `rate`, e.g. `#[rate_limit(rate = \"100/s\")]`",
        ));
    }
    let burst = bounded(
        args.burst,
        1,
        u64::from(u32::MAX),
        "`burst` must be at least 1",
        &mut errors,
    );
    let on_limit = args.on_limit.map(|choice| choice.value);
    if let (Some(OnLimit::Reject), Some(max_wait)) = (on_limit, args.max_wait) {
        errors.push(error_at(
            max_wait.span,
            "`max_wait` only applies to `on_limit = \"wait\"`; a rejecting limiter never waits",
        ));
    }
    errors.finish_with(RateLimitLayer {
        common,
        rate: args.rate.map(|rate| (rate.count, rate.period)),
        burst,
        on_limit,
        max_wait: args.max_wait.map(|wait| wait.value),
        key: args.key.map(|key| key.0),
    })
}
