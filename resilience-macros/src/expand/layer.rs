//! One function per layer: each wraps the code of the layers below it.
//!
//! Every layer's code evaluates to an `Attempt<T, E>` (`Result<T, Failure<E>>`), which keeps a
//! layer's own error apart from the service's until the outermost layer hands the fn's
//! `Result<T, E>` back. Locals use mixed-site hygiene so they can never shadow or be seen by
//! the user's body; statics get positional names because items are not hygienic.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Path};

use super::config;
use crate::attrs::{
    BulkheadLayer, ChaosLayer, CircuitBreakerLayer, Common, FallbackLayer, Layer, RateLimitLayer,
    RetryLayer, TimeoutLayer,
};
use crate::plan::Plan;
use crate::value::duration_tokens;

/// What every layer needs to know about the site.
struct Site<'a> {
    plan: &'a Plan,
    krate: &'a Path,
    fn_ident: &'a Ident,
    /// `.await` in an async fn, nothing in a sync one.
    wait: TokenStream,
}

fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// A local that rustc shows at `location` when it blames it for an unmet bound; it resolves
/// like any other [`local`].
fn local_at(name: &str, location: Span) -> Ident {
    Ident::new(name, Span::mixed_site().located_at(location))
}

/// The whole stack around `body` (a braced block), as one block expression.
pub(super) fn stack(plan: &Plan, fn_ident: &Ident, body: TokenStream) -> TokenStream {
    let krate = &plan.krate;
    let is_async = plan.shape.is_async();
    let site = Site {
        plan,
        krate,
        fn_ident,
        wait: if is_async {
            quote!(.await)
        } else {
            TokenStream::new()
        },
    };
    let mut items = Vec::new();
    let mut code = innermost(&site, body);
    for (index, layer) in plan.layers.iter().enumerate().rev() {
        let (item, wrapped) = match layer {
            Layer::Retry(retry) => wrap_retry(&site, index, retry, code),
            Layer::CircuitBreaker(breaker) => wrap_circuit_breaker(&site, index, breaker, code),
            Layer::RateLimit(limit) => wrap_rate_limit(&site, index, limit, code),
            Layer::Timeout(timeout) => wrap_timeout(&site, index, timeout, code),
            Layer::Bulkhead(bulkhead) => wrap_bulkhead(&site, index, bulkhead, code),
            Layer::Fallback(fallback) => wrap_fallback(&site, index, fallback, code),
            Layer::Chaos(chaos) => wrap_chaos(&site, index, chaos, code),
        };
        items.push(item);
        code = wrapped;
    }
    items.reverse();
    // `finish` needs `E: From<resilience_runtime::Error>`; rustc blames its argument.
    let outcome = local_at("outcome", plan.error_span);
    quote! {
        {
            #(#items)*
            let #outcome = #code;
            #krate::__private::finish(#outcome)
        }
    }
}

/// The user's body, run once per attempt. `return` and `?` end the attempt, not the stack.
fn innermost(site: &Site<'_>, body: TokenStream) -> TokenStream {
    let krate = site.krate;
    let ty = site
        .plan
        .body_type
        .as_ref()
        .map(|ty| quote!(#ty))
        .unwrap_or(quote!(_));
    let span = site
        .plan
        .body_type
        .as_ref()
        .map_or_else(Span::call_site, Spanned::span);
    if site.plan.shape.is_async() {
        quote_spanned! {span=>
            #krate::__private::lift(#krate::__private::attempt::<#ty, _>(async #body).await)
        }
    } else {
        quote_spanned! {span=>
            #krate::__private::lift(#krate::__private::attempt_sync::<#ty, _>(|| #body))
        }
    }
}

/// The static that caches the site's registry handle, plus, for a literal name with
/// config, a link-time declaration so that other sites naming it adopt this config even
/// when they run first.
fn site_items(
    site: &Site<'_>,
    index: usize,
    policy: &str,
    common: &Common,
    config: Option<TokenStream>,
) -> (Ident, TokenStream, TokenStream) {
    let krate = site.krate;
    let static_ident = format_ident!("RESILIENCE_SITE_{}", index);
    let policy_type: TokenStream = match policy {
        "circuit_breaker" => quote!(#krate::circuit_breaker::CircuitBreaker),
        "rate_limiter" => quote!(#krate::rate_limit::RateLimiter),
        "bulkhead" => quote!(#krate::bulkhead::Bulkhead),
        "chaos" => quote!(#krate::chaos::Chaos),
        _ => quote!(#krate::retry::Retry),
    };
    let location = quote!(::core::concat!(::core::file!(), ":", ::core::line!()));
    // Chaos sites always declare their configuration, so none is needed at link time.
    let declaration = match (&common.name, &config) {
        (Some(name), Some(config)) if policy != "chaos" => {
            let constructor = format_ident!("{}", policy);
            quote! {
                #krate::__private::inventory::submit! {
                    #krate::__private::Declaration::#constructor(#name, #config, #location)
                }
            }
        }
        _ => TokenStream::new(),
    };
    let item = quote! {
        static #static_ident: #krate::__private::Site<#policy_type> = #krate::__private::Site::new();
        #declaration
    };
    let name = name_expr(site, common.name.as_ref());
    let config = config.map_or_else(
        || quote!(::core::option::Option::None),
        |config| quote!(::core::option::Option::Some(#config)),
    );
    let declare = format_ident!("declare_{}", policy);
    let handle = quote! {
        #static_ident.get_or_init(|| #krate::__private::#declare(#name, #config, #location))
    };
    (static_ident, item, handle)
}

/// The registry name: as written, or the fn's path (with the `Self` type for methods).
fn name_expr(site: &Site<'_>, name: Option<&LitStr>) -> TokenStream {
    let krate = site.krate;
    let fn_name = site.fn_ident.to_string();
    let fn_name = fn_name.trim_start_matches("r#");
    match name {
        Some(name) => quote!(#name),
        None if site.plan.has_receiver => quote! {
            #krate::__private::method_name(::core::any::type_name::<Self>(), #fn_name)
        },
        None => quote!(::core::concat!(::core::module_path!(), "::", #fn_name)),
    }
}

fn wrap_retry(
    site: &Site<'_>,
    index: usize,
    layer: &RetryLayer,
    inner: TokenStream,
) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let config = layer.declares().then(|| config::retry(krate, layer));
    let (_, item, handle) = site_items(site, index, "retry", &layer.common, config);
    let when = layer.when.as_ref().map_or_else(
        || quote!(#krate::__private::retry_any),
        |when| quote!(#when),
    );
    let hint = layer
        .retry_after
        .as_ref()
        .map_or_else(|| quote!(#krate::__private::no_hint), |hint| quote!(#hint));
    let sleep = if site.plan.shape.is_async() {
        quote!(#krate::__private::sleep)
    } else {
        quote!(#krate::__private::sleep_blocking)
    };
    let wait = &site.wait;
    // `retry_step` needs `E: From<resilience_runtime::Error>`; rustc blames its `outcome`.
    let (retry, state, outcome, delay) = (
        local("retry"),
        local("state"),
        local_at("outcome", site.plan.error_span),
        local("delay"),
    );
    let describe = describe_error(site);
    let code = quote! {
        {
            let #retry = #handle;
            let mut #state = #krate::__private::retry_start(#retry);
            loop {
                let #outcome = #inner;
                match #krate::__private::retry_step(#retry, &mut #state, #outcome, #when, #hint, #describe) {
                    ::core::ops::ControlFlow::Break(#outcome) => break #outcome,
                    ::core::ops::ControlFlow::Continue(#delay) => #sleep(#delay) #wait,
                }
            }
        }
    };
    (item, code)
}

fn wrap_circuit_breaker(
    site: &Site<'_>,
    index: usize,
    layer: &CircuitBreakerLayer,
    inner: TokenStream,
) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let config = layer
        .declares()
        .then(|| config::circuit_breaker(krate, layer));
    let (_, item, handle) = site_items(site, index, "circuit_breaker", &layer.common, config);
    let record_if = layer.record_if.as_ref().map_or_else(
        || quote!(#krate::__private::record_any),
        |path| quote!(#path),
    );
    let ignore_if = layer.ignore_if.as_ref().map_or_else(
        || quote!(#krate::__private::ignore_none),
        |path| quote!(#path),
    );
    let (breaker, permit, outcome, error) = (
        local("breaker"),
        local("permit"),
        local("outcome"),
        local("error"),
    );
    let code = quote! {
        {
            let #breaker = #handle;
            match #breaker.try_acquire() {
                ::core::result::Result::Ok(#permit) => {
                    let #outcome = #inner;
                    #krate::__private::record_outcome(#permit, &#outcome, #record_if, #ignore_if);
                    #outcome
                }
                ::core::result::Result::Err(#error) => #krate::__private::layer_error(#error),
            }
        }
    };
    (item, code)
}

fn wrap_rate_limit(
    site: &Site<'_>,
    index: usize,
    layer: &RateLimitLayer,
    inner: TokenStream,
) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let config = layer.declares().then(|| config::rate_limit(krate, layer));
    let (_, mut item, handle) = site_items(site, index, "rate_limiter", &layer.common, config);
    if let Some(at) = layer.redis_backend() {
        // Fails to compile, with the reason, when the runtime lacks its `redis` feature. The
        // call is spanned on its own so that rustc points at `"redis"`.
        let check = Ident::new("require_redis_backend", at);
        let call = quote_spanned!(at=> #check());
        item.extend(quote! {
            const _: () = {
                use #krate::__private::require_redis_backend as #check;
                #call
            };
        });
    }
    let (limiter, start, key) = (local("limiter"), local("start"), local("key"));
    let exit = exit_label(index);
    let is_async = site.plan.shape.is_async();
    // The decision is taken in place; only a call that must wait awaits a (boxed) future, or
    // in a sync fn blocks.
    let start = if is_async && site.plan.limit_reads_timeout_start(index) {
        quote!(::core::option::Option::Some(#start))
    } else {
        quote!(::core::option::Option::None)
    };
    let admit = match &layer.key {
        Some(_) => quote!(#krate::__private::rate_limit_admit_key(#limiter, #start, #key)),
        None => quote!(#krate::__private::rate_limit_admit(#limiter, #start)),
    };
    let wait = match (&layer.key, is_async) {
        (Some(_), true) => quote!(#krate::__private::rate_limit_wait_key(#limiter, #key).await),
        (Some(_), false) => quote!(#limiter.acquire_key_blocking(#key)),
        (None, true) => quote!(#krate::__private::rate_limit_wait(#limiter).await),
        (None, false) => quote!(#limiter.acquire_blocking()),
    };
    let admission = admit_or_wait(krate, &exit, admit, wait);
    // The key is borrowed for the decision only, so the call's future does not hold it.
    let admission = match &layer.key {
        Some(key_expr) => quote!({
            let #key = &(#key_expr);
            #admission
        }),
        None => admission,
    };
    let code = quote! {
        {
            let #limiter = #handle;
            #exit: {
                #admission;
                #inner
            }
        }
    };
    (item, code)
}

/// The label of the block of layer `index`, which a rejection breaks out of with the layer's
/// error. Mixed-site, so the user's body can neither see nor shadow it.
fn exit_label(index: usize) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'resilience_layer_{index}"), Span::mixed_site())
}

/// A layer's admission, as an expression evaluating to its permit: decided in place by
/// `admit` (an `Admission`, matched where it is returned, so a permit stays in a register),
/// or, only when the call must wait, by the slow path `wait` (a boxed future awaited, or a
/// blocking call). A rejection breaks out of the block labelled `exit` with the layer's error.
fn admit_or_wait(
    krate: &Path,
    exit: &syn::Lifetime,
    admit: TokenStream,
    wait: TokenStream,
) -> TokenStream {
    let (permit, error) = (local("permit"), local("error"));
    let admission = quote!(#krate::__private::Admission);
    quote! {
        match #admit {
            #admission::Admitted(#permit) => #permit,
            #admission::Rejected(#error) => break #exit #krate::__private::layer_error(#error),
            #admission::Wait => match #wait {
                ::core::result::Result::Ok(#permit) => #permit,
                ::core::result::Result::Err(#error) => {
                    break #exit #krate::__private::layer_error(#error)
                }
            },
        }
    }
}

fn wrap_bulkhead(
    site: &Site<'_>,
    index: usize,
    layer: &BulkheadLayer,
    inner: TokenStream,
) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let config = layer.declares().then(|| config::bulkhead(krate, layer));
    let (_, item, handle) = site_items(site, index, "bulkhead", &layer.common, config);
    let (bulkhead, permit, outcome) = (local("bulkhead"), local("permit"), local("outcome"));
    let exit = exit_label(index);
    let wait = if site.plan.shape.is_async() {
        quote!(#krate::__private::bulkhead_wait(#bulkhead).await)
    } else {
        quote!(#bulkhead.acquire_blocking())
    };
    let admission = admit_or_wait(
        krate,
        &exit,
        quote!(#krate::__private::bulkhead_admit(#bulkhead)),
        wait,
    );
    let code = quote! {
        {
            let #bulkhead = #handle;
            #exit: {
                let #permit = #admission;
                let #outcome = #inner;
                ::core::mem::drop(#permit);
                #outcome
            }
        }
    };
    (item, code)
}

fn wrap_chaos(
    site: &Site<'_>,
    index: usize,
    layer: &ChaosLayer,
    inner: TokenStream,
) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let config = config::chaos(krate, layer);
    let (_, item, handle) = site_items(site, index, "chaos", &layer.common, Some(config));
    let injection = local("injection");
    let sleep = if site.plan.shape.is_async() {
        quote!(#krate::__private::sleep(#injection.latency()).await;)
    } else {
        quote!(#krate::__private::sleep_blocking(#injection.latency());)
    };
    let delay = layer.latency.is_some().then(|| {
        quote! {
            if #injection.delays() {
                #sleep
            }
        }
    });
    // The injected error is the service's: outer layers see it as a failure of the body.
    // Where the fn's error type can be named, the path is first coerced to `fn() -> E`, so
    // that a fn of another type is reported at the path, in those terms.
    let outcome = match &layer.error {
        Some(path) => {
            let build = local_at("build", path.span());
            let typed = site.plan.body_type.as_ref().map_or_else(
                || quote_spanned!(path.span()=> let #build = #path;),
                |ty| {
                    quote_spanned! {path.span()=>
                        let #build: fn() -> <#ty as #krate::__private::Outcome>::Error = #path;
                    }
                },
            );
            quote! {
                if #injection.fails() {
                    #typed
                    #krate::__private::lift(::core::result::Result::Err(#build()))
                } else {
                    #inner
                }
            }
        }
        None => inner,
    };
    let code = quote! {
        {
            let #injection = #handle.inject();
            #delay
            #outcome
        }
    };
    (item, code)
}

fn wrap_timeout(
    site: &Site<'_>,
    index: usize,
    layer: &TimeoutLayer,
    inner: TokenStream,
) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let after = duration_tokens(layer.duration);
    let (outcome, error, start) = (local("outcome"), local("error"), local("start"));
    // The name is only made when the call times out.
    let (item, name) = site_name(site, index);
    // `start` is also read by a rate limit right below (see `Plan::limit_reads_timeout_start`).
    let code = quote! {
        {
            let #start = #krate::__private::call_start();
            match #krate::__private::timeout(#start, #after, async { #inner }).await {
                ::core::result::Result::Ok(#outcome) => #outcome,
                ::core::result::Result::Err(#error) => #krate::__private::timed_out(#name, #error),
            }
        }
    };
    (item, code)
}

fn wrap_fallback(
    site: &Site<'_>,
    index: usize,
    layer: &FallbackLayer,
    inner: TokenStream,
) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let path = &layer.path;
    let (item, name) = site_name(site, index);
    let fallback_name = quote!(#path).to_string().replace(' ', "");
    let at_path = path.span();
    let (outcome, other) = (local("outcome"), local("other"));
    // `into_error` needs `E: From<resilience_runtime::Error>`: blamed at the error type, as
    // in `finish`. A fallback that takes another argument type, or returns another type than
    // the fn, is blamed on `error` and `recovered`, both shown at the path.
    let failure = local_at("failure", site.plan.error_span);
    let (error, recovered) = (local_at("error", at_path), local_at("recovered", at_path));
    let ty = site
        .plan
        .body_type
        .as_ref()
        .map_or_else(|| quote!(_), |ty| quote!(#ty));
    let call = quote_spanned! {at_path=> #path(#error)};
    let recover = if site.plan.shape.is_async() {
        // The awaited expression starts with a local, not with the crate path, so that its
        // span (where a mismatch is shown) is the path's alone.
        let pending = local_at("pending", at_path);
        quote! {
            let #pending = #krate::__private::fallback(#call);
            let #recovered: #ty = #pending.await;
        }
    } else {
        quote!(let #recovered: #ty = #call;)
    };
    let describe = describe_error(site);
    let code = quote! {
        {
            let #outcome = #inner;
            match #outcome {
                ::core::result::Result::Err(#failure) => {
                    #krate::__private::falling_back(#name, #fallback_name, &#failure, #describe);
                    let #error = #krate::__private::into_error(#failure);
                    #recover
                    #krate::__private::lift(#recovered)
                }
                #other => #other,
            }
        }
    };
    (item, code)
}

/// How logs show the fn's error type: a closure that picks `Debug` when the type has it,
/// decided at compile time by autoref specialisation on the `Probe` it is given, and only
/// called when something is logged. Only when the body's type is written down: otherwise the
/// error type may not be inferred yet where the closure is checked.
fn describe_error(site: &Site<'_>) -> TokenStream {
    let krate = site.krate;
    if site.plan.body_type.is_none() {
        return quote!(#krate::__private::by_type_name);
    }
    let probe = local("probe");
    quote! {
        |#probe| {
            #[allow(unused_imports)]
            use #krate::__private::{ProbeDebug as _, ProbeOther as _};
            #probe.describe_error()
        }
    }
}

/// The fn's name for layers without a registry instance: its path, or `Type::method`, made
/// once per site (in a static) and only when first needed.
fn site_name(site: &Site<'_>, index: usize) -> (TokenStream, TokenStream) {
    let krate = site.krate;
    let name = name_expr(site, None);
    if !site.plan.has_receiver {
        return (TokenStream::new(), name);
    }
    let static_ident = format_ident!("RESILIENCE_NAME_{}", index);
    let item = quote! {
        static #static_ident: #krate::__private::SiteName = #krate::__private::SiteName::new();
    };
    (item, quote!(#static_ident.get_or_init(|| #name)))
}
