//! Config expressions: each policy's const builder chain, as generated code writes it.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::Path;

use crate::attrs::{
    Backend, Backoff, BulkheadLayer, ChaosLayer, CircuitBreakerLayer, Jitter, OnBackendError,
    OnLimit, Preset, RateLimitLayer, RetryLayer, WindowSpec,
};
use crate::value::duration_tokens;

fn int(value: u32) -> Literal {
    Literal::u32_unsuffixed(value)
}

/// `.key(value)` for every key the user wrote.
macro_rules! setters {
    ($($setter:ident => $value:expr),* $(,)?) => {{
        let mut chain = TokenStream::new();
        $(
            if let Some(value) = $value {
                let setter = quote::format_ident!("with_{}", stringify!($setter));
                chain.extend(quote!(.#setter(#value)));
            }
        )*
        chain
    }};
}

pub(crate) fn circuit_breaker(krate: &Path, layer: &CircuitBreakerLayer) -> TokenStream {
    let window = layer.window.map(|window| match window {
        WindowSpec::Calls(calls) => {
            let calls = int(calls);
            quote!(.with_window_calls(#calls))
        }
        WindowSpec::Time(duration) => {
            let duration = duration_tokens(duration);
            quote!(.with_window_duration(#duration))
        }
    });
    let rate = |value: Option<u32>| {
        value.map(|value| Literal::u8_unsuffixed(u8::try_from(value).unwrap_or(100)))
    };
    let chain = setters! {
        failure_threshold => layer.failure_threshold.map(int),
        failure_rate => rate(layer.failure_rate),
        minimum_calls => layer.minimum_calls.map(int),
        slow_call_duration => layer.slow_call_duration.map(duration_tokens),
        slow_call_rate => rate(layer.slow_call_rate),
        recovery_timeout => layer.recovery_timeout.map(duration_tokens),
        recovery_backoff => layer.recovery_backoff.map(Literal::f64_suffixed),
        max_recovery_timeout => layer.max_recovery_timeout.map(duration_tokens),
        success_threshold => layer.success_threshold.map(int),
        half_open_max_calls => layer.half_open_max_calls.map(int),
        max_wait_in_half_open => layer.max_wait_in_half_open.map(duration_tokens),
    };
    quote!(#krate::circuit_breaker::CircuitBreakerConfig::new() #window #chain)
}

pub(crate) fn retry(krate: &Path, layer: &RetryLayer) -> TokenStream {
    let base = match layer.preset {
        Some(preset) => {
            let preset = match preset {
                Preset::Conservative => quote!(Conservative),
                Preset::Aggressive => quote!(Aggressive),
                Preset::Patient => quote!(Patient),
            };
            quote!(#krate::retry::RetryPolicy::preset(#krate::retry::Preset::#preset))
        }
        None => quote!(#krate::retry::RetryPolicy::new()),
    };
    let backoff = layer.backoff.map(|backoff| {
        let kind = match backoff {
            Backoff::Exponential => quote!(Exponential),
            Backoff::Linear => quote!(Linear),
            Backoff::Fixed => quote!(Fixed),
            Backoff::Decorrelated => quote!(Decorrelated),
        };
        quote!(#krate::retry::BackoffKind::#kind)
    });
    let jitter = layer.jitter.map(|(jitter, factor)| match jitter {
        Jitter::Full => quote!(#krate::retry::Jitter::Full),
        Jitter::Equal => quote!(#krate::retry::Jitter::Equal),
        Jitter::None => quote!(#krate::retry::Jitter::None),
        Jitter::Proportional => {
            let factor = Literal::f64_suffixed(factor.unwrap_or(0.1));
            quote!(#krate::retry::Jitter::Proportional(#factor))
        }
    });
    let chain = setters! {
        max_attempts => layer.max_attempts.map(int),
        backoff => backoff,
        initial_delay => layer.initial_delay.map(duration_tokens),
        max_delay => layer.max_delay.map(duration_tokens),
        multiplier => layer.multiplier.map(Literal::f64_suffixed),
        jitter => jitter,
        max_elapsed => layer.max_elapsed.map(duration_tokens),
    };
    quote!(#base #chain)
}

pub(crate) fn rate_limit(krate: &Path, layer: &RateLimitLayer) -> TokenStream {
    let (count, period) = layer.rate.unwrap_or((1, std::time::Duration::from_secs(1)));
    let count = int(count);
    let period = duration_tokens(period);
    let on_limit = layer.on_limit.map(|on_limit| match on_limit {
        OnLimit::Wait => quote!(#krate::rate_limit::OnLimit::Wait),
        OnLimit::Reject => quote!(#krate::rate_limit::OnLimit::Reject),
        OnLimit::Queue => quote!(#krate::rate_limit::OnLimit::Queue),
    });
    let backend = layer.backend.map(|backend| match backend.value {
        Backend::Local => quote!(#krate::rate_limit::Backend::Local),
        Backend::Redis => quote!(#krate::rate_limit::Backend::Redis),
    });
    let on_backend_error = layer.on_backend_error.map(|policy| match policy {
        OnBackendError::Allow => quote!(#krate::rate_limit::OnBackendError::Allow),
        OnBackendError::Deny => quote!(#krate::rate_limit::OnBackendError::Deny),
        OnBackendError::Local => quote!(#krate::rate_limit::OnBackendError::Local),
    });
    let chain = setters! {
        burst => layer.burst.map(int),
        on_limit => on_limit,
        max_wait => layer.max_wait.map(duration_tokens),
        max_queue => layer.max_queue.map(int),
        max_keys => layer.max_keys.map(|keys| Literal::usize_unsuffixed(keys as usize)),
        idle_ttl => layer.idle_ttl.map(duration_tokens),
        backend => backend,
        on_backend_error => on_backend_error,
    };
    quote!(#krate::rate_limit::RateLimitConfig::new(#krate::rate_limit::Rate::new(#count, #period)) #chain)
}

pub(crate) fn bulkhead(krate: &Path, layer: &BulkheadLayer) -> TokenStream {
    let max_concurrent = Literal::usize_unsuffixed(layer.max_concurrent.unwrap_or(1) as usize);
    let chain = setters! {
        max_wait => layer.max_wait.map(duration_tokens),
    };
    quote!(#krate::bulkhead::BulkheadConfig::new(#max_concurrent) #chain)
}

pub(crate) fn chaos(krate: &Path, layer: &ChaosLayer) -> TokenStream {
    let outage = layer.outage.map(|(outage, period)| {
        let (outage, period) = (duration_tokens(outage), duration_tokens(period));
        quote!(.with_outage(#outage, #period))
    });
    let chain = setters! {
        error_rate => layer.error_rate.map(Literal::f64_suffixed),
        latency => layer.latency.map(duration_tokens),
        latency_rate => layer.latency_rate.map(Literal::f64_suffixed),
        seed => layer.seed.map(Literal::u64_suffixed),
    };
    quote!(#krate::chaos::ChaosConfig::new() #chain #outage)
}
