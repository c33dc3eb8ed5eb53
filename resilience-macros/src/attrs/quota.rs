//! `#[quota(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use resilience_syntax::rules::quota::{self as rules, View};
use resilience_syntax::rules::{KeyRule, Written};

use super::checked::{duration, whole};
use super::common::Common;
use super::error::{error_at, report};
use super::items::from_items;
use super::rate_limit::{Backend, OnBackendError};
use crate::value::{Choice, DurationLit, Int, Keyword, LimitLit, RawExpr};

/// How a quota counts its periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotaWindow {
    Fixed,
    Sliding,
}

impl Keyword for QuotaWindow {
    const RULE: &'static KeyRule = &rules::WINDOW;

    fn named(word: &str) -> Option<Self> {
        match word {
            "fixed" => Some(Self::Fixed),
            "sliding" => Some(Self::Sliding),
            _ => None,
        }
    }
}

#[derive(FromMeta)]
struct QuotaArgs {
    name: Option<LitStr>,
    limit: Option<LimitLit>,
    window: Option<Choice<QuotaWindow>>,
    key: Option<RawExpr>,
    max_keys: Option<Int>,
    idle_ttl: Option<DurationLit>,
    backend: Option<Choice<Backend>>,
    on_backend_error: Option<Choice<OnBackendError>>,
    backend_timeout: Option<DurationLit>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

impl QuotaArgs {
    /// Whether any key beyond `name`, `key` and `crate` is given: a configuration.
    fn configures(&self) -> bool {
        self.window.is_some()
            || self.max_keys.is_some()
            || self.idle_ttl.is_some()
            || self.backend.is_some()
            || self.on_backend_error.is_some()
            || self.backend_timeout.is_some()
    }

    /// The keys written that take values.
    fn written(&self) -> Vec<&'static str> {
        [
            ("limit", self.limit.is_some()),
            ("window", self.window.is_some()),
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
            "max_keys" => self.max_keys.map(|value| value.span),
            "idle_ttl" => self.idle_ttl.map(|value| value.span),
            "on_backend_error" => self.on_backend_error.map(|value| value.span),
            "backend_timeout" => self.backend_timeout.map(|value| value.span),
            _ => None,
        }
    }

    /// `backend` in force, as the rules name it.
    fn backend(&self) -> &'static str {
        match self.backend {
            Some(Choice {
                value: Backend::Redis,
                ..
            }) => "redis",
            _ => rules::BACKENDS[0],
        }
    }
}

/// A validated `#[quota]`.
pub(crate) struct QuotaLayer {
    pub(crate) common: Common,
    /// `(count, period)`; `None` only when the site adopts a quota declared elsewhere.
    pub(crate) limit: Option<(u32, Duration)>,
    pub(crate) window: Option<QuotaWindow>,
    pub(crate) key: Option<syn::Expr>,
    pub(crate) max_keys: Option<u32>,
    pub(crate) idle_ttl: Option<Duration>,
    /// The backend and where it was written.
    pub(crate) backend: Option<Choice<Backend>>,
    pub(crate) on_backend_error: Option<OnBackendError>,
    pub(crate) backend_timeout: Option<Duration>,
}

impl QuotaLayer {
    /// Whether the site declares a configuration, or only names a quota declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.limit.is_some()
    }

    /// Where `backend = "redis"` is written, if it is.
    pub(crate) fn redis_backend(&self) -> Option<Span> {
        self.backend
            .filter(|backend| backend.value == Backend::Redis)
            .map(|backend| backend.span)
    }
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<QuotaLayer> {
    let args: QuotaArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    if args.limit.is_none() && (args.name.is_none() || args.configures()) {
        errors.push(error_at(
            span,
            "`#[quota]` needs a `limit`, e.g. `#[quota(limit = \"1000/day\")]`",
        ));
    }
    let common = Common::new(args.name.clone(), args.krate.clone(), &mut errors);
    let written = args.written();
    let view = View {
        set: Written(&written),
        per_key: args.key.is_some(),
        backend: args.backend(),
    };
    let at = |key: &str| args.at(key);
    report(rules::max_keys_needs_key(&view), at, &mut errors);
    report(rules::idle_ttl_needs_key(&view), at, &mut errors);
    let max_keys = whole(args.max_keys, &rules::MAX_KEYS, &mut errors);
    let idle_ttl = duration(args.idle_ttl, &rules::IDLE_TTL, &mut errors);
    report(rules::on_backend_error_needs_remote(&view), at, &mut errors);
    let on_backend_error = args.on_backend_error.map(|choice| choice.value);
    report(rules::backend_timeout_needs_remote(&view), at, &mut errors);
    let backend_timeout = duration(args.backend_timeout, &rules::BACKEND_TIMEOUT, &mut errors);
    errors.finish_with(QuotaLayer {
        common,
        limit: args.limit.map(|limit| (limit.count, limit.period)),
        window: args.window.map(|choice| choice.value),
        key: args.key.map(|key| key.0),
        max_keys,
        idle_ttl,
        backend: args.backend,
        on_backend_error,
        backend_timeout,
    })
}
