//! The `tracing` spans of a site: one around the whole stack per call, one around each retry
//! or hedge attempt. Each is a callsite of its own in the user's crate; the runtime's guard
//! enters it while the stack's code runs (each await exits it while the call waits) and
//! records the outcome when the code inside finishes.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

use super::hygiene::{local, span_guard};
use super::site::Site;

/// `code` (an expression evaluating to an `Attempt`) run inside the call's span.
pub(super) fn around_call(site: &Site<'_>, code: TokenStream) -> TokenStream {
    let krate = site.krate;
    let fn_name = plain_fn_name(site);
    let layers = site
        .plan
        .layers
        .iter()
        .map(|layer| layer.kind().name())
        .collect::<Vec<_>>()
        .join(",");
    let span = quote! {
        #krate::__private::tracing::span!(
            target: #krate::spans::CALL_TARGET,
            #krate::__private::tracing::Level::INFO,
            #fn_name,
            code.function.name = ::core::concat!(::core::module_path!(), "::", #fn_name),
            resilience.layers = #layers,
            resilience.outcome = #krate::__private::tracing::field::Empty,
            otel.status_code = #krate::__private::tracing::field::Empty,
        )
    };
    in_span(site, span, code, SpanKind::Call)
}

/// `code` (the layers below a retry) run inside the span of attempt number `attempt`.
pub(super) fn around_attempt(site: &Site<'_>, attempt: &Ident, code: TokenStream) -> TokenStream {
    let krate = site.krate;
    let name = format!("{} attempt", plain_fn_name(site));
    let span = quote! {
        #krate::__private::tracing::span!(
            target: #krate::spans::ATTEMPT_TARGET,
            #krate::__private::tracing::Level::INFO,
            #name,
            // As a signed integer: OpenTelemetry has no unsigned one, and exporters show a u32 as text.
            resilience.attempt = ::core::primitive::i64::from(#attempt),
            resilience.outcome = #krate::__private::tracing::field::Empty,
            otel.status_code = #krate::__private::tracing::field::Empty,
        )
    };
    in_span(site, span, code, SpanKind::Attempt)
}

/// The future of hedge attempt `attempt` (0 for the first) of `code` (the layers below a
/// hedge), inside its own attempt span, a child of the span around the hedge; the span is made
/// when the attempt starts, so the future captures only what `code` does.
pub(super) fn hedge_attempt(site: &Site<'_>, attempt: &Ident, code: TokenStream) -> TokenStream {
    let krate = site.krate;
    let name = format!("{} attempt", plain_fn_name(site));
    let span = quote! {
        #krate::__private::tracing::span!(
            target: #krate::spans::ATTEMPT_TARGET,
            #krate::__private::tracing::Level::INFO,
            #name,
            resilience.attempt = ::core::primitive::i64::from(#attempt) + 1,
            resilience.hedge = #attempt > 0,
            resilience.outcome = #krate::__private::tracing::field::Empty,
            otel.status_code = #krate::__private::tracing::field::Empty,
        )
    };
    // Made outside the async block, which then takes the span rather than borrowing the
    // attempt's number from the closure that makes it.
    let span_local = local("attempt_span");
    let code = in_span(site, quote!(#span_local), code, SpanKind::Attempt);
    quote!({
        let #span_local = #span;
        async { #code }
    })
}

/// Which of a site's spans `in_span` opens.
enum SpanKind {
    Call,
    Attempt,
}

fn in_span(site: &Site<'_>, span: TokenStream, code: TokenStream, kind: SpanKind) -> TokenStream {
    let krate = site.krate;
    // The guard enters the span in place; in an async fn every await of `code` goes through
    // `Site::awaited`, which exits it while the call waits. An attempt's guard shadows the
    // call's.
    let (guard, outcome) = (span_guard(), local("outcome"));
    let enter = match kind {
        SpanKind::Call => quote!(#krate::__private::SpanGuard::call(#span)),
        SpanKind::Attempt => quote!(#krate::__private::SpanGuard::attempt(#span, &#guard)),
    };
    quote!({
        let #guard = #enter;
        let #outcome = #code;
        #guard.record(&#outcome);
        #outcome
    })
}

/// The fn's name as written, without a raw identifier's `r#`.
fn plain_fn_name(site: &Site<'_>) -> String {
    let name = site.fn_ident.to_string();
    name.trim_start_matches("r#").to_owned()
}
