//! `bulkhead` keys: the `#[bulkhead]` attribute's, with its ranges (from
//! `resilience_syntax::rules::bulkhead`, which the attribute checks too).

use resilience_syntax::rules::bulkhead::{self as rules, View};
use resilience_syntax::rules::{InForce, Written};

use super::keys::{Configurable, Key, KindSpec, NAME_AND_CRATE, Setting, key};
use crate::bulkhead::{Adaptive, Bulkhead, BulkheadConfig};

const KEYS: &[Key] = &[
    key!(rules::MAX_CONCURRENT),
    key!(rules::MAX_WAIT),
    key!(rules::ADAPTIVE),
    key!(rules::MIN_CONCURRENT),
];

pub(crate) static SPEC: KindSpec = KindSpec {
    name: "bulkhead",
    env: "BULKHEAD",
    keys: KEYS,
    fixed: &NAME_AND_CRATE,
};

impl Configurable for Bulkhead {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(config: BulkheadConfig, key: &str, setting: &Setting) -> BulkheadConfig {
        match (key, setting) {
            ("max_concurrent", Setting::Whole(max)) => {
                config.with_max_concurrent(usize::try_from(*max).unwrap_or(usize::MAX))
            }
            ("max_wait", Setting::Duration(wait)) => config.with_max_wait(*wait),
            // "off" (the one other word) makes the limit static again.
            ("adaptive", Setting::Word(word)) => match Adaptive::named(word) {
                Some(algorithm) => config.with_adaptive(algorithm),
                None => config.without_adaptive(),
            },
            ("min_concurrent", Setting::Whole(min)) => {
                config.with_min_concurrent(usize::try_from(*min).unwrap_or(usize::MAX))
            }
            _ => config,
        }
    }

    fn check(set: &[&'static str], config: &BulkheadConfig) -> Vec<(&'static str, String)> {
        let view = View {
            set: Written(set),
            adaptive: config.adaptive().is_some(),
            min_concurrent: config.min_concurrent() as u64,
            max_concurrent: InForce {
                value: config.max_concurrent() as u64,
                is_default: false,
            },
        };
        rules::COMBINATIONS
            .iter()
            .filter_map(|rule| (rule.check)(&view))
            .map(|problem| (problem.key, problem.message))
            .collect()
    }

    fn in_force(&self) -> BulkheadConfig {
        self.config()
    }

    fn fixed_while_running(
        _before: &BulkheadConfig,
        _after: &BulkheadConfig,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Resizing keeps the calls in flight and leaks no slot (see
    /// [`Bulkhead::set_max_concurrent`]); an adaptive bulkhead keeps its algorithm's state
    /// (new bounds clamp its limit), and switching the algorithm starts the new one from the
    /// limit in force (see [`Bulkhead::set_adaptive`]).
    fn reconfigure(&self, config: BulkheadConfig) {
        if config.max_wait() != self.max_wait() {
            self.set_max_wait(config.max_wait());
        }
        if config.max_concurrent() != self.max_concurrent() {
            self.set_max_concurrent(config.max_concurrent());
        }
        if config.min_concurrent() != self.min_concurrent() {
            self.set_min_concurrent(config.min_concurrent());
        }
        if config.adaptive() != self.adaptive() {
            self.set_adaptive(config.adaptive());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::value::Raw;
    use std::time::Duration;

    #[test]
    fn keys() {
        let read = |key: &str, raw: &str| (SPEC.key(key).unwrap().read)(&Raw::Text(raw.to_owned()));
        assert!(
            read("max_concurrent", "0")
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(read("max_wait", "1 s").unwrap_err().contains("whitespace"));
        let config = Bulkhead::set(
            BulkheadConfig::new(2).with_max_wait(Duration::from_secs(1)),
            "max_concurrent",
            &read("max_concurrent", "8").unwrap(),
        );
        assert_eq!(
            config,
            BulkheadConfig::new(8).with_max_wait(Duration::from_secs(1))
        );
        let config = Bulkhead::set(config, "max_wait", &read("max_wait", "50ms").unwrap());
        assert_eq!(config.max_wait(), Duration::from_millis(50));
        assert!(Bulkhead::check(&["max_wait"], &config).is_empty());
    }

    #[test]
    fn adaptive_keys_and_their_combinations() {
        let read = |key: &str, raw: &str| (SPEC.key(key).unwrap().read)(&Raw::Text(raw.to_owned()));
        assert!(
            read("adaptive", "aimdd")
                .unwrap_err()
                .contains("did you mean \"aimd\"")
        );
        assert!(
            read("min_concurrent", "0")
                .unwrap_err()
                .contains("at least 1")
        );
        let config = Bulkhead::set(
            BulkheadConfig::new(4),
            "adaptive",
            &read("adaptive", "vegas").unwrap(),
        );
        assert_eq!(config.adaptive(), Some(Adaptive::Vegas));
        let config = Bulkhead::set(
            config,
            "min_concurrent",
            &read("min_concurrent", "8").unwrap(),
        );
        let problems = Bulkhead::check(&["min_concurrent"], &config);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "min_concurrent");
        assert!(
            problems[0].1.contains("at most `max_concurrent` (4)"),
            "{problems:?}"
        );
        let problems = Bulkhead::check(&["max_concurrent"], &config);
        assert_eq!(problems[0].0, "max_concurrent");
        let off = Bulkhead::set(config, "adaptive", &read("adaptive", "off").unwrap());
        assert_eq!(off.adaptive(), None);
        let problems = Bulkhead::check(&["min_concurrent"], &off);
        assert!(
            problems[0]
                .1
                .contains("only applies to an adaptive bulkhead"),
            "{problems:?}"
        );
        assert!(Bulkhead::check(&["adaptive"], &off).is_empty());
    }
}
