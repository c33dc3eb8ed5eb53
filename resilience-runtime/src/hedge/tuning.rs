//! [`Tuning`]: the configuration a named [`Hedge`](super::Hedge) runs with, replaceable at
//! run time and read by every call without a lock (two words in a [`SeqLock`]).

use std::time::Duration;

use super::config::{HedgeConfig, HedgeDelay, Percentile};
use crate::base::seqlock::SeqLock;

/// The configuration, packed: the delay's kind and `max_hedges` in the first word, a fixed
/// delay's nanoseconds (saturating at about 584 years) in the second.
#[derive(Debug)]
pub(super) struct Tuning(SeqLock<2>);

const FIXED: u64 = 0;
const P90: u64 = 1;
const P95: u64 = 2;
const P99: u64 = 3;

impl Tuning {
    pub(super) const fn new(config: HedgeConfig) -> Self {
        Self(SeqLock::new(pack(config)))
    }

    /// The configuration in force.
    #[inline]
    pub(super) fn load(&self) -> HedgeConfig {
        unpack(self.0.load())
    }

    /// Replaces the configuration; calls that start from now on follow it.
    pub(super) fn store(&self, config: HedgeConfig) {
        self.0.store(pack(config));
    }
}

const fn pack(config: HedgeConfig) -> [u64; 2] {
    let (kind, nanos) = match config.delay() {
        HedgeDelay::Fixed(delay) => {
            let nanos = delay.as_nanos();
            (
                FIXED,
                if nanos > u64::MAX as u128 {
                    u64::MAX
                } else {
                    nanos as u64
                },
            )
        }
        HedgeDelay::Percentile(Percentile::P90) => (P90, 0),
        HedgeDelay::Percentile(Percentile::P95) => (P95, 0),
        HedgeDelay::Percentile(Percentile::P99) => (P99, 0),
    };
    [kind | (config.max_hedges() as u64) << 8, nanos]
}

fn unpack([first, nanos]: [u64; 2]) -> HedgeConfig {
    let delay = match first & 0xff {
        P90 => HedgeDelay::Percentile(Percentile::P90),
        P95 => HedgeDelay::Percentile(Percentile::P95),
        P99 => HedgeDelay::Percentile(Percentile::P99),
        _ => HedgeDelay::Fixed(Duration::from_nanos(nanos)),
    };
    HedgeConfig::new(delay).with_max_hedges(u32::try_from(first >> 8).unwrap_or(u32::MAX))
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn every_config_round_trips() {
        let delays = [
            HedgeDelay::Fixed(Duration::from_millis(50)),
            HedgeDelay::Fixed(Duration::new(3, 7)),
            HedgeDelay::Percentile(Percentile::P90),
            HedgeDelay::Percentile(Percentile::P95),
            HedgeDelay::Percentile(Percentile::P99),
        ];
        for delay in delays {
            for hedges in 0..=HedgeConfig::MAX_HEDGES {
                let config = HedgeConfig::new(delay).with_max_hedges(hedges);
                let tuning = Tuning::new(HedgeConfig::new(HedgeDelay::Fixed(Duration::ZERO)));
                tuning.store(config);
                assert_eq!(tuning.load(), config);
            }
        }
    }
}
