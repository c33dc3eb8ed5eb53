//! Values kept as Rust syntax: expressions and the int-or-duration `window`.

use darling::{Error, FromMeta};
use resilience_syntax::rules::WINDOW_EXPECTED;
use syn::{Expr, Lit};

use super::duration::DurationLit;
use super::number::Int;

/// Any expression, taken as written (a string literal stays a string literal).
#[derive(Debug, Clone)]
pub(crate) struct RawExpr(pub(crate) Expr);

impl FromMeta for RawExpr {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        Ok(Self(expr.clone()))
    }
}

/// A breaker window: a number of calls, or a duration for a time-based window.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Window {
    Calls(Int),
    Time(DurationLit),
}

impl Window {
    pub(crate) fn span(&self) -> proc_macro2::Span {
        match self {
            Self::Calls(int) => int.span,
            Self::Time(duration) => duration.span,
        }
    }
}

impl FromMeta for Window {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(lit) if matches!(lit.lit, Lit::Str(_)) => {
                DurationLit::from_expr(expr).map(Self::Time)
            }
            Expr::Lit(lit) if matches!(lit.lit, Lit::Int(_)) => {
                Int::from_expr(expr).map(Self::Calls)
            }
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(Error::custom(WINDOW_EXPECTED).with_span(other)),
        }
    }
}
