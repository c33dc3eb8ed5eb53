//! Attribute macros for [`resilience-runtime`](https://docs.rs/resilience-runtime).
//!
//! Use them through `resilience_runtime`, which re-exports every attribute and documents each
//! key. Each attribute wraps the body of an `async fn` (or, except `#[timeout]`, a sync fn)
//! returning `Result<T, E>` with `E: From<resilience_runtime::Error>`; the signature is kept.
//! Stacked attributes fuse into one wrapper: the topmost is the outermost layer.
//!
//! The crate is a pipeline: `attrs` parses and validates each attribute, `plan` checks the
//! stack against the fn, and `expand` writes the code.

use proc_macro::TokenStream;

mod attrs;
mod expand;
mod item;
mod plan;
mod value;

use attrs::Kind;

/// Retries the fn's body with backoff. See `resilience_runtime::retry` for the keys.
#[proc_macro_attribute]
pub fn retry(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Retry, args.into(), item.into()).into()
}

/// Guards the fn with a named circuit breaker. See `resilience_runtime::circuit_breaker`.
#[proc_macro_attribute]
pub fn circuit_breaker(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::CircuitBreaker, args.into(), item.into()).into()
}

/// Limits the rate of calls. See `resilience_runtime::rate_limit`.
#[proc_macro_attribute]
pub fn rate_limit(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::RateLimit, args.into(), item.into()).into()
}

/// Cancels the body after a duration. See `resilience_runtime::timeout`.
#[proc_macro_attribute]
pub fn timeout(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Timeout, args.into(), item.into()).into()
}

/// Limits concurrent calls. See `resilience_runtime::bulkhead`.
#[proc_macro_attribute]
pub fn bulkhead(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Bulkhead, args.into(), item.into()).into()
}

/// Calls a fallback fn with the error of the layers below. See `resilience_runtime::fallback`.
#[proc_macro_attribute]
pub fn fallback(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Fallback, args.into(), item.into()).into()
}

/// Injects errors, latency and outages when chaos is armed. See `resilience_runtime::chaos`.
#[proc_macro_attribute]
pub fn chaos(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Chaos, args.into(), item.into()).into()
}
