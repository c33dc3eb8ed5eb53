//! Keyword strings such as `backoff = "exponential"`, with did-you-mean on a typo.

use darling::{Error, FromMeta};
use proc_macro2::Span;
use resilience_syntax::rules::{KeyRule, expects_one_of, unknown_word};
use syn::{Expr, Lit};

/// A closed set of keywords accepted as a string literal.
pub(crate) trait Keyword: Sized + Copy + PartialEq + 'static {
    /// The key's rule: its name and its words (for messages, did-you-mean and parsing).
    const RULE: &'static KeyRule;

    /// The value a word of the rule's list names.
    fn named(word: &str) -> Option<Self>;

    /// The word of the rule's list that names this value.
    fn word(self) -> &'static str {
        Self::RULE
            .words()
            .iter()
            .copied()
            .find(|word| Self::named(word) == Some(self))
            .unwrap_or_default()
    }
}

/// A parsed keyword and where it was written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Choice<K> {
    pub(crate) value: K,
    pub(crate) span: Span,
}

impl<K: Keyword> FromMeta for Choice<K> {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        let (key, words) = (K::RULE.key, K::RULE.words());
        let Expr::Lit(lit) = expr else {
            if let Expr::Group(group) = expr {
                return Self::from_expr(&group.expr);
            }
            return Err(Error::custom(expects_one_of(key, words)).with_span(expr));
        };
        let Lit::Str(text) = &lit.lit else {
            return Err(Error::custom(expects_one_of(key, words)).with_span(lit));
        };
        let value = text.value();
        if let Some(kind) = words
            .iter()
            .find(|word| **word == value)
            .and_then(|word| K::named(word))
        {
            return Ok(Self {
                value: kind,
                span: text.span(),
            });
        }
        Err(Error::custom(unknown_word(key, &value, words)).with_span(text))
    }
}
