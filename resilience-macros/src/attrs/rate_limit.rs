//! `#[rate_limit(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use super::{Common, bounded, error_at, from_items, non_zero};
use crate::value::{Choice, DurationLit, Int, Keyword, RateLit, RawExpr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnLimit {
    Wait,
    Reject,
    Queue,
}

impl Keyword for OnLimit {
    const KEY: &'static str = "on_limit";
    const ALL: &'static [(&'static str, Self)] = &[
        ("wait", Self::Wait),
        ("reject", Self::Reject),
        ("queue", Self::Queue),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Local,
    Redis,
}

impl Keyword for Backend {
    const KEY: &'static str = "backend";
    const ALL: &'static [(&'static str, Self)] = &[("local", Self::Local), ("redis", Self::Redis)];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnBackendError {
    Allow,
    Deny,
    Local,
}

impl Keyword for OnBackendError {
    const KEY: &'static str = "on_backend_error";
    const ALL: &'static [(&'static str, Self)] = &[
        ("allow", Self::Allow),
        ("deny", Self::Deny),
        ("local", Self::Local),
    ];
}

#[derive(FromMeta)]
struct RateLimitArgs {
    name: Option<LitStr>,
    rate: Option<RateLit>,
    burst: Option<Int>,
    on_limit: Option<Choice<OnLimit>>,
    max_wait: Option<DurationLit>,
    max_queue: Option<Int>,
    key: Option<RawExpr>,
    max_keys: Option<Int>,
    idle_ttl: Option<DurationLit>,
    backend: Option<Choice<Backend>>,
    on_backend_error: Option<Choice<OnBackendError>>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

impl RateLimitArgs {
    /// Whether any key beyond `name`, `key` and `crate` is given: a configuration.
    fn configures(&self) -> bool {
        self.burst.is_some()
            || self.on_limit.is_some()
            || self.max_wait.is_some()
            || self.max_queue.is_some()
            || self.max_keys.is_some()
            || self.idle_ttl.is_some()
            || self.backend.is_some()
            || self.on_backend_error.is_some()
    }
}

/// A validated `#[rate_limit]`.
pub(crate) struct RateLimitLayer {
    pub(crate) common: Common,
    /// `(count, period)`; `None` only when the site adopts a limiter declared elsewhere.
    pub(crate) rate: Option<(u32, Duration)>,
    pub(crate) burst: Option<u32>,
    pub(crate) on_limit: Option<OnLimit>,
    pub(crate) max_wait: Option<Duration>,
    pub(crate) max_queue: Option<u32>,
    pub(crate) key: Option<syn::Expr>,
    pub(crate) max_keys: Option<u32>,
    pub(crate) idle_ttl: Option<Duration>,
    /// The backend and where it was written.
    pub(crate) backend: Option<Choice<Backend>>,
    pub(crate) on_backend_error: Option<OnBackendError>,
}

impl RateLimitLayer {
    /// Whether the site declares a configuration, or only names a limiter declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.rate.is_some()
    }

    /// Where `backend = "redis"` is written, if it is.
    pub(crate) fn redis_backend(&self) -> Option<Span> {
        self.backend
            .filter(|backend| backend.value == Backend::Redis)
            .map(|backend| backend.span)
    }
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<RateLimitLayer> {
    let args: RateLimitArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    if args.rate.is_none() && (args.name.is_none() || args.configures()) {
        errors.push(error_at(
            span,
            "`#[rate_limit]` needs a `rate`, e.g. `#[rate_limit(rate = \"100/s\")]`",
        ));
    }
    let common = Common::new(args.name, args.krate, &mut errors);
    let burst = bounded(
        args.burst,
        1,
        u64::from(u32::MAX),
        "`burst` must be at least 1",
        &mut errors,
    );
    let on_limit = args.on_limit.map(|choice| choice.value);
    if let (Some(OnLimit::Reject), Some(max_wait)) = (on_limit, args.max_wait) {
        errors.push(error_at(
            max_wait.span,
            "`max_wait` only applies to `on_limit = \"wait\"` or `\"queue\"`; a rejecting \
             limiter never waits",
        ));
    }
    if let Some(max_queue) = args.max_queue
        && on_limit != Some(OnLimit::Queue)
    {
        errors.push(error_at(
            max_queue.span,
            "`max_queue` only applies to `on_limit = \"queue\"`",
        ));
    }
    let max_queue = bounded(
        args.max_queue,
        1,
        u64::from(u32::MAX),
        "`max_queue` must be at least 1; use `on_limit = \"reject\"` for a limiter that never \
         waits",
        &mut errors,
    );
    for (given, key) in [
        (args.max_keys.map(|value| value.span), "max_keys"),
        (args.idle_ttl.map(|value| value.span), "idle_ttl"),
    ] {
        if let Some(at) = given
            && args.key.is_none()
        {
            errors.push(error_at(
                at,
                format!("`{key}` only applies to per-key limits: add `key = <expression>`"),
            ));
        }
    }
    let max_keys = bounded(
        args.max_keys,
        1,
        u64::from(u32::MAX),
        "`max_keys` must be at least 1",
        &mut errors,
    );
    let idle_ttl = non_zero(args.idle_ttl, "idle_ttl", &mut errors);
    let on_backend_error = args.on_backend_error.map(|choice| {
        if args
            .backend
            .is_none_or(|backend| backend.value == Backend::Local)
        {
            errors.push(error_at(
                choice.span,
                "`on_backend_error` only applies to a remote backend, e.g. `backend = \"redis\"`",
            ));
        }
        choice.value
    });
    errors.finish_with(RateLimitLayer {
        common,
        rate: args.rate.map(|rate| (rate.count, rate.period)),
        burst,
        on_limit,
        max_wait: args.max_wait.map(|wait| wait.value),
        max_queue,
        key: args.key.map(|key| key.0),
        max_keys,
        idle_ttl,
        backend: args.backend,
        on_backend_error,
    })
}
