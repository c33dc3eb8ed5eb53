//! The CPU's time-stamp counter on the `Nanos` scale: a calibrated [`quanta::Clock`], mapped
//! onto the scale by an offset that is re-anchored to `std`'s monotonic clock every
//! [`INTERVAL`].
//!
//! quanta calibrates once, briefly, so its rate is slightly off: on the VM this was written
//! on the counter gained about 2 µs per 100 ms on the monotonic clock. Re-anchoring bounds the
//! error to one interval's drift. When the counter ran fast, a re-anchor would step time back
//! by that drift; instead the clock holds at the last value it could have given (a floor)
//! until real time catches up, so one thread never reads a smaller value than it read before
//! (nor does a thread that synchronised with it). The floor costs one more relaxed load.
//!
//! Hot path: the counter, a multiplication (`ticks.rs`), three loads of one
//! read-mostly struct, a compare and a `max`. No lock, no allocation.

use std::sync::OnceLock;
use std::sync::atomic::{
    AtomicBool, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};

use super::scale::{Nanos, nanos_at};
use super::ticks::TickScale;

/// How much counter time may pass before the mapping is anchored again.
const INTERVAL: Nanos = 100_000_000;

/// The most a re-anchor holds the clock still (far above one interval's drift): a mapping
/// stale by more, because nobody read the clock for a long time, is dropped at once, since
/// nobody read its values either.
const MAX_HOLD: Nanos = 1_000_000;

/// The calibrated counter and its mapping onto the scale.
pub(super) struct Counter {
    clock: quanta::Clock,
    /// The raw counter when it was set up: readings are nanoseconds since then.
    raw0: u64,
    /// quanta's rate as one multiplication, where the counter ticks faster than 1 GHz.
    scale: Option<TickScale>,
    /// Added to the nanoseconds since `raw0` to land on the scale (wrapping).
    offset: AtomicU64,
    /// Nanoseconds since `raw0` past which the mapping is anchored again.
    next: AtomicU64,
    /// No reading is below this: a value some reader may already have been given.
    floor: AtomicU64,
    /// Held by the one thread re-anchoring; the others keep reading the current mapping.
    anchoring: AtomicBool,
}

static COUNTER: OnceLock<Counter> = OnceLock::new();

/// The counter, once [`prepare`] set it up.
#[inline(always)]
pub(super) fn get() -> Option<&'static Counter> {
    COUNTER.get()
}

/// Sets the counter up (calibrating it the first time: up to a few hundred milliseconds) and
/// anchors its mapping now, before any thread reads it.
pub(super) fn prepare() -> &'static Counter {
    let counter = COUNTER.get_or_init(|| {
        let clock = quanta::Clock::new();
        let raw0 = clock.raw();
        let scale = TickScale::new(|ticks| clock.delta_as_nanos(0, ticks));
        Counter {
            clock,
            raw0,
            scale,
            offset: AtomicU64::new(0),
            next: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            anchoring: AtomicBool::new(false),
        }
    });
    counter.anchor();
    counter
}

impl Counter {
    /// Nanoseconds since `raw0`, by the counter.
    #[inline(always)]
    fn elapsed(&self) -> Nanos {
        let raw = self.clock.raw();
        match self.scale {
            // As quanta's: a counter behind `raw0` (another core's, a hair behind) reads 0.
            Some(scale) if raw > self.raw0 => scale.nanos(raw - self.raw0),
            Some(_) => 0,
            None => self.clock.delta_as_nanos(self.raw0, raw),
        }
    }

    /// The current time on the scale.
    #[inline(always)]
    pub(super) fn now(&self) -> Nanos {
        let elapsed = self.elapsed();
        // Acquire: seeing a new `next` means seeing the offset and floor stored before it.
        if elapsed > self.next.load(Acquire) {
            return self.reanchor(elapsed);
        }
        self.reading(elapsed)
    }

    /// The current mapping at `elapsed`, not below the floor.
    #[inline(always)]
    fn reading(&self, elapsed: Nanos) -> Nanos {
        // Acquire: seeing a new offset means seeing the floor stored before it.
        let now = self.offset.load(Acquire).wrapping_add(elapsed);
        now.max(self.floor.load(Relaxed))
    }

    /// A fresh mapping: `std`'s monotonic clock read between two counter reads, mapped onto
    /// the scale as the tokio source maps instants. The offset, and the counter's nanoseconds
    /// at the second read.
    fn measure(&self) -> (Nanos, Nanos) {
        let before = self.elapsed();
        let system = std::time::Instant::now();
        let after = self.elapsed();
        let at = before + after.saturating_sub(before) / 2;
        let scaled = nanos_at(tokio::time::Instant::from_std(system));
        (scaled.wrapping_sub(at), after)
    }

    /// Anchors the mapping now, holding nothing back (setting up, or switching back to the
    /// counter after a while on tokio's clock).
    fn anchor(&self) {
        let (offset, at) = self.measure();
        self.offset.store(offset, Release);
        self.next.store(at.saturating_add(INTERVAL), Release);
    }

    /// The reading at `elapsed` once the mapping is anchored again (by this thread, or by
    /// another one already at it).
    #[cold]
    #[inline(never)]
    fn reanchor(&self, elapsed: Nanos) -> Nanos {
        let previous = self.offset.load(Acquire);
        if self.anchoring.swap(true, Acquire) {
            // Another thread is re-anchoring: read the current mapping, and make it a floor so
            // that this thread never reads less once the new mapping is in.
            let now = previous.wrapping_add(elapsed);
            return now.max(self.floor.fetch_max(now, Relaxed));
        }
        if elapsed <= self.next.load(Acquire) {
            // Another thread just did it.
            self.anchoring.store(false, Release);
            return self.reading(elapsed);
        }
        let (offset, at) = self.measure();
        let now = offset.wrapping_add(at);
        // What the old mapping says now: when the counter ran fast this is ahead of `now`, and
        // readers may have been given up to it. Hold there rather than step back.
        let held = previous.wrapping_add(at).min(now.saturating_add(MAX_HOLD));
        self.floor.fetch_max(held, Relaxed);
        self.offset.store(offset, Release);
        self.next.store(at.saturating_add(INTERVAL), Release);
        self.anchoring.store(false, Release);
        now.max(self.floor.load(Relaxed))
    }
}
