//! Keyword strings such as `backoff = "exponential"`, with did-you-mean on a typo.

use darling::{Error, FromMeta};
use proc_macro2::Span;
use syn::{Expr, Lit};

use super::did_you_mean;

/// A closed set of keywords accepted as a string literal.
pub(crate) trait Keyword: Sized + Copy + 'static {
    /// The attribute key, for messages.
    const KEY: &'static str;
    /// Every accepted spelling, with its value.
    const ALL: &'static [(&'static str, Self)];
}

/// A parsed keyword and where it was written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Choice<K> {
    pub(crate) value: K,
    pub(crate) span: Span,
}

impl<K: Keyword> FromMeta for Choice<K> {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let names: Vec<&str> = K::ALL.iter().map(|(name, _)| *name).collect();
        let expected = names
            .iter()
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let Expr::Lit(lit) = expr else {
            if let Expr::Group(group) = expr {
                return Self::from_expr(&group.expr);
            }
            return Err(
                Error::custom(format!("`{}` expects one of {expected}", K::KEY)).with_span(expr),
            );
        };
        let Lit::Str(text) = &lit.lit else {
            return Err(
                Error::custom(format!("`{}` expects one of {expected}", K::KEY)).with_span(lit),
            );
        };
        let value = text.value();
        if let Some((_, kind)) = K::ALL.iter().find(|(name, _)| *name == value) {
            return Ok(Self {
                value: *kind,
                span: text.span(),
            });
        }
        let mut message = format!("unknown {} \"{value}\"; expected one of {expected}", K::KEY);
        if let Some(close) = did_you_mean(&value, &names) {
            message = format!("unknown {} \"{value}\"; did you mean \"{close}\"?", K::KEY);
        }
        Err(Error::custom(message).with_span(text))
    }
}
