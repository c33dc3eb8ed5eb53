//! Parse and validate: one darling struct per attribute, checked into a [`Layer`].
//!
//! Parsing turns tokens into typed values (a malformed duration is already an error here);
//! validation checks ranges and combinations, one rule per check, each error spanned on the
//! token it is about.
//!
//! One file per attribute; what they share sits beside them, each in a file of its own: the
//! `name`/`crate` keys (`common`), spanned errors (`error`), reading the items (`items`),
//! values checked by their rules (`checked`). The attribute's [`Kind`], its input
//! ([`AttrInput`]), the [`Layer`] it becomes and [`parse()`], which picks the parser, come last.

mod bulkhead;
mod chaos;
mod circuit_breaker;
mod fallback;
mod hedge;
mod quota;
mod rate_limit;
mod retry;
mod timeout;

mod checked;
mod common;
mod error;
mod input;
mod items;
mod kind;
mod layer;
mod parse;

pub(crate) use common::Common;
pub(crate) use error::error_at;
pub(crate) use input::AttrInput;
pub(crate) use kind::Kind;
pub(crate) use layer::Layer;
pub(crate) use parse::parse;

pub(crate) use bulkhead::{Adaptive, BulkheadLayer};
pub(crate) use chaos::ChaosLayer;
pub(crate) use circuit_breaker::{CircuitBreakerLayer, WindowSpec};
pub(crate) use fallback::FallbackLayer;
pub(crate) use hedge::HedgeLayer;
pub(crate) use quota::{QuotaLayer, QuotaWindow};
pub(crate) use rate_limit::{Backend, OnBackendError, OnLimit, RateLimitLayer};
pub(crate) use retry::{Backoff, Jitter, Preset, RetryLayer};
pub(crate) use timeout::TimeoutLayer;
