//! [`Tuning`]: the policy a named [`Retry`](super::Retry) runs with, replaceable at run
//! time without a lock on the read side.
//!
//! A call reads the whole policy once and keeps that copy for all its retries. A [`SeqLock`]
//! keeps the copy consistent with a handful of plain loads: no lock, no read-modify-write and
//! no allocation on the read side.

use std::time::Duration;

use super::backoff::BackoffKind;
use super::budget::RetryBudget;
use super::config::RetryConfig;
use super::jitter::Jitter;
use crate::base::seqlock::SeqLock;

const WORDS: usize = 12;

/// The policy, packed into a [`SeqLock`]'s words.
#[derive(Debug)]
pub(super) struct Tuning(SeqLock<WORDS>);

impl Tuning {
    pub(super) const fn new(policy: RetryConfig) -> Self {
        Self(SeqLock::new(pack(&policy)))
    }

    /// The policy in force.
    #[inline]
    pub(super) fn load(&self) -> RetryConfig {
        unpack(self.0.load())
    }

    /// Whether the policy in force has a `max_elapsed`: its flag is in the first word, whose
    /// single load is consistent on its own.
    #[inline]
    pub(super) fn has_max_elapsed(&self) -> bool {
        self.0.word(0) >> 48 & 1 == 1
    }

    /// Whether the policy in force has a budget: its flag is in the first word too.
    #[inline]
    pub(super) fn has_budget(&self) -> bool {
        self.0.word(0) >> 49 & 1 == 1
    }

    /// Replaces the policy; calls that start from now on follow it.
    pub(super) fn store(&self, policy: &RetryConfig) {
        self.0.store(pack(policy));
    }
}

const fn backoff_bits(backoff: BackoffKind) -> u64 {
    match backoff {
        BackoffKind::Exponential => 0,
        BackoffKind::Linear => 1,
        BackoffKind::Fixed => 2,
        BackoffKind::Decorrelated => 3,
    }
}

fn backoff_from(bits: u64) -> BackoffKind {
    match bits {
        1 => BackoffKind::Linear,
        2 => BackoffKind::Fixed,
        3 => BackoffKind::Decorrelated,
        _ => BackoffKind::Exponential,
    }
}

/// The jitter's kind and factor.
const fn jitter_bits(jitter: Jitter) -> (u64, f64) {
    match jitter {
        Jitter::Full => (0, 0.0),
        Jitter::Equal => (1, 0.0),
        Jitter::Proportional(factor) => (2, factor),
        Jitter::None => (3, 0.0),
    }
}

fn jitter_from(bits: u64, factor: f64) -> Jitter {
    match bits {
        1 => Jitter::Equal,
        2 => Jitter::Proportional(factor),
        3 => Jitter::None,
        _ => Jitter::Full,
    }
}

/// Every field exactly: durations as seconds and nanoseconds, floats as their bits.
const fn pack(policy: &RetryConfig) -> [u64; WORDS] {
    let (jitter, factor) = jitter_bits(policy.jitter());
    let (has_elapsed, elapsed) = match policy.max_elapsed() {
        Some(elapsed) => (1, elapsed),
        None => (0, Duration::ZERO),
    };
    let initial = policy.initial_delay();
    let max = policy.max_delay();
    let (has_budget, budget) = match policy.budget() {
        Some(budget) => (1, budget),
        None => (0, RetryBudget::new(0.0)),
    };
    let (min_count, min_period) = budget.min();
    [
        policy.max_attempts() as u64
            | backoff_bits(policy.backoff()) << 32
            | jitter << 40
            | has_elapsed << 48
            | has_budget << 49,
        initial.as_secs(),
        max.as_secs(),
        elapsed.as_secs(),
        initial.subsec_nanos() as u64 | (max.subsec_nanos() as u64) << 32,
        elapsed.subsec_nanos() as u64,
        policy.multiplier().to_bits(),
        factor.to_bits(),
        budget.percent().to_bits(),
        budget.window().as_secs(),
        budget.window().subsec_nanos() as u64 | (min_period.subsec_nanos() as u64) << 32,
        // A minimum's period beyond 2^32 s (136 years) allows no retry anyway: cut to it.
        min_count as u64 | min_secs(min_period) << 32,
    ]
}

const fn min_secs(period: Duration) -> u64 {
    if period.as_secs() > u32::MAX as u64 {
        u32::MAX as u64
    } else {
        period.as_secs()
    }
}

fn unpack(words: [u64; WORDS]) -> RetryConfig {
    // Each nanosecond field was below 10^9 when packed.
    let duration = |secs: u64, nanos: u64| Duration::new(secs, (nanos & 0xffff_ffff) as u32);
    let policy = RetryConfig::new()
        .with_max_attempts(words[0] as u32)
        .with_backoff(backoff_from((words[0] >> 32) & 0xff))
        .with_initial_delay(duration(words[1], words[4]))
        .with_max_delay(duration(words[2], words[4] >> 32))
        .with_multiplier(f64::from_bits(words[6]))
        .with_jitter(jitter_from(
            (words[0] >> 40) & 0xff,
            f64::from_bits(words[7]),
        ));
    let policy = if words[0] >> 48 & 1 == 1 {
        policy.with_max_elapsed(duration(words[3], words[5]))
    } else {
        policy
    };
    if words[0] >> 49 & 1 == 1 {
        policy.with_budget(
            RetryBudget::new(f64::from_bits(words[8]))
                .with_window(duration(words[9], words[10]))
                .with_min(
                    (words[11] & 0xffff_ffff) as u32,
                    duration(words[11] >> 32, words[10] >> 32),
                ),
        )
    } else {
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::config::Preset;

    fn policies() -> Vec<RetryConfig> {
        vec![
            RetryConfig::new(),
            RetryConfig::preset(Preset::Aggressive).with_max_elapsed(Duration::new(7, 999)),
            RetryConfig::new()
                .with_max_attempts(u32::MAX)
                .with_backoff(BackoffKind::Decorrelated)
                .with_initial_delay(Duration::new(u64::MAX, 999_999_999))
                .with_max_delay(Duration::MAX)
                .with_jitter(Jitter::Proportional(0.25)),
            RetryConfig::new()
                .with_backoff(BackoffKind::Linear)
                .with_jitter(Jitter::Equal),
            RetryConfig::new()
                .with_backoff(BackoffKind::Fixed)
                .with_jitter(Jitter::None)
                .with_max_elapsed(Duration::ZERO),
            RetryConfig::new().with_budget(
                RetryBudget::new(12.5)
                    .with_window(Duration::new(30, 7))
                    .with_min(u32::MAX, Duration::new(2, 999_999_999)),
            ),
        ]
    }

    #[test]
    fn every_field_round_trips() {
        for policy in policies() {
            assert_eq!(unpack(pack(&policy)), policy);
            let current = Tuning::new(RetryConfig::new());
            current.store(&policy);
            assert_eq!(current.load(), policy);
        }
    }

    /// Readers racing a writer only ever see one of the stored policies, never a mix.
    #[test]
    fn readers_never_see_a_torn_policy() {
        let policies = policies();
        let current = Tuning::new(policies[0]);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    for _ in 0..20_000 {
                        let seen = current.load();
                        assert!(policies.contains(&seen), "torn read: {seen:?}");
                    }
                });
            }
            scope.spawn(|| {
                for i in 0..20_000 {
                    current.store(&policies[i % policies.len()]);
                }
            });
        });
    }
}
