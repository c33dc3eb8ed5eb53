//! A hedge's `delay`: a duration string or a percentile's word, read by the rule
//! configuration reads it with (`resilience_syntax::rules::hedge::parse_delay`).

use darling::{Error, FromMeta};
use resilience_syntax::duration_without_unit;
use resilience_syntax::rules::hedge::{DELAY, DelayValue, parse_delay};
use syn::{Expr, Lit};

/// A `delay` literal, read at compile time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DelayLit {
    pub(crate) value: DelayValue,
}

impl FromMeta for DelayLit {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => parse_delay(&text.value())
                    .map(|value| Self { value })
                    .map_err(|message| Error::custom(message).with_span(text)),
                Lit::Int(int) => {
                    Err(Error::custom(duration_without_unit(int.base10_digits())).with_span(int))
                }
                other => {
                    Err(Error::custom(format!("expected {}", DELAY.accepted)).with_span(other))
                }
            },
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(Error::custom(format!("expected {}", DELAY.accepted)).with_span(other)),
        }
    }
}
