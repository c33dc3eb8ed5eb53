//! What the registry shows: a serializable snapshot with a terminal table.

use std::fmt;

use serde::Serialize;

use super::conflict::Conflict;
use super::table::Table;
use super::undeclared::UndeclaredName;
use crate::bulkhead::BulkheadSnapshot;
use crate::chaos::ChaosSnapshot;
use crate::circuit_breaker::{CircuitBreakerSnapshot, SlidingWindow};
use crate::hedge::HedgeSnapshot;
use crate::quota::QuotaSnapshot;
use crate::rate_limit::RateLimiterSnapshot;
use crate::retry::RetrySnapshot;

/// Every named instance with its configuration, state and counters, from
/// [`Registry::snapshot`](super::Registry::snapshot).
///
/// Serializes with `serde` (e.g. to JSON for a status endpoint, with every breaker's
/// [`recent_transitions`](CircuitBreakerSnapshot::recent_transitions), up to
/// [`RECENT_TRANSITIONS`](crate::circuit_breaker::RECENT_TRANSITIONS) each). `Display` prints
/// tables, one per kind, followed by each breaker's latest
/// [`TRANSITIONS_SHOWN`](Self::TRANSITIONS_SHOWN) transitions; [`tables`](Self::tables) prints
/// them with another number.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct RegistrySnapshot {
    /// Circuit breakers, by name.
    pub circuit_breakers: Vec<CircuitBreakerSnapshot>,
    /// Rate limiters, by name.
    pub rate_limiters: Vec<RateLimiterSnapshot>,
    /// Bulkheads, by name.
    pub bulkheads: Vec<BulkheadSnapshot>,
    /// Named retry policies, by name.
    pub retries: Vec<RetrySnapshot>,
    /// Hedges, by name.
    pub hedges: Vec<HedgeSnapshot>,
    /// Quotas, by name.
    pub quotas: Vec<QuotaSnapshot>,
    /// Chaos instances (fault injection for tests), by name.
    pub chaos: Vec<ChaosSnapshot>,
    /// Names declared twice with different configurations.
    pub conflicts: Vec<Conflict>,
    /// Names sites use that nothing declares (see
    /// [`Registry::undeclared`](super::Registry::undeclared)).
    pub undeclared: Vec<UndeclaredName>,
}

fn quota_table(instances: &[QuotaSnapshot]) -> Table<'static> {
    let mut table = Table::new(
        "Quotas",
        &[
            "name",
            "limit",
            "window",
            "remaining",
            "admitted",
            "rejected",
            "keys",
            "backend",
        ],
    );
    for quota in instances {
        let (config, metrics) = (&quota.config, &quota.metrics);
        table.row(vec![
            quota.name.to_owned(),
            config.limit().to_string(),
            config.window().to_string(),
            quota.remaining.to_string(),
            metrics.admitted.to_string(),
            metrics.rejected.to_string(),
            metrics.tracked_keys.to_string(),
            quota.backend.as_ref().map_or_else(
                || String::from("local"),
                |status| {
                    let state = if status.available {
                        String::from("up")
                    } else {
                        format!("down: {}", status.on_backend_error)
                    };
                    format!("{} ({state})", status.backend)
                },
            ),
        ]);
    }
    table
}

fn hedge_table(instances: &[HedgeSnapshot]) -> Table<'static> {
    let mut table = Table::new(
        "Hedges",
        &[
            "name", "delay", "now", "max", "calls", "hedged", "won", "p90", "p95", "p99",
        ],
    );
    let shown = |latency: Option<std::time::Duration>| {
        latency.map_or_else(|| String::from("-"), |latency| format!("{latency:?}"))
    };
    for hedge in instances {
        let (config, metrics, latencies) = (&hedge.config, &hedge.metrics, &hedge.latencies);
        table.row(vec![
            hedge.name.to_owned(),
            config.delay().to_string(),
            shown(hedge.delay_in_force),
            config.max_hedges().to_string(),
            metrics.calls.to_string(),
            metrics.hedges_started.to_string(),
            metrics.hedges_won.to_string(),
            shown(latencies.p90),
            shown(latencies.p95),
            shown(latencies.p99),
        ]);
    }
    table
}

/// The retries with a budget: its settings and live figures.
fn budget_table(retries: &[RetrySnapshot]) -> Table<'static> {
    let mut table = Table::new(
        "Retry budgets",
        &[
            "name", "budget", "window", "min", "spent", "allowed", "refused", "bursts",
        ],
    );
    for retry in retries {
        let Some(budget) = &retry.budget else {
            continue;
        };
        let (count, period) = budget.budget.min();
        table.row(vec![
            retry.name.to_owned(),
            format!("{}%", budget.budget.percent()),
            format!("{:?}", budget.budget.window()),
            format!("{count}/{period:?}"),
            budget.retries_in_window.to_string(),
            budget.allowed_in_window.to_string(),
            budget.refused.to_string(),
            budget.exhaustions.to_string(),
        ]);
    }
    table
}

fn chaos_table(instances: &[ChaosSnapshot]) -> Table<'static> {
    let mut table = Table::new(
        "Chaos",
        &[
            "name", "armed", "injects", "seed", "calls", "errors", "outage", "delayed", "delay",
        ],
    );
    for chaos in instances {
        let (config, metrics) = (&chaos.config, &chaos.metrics);
        let mut injects = Vec::new();
        if config.error_rate() > 0.0 {
            injects.push(format!("errors {}", percent(config.error_rate())));
        }
        if config.injects_latency() {
            injects.push(format!(
                "{:?} on {}",
                config.latency(),
                percent(config.latency_rate())
            ));
        }
        if let Some((outage, period)) = config.outage() {
            injects.push(format!("down {outage:?} every {period:?}"));
        }
        table.row(vec![
            chaos.name.to_owned(),
            if chaos.armed { "yes" } else { "no" }.to_owned(),
            injects.join(", "),
            chaos.seed.to_string(),
            metrics.calls.to_string(),
            metrics.errors_injected.to_string(),
            metrics.outage_calls.to_string(),
            metrics.latencies_injected.to_string(),
            format!("{:.1}s", metrics.injected_latency.as_secs_f64()),
        ]);
    }
    table
}

/// A fraction as a percentage with at most two decimals: `0.2` → `20%`, `0.015` → `1.5%`.
fn percent(fraction: f64) -> String {
    let text = format!("{:.2}", fraction * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

impl RegistrySnapshot {
    /// How many of each breaker's latest transitions `Display` shows under the breakers'
    /// table (the snapshot holds up to
    /// [`RECENT_TRANSITIONS`](crate::circuit_breaker::RECENT_TRANSITIONS) of them).
    pub const TRANSITIONS_SHOWN: usize = 5;

    /// The tables `Display` prints, with each breaker's latest `transitions` transitions
    /// (`0` leaves them out; more than the snapshot holds shows all it holds).
    ///
    /// ```
    /// use resilience_runtime::registry;
    ///
    /// let snapshot = registry().snapshot();
    /// assert_eq!(
    ///     snapshot.tables(resilience_runtime::RegistrySnapshot::TRANSITIONS_SHOWN).to_string(),
    ///     snapshot.to_string()
    /// );
    /// println!("{}", snapshot.tables(16)); // every transition the snapshot holds
    /// ```
    #[must_use]
    pub fn tables(&self, transitions: usize) -> impl fmt::Display + '_ {
        Tables {
            snapshot: self,
            transitions,
        }
    }
}

/// Tables, one per kind, for a terminal, with each breaker's latest `transitions` transitions.
impl fmt::Display for RegistrySnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.tables(Self::TRANSITIONS_SHOWN).fmt(f)
    }
}

/// A snapshot's text form: [`RegistrySnapshot::tables`].
struct Tables<'a> {
    snapshot: &'a RegistrySnapshot,
    /// How many of each breaker's latest transitions to show.
    transitions: usize,
}

impl fmt::Display for Tables<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.transitions;
        let snapshot = self.snapshot;
        let mut breakers = Table::new(
            "Circuit breakers",
            &[
                "name",
                "state",
                "trips on",
                "ok",
                "failed",
                "slow",
                "rejected",
                "ignored",
                "failure rate",
                "transitions",
            ],
        );
        for breaker in &snapshot.circuit_breakers {
            let (config, metrics) = (&breaker.config, &breaker.metrics);
            let window = match config.window() {
                SlidingWindow::Calls(calls) => format!("{calls} calls"),
                SlidingWindow::Time(span) => format!("{span:?}"),
            };
            let trips_on = match config.failure_rate() {
                Some(rate) => format!("≥{rate}% of {window}"),
                None => format!("{} in a row", config.failure_threshold()),
            };
            breakers.row(vec![
                breaker.name.to_owned(),
                breaker.state.to_string(),
                trips_on,
                metrics.successful.to_string(),
                metrics.failed.to_string(),
                metrics.slow.to_string(),
                metrics.not_permitted.to_string(),
                metrics.ignored.to_string(),
                metrics
                    .failure_rate
                    .map_or_else(|| String::from("-"), |rate| format!("{rate:.1}%")),
                metrics.transitions.to_string(),
            ]);
        }
        let mut limiters = Table::new(
            "Rate limiters",
            &[
                "name",
                "rate",
                "burst",
                "on limit",
                "permitted",
                "waited",
                "total wait",
                "rejected",
                "waiting",
                "keys",
                "backend",
            ],
        );
        for limiter in &snapshot.rate_limiters {
            let (config, metrics) = (&limiter.config, &limiter.metrics);
            limiters.row(vec![
                limiter.name.to_owned(),
                config.rate().to_string(),
                config.burst().to_string(),
                config.on_limit().to_string(),
                metrics.permitted.to_string(),
                metrics.waited.to_string(),
                format!("{:.1}s", metrics.total_wait.as_secs_f64()),
                metrics.rejected.to_string(),
                metrics.waiting.to_string(),
                metrics.tracked_keys.to_string(),
                limiter.backend.as_ref().map_or_else(
                    || String::from("local"),
                    |status| {
                        let state = if status.available {
                            String::from("up")
                        } else {
                            format!("down: {}", status.on_backend_error)
                        };
                        format!("{} ({state})", status.backend)
                    },
                ),
            ]);
        }
        let mut bulkheads = Table::new(
            "Bulkheads",
            &[
                "name",
                "in flight",
                "waiting",
                "limit",
                "max",
                "adaptive",
                "peak",
                "max wait",
                "permitted",
                "rejected",
            ],
        );
        for bulkhead in &snapshot.bulkheads {
            let (config, metrics) = (&bulkhead.config, &bulkhead.metrics);
            bulkheads.row(vec![
                bulkhead.name.to_owned(),
                metrics.in_flight.to_string(),
                metrics.waiting.to_string(),
                metrics.limit.to_string(),
                config.max_concurrent().to_string(),
                config.adaptive().map_or_else(
                    || String::from("-"),
                    |algorithm| format!("{} (min {})", algorithm.as_str(), config.min_concurrent()),
                ),
                metrics.peak_in_flight.to_string(),
                format!("{:?}", config.max_wait()),
                metrics.permitted.to_string(),
                metrics.rejected.to_string(),
            ]);
        }
        let mut retries = Table::new(
            "Retries",
            &[
                "name", "attempts", "backoff", "calls", "retries", "saved", "failed", "gave up",
            ],
        );
        for retry in &snapshot.retries {
            let (policy, metrics) = (&retry.policy, &retry.metrics);
            retries.row(vec![
                retry.name.to_owned(),
                policy.max_attempts().to_string(),
                format!(
                    "{:?} {:?}..{:?}",
                    policy.backoff(),
                    policy.initial_delay(),
                    policy.max_delay()
                )
                .to_lowercase(),
                metrics.calls.to_string(),
                metrics.retries.to_string(),
                metrics.succeeded_after_retry.to_string(),
                metrics.failed.to_string(),
                metrics.exhausted.to_string(),
            ]);
        }
        write!(f, "{breakers}")?;
        let transitions: Vec<_> = snapshot
            .circuit_breakers
            .iter()
            .flat_map(|breaker| breaker.recent_transitions.iter().rev().take(shown).rev())
            .collect();
        if !transitions.is_empty() {
            writeln!(f, "  recent transitions (latest {shown} per breaker):")?;
            for event in transitions {
                writeln!(f, "    {event}")?;
            }
        }
        write!(f, "\n{limiters}\n{bulkheads}\n{retries}")?;
        // Only where budgets are used, so that status pages without them stay as they were.
        if snapshot.retries.iter().any(|retry| retry.budget.is_some()) {
            write!(f, "\n{}", budget_table(&snapshot.retries))?;
        }
        // Only where hedges are used, so that status pages without them stay as they were.
        if !snapshot.hedges.is_empty() {
            write!(f, "\n{}", hedge_table(&snapshot.hedges))?;
        }
        // Only where quotas are used, so that status pages without them stay as they were.
        if !snapshot.quotas.is_empty() {
            write!(f, "\n{}", quota_table(&snapshot.quotas))?;
        }
        // Only where chaos is used, so that production status pages stay as they were.
        if !snapshot.chaos.is_empty() {
            write!(f, "\n{}", chaos_table(&snapshot.chaos))?;
        }
        if !snapshot.conflicts.is_empty() {
            writeln!(f, "\nConflicting declarations (the first is kept)")?;
            for conflict in &snapshot.conflicts {
                writeln!(
                    f,
                    "  {} `{}`: kept {} ({}), ignored {} ({})",
                    conflict.kind,
                    conflict.name,
                    conflict.kept,
                    conflict.kept_at,
                    conflict.ignored,
                    conflict.ignored_at
                )?;
            }
        }
        if !snapshot.undeclared.is_empty() {
            writeln!(
                f,
                "\nNamed but declared nowhere (running with the defaults)"
            )?;
            for name in &snapshot.undeclared {
                let hint = name
                    .did_you_mean
                    .as_ref()
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                writeln!(
                    f,
                    "  {} `{}`{hint}: named at {}",
                    name.kind,
                    name.name,
                    name.used_at.join(", ")
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig};

    /// A snapshot holding only a breaker that changed state `transitions` times.
    fn with_transitions(transitions: usize) -> (RegistrySnapshot, Vec<String>) {
        let breaker = CircuitBreaker::new("snapshot-tables", CircuitBreakerConfig::new());
        for _ in 0..transitions / 2 {
            breaker.force_open();
            breaker.reset();
        }
        let events = breaker
            .recent_transitions()
            .iter()
            .map(|event| format!("    {event}"))
            .collect();
        let snapshot = RegistrySnapshot {
            circuit_breakers: vec![breaker.snapshot()],
            rate_limiters: Vec::new(),
            bulkheads: Vec::new(),
            retries: Vec::new(),
            hedges: Vec::new(),
            quotas: Vec::new(),
            chaos: Vec::new(),
            conflicts: Vec::new(),
            undeclared: Vec::new(),
        };
        (snapshot, events)
    }

    /// The event lines a text form shows.
    fn shown(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|line| line.starts_with("    circuit breaker"))
            .collect()
    }

    #[test]
    fn display_shows_the_documented_number_of_latest_transitions() {
        let (snapshot, events) = with_transitions(8);
        assert_eq!(events.len(), 8);
        let text = snapshot.to_string();
        assert!(
            text.contains("  recent transitions (latest 5 per breaker):\n"),
            "{text}"
        );
        assert_eq!(shown(&text), events[3..]);
        assert_eq!(
            snapshot
                .tables(RegistrySnapshot::TRANSITIONS_SHOWN)
                .to_string(),
            text
        );
    }

    #[test]
    fn tables_show_as_many_transitions_as_asked() {
        let (snapshot, events) = with_transitions(8);
        assert_eq!(shown(&snapshot.tables(2).to_string()), events[6..]);
        assert_eq!(shown(&snapshot.tables(100).to_string()), events);
        let none = snapshot.tables(0).to_string();
        assert!(!none.contains("recent transitions"), "{none}");
        assert!(none.contains("snapshot-tables"), "{none}");
    }
}
