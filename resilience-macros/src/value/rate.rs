//! Rate strings: `"N/s"`, `"N/min"`, `"N/h"`, `"N/day"`, `"N/250ms"`, parsed by `resilience_syntax`;
//! a floor may also be `"0/s"`; a quota's limit reads the same grammar in its own words.

use std::time::Duration;

use darling::{Error, FromMeta};
use resilience_syntax::{RATE_EXPECTED as EXPECTED, parse_rate, parse_rate_from_zero};
use syn::{Expr, Lit};

/// A rate literal: `count` permits per `period`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateLit {
    pub(crate) count: u32,
    pub(crate) period: Duration,
}

impl FromMeta for RateLit {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => parse_rate(&text.value())
                    .map(|(count, period)| Self { count, period })
                    .map_err(|message| Error::custom(message).with_span(text)),
                other => Err(Error::custom(EXPECTED).with_span(other)),
            },
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(Error::custom(EXPECTED).with_span(other)),
        }
    }
}

/// A rate literal that may be zero (`"0/s"`): a floor, such as a retry budget's minimum.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FloorRateLit {
    pub(crate) count: u32,
    pub(crate) period: Duration,
    pub(crate) span: proc_macro2::Span,
}

impl FromMeta for FloorRateLit {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => parse_rate_from_zero(&text.value())
                    .map(|(count, period)| Self {
                        count,
                        period,
                        span: text.span(),
                    })
                    .map_err(|message| Error::custom(message).with_span(text)),
                other => Err(Error::custom(EXPECTED).with_span(other)),
            },
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(Error::custom(EXPECTED).with_span(other)),
        }
    }
}

/// A quota's limit literal (`"1000/day"`): a rate's grammar, with a limit's words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LimitLit {
    pub(crate) count: u32,
    pub(crate) period: Duration,
}

impl FromMeta for LimitLit {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        use resilience_syntax::rules::quota::{LIMIT_EXPECTED, parse_limit};
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => parse_limit(&text.value())
                    .map(|(count, period)| Self { count, period })
                    .map_err(|message| Error::custom(message).with_span(text)),
                other => Err(Error::custom(LIMIT_EXPECTED).with_span(other)),
            },
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(Error::custom(LIMIT_EXPECTED).with_span(other)),
        }
    }
}
