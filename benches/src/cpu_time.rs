//! [`CpuTime`]: criterion's measurement of the CPU time of the benchmarking thread rather than
//! of the wall clock, for the benches whose calls run on that thread.
//!
//! The wall clock counts the time the thread sat descheduled, which on a machine shared with
//! other work (two cores and a build, say) inflates a few-nanosecond figure by whatever else
//! ran; the thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`) counts only the time it ran. Both
//! give the same figure on an idle machine. `BENCH_MEASURE=wall` selects the wall clock.
//! Benches whose work runs on other threads (the thread-scaling and multi-threaded tower
//! benches) keep the wall clock, which is what their throughput means.

use std::time::Instant;

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// See the module docs.
pub struct CpuTime {
    wall: bool,
    origin: Instant,
}

impl CpuTime {
    /// The thread's CPU clock, or the wall clock with `BENCH_MEASURE=wall`.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            wall: std::env::var("BENCH_MEASURE").is_ok_and(|measure| measure == "wall"),
            origin: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        if self.wall {
            return u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        }
        let mut time = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `time` is a valid, writable timespec; the call only writes it.
        let failed = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut time) };
        assert_eq!(failed, 0, "the thread's CPU clock is readable");
        u64::try_from(time.tv_sec).unwrap_or(0) * 1_000_000_000
            + u64::try_from(time.tv_nsec).unwrap_or(0)
    }
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        self.now()
    }

    fn end(&self, start: u64) -> u64 {
        self.now().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    #[allow(clippy::cast_precision_loss)]
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Values in nanoseconds, shown in the unit that suits them.
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1.0 {
            (1e3, "ps")
        } else if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for value in values {
            *value *= factor;
        }
        unit
    }

    #[allow(clippy::cast_precision_loss)]
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (count, unit) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n, "B/s"),
            Throughput::Bits(n) => (n, "bit/s"),
            Throughput::Elements(n) => (n, "elem/s"),
        };
        for value in values {
            *value = count as f64 * 1e9 / *value;
        }
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// criterion on [`CpuTime`], for `criterion_group!`'s `config`.
#[must_use]
pub fn criterion() -> criterion::Criterion<CpuTime> {
    criterion::Criterion::default().with_measurement(CpuTime::from_env())
}
