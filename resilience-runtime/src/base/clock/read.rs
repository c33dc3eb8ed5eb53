//! Reading the time from the chosen source.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::time::Instant;

use super::counter;
use super::scale::{Nanos, nanos_at};
use super::source::ClockSource;

/// The source [`now`] reads, as a `u8` (`ClockSource as u8`).
static SOURCE: AtomicU8 = AtomicU8::new(ClockSource::Tokio as u8);

const CPU_COUNTER: u8 = ClockSource::CpuCounter as u8;

/// The source in use, without reading the environment.
pub(crate) fn current() -> ClockSource {
    if SOURCE.load(Ordering::Relaxed) == CPU_COUNTER {
        ClockSource::CpuCounter
    } else {
        ClockSource::Tokio
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
    nanos_at(Instant::now())
}

/// The counter's reading (tokio's clock in the instant before the counter is published).
#[inline(always)]
fn counter_now() -> Nanos {
    match counter::get() {
        Some(counter) => counter.now(),
        None => tokio_now(),
    }
}
