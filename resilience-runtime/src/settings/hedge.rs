//! `hedge` keys: the `#[hedge]` attribute's, with its ranges (from
//! `resilience_syntax::rules::hedge`, whose `delay` rule the attribute reads too).

use resilience_syntax::rules::hedge as rules;

use super::keys::{Configurable, Key, KindSpec, NAME_AND_CRATE, Setting, key};
use crate::hedge::{Hedge, HedgeConfig, HedgeDelay, Percentile};

const KEYS: &[Key] = &[key!(rules::DELAY), key!(rules::MAX_HEDGES)];

pub(crate) static SPEC: KindSpec = KindSpec {
    name: "hedge",
    env: "HEDGE",
    keys: KEYS,
    fixed: &NAME_AND_CRATE,
};

impl Configurable for Hedge {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(config: HedgeConfig, key: &str, setting: &Setting) -> HedgeConfig {
        match (key, setting) {
            // A fixed delay reads as a duration, a percentile as its word.
            ("delay", Setting::Duration(delay)) => config.with_delay(HedgeDelay::Fixed(*delay)),
            ("delay", Setting::Word(word)) => match Percentile::named(word) {
                Some(percentile) => config.with_delay(HedgeDelay::Percentile(percentile)),
                None => config,
            },
            ("max_hedges", Setting::Whole(hedges)) => {
                config.with_max_hedges(u32::try_from(*hedges).unwrap_or(u32::MAX))
            }
            _ => config,
        }
    }

    fn check(_set: &[&'static str], _config: &HedgeConfig) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn in_force(&self) -> HedgeConfig {
        self.config()
    }

    fn fixed_while_running(
        _before: &HedgeConfig,
        _after: &HedgeConfig,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Calls that start from now on follow the new delay and number of hedges; the
    /// latencies seen are kept, so a switch to a percentile uses them at once.
    fn reconfigure(&self, config: HedgeConfig) {
        self.set_config(config);
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
        let config = HedgeConfig::new(HedgeDelay::Fixed(Duration::from_millis(5)));
        let config = Hedge::set(config, "delay", &read("delay", "p99").unwrap());
        assert_eq!(config.delay(), HedgeDelay::Percentile(Percentile::P99));
        let config = Hedge::set(config, "delay", &read("delay", "40ms").unwrap());
        assert_eq!(config.delay(), HedgeDelay::Fixed(Duration::from_millis(40)));
        let config = Hedge::set(config, "max_hedges", &read("max_hedges", "3").unwrap());
        assert_eq!(config.max_hedges(), 3);
        assert!(
            read("delay", "p50")
                .unwrap_err()
                .contains("unknown percentile")
        );
        assert!(
            read("delay", "0s")
                .unwrap_err()
                .contains("greater than zero")
        );
        assert!(read("max_hedges", "5").unwrap_err().contains("from 1 to 4"));
    }
}
