//! `#[bulkhead(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use resilience_syntax::rules::bulkhead as rules;

use super::checked::{duration, whole};
use super::common::Common;
use super::error::error_at;
use super::items::from_items;
use crate::value::{DurationLit, Int};

#[derive(FromMeta)]
struct BulkheadArgs {
    name: Option<LitStr>,
    max_concurrent: Option<Int>,
    max_wait: Option<DurationLit>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[bulkhead]`.
pub(crate) struct BulkheadLayer {
    pub(crate) common: Common,
    /// `None` only when the site adopts a bulkhead declared elsewhere.
    pub(crate) max_concurrent: Option<u32>,
    pub(crate) max_wait: Option<Duration>,
}

impl BulkheadLayer {
    /// Whether the site declares a configuration, or only names a bulkhead declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.max_concurrent.is_some()
    }
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<BulkheadLayer> {
    let args: BulkheadArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let common = Common::new(args.name, args.krate, &mut errors);
    if args.max_concurrent.is_none() && (common.name.is_none() || args.max_wait.is_some()) {
        errors.push(error_at(
            span,
            "`#[bulkhead]` needs `max_concurrent`, e.g. `#[bulkhead(max_concurrent = 16)]`",
        ));
    }
    let max_concurrent = whole(args.max_concurrent, &rules::MAX_CONCURRENT, &mut errors);
    let max_wait = duration(args.max_wait, &rules::MAX_WAIT, &mut errors);
    errors.finish_with(BulkheadLayer {
        common,
        max_concurrent,
        max_wait,
    })
}
