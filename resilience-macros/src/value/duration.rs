//! Duration strings: `"250ms"`, `"2s"`, `"1m30s"`, `"1h"`, parsed by `resilience_syntax`.

use std::time::Duration;

use darling::{Error, FromMeta};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use resilience_syntax::{DURATION_EXPECTED as EXPECTED, duration_without_unit, parse_duration};
use syn::{Expr, Lit};

/// A duration literal, parsed at compile time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DurationLit {
    pub(crate) value: Duration,
    pub(crate) span: Span,
}

/// A `Duration` as a const expression.
pub(crate) fn duration_tokens(duration: Duration) -> TokenStream {
    let secs = duration.as_secs();
    let nanos = duration.subsec_nanos();
    quote!(::core::time::Duration::new(#secs, #nanos))
}

impl FromMeta for DurationLit {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(text) => parse_duration(&text.value())
                    .map(|value| Self {
                        value,
                        span: text.span(),
                    })
                    .map_err(|message| Error::custom(message).with_span(text)),
                Lit::Int(int) => {
                    Err(Error::custom(duration_without_unit(int.base10_digits())).with_span(int))
                }
                other => Err(Error::custom(EXPECTED).with_span(other)),
            },
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(Error::custom(EXPECTED).with_span(other)),
        }
    }
}
