//! Reads the estimates criterion left under `target/criterion` and prints the side-by-side
//! table of BENCHMARKS.md: our figure, the best peer's, their ratio and the target.
//!
//! ```text
//! cargo bench -p resilience-benches && cargo run -p resilience-benches --bin report
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How a row is judged.
enum Target {
    /// ours / best peer at most this.
    Ratio(f64),
    /// ours / best peer at most this, and ours under this many nanoseconds.
    RatioAndNanos(f64, f64),
    /// Ours under this many nanoseconds (peers shown for reference).
    Nanos(f64),
    /// Ours at most this many nanoseconds over the peer (ours with a feature vs without).
    NanosOver(f64),
    /// Throughput of two threads over one thread at least this (ours vs itself).
    Scaling(f64),
    /// Shown for reference.
    None,
}

struct Row {
    what: &'static str,
    ours: &'static str,
    peers: &'static [&'static str],
    target: Target,
}

const ROWS: &[Row] = &[
    Row {
        what: "bulkhead",
        ours: "bulkhead/resilience",
        peers: &["bulkhead/tokio_semaphore"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "timeout",
        ours: "timeout/resilience",
        peers: &["timeout/tokio_timeout"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "hedge (answers before the delay)",
        ours: "hedge/resilience",
        peers: &["hedge/tokio_timeout"],
        target: Target::Ratio(1.5),
    },
    Row {
        what: "retry (success)",
        ours: "retry/resilience",
        peers: &["retry/backon"],
        target: Target::Ratio(0.25),
    },
    Row {
        what: "retry with a budget (success)",
        ours: "retry_budget/resilience",
        peers: &["retry_budget/retry_without_budget"],
        target: Target::NanosOver(2.0),
    },
    Row {
        what: "five-layer stack",
        ours: "five_layer_stack/resilience",
        peers: &["five_layer_stack/hand_wired_peers"],
        target: Target::RatioAndNanos(0.5, 60.0),
    },
    Row {
        what: "breaker, consecutive failures",
        ours: "circuit_breaker_closed/consecutive/resilience #[circuit_breaker] fn",
        peers: &[
            "circuit_breaker_closed/consecutive/failsafe consecutive_failures",
            "circuit_breaker_closed/consecutive/recloser (ring buffer of 100)",
        ],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "breaker, count window",
        ours: "circuit_breaker_closed/count_window/resilience #[circuit_breaker] fn",
        peers: &["circuit_breaker_closed/count_window/recloser (ring buffer of 100)"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "breaker, time window",
        ours: "circuit_breaker_closed/time_window/resilience #[circuit_breaker] fn",
        // recloser keeps no time window (its ring of calls is the count window's peer).
        peers: &["circuit_breaker_closed/time_window/failsafe success_rate_over_time_window"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "rate limit, direct",
        ours: "rate_limit/direct/resilience/permit",
        peers: &["rate_limit/direct/governor/permit"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "rate limit, direct, same clock",
        ours: "rate_limit/direct/resilience/permit",
        peers: &["rate_limit/direct/governor (std Instant clock)/permit"],
        target: Target::None,
    },
    Row {
        what: "rate limit, 1 000 keys",
        ours: "rate_limit/keyed/resilience/permit/1000 keys",
        peers: &["rate_limit/keyed/governor/permit/1000 keys"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "sync bulkhead",
        ours: "sync/bulkhead/resilience",
        peers: &["sync/bulkhead/tokio_semaphore_try_acquire"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "sync retry (success)",
        ours: "sync/retry/resilience",
        peers: &["sync/retry/backon_blocking"],
        target: Target::Ratio(0.25),
    },
    Row {
        what: "sync four-layer stack",
        ours: "sync/four_layer_stack/resilience",
        peers: &["sync/four_layer_stack/hand_wired_peers"],
        target: Target::Ratio(0.5),
    },
    Row {
        what: "rejected: open breaker",
        ours: "rejected/open_circuit_breaker/resilience #[circuit_breaker] fn",
        peers: &[
            "rejected/open_circuit_breaker/failsafe",
            "rejected/open_circuit_breaker/recloser",
        ],
        target: Target::Nanos(20.0),
    },
    Row {
        what: "rejected: rate limit",
        ours: "rejected/rate_limit/resilience #[rate_limit] fn",
        peers: &["rejected/rate_limit/governor"],
        target: Target::Nanos(20.0),
    },
    Row {
        what: "rejected: full bulkhead",
        ours: "rejected/full_bulkhead/resilience #[bulkhead] fn",
        peers: &["rejected/full_bulkhead/tokio_semaphore try_acquire"],
        target: Target::Nanos(20.0),
    },
    Row {
        what: "quota, fixed window",
        ours: "quota/direct/resilience fixed/admitted",
        peers: &["quota/direct/governor/admitted"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "quota, sliding window",
        ours: "quota/direct/resilience sliding/admitted",
        peers: &["quota/direct/governor/admitted"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "quota, fixed, 1 000 keys",
        ours: "quota/keyed/resilience fixed/admitted/1000 keys",
        peers: &["quota/keyed/governor/admitted/1000 keys"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "quota, sliding, 1 000 keys",
        ours: "quota/keyed/resilience sliding/admitted/1000 keys",
        peers: &["quota/keyed/governor/admitted/1000 keys"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "rejected: fixed quota",
        ours: "quota/direct/resilience fixed/rejected",
        peers: &["quota/direct/governor/admitted"],
        target: Target::Nanos(20.0),
    },
    Row {
        what: "rejected: sliding quota",
        ours: "quota/direct/resilience sliding/rejected",
        peers: &["quota/direct/governor/admitted"],
        target: Target::Nanos(20.0),
    },
    Row {
        what: "adaptive bulkhead (vs the static one)",
        ours: "adaptive_bulkhead/resilience",
        peers: &["adaptive_bulkhead/static_bulkhead"],
        target: Target::Ratio(1.5),
    },
    Row {
        what: "tower: breaker",
        ours: "tower/circuit_breaker/resilience",
        peers: &["tower/circuit_breaker/tower-resilience"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: bulkhead",
        ours: "tower/bulkhead/resilience",
        peers: &[
            "tower/bulkhead/tower-resilience",
            "tower/bulkhead/tower ConcurrencyLimit",
        ],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: bulkhead, tower's over a `BoxError` service",
        ours: "tower/bulkhead/resilience",
        peers: &["tower/bulkhead/tower ConcurrencyLimit, BoxError service"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: rate limit",
        ours: "tower/rate_limit/resilience",
        peers: &[
            "tower/rate_limit/tower-resilience",
            "tower/rate_limit/tower RateLimit",
        ],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: timeout",
        ours: "tower/timeout/resilience",
        peers: &[
            "tower/timeout/tower-resilience",
            "tower/timeout/tower Timeout",
        ],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: retry",
        ours: "tower/retry/resilience",
        peers: &["tower/retry/tower-resilience", "tower/retry/tower Retry"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: retry, tower's over a `BoxError` service",
        ours: "tower/retry/resilience",
        peers: &["tower/retry/tower Retry, BoxError service"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: hedge",
        ours: "tower/hedge/resilience",
        peers: &["tower/hedge/tower-resilience"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower: five layers",
        ours: "tower/five_layer_stack/resilience",
        peers: &["tower/five_layer_stack/tower-resilience"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower, 2 threads: breaker",
        ours: "tower_2_threads/circuit_breaker/resilience",
        peers: &["tower_2_threads/circuit_breaker/tower-resilience"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower, 2 threads: bulkhead",
        ours: "tower_2_threads/bulkhead/resilience",
        peers: &[
            "tower_2_threads/bulkhead/tower-resilience",
            "tower_2_threads/bulkhead/tower ConcurrencyLimit",
        ],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower, 2 threads: rate limit",
        ours: "tower_2_threads/rate_limit/resilience",
        peers: &["tower_2_threads/rate_limit/tower-resilience"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower, 2 threads: timeout",
        ours: "tower_2_threads/timeout/resilience",
        peers: &[
            "tower_2_threads/timeout/tower-resilience",
            "tower_2_threads/timeout/tower Timeout",
        ],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower, 2 threads: retry",
        ours: "tower_2_threads/retry/resilience",
        peers: &[
            "tower_2_threads/retry/tower-resilience",
            "tower_2_threads/retry/tower Retry",
        ],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "tower, 2 threads: retry, tower's over a `BoxError` service",
        ours: "tower_2_threads/retry/resilience",
        peers: &["tower_2_threads/retry/tower Retry, BoxError service"],
        target: Target::Ratio(1.0),
    },
    Row {
        what: "2 threads, shared breaker",
        ours: "threads/shared_circuit_breaker/resilience/2 thread(s)",
        peers: &["threads/shared_circuit_breaker/resilience/1 thread(s)"],
        target: Target::Scaling(1.5),
    },
    Row {
        what: "2 threads, shared breaker (failsafe)",
        ours: "threads/shared_circuit_breaker/failsafe/2 thread(s)",
        peers: &["threads/shared_circuit_breaker/failsafe/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, shared breaker (recloser)",
        ours: "threads/shared_circuit_breaker/recloser/2 thread(s)",
        peers: &["threads/shared_circuit_breaker/recloser/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, shared rate limit",
        ours: "threads/shared_rate_limit/resilience/2 thread(s)",
        peers: &["threads/shared_rate_limit/resilience/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, shared rate limit (governor)",
        ours: "threads/shared_rate_limit/governor/2 thread(s)",
        peers: &["threads/shared_rate_limit/governor/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, keyed rate limit, own keys",
        ours: "threads/shared_rate_limit/resilience keyed, own keys/2 thread(s)",
        peers: &["threads/shared_rate_limit/resilience keyed, own keys/1 thread(s)"],
        target: Target::Scaling(1.5),
    },
    Row {
        what: "2 threads, keyed rate limit, own keys (governor)",
        ours: "threads/shared_rate_limit/governor keyed, own keys/2 thread(s)",
        peers: &["threads/shared_rate_limit/governor keyed, own keys/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, shared quota",
        ours: "threads/shared_quota/resilience fixed/2 thread(s)",
        peers: &["threads/shared_quota/resilience fixed/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, shared quota (governor)",
        ours: "threads/shared_quota/governor/2 thread(s)",
        peers: &["threads/shared_quota/governor/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, keyed quota, own keys",
        ours: "threads/shared_quota/resilience fixed, own keys/2 thread(s)",
        peers: &["threads/shared_quota/resilience fixed, own keys/1 thread(s)"],
        target: Target::Scaling(1.5),
    },
    Row {
        what: "2 threads, keyed quota, own keys (governor)",
        ours: "threads/shared_quota/governor keyed, own keys/2 thread(s)",
        peers: &["threads/shared_quota/governor keyed, own keys/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, shared bulkhead",
        ours: "threads/shared_bulkhead/resilience/2 thread(s)",
        peers: &["threads/shared_bulkhead/resilience/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
    Row {
        what: "2 threads, shared bulkhead (tokio semaphore)",
        ours: "threads/shared_bulkhead/tokio semaphore/2 thread(s)",
        peers: &["threads/shared_bulkhead/tokio semaphore/1 thread(s)"],
        target: Target::Scaling(0.0),
    },
];

/// Every `<run>/benchmark.json` under `dir` (`run`: `new` for the latest run, or a baseline
/// saved with `--save-baseline`): full id → median time per iteration (ns).
fn medians(dir: &Path, run: &str, found: &mut HashMap<String, f64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let benchmark = path.join(run).join("benchmark.json");
        let estimates = path.join(run).join("estimates.json");
        if let (Ok(benchmark), Ok(estimates)) = (
            std::fs::read_to_string(&benchmark),
            std::fs::read_to_string(&estimates),
        ) && let (Ok(benchmark), Ok(estimates)) = (
            serde_json::from_str::<serde_json::Value>(&benchmark),
            serde_json::from_str::<serde_json::Value>(&estimates),
        ) && let (Some(id), Some(median)) = (
            benchmark["full_id"].as_str(),
            estimates["median"]["point_estimate"].as_f64(),
        ) {
            found.insert(id.to_owned(), median);
        }
        medians(&path, run, found);
    }
}

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("criterion")
}

/// How `ours` fares against `peer` by `target`: the ratio shown, the target shown, and
/// whether it is met (`None`: for reference only).
fn judge(target: &Target, ours: f64, peer: f64) -> (String, String, Option<bool>) {
    let ratio = ours / peer;
    match *target {
        Target::Ratio(at_most) => (
            format!("{ratio:.2}"),
            format!("≤ {at_most}"),
            Some(ratio <= at_most),
        ),
        Target::RatioAndNanos(at_most, nanos) => (
            format!("{ratio:.2}"),
            format!("≤ {at_most} and < {nanos} ns"),
            Some(ratio <= at_most && ours < nanos),
        ),
        Target::Nanos(nanos) => (
            format!("{ratio:.2}"),
            format!("≤ {nanos} ns"),
            Some(ours <= nanos),
        ),
        Target::NanosOver(nanos) => (
            format!("{ratio:.2}"),
            format!("≤ {nanos} ns over"),
            Some(ours - peer <= nanos),
        ),
        Target::Scaling(at_least) => {
            // Time per call per thread: two threads do twice the calls in `ours`.
            let scaling = 2.0 * peer / ours;
            let target = if at_least > 0.0 {
                format!("≥ {at_least}× one thread")
            } else {
                String::from("(reference)")
            };
            (
                format!("{scaling:.2}×"),
                target,
                (at_least > 0.0).then_some(scaling >= at_least),
            )
        }
        Target::None => (format!("{ratio:.2}"), String::from("(reference)"), None),
    }
}

fn met_text(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "",
    }
}

/// The fastest of `ids` found in `runs` (the first run that has an id wins for it).
fn best(ids: &[&str], runs: &[&HashMap<String, f64>]) -> Option<f64> {
    ids.iter()
        .filter_map(|id| runs.iter().find_map(|run| run.get(*id).copied()))
        .reduce(f64::min)
}

fn main() {
    let (mut tokio, mut cpu) = (HashMap::new(), HashMap::new());
    medians(&criterion_dir(), "new", &mut tokio);
    medians(&criterion_dir(), "cpu", &mut cpu);
    if tokio.is_empty() {
        eprintln!(
            "no results under {}: run `bash benches/run` first",
            criterion_dir().display()
        );
        std::process::exit(1);
    }
    println!(
        "| what | ours, tokio clock (ns) | ours, CPU counter (ns) | best peer (ns) \
         | ratio, tokio / CPU | target | met, tokio / CPU |"
    );
    println!("|---|---:|---:|---:|---:|---|:---:|");
    for row in ROWS {
        let Some(&ours) = tokio.get(row.ours) else {
            println!("| {} | missing: `{}` | | | | | |", row.what, row.ours);
            continue;
        };
        let Some(peer) = best(row.peers, &[&tokio]) else {
            println!("| {} | {ours:.1} | | missing | | | |", row.what);
            continue;
        };
        let (ratio, target, met) = judge(&row.target, ours, peer);
        // The CPU-counter run measured our side only; a row about a peer has no such figure.
        let on_cpu = cpu
            .get(row.ours)
            .copied()
            .zip(best(row.peers, &[&cpu, &tokio]));
        let (ours_cpu, ratio_cpu, met_cpu) = match on_cpu {
            Some((ours_cpu, peer_cpu)) => {
                let (ratio_cpu, _, met_cpu) = judge(&row.target, ours_cpu, peer_cpu);
                (format!("{ours_cpu:.1}"), format!(" / {ratio_cpu}"), met_cpu)
            }
            None => (String::new(), String::new(), None),
        };
        let met = match met_cpu {
            Some(met_cpu) => format!("{} / {}", met_text(met), met_text(Some(met_cpu))),
            None => met_text(met).to_owned(),
        };
        println!(
            "| {} | {ours:.1} | {ours_cpu} | {peer:.1} | {ratio}{ratio_cpu} | {target} | {met} |",
            row.what
        );
    }
}
