//! `#[bulkhead(..)]`.

use std::time::Duration;

use darling::FromMeta;
use darling::ast::NestedMeta;
use proc_macro2::Span;
use syn::{LitStr, Path};

use resilience_syntax::rules::bulkhead::{self as rules, View};
use resilience_syntax::rules::{InForce, KeyRule, Written};

use super::checked::{duration, whole};
use super::common::Common;
use super::error::{error_at, report};
use super::items::from_items;
use crate::value::{Choice, DurationLit, Int, Keyword};

/// `adaptive = ".."`: an algorithm, or `"off"` (a static limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Adaptive {
    Aimd,
    Gradient,
    Vegas,
    Off,
}

impl Keyword for Adaptive {
    const RULE: &'static KeyRule = &rules::ADAPTIVE;

    fn named(word: &str) -> Option<Self> {
        match word {
            "aimd" => Some(Self::Aimd),
            "gradient" => Some(Self::Gradient),
            "vegas" => Some(Self::Vegas),
            "off" => Some(Self::Off),
            _ => None,
        }
    }
}

#[derive(FromMeta)]
struct BulkheadArgs {
    name: Option<LitStr>,
    max_concurrent: Option<Int>,
    max_wait: Option<DurationLit>,
    adaptive: Option<Choice<Adaptive>>,
    min_concurrent: Option<Int>,
    #[darling(rename = "crate")]
    krate: Option<Path>,
}

/// A validated `#[bulkhead]`.
pub(crate) struct BulkheadLayer {
    pub(crate) common: Common,
    /// `None` only when the site adopts a bulkhead declared elsewhere.
    pub(crate) max_concurrent: Option<u32>,
    pub(crate) max_wait: Option<Duration>,
    /// The algorithm, if adaptive (`"off"` is kept as `None`).
    pub(crate) adaptive: Option<Adaptive>,
    pub(crate) min_concurrent: Option<u32>,
}

impl BulkheadLayer {
    /// Whether the site declares a configuration, or only names a bulkhead declared elsewhere.
    pub(crate) fn declares(&self) -> bool {
        self.max_concurrent.is_some()
    }
}

impl BulkheadArgs {
    /// The keys written that take values.
    fn written(&self) -> Vec<&'static str> {
        [
            ("max_concurrent", self.max_concurrent.is_some()),
            ("max_wait", self.max_wait.is_some()),
            ("adaptive", self.adaptive.is_some()),
            ("min_concurrent", self.min_concurrent.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, written)| written.then_some(key))
        .collect()
    }

    /// Where the value of `key` is written (for the keys the combination rules name).
    fn at(&self, key: &str) -> Option<Span> {
        match key {
            "max_concurrent" => self.max_concurrent.map(|value| value.span),
            "min_concurrent" => self.min_concurrent.map(|value| value.span),
            _ => None,
        }
    }
}

pub(super) fn parse(items: &[NestedMeta], span: Span) -> darling::Result<BulkheadLayer> {
    let args: BulkheadArgs = from_items(items)?;
    let mut errors = darling::Error::accumulator();
    let common = Common::new(args.name.clone(), args.krate.clone(), &mut errors);
    if args.max_concurrent.is_none()
        && (common.name.is_none()
            || args.max_wait.is_some()
            || args.adaptive.is_some()
            || args.min_concurrent.is_some())
    {
        errors.push(error_at(
            span,
            "`#[bulkhead]` needs `max_concurrent`, e.g. `#[bulkhead(max_concurrent = 16)]`",
        ));
    }
    let max_concurrent = whole(args.max_concurrent, &rules::MAX_CONCURRENT, &mut errors);
    let max_wait = duration(args.max_wait, &rules::MAX_WAIT, &mut errors);
    let adaptive = args
        .adaptive
        .map(|choice| choice.value)
        .filter(|adaptive| *adaptive != Adaptive::Off);
    let min_concurrent = whole(args.min_concurrent, &rules::MIN_CONCURRENT, &mut errors);
    // A value its own rule rejected is not compared with another: one error per mistake.
    if max_concurrent.is_some() == args.max_concurrent.is_some()
        && min_concurrent.is_some() == args.min_concurrent.is_some()
    {
        let written = args.written();
        let view = View {
            set: Written(&written),
            adaptive: adaptive.is_some(),
            min_concurrent: min_concurrent
                .map_or(u64::from(rules::DEFAULT_MIN_CONCURRENT), u64::from),
            max_concurrent: InForce {
                value: max_concurrent.map_or(u64::MAX, u64::from),
                is_default: false,
            },
        };
        let at = |key: &str| args.at(key);
        for rule in rules::COMBINATIONS {
            report((rule.check)(&view), at, &mut errors);
        }
    }
    errors.finish_with(BulkheadLayer {
        common,
        max_concurrent,
        max_wait,
        adaptive,
        min_concurrent,
    })
}
