//! `#[timeout("2s")]` or `#[timeout(duration = "2s")]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{Expr, ExprLit, Path};

use super::error::error_at;
use super::items::from_items;
use crate::value::DurationLit;

#[derive(FromMeta)]
struct TimeoutArgs {
    duration: Option<DurationLit>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[timeout]`.
pub(crate) struct TimeoutLayer {
    pub(crate) duration: Duration,
    pub(crate) krate: Option<Path>,
    /// The attribute's name, where a "timeout on a sync fn" error points.
    pub(crate) span: Span,
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<TimeoutLayer> {
    // The short form puts the duration first, as a bare string. Any other literal there
    // (e.g. `#[timeout(500)]`) is a duration of the wrong type: the duration parser says so,
    // with a did-you-mean.
    let (positional, rest) = match items.split_first() {
        Some((NestedMeta::Lit(lit), rest)) => (Some(lit.clone()), rest),
        _ => (None, items),
    };
    let args: TimeoutArgs = from_items(rest)?;
    let duration = match (positional, args.duration) {
        (Some(_), Some(named)) => {
            return Err(error_at(
                named.span,
                "the duration is given twice; keep either `#[timeout(\"2s\")]` or `duration = \"2s\"`",
            ));
        }
        (Some(lit), None) => DurationLit::from_expr(&Expr::Lit(ExprLit {
            attrs: Vec::new(),
            lit,
        }))?,
        (None, Some(named)) => named,
        (None, None) => {
            return Err(error_at(
                span,
                "`#[timeout]` needs a duration, e.g. `#[timeout(\"2s\")]`",
            ));
        }
    };
    if duration.value.is_zero() {
        return Err(error_at(
            duration.span,
            "a timeout must be greater than zero",
        ));
    }
    Ok(TimeoutLayer {
        duration: duration.value,
        krate: args.krate,
        span,
    })
}
