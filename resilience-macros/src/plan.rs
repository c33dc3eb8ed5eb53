//! Plan: the fused stack of layers around one fn, checked as a whole.

use proc_macro2::Span;
use syn::{ItemFn, Path, Type};

use crate::attrs::{Layer, error_at};
use crate::item::{self, Shape};

/// Everything expansion needs: the layers outermost first, and facts about the fn.
pub(crate) struct Plan {
    pub(crate) layers: Vec<Layer>,
    pub(crate) krate: Path,
    pub(crate) shape: Shape,
    /// The type the body evaluates to, when it can be written down.
    pub(crate) body_type: Option<Type>,
    /// Where generated code that needs `E: From<resilience_runtime::Error>` is spanned, so
    /// that an error type without it is reported once, at the error type.
    pub(crate) error_span: Span,
    /// Whether the fn takes `self`, so a default name can include the `Self` type.
    pub(crate) has_receiver: bool,
    /// The fn's arguments as expressions inside the body, for a fallback that takes them;
    /// `None` when one cannot be named.
    pub(crate) arguments: Option<Vec<proc_macro2::Ident>>,
}

impl Plan {
    /// Whether the layer at `index` is a rate limit that decides at the start instant of a
    /// timeout right above it: only circuit breakers (which never wait) between them, so the
    /// instant the timeout read is still "now" when the limit decides, and the call reads the
    /// clock once for both.
    pub(crate) fn limit_reads_timeout_start(&self, index: usize) -> bool {
        matches!(self.layers.get(index), Some(Layer::RateLimit(_)))
            && self.layers[..index]
                .iter()
                .rev()
                .find(|layer| !matches!(layer, Layer::CircuitBreaker(_)))
                .is_some_and(|layer| matches!(layer, Layer::Timeout(_)))
    }
}

/// Checks the stack against the fn it wraps, and gathers what expansion needs.
pub(crate) fn plan(layers: Vec<Layer>, item: &ItemFn) -> darling::Result<Plan> {
    let mut errors = darling::Error::accumulator();
    let shape = Shape::of(item);
    check_fits_fn(&layers, item, &shape, &mut errors);
    let krate = layers
        .iter()
        .find_map(Layer::krate)
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(::resilience_runtime));
    let body_type = item::body_type(item, &shape);
    let error_span = item::error_span(body_type.as_ref());
    let has_receiver = item.sig.receiver().is_some();
    let arguments = item::arguments(item, &shape);
    errors.finish_with(Plan {
        layers,
        krate,
        shape,
        body_type,
        error_span,
        has_receiver,
        arguments,
    })
}

/// The rules between the stack and the fn: a `Result` to return, an async fn for the layers
/// that must await, and no `const fn`.
fn check_fits_fn(
    layers: &[Layer],
    item: &ItemFn,
    shape: &Shape,
    errors: &mut darling::error::Accumulator,
) {
    if let Err(error) = item::check_returns_result(item, shape) {
        errors.push(error);
    }
    if !shape.is_async() {
        for layer in layers {
            if let Layer::Timeout(timeout) = layer {
                errors.push(error_at(
                    timeout.span,
                    "`#[timeout]` needs an `async fn`: a running sync fn cannot be cancelled. \
                     Make the fn async, or bound the blocking work inside it",
                ));
            }
            if let Layer::Hedge(hedge) = layer {
                errors.push(error_at(
                    hedge.span,
                    "`#[hedge]` needs an `async fn`: hedging runs a second attempt while the \
                     first is still running, and a sync fn runs one at a time. Make the fn async",
                ));
            }
            let redis_backend = match layer {
                Layer::RateLimit(limit) => limit.redis_backend(),
                Layer::Quota(quota) => quota.redis_backend(),
                _ => None,
            };
            if let Some(at) = redis_backend {
                errors.push(error_at(
                    at,
                    "`backend = \"redis\"` needs an `async fn`: its decisions are network \
                     requests, made on tokio. Make the fn async, or use the local backend",
                ));
            }
        }
    }
    if let Some(hedge) = layers.iter().find_map(|layer| match layer {
        Layer::Hedge(hedge) => Some(hedge),
        _ => None,
    }) && let Some(receiver) = item.sig.receiver()
        && matches!(receiver.kind, syn::ReceiverKind::Reference(_, _, Some(_)))
    {
        errors.push(error_at(
            hedge.span,
            "`#[hedge]` runs the body again while an attempt is still running, so the attempts \
             share what they borrow: take `&self` rather than `&mut self`",
        ));
    }
    if let Some(constness) = &item.sig.constness {
        errors.push(error_at(
            constness.span,
            "resilience attributes cannot wrap a `const fn`",
        ));
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::{Span, TokenStream};
    use quote::quote;

    use super::{Plan, plan};
    use crate::attrs::{self, AttrInput, Kind};

    /// The plan of `layers` (outermost first) over a small async fn.
    fn plan_of(layers: Vec<(Kind, TokenStream)>) -> Plan {
        let layers = layers
            .into_iter()
            .map(|(kind, args)| {
                attrs::parse(&AttrInput {
                    kind,
                    span: Span::call_site(),
                    args,
                })
                .unwrap()
            })
            .collect();
        let item = syn::parse_quote!(
            async fn call() -> Result<u32, Error> {
                Ok(1)
            }
        );
        plan(layers, &item).unwrap()
    }

    #[test]
    fn a_limit_reads_the_start_of_a_timeout_above_it_through_breakers_only() {
        let timeout = || (Kind::Timeout, quote!("1s"));
        let breaker = || (Kind::CircuitBreaker, quote!());
        let limit = || (Kind::RateLimit, quote!(rate = "10/s"));
        let retry = || (Kind::Retry, quote!());
        assert!(plan_of(vec![timeout(), limit()]).limit_reads_timeout_start(1));
        assert!(plan_of(vec![timeout(), breaker(), limit()]).limit_reads_timeout_start(2));
        assert!(!plan_of(vec![timeout(), retry(), limit()]).limit_reads_timeout_start(2));
        assert!(!plan_of(vec![limit()]).limit_reads_timeout_start(0));
        assert!(!plan_of(vec![timeout(), breaker()]).limit_reads_timeout_start(1));
    }

    #[test]
    fn a_sync_fn_cannot_take_a_timeout() {
        let layer = attrs::parse(&AttrInput {
            kind: Kind::Timeout,
            span: Span::call_site(),
            args: quote!("1s"),
        })
        .unwrap();
        let item = syn::parse_quote!(
            fn call() -> Result<u32, Error> {
                Ok(1)
            }
        );
        let error = plan(vec![layer], &item).err().unwrap();
        assert!(error.to_string().contains("needs an `async fn`"), "{error}");
    }
}
