//! `#[retry(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use super::{Common, error_at, from_items};
use crate::value::{Choice, DurationLit, Float, Int, Keyword};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backoff {
    Exponential,
    Linear,
    Fixed,
    Decorrelated,
}

impl Keyword for Backoff {
    const KEY: &'static str = "backoff";
    const ALL: &'static [(&'static str, Self)] = &[
        ("exponential", Self::Exponential),
        ("linear", Self::Linear),
        ("fixed", Self::Fixed),
        ("decorrelated", Self::Decorrelated),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Jitter {
    Full,
    Equal,
    Proportional,
    None,
}

impl Keyword for Jitter {
    const KEY: &'static str = "jitter";
    const ALL: &'static [(&'static str, Self)] = &[
        ("full", Self::Full),
        ("equal", Self::Equal),
        ("proportional", Self::Proportional),
        ("none", Self::None),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Preset {
    Conservative,
    Aggressive,
    Patient,
}

impl Keyword for Preset {
    const KEY: &'static str = "preset";
    const ALL: &'static [(&'static str, Self)] = &[
        ("conservative", Self::Conservative),
        ("aggressive", Self::Aggressive),
        ("patient", Self::Patient),
    ];
}

impl Preset {
    /// (initial_delay, max_delay); mirrors `RetryPolicy::preset` so that
    /// `max_delay ≥ initial_delay` is checked against what the preset supplies.
    const fn delays(self) -> (Duration, Duration) {
        match self {
            Self::Conservative => (Duration::from_secs(1), Duration::from_secs(16)),
            Self::Aggressive => (Duration::from_millis(500), Duration::from_secs(8)),
            Self::Patient => (Duration::from_secs(2), Duration::from_secs(60)),
        }
    }
}

#[derive(FromMeta)]
struct RetryArgs {
    max_attempts: Option<Int>,
    backoff: Option<Choice<Backoff>>,
    initial_delay: Option<DurationLit>,
    max_delay: Option<DurationLit>,
    multiplier: Option<Float>,
    jitter: Option<Choice<Jitter>>,
    jitter_factor: Option<Float>,
    max_elapsed: Option<DurationLit>,
    when: Option<Path>,
    retry_after: Option<Path>,
    preset: Option<Choice<Preset>>,
    name: Option<LitStr>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[retry]`: only the keys the user wrote, over an optional preset.
pub(crate) struct RetryLayer {
    pub(crate) common: Common,
    pub(crate) preset: Option<Preset>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) backoff: Option<Backoff>,
    pub(crate) initial_delay: Option<Duration>,
    pub(crate) max_delay: Option<Duration>,
    pub(crate) multiplier: Option<f64>,
    pub(crate) jitter: Option<(Jitter, Option<f64>)>,
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) when: Option<Path>,
    pub(crate) retry_after: Option<Path>,
}

impl RetryLayer {
    /// Whether the site declares a policy, or only names one declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.common.name.is_none()
            || self.preset.is_some()
            || self.max_attempts.is_some()
            || self.backoff.is_some()
            || self.initial_delay.is_some()
            || self.max_delay.is_some()
            || self.multiplier.is_some()
            || self.jitter.is_some()
            || self.max_elapsed.is_some()
    }
}

pub(super) fn parse(items: &[NestedMeta], _span: Span) -> darling::Result<RetryLayer> {
    let args: RetryArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let common = Common::new(args.name, args.krate, &mut errors);
    let preset = args.preset.map(|preset| preset.value);
    let (preset_initial, preset_max) = preset.map_or(
        (Duration::from_millis(100), Duration::from_secs(10)),
        Preset::delays,
    );

    let max_attempts = args.max_attempts.and_then(|attempts| {
        match u32::try_from(attempts.value) {
            Ok(0) => errors.push(error_at(
                attempts.span,
                "`max_attempts` counts every call including the first, so it must be at least 1",
            )),
            Ok(value) => return Some(value),
            Err(_) => errors.push(error_at(attempts.span, "`max_attempts` is too large")),
        }
        None
    });

    let backoff = args.backoff.map(|backoff| backoff.value);
    let effective_backoff = backoff.unwrap_or(Backoff::Exponential);

    let multiplier = args.multiplier.and_then(|multiplier| {
        if effective_backoff != Backoff::Exponential {
            errors.push(error_at(
                multiplier.span,
                "`multiplier` only applies to `backoff = \"exponential\"`",
            ));
        } else if multiplier.value <= 1.0 {
            errors.push(error_at(
                multiplier.span,
                "`multiplier` must be greater than 1 so that delays grow",
            ));
        } else if multiplier.value > 100.0 {
            errors.push(error_at(
                multiplier.span,
                "`multiplier` must be at most 100",
            ));
        } else {
            return Some(multiplier.value);
        }
        None
    });

    let initial = args
        .initial_delay
        .map_or(preset_initial, |delay| delay.value);
    let max = args.max_delay.map_or(preset_max, |delay| delay.value);
    if max < initial {
        match (args.max_delay, args.initial_delay) {
            (Some(max_delay), _) => errors.push(error_at(
                max_delay.span,
                format!("`max_delay` ({max:?}) must be at least `initial_delay` ({initial:?})"),
            )),
            (None, Some(initial_delay)) => errors.push(error_at(
                initial_delay.span,
                format!(
                    "`initial_delay` ({initial:?}) exceeds the default `max_delay` ({max:?}); raise `max_delay` too"
                ),
            )),
            (None, None) => {}
        }
    }

    let jitter = args.jitter.map(|jitter| jitter.value);
    if let (Some(written), Backoff::Decorrelated) = (args.jitter, effective_backoff) {
        errors.push(error_at(
            written.span,
            "`backoff = \"decorrelated\"` is already randomised; remove `jitter`",
        ));
    }
    let jitter_factor = args.jitter_factor.and_then(|factor| {
        if jitter != Some(Jitter::Proportional) {
            errors.push(error_at(
                factor.span,
                "`jitter_factor` only applies to `jitter = \"proportional\"`",
            ));
        } else if factor.value <= 0.0 || factor.value > 1.0 {
            errors.push(error_at(
                factor.span,
                "`jitter_factor` must be greater than 0 and at most 1",
            ));
        } else {
            return Some(factor.value);
        }
        None
    });
    let jitter = jitter.map(|jitter| (jitter, jitter_factor));

    let max_elapsed = args.max_elapsed.and_then(|elapsed| {
        if elapsed.value.is_zero() {
            errors.push(error_at(
                elapsed.span,
                "`max_elapsed` must be greater than zero",
            ));
            None
        } else {
            Some(elapsed.value)
        }
    });

    errors.finish_with(RetryLayer {
        common,
        preset,
        max_attempts,
        backoff,
        initial_delay: args.initial_delay.map(|delay| delay.value),
        max_delay: args.max_delay.map(|delay| delay.value),
        multiplier,
        jitter,
        max_elapsed,
        when: args.when,
        retry_after: args.retry_after,
    })
}
