//! Decisions per second of the Redis-backed rate limiter with 1, 8 and 64 concurrent callers,
//! next to `redis-benchmark` sending the same script (`EVALSHA` of `gcra.lua`, the same keys
//! and arguments) to the same server, in one run, each shape measured twice in the order
//! ours, theirs, theirs, ours, so a drift of the machine's speed falls on both sides.
//!
//! `redis-benchmark` is measured in the two shapes that hold the same number of decisions in
//! flight as our callers: one connection pipelining that many (`-c 1 -P n`, the shape of our
//! one multiplexed connection) and that many connections with one each (`-c n -P 1`). The
//! ratio is taken against the faster of the two.
//!
//! ```text
//! cargo run --release -p resilience-benches --features redis --bin redis_throughput
//! ```
//! (needs `redis-server`, `redis-cli` and `redis-benchmark` on PATH; `REDIS_THROUGHPUT_SECS`
//! sets the length of each measurement, 2 by default, and `REDIS_THROUGHPUT_WORKERS` the
//! tokio runtime's worker threads, 2 by default.)

#[cfg(feature = "redis")]
fn main() {
    measure::run();
}

#[cfg(not(feature = "redis"))]
fn main() {
    eprintln!("built without the `redis` feature: nothing to measure");
}

#[cfg(feature = "redis")]
mod measure {
    use std::process::Command;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    use resilience_benches::redis_server::RedisServer;
    use resilience_runtime::rate_limit::{Backend, OnBackendError, OnLimit};
    use resilience_runtime::{Rate, RateLimitConfig, RateLimiter};

    const SCRIPT: &str = include_str!("../../../resilience-runtime/src/rate_limit/gcra.lua");
    const CALLERS: [u64; 3] = [1, 8, 64];
    /// Distinct keys each caller cycles through, as in the rate limit bench.
    const KEYS: u64 = 100;

    pub(super) fn run() {
        let Some(server) = RedisServer::start() else {
            eprintln!("redis-server is not on PATH: nothing to measure");
            return;
        };
        if !on_path("redis-benchmark") || !on_path("redis-cli") {
            eprintln!("redis-benchmark or redis-cli is not on PATH: nothing to compare with");
            return;
        }
        let seconds = std::env::var("REDIS_THROUGHPUT_SECS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(2.0_f64);
        let length = Duration::from_secs_f64(seconds);
        resilience_runtime::registry().set_redis_url(server.url());
        // Two workers by default, as many services run on this machine's two cores; one
        // shows what crossing threads costs each round trip.
        let workers = std::env::var("REDIS_THROUGHPUT_WORKERS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(2);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let limiter = Arc::new(RateLimiter::new("throughput", config()));
        let sha = load_script(server.port());

        println!(
            "| callers | ours (decisions/s) | redis-benchmark -c 1 -P n | redis-benchmark -c n -P 1 | ours / best |"
        );
        println!("|---:|---:|---:|---:|---:|");
        for callers in CALLERS {
            // A short warm-up opens the connection and loads the script's cache.
            runtime.block_on(ours(&limiter, callers, Duration::from_millis(300)));
            let first = runtime.block_on(ours(&limiter, callers, length));
            let pipelined = [
                theirs(server.port(), &sha, 1, callers, length),
                theirs(server.port(), &sha, 1, callers, length),
            ];
            let connections = [
                theirs(server.port(), &sha, callers, 1, length),
                theirs(server.port(), &sha, callers, 1, length),
            ];
            let second = runtime.block_on(ours(&limiter, callers, length));
            let ours = f64::midpoint(first, second);
            let pipelined = f64::midpoint(pipelined[0], pipelined[1]);
            let connections = f64::midpoint(connections[0], connections[1]);
            let best = pipelined.max(connections);
            println!(
                "| {callers} | {ours:.0} | {pipelined:.0} | {connections:.0} | {:.2}x |",
                ours / best
            );
        }
        let status = limiter.snapshot().backend.expect("a Redis-backed limiter");
        println!(
            "\n{} decisions, {} round trips ({:.4} per decision), {} errors",
            status.decisions,
            status.round_trips,
            status.round_trips as f64 / status.decisions.max(1) as f64,
            status.errors
        );
        drop(server);
    }

    /// A limit that admits every call, so each decision runs the whole script (a rejection
    /// stores nothing and costs the server less).
    fn config() -> RateLimitConfig {
        RateLimitConfig::new(Rate::per_second(u32::MAX))
            .with_burst(u32::MAX)
            .with_on_limit(OnLimit::Reject)
            .with_backend(Backend::Redis)
            .with_on_backend_error(OnBackendError::Deny)
            .with_backend_timeout(Duration::from_secs(1))
    }

    /// Our decisions per second with `callers` tasks each deciding in a loop for `length`.
    async fn ours(limiter: &Arc<RateLimiter>, callers: u64, length: Duration) -> f64 {
        let stop = Arc::new(AtomicBool::new(false));
        let decisions = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let tasks: Vec<_> = (0..callers)
            .map(|caller| {
                let limiter = Arc::clone(limiter);
                let stop = Arc::clone(&stop);
                let decisions = Arc::clone(&decisions);
                tokio::spawn(async move {
                    let mut made = 0_u64;
                    while !stop.load(Ordering::Relaxed) {
                        limiter
                            .acquire_key(&(caller, made % KEYS))
                            .await
                            .expect("an open limit admits every call");
                        made += 1;
                    }
                    decisions.fetch_add(made, Ordering::Relaxed);
                })
            })
            .collect();
        tokio::time::sleep(length).await;
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.expect("a caller task");
        }
        decisions.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
    }

    /// `redis-benchmark`'s requests per second running the same script with the same
    /// arguments over `clients` connections, `pipeline` commands in flight on each.
    fn theirs(port: u16, sha: &str, clients: u64, pipeline: u64, length: Duration) -> f64 {
        // About `length` at ~100k requests per second, and enough to matter at the least.
        let requests = ((length.as_secs_f64() * 100_000.0) as u64).max(10_000);
        let tat = "resilience:rate_limit:{0123456789abcdef}:tat:throughput:key:__rand_int__";
        let holes = "resilience:rate_limit:{0123456789abcdef}:holes:throughput:key:__rand_int__";
        // The arguments our limiter sends for `config()`: interval, tolerance, longest wait,
        // most waiting calls (microseconds; -1: no bound).
        let (interval, tolerance) = (1, 1_000_000);
        let output = Command::new("redis-benchmark")
            .args(["-p", &port.to_string(), "-q", "--csv"])
            .args(["-c", &clients.to_string(), "-P", &pipeline.to_string()])
            .args(["-n", &requests.to_string(), "-r", &KEYS.to_string()])
            .args(["evalsha", sha, "2", tat, holes])
            .args([interval.to_string(), tolerance.to_string()])
            .args(["0", "-1"])
            .output()
            .expect("redis-benchmark runs");
        let text = String::from_utf8_lossy(&output.stdout);
        text.lines()
            .filter_map(|line| line.split("\",\"").nth(1))
            .find_map(|rps| rps.trim_matches('"').parse().ok())
            .unwrap_or_else(|| panic!("no requests per second in redis-benchmark's output: {text}"))
    }

    /// Loads the script into the server's cache; its SHA1.
    fn load_script(port: u16) -> String {
        let output = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "SCRIPT", "LOAD", SCRIPT])
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn on_path(program: &str) -> bool {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
    }
}
