//! Percentage strings: `"20%"`, parsed by `resilience_syntax`.

use darling::{Error, FromMeta};
use resilience_syntax::{PERCENT_EXPECTED as EXPECTED, parse_percent};
use syn::{Expr, Lit};

/// A percentage literal, greater than 0 and at most 100.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PercentLit {
    pub(crate) value: f64,
}

impl FromMeta for PercentLit {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => parse_percent(&text.value())
                    .map(|value| Self { value })
                    .map_err(|message| Error::custom(message).with_span(text)),
                // `budget = 20`: the number is right, the form is not.
                Lit::Int(int) => Err(Error::custom(format!(
                    "expected a percentage string: write \"{}%\"",
                    int.base10_digits()
                ))
                .with_span(int)),
                other => Err(Error::custom(EXPECTED).with_span(other)),
            },
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(Error::custom(EXPECTED).with_span(other)),
        }
    }
}
