//! The clock a production build reads when no source is chosen: this crate builds tokio
//! without `test-util`, as a service's release build does, so nothing can pause time and the
//! default is the CPU's counter. Checks that, and that once calibrated (on its own thread) the
//! counter's readings follow the system's monotonic clock. Run by `.ci/run`:
//!
//! ```text
//! cargo run -q -p resilience-benches --bin clock_default
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use resilience_runtime::clock::{self, ClockSource};

fn main() -> ExitCode {
    // The first read decides the default and starts the calibration.
    let _ = clock::instant_now();
    let source = clock::source();
    println!("default clock source: {source}");
    if source != ClockSource::CpuCounter {
        eprintln!("expected the CPU counter in a build whose tokio cannot pause time");
        return ExitCode::FAILURE;
    }
    // After the calibration (a few hundred milliseconds at most), readings stay within a
    // millisecond of the monotonic clock over a second.
    std::thread::sleep(Duration::from_secs(1));
    let (system_start, clock_start) = (Instant::now(), clock::instant_now());
    std::thread::sleep(Duration::from_secs(1));
    let system = system_start.elapsed();
    let reading = clock::instant_now() - clock_start;
    let drift = system.abs_diff(reading);
    println!("over {system:?} the clock read {reading:?} ({drift:?} apart)");
    if drift > Duration::from_millis(1) {
        eprintln!("the counter drifted from the monotonic clock");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
