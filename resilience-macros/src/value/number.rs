//! Numeric attribute values that remember where they were written.

use darling::{Error, FromMeta};
use proc_macro2::Span;
use resilience_syntax::rules::{NOT_A_NEGATIVE, NUMBER_EXPECTED, number_in_string};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

/// A non-negative integer literal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Int {
    pub(crate) value: u64,
    pub(crate) span: Span,
}

impl FromMeta for Int {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Int(int) => int
                    .base10_parse::<u64>()
                    .map(|value| Self {
                        value,
                        span: int.span(),
                    })
                    .map_err(|_| Error::custom("number too large").with_span(int)),
                Lit::Str(text) => Err(quoted_number::<u64>(text).with_span(text)),
                other => Err(Error::custom("expected a whole number, e.g. `5`").with_span(other)),
            },
            Expr::Unary(_) => Err(Error::custom(NOT_A_NEGATIVE).with_span(expr)),
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => {
                Err(Error::custom("expected a whole number literal, e.g. `5`").with_span(other))
            }
        }
    }
}

/// A number literal, integer or float (`2` and `2.0` both read as 2.0).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Float {
    pub(crate) value: f64,
    pub(crate) span: Span,
}

impl FromMeta for Float {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let parsed = match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Int(int) => int.base10_parse::<f64>().ok(),
                Lit::Float(float) => float.base10_parse::<f64>().ok(),
                Lit::Str(text) => return Err(quoted_number::<f64>(text).with_span(text)),
                _ => None,
            },
            Expr::Group(group) => return Self::from_expr(&group.expr),
            _ => None,
        };
        match parsed {
            Some(value) if value.is_finite() => Ok(Self {
                value,
                span: expr.span(),
            }),
            _ => Err(Error::custom(NUMBER_EXPECTED).with_span(expr)),
        }
    }
}

/// The error for a number written as a string: a did-you-mean without the quotes when the
/// string holds a number of the key's type.
fn quoted_number<N: std::str::FromStr>(text: &syn::LitStr) -> Error {
    Error::custom(number_in_string(&text.value(), |value| {
        value.parse::<N>().is_ok()
    }))
}
