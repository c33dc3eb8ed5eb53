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
use resilience_syntax::rules::{KeyRule, Problem};
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

/// An integer key checked by its rule; out of range is one error at the value.
fn whole(
    value: Option<crate::value::Int>,
    rule: &KeyRule,
    errors: &mut darling::error::Accumulator,
) -> Option<u32> {
    let value = value?;
    match rule.check_whole(value.value) {
        Ok(value) => u32::try_from(value).ok(),
        Err(message) => {
            errors.push(error_at(value.span, message));
            None
        }
    }
}

/// A number key checked by its rule.
fn number(
    value: Option<crate::value::Float>,
    rule: &KeyRule,
    errors: &mut darling::error::Accumulator,
) -> Option<f64> {
    let value = value?;
    rule.check_number(value.value)
        .map_err(|message| errors.push(error_at(value.span, message)))
        .ok()
}

/// A duration key checked by its rule (not zero, for a positive one).
fn duration(
    value: Option<crate::value::DurationLit>,
    rule: &KeyRule,
    errors: &mut darling::error::Accumulator,
) -> Option<std::time::Duration> {
    let value = value?;
    rule.check_duration(value.value)
        .map_err(|message| errors.push(error_at(value.span, message)))
        .ok()
}

/// Reports a broken combination on the token of the key it names; true if it did.
fn report(
    problem: Option<Problem>,
    at: impl Fn(&str) -> Option<Span>,
    errors: &mut darling::error::Accumulator,
) -> bool {
    let Some(problem) = problem else {
        return false;
    };
    // Every rule names a key the attribute wrote, so its token is there.
    let span = at(problem.key).unwrap_or_else(Span::call_site);
    errors.push(error_at(span, problem.message));
    true
}
