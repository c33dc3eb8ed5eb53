//! Sliding windows of call outcomes, kept with atomics only.
//!
//! Both windows keep running totals next to their slots so judging a rate is three loads, not a
//! scan. Every change to a slot is paired with the same change to the totals, so the totals
//! always converge to the sum of the slots; between the two steps of a concurrent update a
//! reader may see them one call apart, which is why totals are signed and clamped on read.
//! A call recorded while its bucket is being expired or the window cleared may be left out;
//! the window is a statistic, and losing a call there never corrupts it.
//!
//! Recording tells whether the rates need judging: a fast success that changes nothing a
//! threshold could have been crossed by (it replaced a success in a full count window, or it
//! was added to a time window past `minimum_calls` within an already judged second) returns
//! `None`, which keeps the common closed path to one shared increment.

use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};

use crate::base::clock::Nanos;

use super::config::{CircuitBreakerConfig, SlidingWindow};

/// The calls, failures and slow calls a window holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Counts {
    pub(super) calls: u64,
    pub(super) failed: u64,
    pub(super) slow: u64,
}

/// A sliding window of outcomes: the last N calls or the last N seconds.
#[derive(Debug)]
pub(super) enum Window {
    Count(CountWindow),
    Time(TimeWindow),
}

impl Window {
    /// The window `config` asks for, or `None` when only consecutive failures matter.
    pub(super) fn new(config: &CircuitBreakerConfig) -> Option<Self> {
        if !config.uses_window() {
            return None;
        }
        Some(match config.window() {
            SlidingWindow::Calls(calls) => Self::Count(CountWindow::new(calls)),
            SlidingWindow::Time(duration) => Self::Time(TimeWindow::new(
                duration.as_secs(),
                u64::from(config.minimum_calls()),
            )),
        })
    }

    /// Records one outcome: in a count window in the next slot, in a time window in the
    /// second of `now`. Returns the totals after it when the rates need judging.
    #[inline]
    pub(super) fn record(&self, now: Nanos, failed: bool, slow: bool) -> Option<Counts> {
        match self {
            Self::Count(window) => window.record(failed, slow),
            Self::Time(window) => window.record(now, failed, slow),
        }
    }

    /// An outcome that does not belong in the window (from an earlier period) still takes
    /// its turn: a count window empties the next slot, so it holds the outcomes of its last N
    /// turns.
    pub(super) fn skip(&self) {
        if let Self::Count(window) = self {
            window.skip();
        }
    }

    /// The totals as of `now` (a time window first drops the seconds that have expired).
    pub(super) fn counts(&self, now: Nanos) -> Counts {
        match self {
            Self::Count(window) => window.totals.read(),
            Self::Time(window) => {
                window.advance(second(now));
                window.totals.read()
            }
        }
    }

    /// The window's kind and size.
    pub(super) fn shape(&self) -> SlidingWindow {
        match self {
            Self::Count(window) => SlidingWindow::Calls(window.slots.len() as u32),
            Self::Time(window) => SlidingWindow::Time(std::time::Duration::from_secs(window.len())),
        }
    }

    /// Changes the breaker's `minimum_calls`, which a time window uses to tell whether a fast
    /// success needs judging.
    pub(super) fn set_minimum(&self, minimum: u64) {
        if let Self::Time(window) = self {
            window.minimum.store(minimum, Ordering::Relaxed);
        }
    }

    /// Empties the window.
    pub(super) fn clear(&self) {
        match self {
            Self::Count(window) => window.clear(),
            Self::Time(window) => window.clear(),
        }
    }
}

/// Running totals of a window.
#[derive(Debug, Default)]
struct Totals {
    calls: AtomicI64,
    failed: AtomicI64,
    slow: AtomicI64,
}

impl Totals {
    fn add(&self, calls: i64, failed: i64, slow: i64) {
        // Skipping zero deltas keeps the common full-window success-replaces-success case free
        // of shared writes.
        if calls != 0 {
            self.calls.fetch_add(calls, Ordering::Relaxed);
        }
        if failed != 0 {
            self.failed.fetch_add(failed, Ordering::Relaxed);
        }
        if slow != 0 {
            self.slow.fetch_add(slow, Ordering::Relaxed);
        }
    }

    fn read(&self) -> Counts {
        let calls = u64::try_from(self.calls.load(Ordering::Relaxed)).unwrap_or(0);
        let clamp = |total: &AtomicI64| {
            u64::try_from(total.load(Ordering::Relaxed))
                .unwrap_or(0)
                .min(calls)
        };
        Counts {
            calls,
            failed: clamp(&self.failed),
            slow: clamp(&self.slow),
        }
    }
}

// A count-window slot: 0 when empty, else RECORDED plus the outcome's flags.
const RECORDED: u8 = 1;
const FAILED: u8 = 2;
const SLOW: u8 = 4;

/// The outcomes of the last `slots.len()` calls, one atomic byte each.
#[derive(Debug)]
pub(super) struct CountWindow {
    /// Turns taken: consecutive outcomes take consecutive slots. Only count windows pay for
    /// this shared increment.
    turns: AtomicU64,
    slots: Box<[AtomicU8]>,
    slot_of: FastMod,
    totals: Totals,
}

impl CountWindow {
    fn new(calls: u32) -> Self {
        let calls = calls.max(1);
        Self {
            turns: AtomicU64::new(0),
            slots: (0..calls).map(|_| AtomicU8::new(0)).collect(),
            slot_of: FastMod::new(calls),
            totals: Totals::default(),
        }
    }

    /// The slot of the next turn.
    #[inline]
    fn next_slot(&self) -> &AtomicU8 {
        let turn = self.turns.fetch_add(1, Ordering::Relaxed);
        // Turns count modulo 2^32 here: once every 4 billion calls the ring skips a few
        // slots for one lap, which keeps outcomes one lap longer and corrupts nothing.
        let index = self.slot_of.rem(turn as u32) as usize;
        // Below the length by construction; `get` keeps a bad index from ever panicking.
        self.slots.get(index).unwrap_or(&self.slots[0])
    }

    #[inline]
    fn record(&self, failed: bool, slow: bool) -> Option<Counts> {
        let mut flags = RECORDED;
        if failed {
            flags |= FAILED;
        }
        if slow {
            flags |= SLOW;
        }
        let slot = self.next_slot();
        // The same outcome as a lap ago leaves the window as it was: no write, nothing to
        // judge. (A racing writer of this slot, a lap later, simply comes after.)
        if slot.load(Ordering::Relaxed) == flags {
            return None;
        }
        let old = slot.swap(flags, Ordering::Relaxed);
        if old == flags {
            return None;
        }
        self.apply(old, flags);
        Some(self.totals.read())
    }

    fn skip(&self) {
        let old = self.next_slot().swap(0, Ordering::Relaxed);
        self.apply(old, 0);
    }

    /// Adds the change from slot contents `old` to `new` to the totals.
    fn apply(&self, old: u8, new: u8) {
        let delta = |flag: u8| i64::from(new & flag != 0) - i64::from(old & flag != 0);
        self.totals.add(delta(RECORDED), delta(FAILED), delta(SLOW));
    }

    fn clear(&self) {
        // Swap each slot out and subtract what it held, rather than zeroing the totals, so a
        // concurrent record cannot leave the totals permanently off.
        for slot in &*self.slots {
            let old = slot.swap(0, Ordering::Relaxed);
            self.apply(old, 0);
        }
    }
}

/// `n % d` for a fixed `d` by two multiplications instead of a division (Lemire's fastmod):
/// the count window's slot of every call, on the closed path.
#[derive(Debug)]
struct FastMod {
    divisor: u32,
    multiplier: u64,
}

impl FastMod {
    fn new(divisor: u32) -> Self {
        let divisor = divisor.max(1);
        Self {
            divisor,
            multiplier: (u64::MAX / u64::from(divisor)).wrapping_add(1),
        }
    }

    #[inline]
    fn rem(&self, n: u32) -> u32 {
        let low = self.multiplier.wrapping_mul(u64::from(n));
        // The high half of a 64×32-bit product is below the 32-bit divisor.
        ((u128::from(low) * u128::from(self.divisor)) >> 64) as u32
    }
}

// A time-window bucket packs calls, failures and slow calls of one second into one word, so
// expiring a bucket is a single swap. 21 bits each; a second takes at most 2^20 calls (the
// other half is headroom for racing recorders), calls beyond that are left out of the window.
const BUCKET_BITS: u32 = 21;
const BUCKET_MASK: u64 = (1 << BUCKET_BITS) - 1;
const BUCKET_LIMIT: u64 = 1 << (BUCKET_BITS - 1);
const BUCKET_FAILED_SHIFT: u32 = BUCKET_BITS;
const BUCKET_SLOW_SHIFT: u32 = 2 * BUCKET_BITS;

fn unpack(bucket: u64) -> (i64, i64, i64) {
    // Each field is below 2^21, so the conversions are lossless.
    let field = |shift: u32| ((bucket >> shift) & BUCKET_MASK) as i64;
    (
        field(0),
        field(BUCKET_FAILED_SHIFT),
        field(BUCKET_SLOW_SHIFT),
    )
}

/// The whole second `now` falls in.
fn second(now: Nanos) -> u64 {
    now / 1_000_000_000
}

/// The calls of the last `buckets.len()` whole seconds, one packed bucket per second.
#[derive(Debug)]
pub(super) struct TimeWindow {
    buckets: Box<[AtomicU64]>,
    /// The latest second the buckets have been rotated to.
    current: AtomicU64,
    totals: Totals,
    /// The breaker's `minimum_calls`: up to there a success may complete a judgeable window.
    minimum: AtomicU64,
    /// The second of the last success whose rates were judged. Buckets expire only at second
    /// boundaries, so the first success of each second judges what expiry did.
    judged_second: AtomicU64,
}

impl TimeWindow {
    fn new(secs: u64, minimum: u64) -> Self {
        Self {
            buckets: (0..secs.max(1)).map(|_| AtomicU64::new(0)).collect(),
            current: AtomicU64::new(0),
            totals: Totals::default(),
            minimum: AtomicU64::new(minimum),
            judged_second: AtomicU64::new(u64::MAX),
        }
    }

    fn len(&self) -> u64 {
        self.buckets.len() as u64
    }

    fn bucket(&self, second: u64) -> &AtomicU64 {
        // The index is below `len`, which is at most `MAX_WINDOW_SECS`.
        &self.buckets[(second % self.len()) as usize]
    }

    #[inline]
    fn record(&self, now: Nanos, failed: bool, slow: bool) -> Option<Counts> {
        let second = second(now);
        let current = self.advance(second);
        // A clock read that is a whole window older than the newest second is already expired.
        if second.saturating_add(self.len()) <= current {
            return None;
        }
        let delta =
            1 | u64::from(failed) << BUCKET_FAILED_SHIFT | u64::from(slow) << BUCKET_SLOW_SHIFT;
        let bucket = self.bucket(second);
        let before = bucket.fetch_add(delta, Ordering::Relaxed);
        if before & BUCKET_MASK >= BUCKET_LIMIT {
            // The second is full: undo long before the calls field could carry over.
            bucket.fetch_sub(delta, Ordering::Relaxed);
            return None;
        }
        let calls = self.totals.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if failed || slow {
            self.totals.add(0, i64::from(failed), i64::from(slow));
            return Some(self.totals.read());
        }
        // A fast success only lowers the rates of a window that was judged already.
        let minimum = i64::try_from(self.minimum.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        if calls <= minimum || self.judged_second.load(Ordering::Relaxed) != second {
            self.judged_second.store(second, Ordering::Relaxed);
            return Some(self.totals.read());
        }
        None
    }

    /// Expires the buckets of seconds that left the window by `second`; returns the newest
    /// second the window has reached. One thread per new second does the rotation.
    fn advance(&self, second: u64) -> u64 {
        let mut current = self.current.load(Ordering::Relaxed);
        while second > current {
            match self.current.compare_exchange_weak(
                current,
                second,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    // The buckets of seconds current+1..=second held seconds a full window ago.
                    let from = current
                        .saturating_add(1)
                        .max(second.saturating_sub(self.len() - 1));
                    for expired in from..=second {
                        self.expire(self.bucket(expired));
                    }
                    return second;
                }
                Err(actual) => current = actual,
            }
        }
        current
    }

    fn expire(&self, bucket: &AtomicU64) {
        let old = bucket.swap(0, Ordering::Relaxed);
        if old != 0 {
            let (calls, failed, slow) = unpack(old);
            self.totals.add(-calls, -failed, -slow);
        }
    }

    fn clear(&self) {
        for bucket in &*self.buckets {
            self.expire(bucket);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FastMod;

    #[test]
    fn fast_mod_matches_the_remainder() {
        for divisor in [1, 2, 3, 7, 10, 100, 999, 65_536, 100_000, u32::MAX] {
            let fast = FastMod::new(divisor);
            for n in (0..10_000).chain([u32::MAX - 1, u32::MAX, 1 << 31, 123_456_789]) {
                assert_eq!(fast.rem(n), n % divisor, "{n} % {divisor}");
            }
        }
    }
}
