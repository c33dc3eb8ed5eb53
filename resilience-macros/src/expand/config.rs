//! Declarations and their config: each policy's const builder chain, as generated code
//! writes it, and the link-time declaration of a named instance.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::{LitStr, Path};

use super::registered::Registered;

use crate::attrs::{
    Adaptive, Backend, Backoff, BulkheadLayer, ChaosLayer, CircuitBreakerLayer, HedgeLayer, Jitter,
    OnBackendError, OnLimit, Preset, QuotaLayer, QuotaWindow, RateLimitLayer, RetryLayer,
    WindowSpec,
};
use crate::value::duration_tokens;

fn int(value: u32) -> Literal {
    Literal::u32_unsuffixed(value)
}

/// The link-time declaration of instance `name` with `config`, so that other sites naming it
/// adopt this config even when they run first. Empty for a kind declared only at the site.
pub(super) fn declaration(
    krate: &Path,
    kind: Registered,
    name: &LitStr,
    config: &TokenStream,
    location: &TokenStream,
) -> TokenStream {
    let Some(constructor) = kind.declaration(krate) else {
        return TokenStream::new();
    };
    quote! {
        #krate::__private::inventory::submit! {
            #constructor(#name, #config, #location)
        }
    }
}

/// The link-time record that this site adopts instance `name` without declaring it, so that a
/// name no site, code or configuration declares (a typo) is reported when the registry
/// starts. Empty for a kind whose sites always declare.
pub(super) fn adoption(
    krate: &Path,
    kind: Registered,
    name: &LitStr,
    location: &TokenStream,
) -> TokenStream {
    let Some(constructor) = kind.adoption(krate) else {
        return TokenStream::new();
    };
    quote! {
        #krate::__private::inventory::submit! {
            #constructor(#name, #location)
        }
    }
}

/// `.with_key(value)` for every key the user wrote, each setter named as the runtime spells it.
macro_rules! setters {
    ($($setter:ident => $value:expr),* $(,)?) => {{
        let mut chain = TokenStream::new();
        $(
            if let Some(value) = $value {
                chain.extend(quote!(.$setter(#value)));
            }
        )*
        chain
    }};
}

/// The config of a `#[circuit_breaker]` layer, as a const builder chain.
pub(super) fn circuit_breaker(krate: &Path, layer: &CircuitBreakerLayer) -> TokenStream {
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
        with_failure_threshold => layer.failure_threshold.map(int),
        with_failure_rate => rate(layer.failure_rate),
        with_minimum_calls => layer.minimum_calls.map(int),
        with_slow_call_duration => layer.slow_call_duration.map(duration_tokens),
        with_slow_call_rate => rate(layer.slow_call_rate),
        with_recovery_timeout => layer.recovery_timeout.map(duration_tokens),
        with_recovery_backoff => layer.recovery_backoff.map(Literal::f64_suffixed),
        with_max_recovery_timeout => layer.max_recovery_timeout.map(duration_tokens),
        with_success_threshold => layer.success_threshold.map(int),
        with_half_open_max_calls => layer.half_open_max_calls.map(int),
        with_max_wait_in_half_open => layer.max_wait_in_half_open.map(duration_tokens),
        with_backend => layer.backend.map(|backend| match backend.value {
            Backend::Local => quote!(#krate::circuit_breaker::Backend::Local),
            Backend::Redis => quote!(#krate::circuit_breaker::Backend::Redis),
        }),
        with_backend_timeout => layer.backend_timeout.map(duration_tokens),
    };
    quote!(#krate::circuit_breaker::CircuitBreakerConfig::new() #window #chain)
}

/// The config of a `#[retry]` layer, as a const builder chain.
pub(super) fn retry(krate: &Path, layer: &RetryLayer) -> TokenStream {
    let base = match layer.preset {
        Some(preset) => {
            let preset = match preset {
                Preset::Conservative => quote!(#krate::retry::Preset::Conservative),
                Preset::Aggressive => quote!(#krate::retry::Preset::Aggressive),
                Preset::Patient => quote!(#krate::retry::Preset::Patient),
            };
            quote!(#krate::retry::RetryConfig::preset(#preset))
        }
        None => quote!(#krate::retry::RetryConfig::new()),
    };
    let backoff = layer.backoff.map(|backoff| match backoff {
        Backoff::Exponential => quote!(#krate::retry::BackoffKind::Exponential),
        Backoff::Linear => quote!(#krate::retry::BackoffKind::Linear),
        Backoff::Fixed => quote!(#krate::retry::BackoffKind::Fixed),
        Backoff::Decorrelated => quote!(#krate::retry::BackoffKind::Decorrelated),
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
    let budget = layer.budget.map(|budget| {
        let percent = Literal::f64_suffixed(budget.percent);
        let window = budget
            .window
            .map(|window| {
                let window = duration_tokens(window);
                quote!(.with_window(#window))
            })
            .unwrap_or_default();
        let min = budget
            .min
            .map(|(count, period)| {
                let (count, period) = (int(count), duration_tokens(period));
                quote!(.with_min(#count, #period))
            })
            .unwrap_or_default();
        quote!(#krate::retry::RetryBudget::new(#percent) #window #min)
    });
    let chain = setters! {
        with_max_attempts => layer.max_attempts.map(int),
        with_backoff => backoff,
        with_initial_delay => layer.initial_delay.map(duration_tokens),
        with_max_delay => layer.max_delay.map(duration_tokens),
        with_multiplier => layer.multiplier.map(Literal::f64_suffixed),
        with_jitter => jitter,
        with_max_elapsed => layer.max_elapsed.map(duration_tokens),
        with_budget => budget,
    };
    quote!(#base #chain)
}

/// The config of a `#[rate_limit]` layer, as a const builder chain.
pub(super) fn rate_limit(krate: &Path, layer: &RateLimitLayer) -> TokenStream {
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
        with_burst => layer.burst.map(int),
        with_on_limit => on_limit,
        with_max_wait => layer.max_wait.map(duration_tokens),
        with_max_queue => layer.max_queue.map(int),
        with_max_keys => layer.max_keys.map(|keys| Literal::usize_unsuffixed(keys as usize)),
        with_idle_ttl => layer.idle_ttl.map(duration_tokens),
        with_backend => backend,
        with_on_backend_error => on_backend_error,
        with_backend_timeout => layer.backend_timeout.map(duration_tokens),
    };
    quote!(#krate::rate_limit::RateLimitConfig::new(#krate::rate_limit::Rate::new(#count, #period)) #chain)
}

/// The config of a `#[bulkhead]` layer, as a const builder chain.
pub(super) fn bulkhead(krate: &Path, layer: &BulkheadLayer) -> TokenStream {
    let max_concurrent = Literal::usize_unsuffixed(layer.max_concurrent.unwrap_or(1) as usize);
    let adaptive = layer.adaptive.and_then(|adaptive| {
        let variant = match adaptive {
            Adaptive::Aimd => quote!(Aimd),
            Adaptive::Gradient => quote!(Gradient),
            Adaptive::Vegas => quote!(Vegas),
            Adaptive::Off => return None,
        };
        Some(quote!(#krate::bulkhead::Adaptive::#variant))
    });
    let chain = setters! {
        with_max_wait => layer.max_wait.map(duration_tokens),
        with_adaptive => adaptive,
        with_min_concurrent => layer.min_concurrent.map(|min| Literal::usize_unsuffixed(min as usize)),
    };
    quote!(#krate::bulkhead::BulkheadConfig::new(#max_concurrent) #chain)
}

/// The config of a `#[chaos]` layer, as a const builder chain.
pub(super) fn chaos(krate: &Path, layer: &ChaosLayer) -> TokenStream {
    let outage = layer.outage.map(|(outage, period)| {
        let (outage, period) = (duration_tokens(outage), duration_tokens(period));
        quote!(.with_outage(#outage, #period))
    });
    let chain = setters! {
        with_error_rate => layer.error_rate.map(Literal::f64_suffixed),
        with_latency => layer.latency.map(duration_tokens),
        with_latency_rate => layer.latency_rate.map(Literal::f64_suffixed),
        with_seed => layer.seed.map(Literal::u64_suffixed),
    };
    quote!(#krate::chaos::ChaosConfig::new() #chain #outage)
}

/// The config of a `#[hedge]` layer, as a const builder chain.
pub(super) fn hedge(krate: &Path, layer: &HedgeLayer) -> TokenStream {
    use resilience_syntax::rules::hedge::DelayValue;
    let delay = match layer.delay {
        Some(DelayValue::Fixed(delay)) => {
            let delay = duration_tokens(delay);
            quote!(#krate::hedge::HedgeDelay::Fixed(#delay))
        }
        Some(DelayValue::Percentile(word)) => {
            let percentile = match word {
                "p90" => quote!(P90),
                "p99" => quote!(P99),
                _ => quote!(P95),
            };
            quote!(#krate::hedge::HedgeDelay::Percentile(#krate::hedge::Percentile::#percentile))
        }
        // Only a declaring site has config, and a declaring site has a delay.
        None => quote!(#krate::hedge::HedgeDelay::Percentile(#krate::hedge::Percentile::P95)),
    };
    let chain = setters! {
        with_max_hedges => layer.max_hedges.map(int),
    };
    quote!(#krate::hedge::HedgeConfig::new(#delay) #chain)
}

/// The config of a `#[quota]` layer, as a const builder chain.
pub(super) fn quota(krate: &Path, layer: &QuotaLayer) -> TokenStream {
    let (count, period) = layer
        .limit
        .unwrap_or((1, std::time::Duration::from_secs(1)));
    let count = int(count);
    let period = duration_tokens(period);
    let window = layer.window.map(|window| match window {
        QuotaWindow::Fixed => quote!(#krate::quota::QuotaWindow::Fixed),
        QuotaWindow::Sliding => quote!(#krate::quota::QuotaWindow::Sliding),
    });
    let backend = layer.backend.map(|backend| match backend.value {
        Backend::Local => quote!(#krate::quota::Backend::Local),
        Backend::Redis => quote!(#krate::quota::Backend::Redis),
    });
    let on_backend_error = layer.on_backend_error.map(|policy| match policy {
        OnBackendError::Allow => quote!(#krate::quota::OnBackendError::Allow),
        OnBackendError::Deny => quote!(#krate::quota::OnBackendError::Deny),
        OnBackendError::Local => quote!(#krate::quota::OnBackendError::Local),
    });
    let chain = setters! {
        with_window => window,
        with_max_keys => layer.max_keys.map(|keys| Literal::usize_unsuffixed(keys as usize)),
        with_idle_ttl => layer.idle_ttl.map(duration_tokens),
        with_backend => backend,
        with_on_backend_error => on_backend_error,
        with_backend_timeout => layer.backend_timeout.map(duration_tokens),
    };
    quote!(#krate::quota::QuotaConfig::new(#krate::quota::QuotaLimit::new(#count, #period)) #chain)
}
