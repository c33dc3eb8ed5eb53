//! `#[rate_limit(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use resilience_syntax::rules::rate_limit::{self as rules, View};
use resilience_syntax::rules::{KeyRule, Written};

use super::checked::{duration, whole};
use super::common::Common;
use super::error::{error_at, report};
use super::items::from_items;
use crate::value::{Choice, DurationLit, Int, Keyword, RateLit, RawExpr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnLimit {
    Wait,
    Reject,
    Queue,
}

impl Keyword for OnLimit {
    const RULE: &'static KeyRule = &rules::ON_LIMIT_KEY;

    fn named(word: &str) -> Option<Self> {
        match word {
            "wait" => Some(Self::Wait),
            "reject" => Some(Self::Reject),
            "queue" => Some(Self::Queue),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Local,
    Redis,
}

impl Keyword for Backend {
    const RULE: &'static KeyRule = &rules::BACKEND;

    fn named(word: &str) -> Option<Self> {
        match word {
            "local" => Some(Self::Local),
            "redis" => Some(Self::Redis),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnBackendError {
    Allow,
    Deny,
    Local,
}

impl Keyword for OnBackendError {
    const RULE: &'static KeyRule = &rules::ON_BACKEND_ERROR_KEY;

    fn named(word: &str) -> Option<Self> {
        match word {
            "allow" => Some(Self::Allow),
            "deny" => Some(Self::Deny),
            "local" => Some(Self::Local),
            _ => None,
        }
    }
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
    backend_timeout: Option<DurationLit>,
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
            || self.backend_timeout.is_some()
    }

    /// The keys written that take values.
    fn written(&self) -> Vec<&'static str> {
        [
            ("rate", self.rate.is_some()),
            ("burst", self.burst.is_some()),
            ("on_limit", self.on_limit.is_some()),
            ("max_wait", self.max_wait.is_some()),
            ("max_queue", self.max_queue.is_some()),
            ("max_keys", self.max_keys.is_some()),
            ("idle_ttl", self.idle_ttl.is_some()),
            ("backend", self.backend.is_some()),
            ("on_backend_error", self.on_backend_error.is_some()),
            ("backend_timeout", self.backend_timeout.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, written)| written.then_some(key))
        .collect()
    }

    /// Where the value of `key` is written (for the keys the combination rules name).
    fn at(&self, key: &str) -> Option<Span> {
        match key {
            "max_wait" => self.max_wait.map(|value| value.span),
            "max_queue" => self.max_queue.map(|value| value.span),
            "max_keys" => self.max_keys.map(|value| value.span),
            "idle_ttl" => self.idle_ttl.map(|value| value.span),
            "on_backend_error" => self.on_backend_error.map(|value| value.span),
            "backend_timeout" => self.backend_timeout.map(|value| value.span),
            _ => None,
        }
    }

    /// What the combination rules look at: the written values, the defaults for the rest.
    fn view<'a>(&self, written: &'a [&'a str]) -> View<'a> {
        View {
            set: Written(written),
            on_limit: self
                .on_limit
                .map_or(rules::ON_LIMIT[0], |choice| choice.value.word()),
            backend: match self.backend {
                Some(Choice {
                    value: Backend::Redis,
                    ..
                }) => "redis",
                _ => rules::BACKENDS[0],
            },
            per_key: self.key.is_some(),
        }
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
    pub(crate) backend_timeout: Option<Duration>,
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
    let common = Common::new(args.name.clone(), args.krate.clone(), &mut errors);
    let written = args.written();
    let view = args.view(&written);
    let at = |key: &str| args.at(key);
    let burst = whole(args.burst, &rules::BURST, &mut errors);
    let on_limit = args.on_limit.map(|choice| choice.value);
    report(rules::max_wait_needs_waiting(&view), at, &mut errors);
    report(rules::max_queue_needs_queue(&view), at, &mut errors);
    let max_queue = whole(args.max_queue, &rules::MAX_QUEUE, &mut errors);
    report(rules::max_keys_needs_key(&view), at, &mut errors);
    report(rules::idle_ttl_needs_key(&view), at, &mut errors);
    let max_keys = whole(args.max_keys, &rules::MAX_KEYS, &mut errors);
    let idle_ttl = duration(args.idle_ttl, &rules::IDLE_TTL, &mut errors);
    let max_wait = duration(args.max_wait, &rules::MAX_WAIT, &mut errors);
    report(rules::on_backend_error_needs_remote(&view), at, &mut errors);
    let on_backend_error = args.on_backend_error.map(|choice| choice.value);
    report(rules::backend_timeout_needs_remote(&view), at, &mut errors);
    let backend_timeout = duration(args.backend_timeout, &rules::BACKEND_TIMEOUT, &mut errors);
    errors.finish_with(RateLimitLayer {
        common,
        rate: args.rate.map(|rate| (rate.count, rate.period)),
        burst,
        on_limit,
        max_wait,
        max_queue,
        key: args.key.map(|key| key.0),
        max_keys,
        idle_ttl,
        backend: args.backend,
        on_backend_error,
        backend_timeout,
    })
}
