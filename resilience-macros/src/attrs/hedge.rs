//! `#[hedge(..)]`.

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use resilience_syntax::rules::hedge::{self as rules, DelayValue};

use super::checked::whole;
use super::common::Common;
use super::error::error_at;
use super::items::from_items;
use crate::value::{DelayLit, Int};

#[derive(FromMeta)]
struct HedgeArgs {
    delay: Option<DelayLit>,
    max_hedges: Option<Int>,
    name: Option<LitStr>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[hedge]`.
pub(crate) struct HedgeLayer {
    pub(crate) common: Common,
    /// `None` only when the site adopts a hedge declared elsewhere.
    pub(crate) delay: Option<DelayValue>,
    pub(crate) max_hedges: Option<u32>,
    /// The attribute's name, where a "hedge on a sync fn" error points.
    pub(crate) span: Span,
}

impl HedgeLayer {
    /// Whether the site declares a configuration, or only names a hedge declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.delay.is_some()
    }
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<HedgeLayer> {
    let args: HedgeArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let common = Common::new(args.name, args.krate, &mut errors);
    if args.delay.is_none() && (common.name.is_none() || args.max_hedges.is_some()) {
        errors.push(error_at(
            span,
            "`#[hedge]` needs `delay`: a duration or a percentile of the latencies seen, e.g. \
             `#[hedge(delay = \"50ms\")]` or `#[hedge(delay = \"p95\")]`",
        ));
    }
    let max_hedges = whole(args.max_hedges, &rules::MAX_HEDGES, &mut errors);
    errors.finish_with(HedgeLayer {
        common,
        delay: args.delay.map(|delay| delay.value),
        max_hedges,
        span,
    })
}
