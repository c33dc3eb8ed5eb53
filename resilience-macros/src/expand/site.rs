//! The fn being wrapped, as every layer's expansion sees it, and what one layer expands to.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, Path};

use super::hygiene::span_guard;
use crate::plan::Plan;

/// What every layer needs to know about the site: the plan, the runtime's path and the fn.
pub(super) struct Site<'a> {
    pub(super) plan: &'a Plan,
    pub(super) krate: &'a Path,
    pub(super) fn_ident: &'a Ident,
}

impl<'a> Site<'a> {
    /// The site of the fn `fn_ident`, expanded as `plan` says.
    pub(super) fn new(plan: &'a Plan, fn_ident: &'a Ident) -> Self {
        Self {
            plan,
            krate: &plan.krate,
            fn_ident,
        }
    }

    /// `future` awaited inside the innermost span around it (see `span.rs`) in an async fn;
    /// in a sync one, `future` is the blocking call itself and is left as it is.
    pub(super) fn awaited(&self, future: TokenStream) -> TokenStream {
        if self.is_async() {
            let (krate, guard) = (self.krate, span_guard());
            quote!(#krate::__private::traced(&#guard, #future).await)
        } else {
            future
        }
    }

    /// Whether the body runs as a future, so layers may await.
    pub(super) const fn is_async(&self) -> bool {
        self.plan.shape.is_async()
    }

    /// The fn's error type (`E` of the body's `Result<T, E>`), or `_` when it cannot be named.
    pub(super) fn error_type(&self) -> TokenStream {
        let krate = self.krate;
        self.plan.body_type.as_ref().map_or_else(
            || quote!(_),
            |ty| quote!(<#ty as #krate::__private::Outcome>::Error),
        )
    }

    /// The fn's value type (`T` of the body's `Result<T, E>`), or `_` when it cannot be named.
    pub(super) fn value_type(&self) -> TokenStream {
        let krate = self.krate;
        self.plan.body_type.as_ref().map_or_else(
            || quote!(_),
            |ty| quote!(<#ty as #krate::__private::Outcome>::Value),
        )
    }

    /// The type of a user's predicate on the fn's error, `fn(&E) -> output`, for coercing the
    /// predicate's path to, so that a fn of another type is reported at the path in those
    /// terms.
    pub(super) fn predicate_type(&self, output: &TokenStream) -> TokenStream {
        self.predicate_on(self.error_type(), output)
    }

    /// The type of a user's predicate on the fn's `Ok` value, `fn(&T) -> output`, as
    /// [`predicate_type`](Self::predicate_type) is on its error.
    pub(super) fn ok_predicate_type(&self, output: &TokenStream) -> TokenStream {
        self.predicate_on(self.value_type(), output)
    }

    /// `fn(&argument) -> output`. The argument is left to inference when the body type has
    /// elided lifetimes, which a fn pointer type would bind anew.
    fn predicate_on(&self, argument: TokenStream, output: &TokenStream) -> TokenStream {
        let has_elided_lifetime = self.plan.body_type.as_ref().is_some_and(|ty| {
            let tokens = quote!(#ty).to_string();
            tokens.contains('&') || tokens.contains("'_")
        });
        let argument = if has_elided_lifetime {
            quote!(_)
        } else {
            argument
        };
        quote!(fn(&#argument) -> #output)
    }

    /// The body's type as written, or `_` when it cannot be named.
    pub(super) fn body_type_or_inferred(&self) -> TokenStream {
        self.plan
            .body_type
            .as_ref()
            .map_or_else(|| quote!(_), |ty| quote!(#ty))
    }
}

/// One layer's expansion.
pub(super) struct LayerCode {
    /// Items placed at the top of the wrapper's block (statics, compile-time checks).
    pub(super) items: TokenStream,
    /// The expression that runs the layers below, evaluating to an `Attempt<T, E>`.
    pub(super) code: TokenStream,
}

/// A value generated code caches per site.
pub(super) struct Cached {
    /// The static holding it, and anything declared with it (may be empty).
    pub(super) items: TokenStream,
    /// The expression that reads it, initialising it on first use.
    pub(super) get: TokenStream,
}
