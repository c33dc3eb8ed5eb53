//! Reading the time from the chosen source.
//!
//! Until a source is chosen (by code, the environment or a file), the default is the build's:
//! tokio's clock where tokio can pause time, the CPU's counter where it cannot (see
//! `pausable.rs`). The counter's calibration takes up to a few hundred milliseconds, so the
//! default does it on a thread of its own and reads tokio's clock until it is done; both put
//! time on the same scale.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::time::Instant;

use super::counter;
use super::scale::{Nanos, nanos_at};
use super::source::ClockSource;

const TOKIO: u8 = ClockSource::Tokio as u8;
const CPU_COUNTER: u8 = ClockSource::CpuCounter as u8;
/// Nothing chosen yet, and the default not decided.
const UNDECIDED: u8 = 2;
/// The default is the counter, being calibrated: tokio's clock meanwhile.
const CALIBRATING: u8 = 3;

/// The source [`now`] reads: a `ClockSource as u8`, or one of the two states above.
static SOURCE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// The source in use, without reading the environment (the default once it is in use, while
/// the counter is still being calibrated for it).
pub(crate) fn current() -> ClockSource {
    match SOURCE.load(Ordering::Relaxed) {
        CPU_COUNTER | CALIBRATING => ClockSource::CpuCounter,
        TOKIO => ClockSource::Tokio,
        _ => ClockSource::default(),
    }
}

/// Switches to `source` (`by` names who asked, for the log). The counter is set up and
/// anchored before the switch is published.
pub(crate) fn apply(source: ClockSource, by: &str) {
    if source == ClockSource::CpuCounter {
        counter::prepare();
    }
    // Release: a reader that sees the counter chosen finds it set up (it also checks).
    if SOURCE.swap(source as u8, Ordering::Release) != source as u8 {
        tracing::info!(
            target: "resilience_runtime::clock",
            by, source = source.as_str(), "clock source changed");
    }
}

/// The current time as nanoseconds on the process-wide scale.
#[inline(always)]
pub(crate) fn now() -> Nanos {
    if SOURCE.load(Ordering::Relaxed) == CPU_COUNTER {
        counter_now()
    } else {
        tokio_now()
    }
}

/// tokio's clock on the process-wide scale; out of line, as it costs far more than a call.
#[inline(never)]
fn tokio_now() -> Nanos {
    if SOURCE.load(Ordering::Relaxed) == UNDECIDED {
        decide_default();
    }
    nanos_at(Instant::now())
}

/// Puts the default source in place, the first time the clock is read with none chosen.
#[cold]
fn decide_default() {
    let default = ClockSource::default();
    let next = if default == ClockSource::CpuCounter {
        CALIBRATING
    } else {
        TOKIO
    };
    if SOURCE
        .compare_exchange(UNDECIDED, next, Ordering::Relaxed, Ordering::Relaxed)
        .is_err()
        || next == TOKIO
    {
        return;
    }
    let calibrate = || {
        counter::prepare();
        // Unless a source was chosen meanwhile, which wins. Release: a reader that sees the
        // counter finds it set up.
        if SOURCE
            .compare_exchange(
                CALIBRATING,
                CPU_COUNTER,
                Ordering::Release,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            tracing::debug!(
                target: "resilience_runtime::clock",
                source = ClockSource::CpuCounter.as_str(),
                "default clock source ready (tokio cannot pause time in this build)");
        }
    };
    if std::thread::Builder::new()
        .name("resilience-clock".into())
        .spawn(calibrate)
        .is_err()
    {
        // No thread to spare: stay on tokio's clock, which is as correct.
        let _ = SOURCE.compare_exchange(CALIBRATING, TOKIO, Ordering::Relaxed, Ordering::Relaxed);
    }
}

/// The counter's reading (tokio's clock in the instant before the counter is published).
#[inline(always)]
fn counter_now() -> Nanos {
    match counter::get() {
        Some(counter) => counter.now(),
        None => tokio_now(),
    }
}
