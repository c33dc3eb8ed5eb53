//! `bulkhead` keys: the `#[bulkhead]` attribute's, with its ranges (from
//! `resilience_syntax::rules::bulkhead`, which the attribute checks too).

use resilience_syntax::rules::bulkhead as rules;

use super::keys::{Configurable, Key, KindSpec, NAME_AND_CRATE, Setting, key};
use crate::bulkhead::{Bulkhead, BulkheadConfig};

const KEYS: &[Key] = &[key!(rules::MAX_CONCURRENT), key!(rules::MAX_WAIT)];

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
                BulkheadConfig::new(usize::try_from(*max).unwrap_or(usize::MAX))
                    .with_max_wait(config.max_wait())
            }
            ("max_wait", Setting::Duration(wait)) => config.with_max_wait(*wait),
            _ => config,
        }
    }

    fn check(_set: &[&'static str], _config: &BulkheadConfig) -> Vec<(&'static str, String)> {
        Vec::new()
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
    /// [`Bulkhead::set_max_concurrent`]).
    fn reconfigure(&self, config: BulkheadConfig) {
        if config.max_wait() != self.max_wait() {
            self.set_max_wait(config.max_wait());
        }
        if config.max_concurrent() != self.max_concurrent() {
            self.set_max_concurrent(config.max_concurrent());
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
}
