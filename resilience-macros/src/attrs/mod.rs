//! Parse and validate: one darling struct per attribute, checked into a [`Layer`].
//!
//! Parsing turns tokens into typed values (a malformed duration is already an error here);
//! validation checks ranges and combinations, one rule per check, each error spanned on the
//! token it is about.

mod bulkhead;
mod chaos;
mod circuit_breaker;
mod fallback;
mod rate_limit;
mod retry;
mod timeout;

use darling::ast::NestedMeta;
use darling::{Error, FromMeta};
use proc_macro2::{Span, TokenStream};
use syn::{LitStr, Path};

pub(crate) use bulkhead::BulkheadLayer;
pub(crate) use chaos::ChaosLayer;
pub(crate) use circuit_breaker::{CircuitBreakerLayer, WindowSpec};
pub(crate) use fallback::FallbackLayer;
pub(crate) use rate_limit::{Backend, OnBackendError, OnLimit, RateLimitLayer};
pub(crate) use retry::{Backoff, Jitter, Preset, RetryLayer};
pub(crate) use timeout::TimeoutLayer;

/// Which resilience attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Retry,
    CircuitBreaker,
    RateLimit,
    Timeout,
    Bulkhead,
    Fallback,
    Chaos,
}

impl Kind {
    const ALL: [Self; 7] = [
        Self::Retry,
        Self::CircuitBreaker,
        Self::RateLimit,
        Self::Timeout,
        Self::Bulkhead,
        Self::Fallback,
        Self::Chaos,
    ];

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::CircuitBreaker => "circuit_breaker",
            Self::RateLimit => "rate_limit",
            Self::Timeout => "timeout",
            Self::Bulkhead => "bulkhead",
            Self::Fallback => "fallback",
            Self::Chaos => "chaos",
        }
    }

    /// Recognises a sibling attribute: `#[retry]`, or `#[resilience_runtime::retry]` and the
    /// like (any path through a crate whose name mentions `resilience`, or through `krate`).
    pub(crate) fn of_path(path: &Path, krate: Option<&Path>) -> Option<Self> {
        let last = path.segments.last()?.ident.to_string();
        let kind = Self::ALL.into_iter().find(|kind| kind.name() == last)?;
        if path.segments.len() == 1 && path.leading_colon.is_none() {
            return Some(kind);
        }
        let prefix: Vec<String> = path
            .segments
            .iter()
            .take(path.segments.len() - 1)
            .map(|segment| segment.ident.to_string())
            .collect();
        let through_krate = krate.is_some_and(|krate| {
            krate
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .eq(prefix.iter().cloned())
        });
        let through_us = prefix.iter().any(|segment| segment.contains("resilience"));
        (through_krate || through_us).then_some(kind)
    }
}

/// One attribute as written: its kind, where its name is, and its arguments.
pub(crate) struct AttrInput {
    pub(crate) kind: Kind,
    pub(crate) span: Span,
    pub(crate) args: TokenStream,
}

/// One validated layer of the stack.
pub(crate) enum Layer {
    Retry(RetryLayer),
    CircuitBreaker(CircuitBreakerLayer),
    RateLimit(RateLimitLayer),
    Timeout(TimeoutLayer),
    Bulkhead(BulkheadLayer),
    Fallback(FallbackLayer),
    Chaos(ChaosLayer),
}

impl Layer {
    /// The `crate = "path"` override written on this layer, if any.
    pub(crate) fn krate(&self) -> Option<&Path> {
        match self {
            Self::Retry(layer) => layer.common.krate.as_ref(),
            Self::CircuitBreaker(layer) => layer.common.krate.as_ref(),
            Self::RateLimit(layer) => layer.common.krate.as_ref(),
            Self::Timeout(layer) => layer.krate.as_ref(),
            Self::Bulkhead(layer) => layer.common.krate.as_ref(),
            Self::Fallback(layer) => layer.krate.as_ref(),
            Self::Chaos(layer) => layer.common.krate.as_ref(),
        }
    }
}

/// Parses and validates one attribute.
pub(crate) fn parse(input: &AttrInput) -> darling::Result<Layer> {
    let items = NestedMeta::parse_meta_list(input.args.clone())?;
    match input.kind {
        Kind::Retry => retry::parse(&items, input.span).map(Layer::Retry),
        Kind::CircuitBreaker => {
            circuit_breaker::parse(&items, input.span).map(Layer::CircuitBreaker)
        }
        Kind::RateLimit => rate_limit::parse(&items, input.span).map(Layer::RateLimit),
        Kind::Timeout => timeout::parse(&items, input.span).map(Layer::Timeout),
        Kind::Bulkhead => bulkhead::parse(&items, input.span).map(Layer::Bulkhead),
        Kind::Fallback => fallback::parse(&items, input.span).map(Layer::Fallback),
        Kind::Chaos => chaos::parse(&items, input.span).map(Layer::Chaos),
    }
}

/// Keys every named policy shares: `name` and `crate`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Common {
    pub(crate) name: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

impl Common {
    fn new(
        name: Option<LitStr>,
        krate: Option<Path>,
        errors: &mut darling::error::Accumulator,
    ) -> Self {
        if let Some(name) = &name
            && name.value().trim().is_empty()
        {
            errors.push(Error::custom("`name` must not be empty").with_span(name));
        }
        Self { name, krate }
    }
}

/// Shorthand for a spanned error.
pub(crate) fn error_at(span: Span, message: impl std::fmt::Display) -> Error {
    Error::custom(message).with_span(&span)
}

/// Parses a darling struct from the attribute's items.
fn from_items<T: FromMeta>(items: &[NestedMeta]) -> darling::Result<T> {
    T::from_list(items)
}

/// An integer key that must lie in `min..=max`; out of range is one error at the value.
fn bounded(
    value: Option<crate::value::Int>,
    min: u64,
    max: u64,
    message: &str,
    errors: &mut darling::error::Accumulator,
) -> Option<u32> {
    let value = value?;
    if value.value < min || value.value > max {
        errors.push(error_at(value.span, message));
        return None;
    }
    u32::try_from(value.value).ok()
}

/// A duration key that must not be zero.
fn non_zero(
    value: Option<crate::value::DurationLit>,
    key: &str,
    errors: &mut darling::error::Accumulator,
) -> Option<std::time::Duration> {
    let value = value?;
    if value.value.is_zero() {
        errors.push(error_at(
            value.span,
            format!("`{key}` must be greater than zero"),
        ));
        return None;
    }
    Some(value.value)
}
