//! The injection decision. Every test arms chaos (and none disarms it), so they hold whatever
//! order they run in and whatever `RESILIENCE_CHAOS` says.

use std::time::Duration;

use super::*;

fn armed(name: &'static str, config: ChaosConfig) -> Chaos {
    set_enabled(true);
    Chaos::new(name, config)
}

fn outcomes(chaos: &Chaos, calls: usize) -> Vec<Injection> {
    (0..calls).map(|_| chaos.inject()).collect()
}

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

fn paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
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

#[test]
fn calls_sleep_the_latency_on_tokios_clock_and_fail_with_the_error() {
    paused().block_on(async {
        let slow = armed(
            "unit-call-latency",
            ChaosConfig::new().with_latency(Duration::from_millis(200)),
        );
        let start = tokio::time::Instant::now();
        let result: Result<u32, &str> = slow.call(|| "injected", async { Ok(1) }).await;
        assert_eq!(result, Ok(1));
        assert_eq!(start.elapsed(), Duration::from_millis(200));

        let failing = armed("unit-call-error", ChaosConfig::new().with_error_rate(1.0));
        let ran = std::cell::Cell::new(false);
        let result: Result<u32, &str> = failing
            .call(|| "injected", async {
                ran.set(true);
                Ok(1)
            })
            .await;
        assert_eq!(result, Err("injected"));
        assert!(!ran.get(), "the body of a failed call does not run");
    });
}

#[test]
fn a_snapshot_shows_the_config_seed_and_counts() {
    let config = ChaosConfig::new().with_error_rate(1.0).with_seed(3);
    let chaos = armed("unit-snapshot", config);
    let _ = chaos.inject();
    let snapshot = chaos.snapshot();
    assert_eq!(snapshot.name, "unit-snapshot");
    assert_eq!(snapshot.config, config);
    assert_eq!(snapshot.seed, chaos.seed());
    assert!(snapshot.armed);
    assert_eq!(snapshot.metrics.errors_injected, 1);
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["metrics"]["errors_injected"], 1);
    assert_eq!(json["config"]["error_rate"], 1.0);
    assert!(format!("{chaos:?}").contains("unit-snapshot"));
}
