//! `#[retry(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use resilience_syntax::rules::retry::{self as rules, View};
use resilience_syntax::rules::{InForce, KeyRule, Written};

use super::checked::{duration, number};
use super::common::Common;
use super::error::{error_at, report};
use super::items::from_items;
use crate::value::{Choice, DurationLit, Float, FloorRateLit, Int, Keyword, PercentLit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backoff {
    Exponential,
    Linear,
    Fixed,
    Decorrelated,
}

impl Keyword for Backoff {
    const RULE: &'static KeyRule = &rules::BACKOFF;

    fn named(word: &str) -> Option<Self> {
        match word {
            "exponential" => Some(Self::Exponential),
            "linear" => Some(Self::Linear),
            "fixed" => Some(Self::Fixed),
            "decorrelated" => Some(Self::Decorrelated),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Jitter {
    Full,
    Equal,
    Proportional,
    None,
}

impl Keyword for Jitter {
    const RULE: &'static KeyRule = &rules::JITTER;

    fn named(word: &str) -> Option<Self> {
        match word {
            "full" => Some(Self::Full),
            "equal" => Some(Self::Equal),
            "proportional" => Some(Self::Proportional),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Preset {
    Conservative,
    Aggressive,
    Patient,
}

impl Keyword for Preset {
    const RULE: &'static KeyRule = &rules::PRESET;

    fn named(word: &str) -> Option<Self> {
        match word {
            "conservative" => Some(Self::Conservative),
            "aggressive" => Some(Self::Aggressive),
            "patient" => Some(Self::Patient),
            _ => None,
        }
    }
}

impl Preset {
    /// (initial_delay, max_delay): what `RetryConfig::preset` supplies (both read the rule
    /// table), so that `max_delay ≥ initial_delay` is checked against it.
    const fn delays(self) -> (Duration, Duration) {
        let values = match self {
            Self::Conservative => rules::CONSERVATIVE,
            Self::Aggressive => rules::AGGRESSIVE,
            Self::Patient => rules::PATIENT,
        };
        (values.initial_delay, values.max_delay)
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
    budget: Option<PercentLit>,
    budget_window: Option<DurationLit>,
    budget_min: Option<FloorRateLit>,
    when: Option<Path>,
    when_ok: Option<Path>,
    retry_after: Option<Path>,
    preset: Option<Choice<Preset>>,
    name: Option<LitStr>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated retry budget: the percentage, and the window and minimum if written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) percent: f64,
    pub(crate) window: Option<Duration>,
    pub(crate) min: Option<(u32, Duration)>,
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
    pub(crate) budget: Option<Budget>,
    pub(crate) when: Option<Path>,
    /// `fn(&T) -> bool`: an `Ok` it flags is tried again.
    pub(crate) when_ok: Option<Path>,
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
            || self.budget.is_some()
    }
}

impl RetryArgs {
    /// The keys written that take values.
    fn written(&self) -> Vec<&'static str> {
        [
            ("preset", self.preset.is_some()),
            ("max_attempts", self.max_attempts.is_some()),
            ("backoff", self.backoff.is_some()),
            ("initial_delay", self.initial_delay.is_some()),
            ("max_delay", self.max_delay.is_some()),
            ("multiplier", self.multiplier.is_some()),
            ("jitter", self.jitter.is_some()),
            ("jitter_factor", self.jitter_factor.is_some()),
            ("max_elapsed", self.max_elapsed.is_some()),
            ("budget", self.budget.is_some()),
            ("budget_window", self.budget_window.is_some()),
            ("budget_min", self.budget_min.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, written)| written.then_some(key))
        .collect()
    }

    /// Where the value of `key` is written (for the keys the combination rules name).
    fn at(&self, key: &str) -> Option<Span> {
        match key {
            "multiplier" => self.multiplier.map(|value| value.span),
            "max_delay" => self.max_delay.map(|value| value.span),
            "initial_delay" => self.initial_delay.map(|value| value.span),
            "jitter" => self.jitter.map(|value| value.span),
            "jitter_factor" => self.jitter_factor.map(|value| value.span),
            "budget_window" => self.budget_window.map(|value| value.span),
            "budget_min" => self.budget_min.map(|value| value.span),
            _ => None,
        }
    }

    /// What the combination rules look at: the written values over the preset's, and the
    /// defaults for the rest (said so in the messages).
    fn view<'a>(&self, written: &'a [&'a str]) -> View<'a> {
        let (preset_initial, preset_max) = self.preset.map_or(
            (rules::DEFAULT_INITIAL_DELAY, rules::DEFAULT_MAX_DELAY),
            |preset| preset.value.delays(),
        );
        View {
            set: Written(written),
            backoff: self
                .backoff
                .map_or(rules::BACKOFFS[0], |backoff| backoff.value.word()),
            jitter: self
                .jitter
                .map_or(rules::JITTERS[0], |jitter| jitter.value.word()),
            initial_delay: self
                .initial_delay
                .map_or(preset_initial, |delay| delay.value),
            max_delay: self.max_delay.map_or(
                InForce {
                    value: preset_max,
                    is_default: true,
                },
                |delay| InForce {
                    value: delay.value,
                    is_default: false,
                },
            ),
            budget: self.budget.is_some(),
        }
    }
}

pub(super) fn parse(items: &[NestedMeta], _span: Span) -> darling::Result<RetryLayer> {
    let args: RetryArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let written = args.written();
    let view = args.view(&written);
    let at = |key: &str| args.at(key);
    let common = Common::new(args.name.clone(), args.krate.clone(), &mut errors);
    let preset = args.preset.map(|preset| preset.value);

    let max_attempts = args.max_attempts.and_then(|attempts| {
        // Beyond `u32` the attribute says "too large" where configuration states the range.
        let Ok(value) = u32::try_from(attempts.value) else {
            errors.push(error_at(attempts.span, rules::MAX_ATTEMPTS_TOO_LARGE));
            return None;
        };
        rules::MAX_ATTEMPTS
            .check_whole(u64::from(value))
            .map_err(|message| errors.push(error_at(attempts.span, message)))
            .ok()
            .map(|_| value)
    });

    let backoff = args.backoff.map(|backoff| backoff.value);
    let multiplier = args.multiplier.and_then(|multiplier| {
        if report(rules::multiplier_needs_exponential(&view), at, &mut errors) {
            return None;
        }
        number(Some(multiplier), &rules::MULTIPLIER, &mut errors)
    });

    let initial_delay = duration(args.initial_delay, &rules::INITIAL_DELAY, &mut errors);
    let max_delay = duration(args.max_delay, &rules::MAX_DELAY, &mut errors);
    // A delay its rule rejects is not compared with the other: one error per mistake.
    if initial_delay.is_some() == args.initial_delay.is_some()
        && max_delay.is_some() == args.max_delay.is_some()
    {
        report(rules::max_delay_at_least_initial(&view), at, &mut errors);
    }

    let jitter = args.jitter.map(|jitter| jitter.value);
    report(rules::decorrelated_takes_no_jitter(&view), at, &mut errors);
    let jitter_factor = args.jitter_factor.and_then(|factor| {
        if report(
            rules::jitter_factor_needs_proportional(&view),
            at,
            &mut errors,
        ) {
            return None;
        }
        number(Some(factor), &rules::JITTER_FACTOR, &mut errors)
    });
    let jitter = jitter.map(|jitter| (jitter, jitter_factor));

    let max_elapsed = duration(args.max_elapsed, &rules::MAX_ELAPSED, &mut errors);

    report(rules::budget_window_needs_budget(&view), at, &mut errors);
    report(rules::budget_min_needs_budget(&view), at, &mut errors);
    let budget_window = duration(args.budget_window, &rules::BUDGET_WINDOW, &mut errors);
    let budget = args.budget.map(|percent| Budget {
        percent: percent.value,
        window: budget_window,
        min: args.budget_min.map(|min| (min.count, min.period)),
    });

    errors.finish_with(RetryLayer {
        common,
        preset,
        max_attempts,
        backoff,
        initial_delay,
        max_delay,
        multiplier,
        jitter,
        max_elapsed,
        budget,
        when: args.when,
        when_ok: args.when_ok,
        retry_after: args.retry_after,
    })
}
