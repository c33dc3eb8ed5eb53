//! The faults of one call: an outage, a latency, an error, drawn from the instance's
//! generator while chaos is armed.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use super::arming;
use super::injection::{Fault, Injection};
use super::instance::Chaos;
use crate::base::clock;
use crate::base::kill_switch;

impl Chaos {
    /// Decides the faults of one call and counts them. Disarmed (or under the kill switch),
    /// this is [`Injection::NONE`] at the cost of one relaxed atomic load (two with the
    /// switch): no clock read, no draw, nothing counted.
    #[inline]
    pub fn inject(&self) -> Injection {
        if !arming::armed() {
            return Injection::NONE;
        }
        self.inject_armed()
    }

    #[inline(never)]
    fn inject_armed(&self) -> Injection {
        if kill_switch::engaged() {
            return Injection::NONE;
        }
        self.counters.calls.fetch_add(1, Relaxed);
        // One draw per call whatever happens, so that call n's draw depends only on n.
        let draw = if self.error_threshold > 0 || !self.latency.is_zero() {
            self.generator.next()
        } else {
            0
        };
        if self.period > 0 {
            let elapsed = clock::now().saturating_sub(self.started.load(Relaxed));
            if elapsed % self.period < self.outage {
                self.counters.outage_calls.fetch_add(1, Relaxed);
                tracing::debug!(
                    target: "resilience_runtime::chaos",
                    name = self.name, "chaos: outage, failing the call");
                return Injection {
                    latency: Duration::ZERO,
                    fault: Some(Fault::Outage),
                };
            }
        }
        let mut injection = Injection::NONE;
        if !self.latency.is_zero() && (draw & 0xFFFF_FFFF) < self.latency_threshold {
            self.counters.latencies.fetch_add(1, Relaxed);
            self.counters
                .latency_nanos
                .fetch_add(clock::to_nanos(self.latency), Relaxed);
            tracing::debug!(
                target: "resilience_runtime::chaos",
                name = self.name, latency = ?self.latency, "chaos: injecting latency");
            injection.latency = self.latency;
        }
        if (draw >> 32) < self.error_threshold {
            self.counters.errors.fetch_add(1, Relaxed);
            tracing::debug!(
                target: "resilience_runtime::chaos",
                name = self.name, "chaos: injecting an error");
            injection.fault = Some(Fault::Error);
        }
        injection
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn the_error_rate_is_kept_over_many_calls() {
        let chaos = armed("unit-rate", ChaosConfig::new().with_error_rate(0.2));
        let failed = outcomes(&chaos, 10_000)
            .iter()
            .filter(|injection| injection.fault() == Some(Fault::Error))
            .count();
        // 0.2 ± 0.015: more than three and a half standard deviations (0.004) either side.
        assert!((1850..=2150).contains(&failed), "{failed} of 10000");
        let metrics = chaos.metrics();
        assert_eq!(metrics.calls, 10_000);
        assert_eq!(metrics.errors_injected, failed as u64);
        assert_eq!(metrics.latencies_injected, 0);
        assert_eq!(metrics.outage_calls, 0);
    }

    #[test]
    fn same_seed_and_name_give_the_same_injections() {
        let config = ChaosConfig::new()
            .with_error_rate(0.3)
            .with_latency(Duration::from_millis(5))
            .with_latency_rate(0.4)
            .with_seed(11);
        let first = armed("unit-replay", config);
        let second = armed("unit-replay", config);
        let run = outcomes(&first, 500);
        assert_eq!(run, outcomes(&second, 500));
        assert!(run.iter().any(Injection::fails) && run.iter().any(Injection::delays));
        assert_eq!(first.seed(), second.seed());

        // Another name with the same seed injects independently.
        let other = armed("unit-replay-other", config);
        assert_ne!(run, outcomes(&other, 500));

        // Reset replays the run.
        first.reset();
        assert_eq!(first.metrics(), ChaosMetrics::default());
        assert_eq!(run, outcomes(&first, 500));
    }

    #[test]
    fn rates_of_zero_and_one_are_exact() {
        let never = armed(
            "unit-never",
            ChaosConfig::new()
                .with_error_rate(0.0)
                .with_latency(Duration::from_millis(1))
                .with_latency_rate(0.0),
        );
        assert!(outcomes(&never, 1000).iter().all(|i| *i == Injection::NONE));
        let always = armed(
            "unit-always",
            ChaosConfig::new()
                .with_error_rate(1.0)
                .with_latency(Duration::from_millis(3)),
        );
        for injection in outcomes(&always, 1000) {
            assert_eq!(injection.fault(), Some(Fault::Error));
            assert_eq!(injection.latency(), Duration::from_millis(3));
        }
        let metrics = always.metrics();
        assert_eq!(metrics.latencies_injected, 1000);
        assert_eq!(metrics.injected_latency, Duration::from_secs(3));
    }

    #[test]
    fn latency_rate_is_kept_independently_of_errors() {
        let chaos = armed(
            "unit-latency-rate",
            ChaosConfig::new()
                .with_error_rate(0.5)
                .with_latency(Duration::from_millis(1))
                .with_latency_rate(0.25),
        );
        let run = outcomes(&chaos, 10_000);
        let delayed = run.iter().filter(|i| i.delays()).count();
        let both = run.iter().filter(|i| i.delays() && i.fails()).count();
        assert!((2350..=2650).contains(&delayed), "{delayed} of 10000");
        // Independent halves of one draw: a quarter of the delayed calls also fail, about.
        assert!((1050..=1450).contains(&both), "{both} of {delayed}");
    }

    #[test]
    fn outages_recur_at_the_start_of_every_period() {
        paused().block_on(async {
            let chaos = armed(
                "unit-outage",
                ChaosConfig::new().with_outage(Duration::from_secs(5), Duration::from_secs(60)),
            );
            let second = Duration::from_secs(1);
            let mut down = Vec::new();
            for _ in 0..130 {
                down.push(chaos.inject().fault() == Some(Fault::Outage));
                tokio::time::advance(second).await;
            }
            let expected: Vec<bool> = (0..130).map(|at| at % 60 < 5).collect();
            assert_eq!(down, expected);
            assert_eq!(chaos.metrics().outage_calls, 15);
            assert_eq!(chaos.metrics().errors_injected, 0);

            // Reset starts a period now.
            chaos.reset();
            assert_eq!(chaos.inject().fault(), Some(Fault::Outage));
        });
    }
}
