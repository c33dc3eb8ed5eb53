//! Which calls an adaptive bulkhead times: every call while calls are few, one in `stride`
//! (a power of two, drawn at random) when they come faster than [`SPACING`] apart.
//!
//! Timing a call costs two clock reads and an update of the algorithm under a try-lock: tens
//! of nanoseconds, which a call of a few microseconds does not notice but a bulkhead taking
//! millions of calls a second does. The algorithms need a steady stream of evidence, not every
//! call: each sample carries its `stride` as a weight (AIMD's increase and Gradient's window
//! count calls, not samples), so a sampled stream moves the limit as the full one would.
//!
//! The stride follows the rate of calls, counted over windows of [`WINDOW`] (each sample
//! counting as the calls it stands for): at the end of each window it becomes the number of
//! calls that come in one [`SPACING`], rounded down to a power of two, at least 1 and at most
//! [`MAX_STRIDE`]. A window, not the gap between two samples, so that a burst of calls at one
//! instant (or on tokio's paused clock) at a modest rate keeps every call timed; at most
//! [`MAX_STRIDE`], so that after a fall in traffic the next sample comes within that many
//! calls. The draw is random rather than every `stride`-th call, so that bulkheads whose calls
//! alternate on one thread are each sampled fairly.

use std::cell::Cell;

/// The spacing of samples the stride aims at: 10 000 samples a second at most, at any load
/// the stride's maximum allows.
pub(crate) const SPACING: u64 = 100_000;
/// How long the calls are counted before the stride is set again.
pub(crate) const WINDOW: u64 = 10_000_000;
/// The sparsest sampling: one call in this many.
pub(crate) const MAX_STRIDE: u32 = 64;

/// The sampling state of one adaptive bulkhead, kept with its algorithm's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sampling {
    /// One call in `stride` is timed.
    pub(crate) stride: u32,
    /// When the current window started (nanoseconds); 0 before the first sample.
    window_start: u64,
    /// The calls the window's samples stand for.
    calls: u64,
}

impl Sampling {
    /// Every call timed, until calls come fast.
    pub(crate) const fn new() -> Self {
        Self {
            stride: 1,
            window_start: 0,
            calls: 0,
        }
    }

    /// Takes in a sample standing for `weight` calls that ended at `ended`; the stride for the
    /// calls from now on.
    pub(crate) fn after_sample(&mut self, ended: u64, weight: u32) -> u32 {
        if self.window_start == 0 {
            self.window_start = ended;
        }
        self.calls += u64::from(weight.max(1));
        let elapsed = ended.saturating_sub(self.window_start);
        if elapsed >= WINDOW {
            let per_spacing = self.calls.saturating_mul(SPACING) / elapsed;
            self.stride = prev_power_of_two(per_spacing.clamp(1, u64::from(MAX_STRIDE)) as u32);
            self.window_start = ended;
            self.calls = 0;
        }
        self.stride
    }
}

/// The highest power of two at most `n` (`n >= 1`).
const fn prev_power_of_two(n: u32) -> u32 {
    1 << (31 - n.leading_zeros())
}

thread_local! {
    /// This thread's xorshift state; 0 until first drawn.
    static DRAW: Cell<u32> = const { Cell::new(0) };
}

/// Whether this call is one of the `stride` calls to time: always for a stride of 1 (no draw),
/// otherwise with probability `1 / stride`.
#[inline]
pub(crate) fn drawn(stride: u32) -> bool {
    if stride <= 1 {
        return true;
    }
    DRAW.try_with(|draw| {
        let mut x = draw.get();
        if x == 0 {
            // Any non-zero seed; the cell's address differs between threads.
            x = (std::ptr::from_ref(draw) as usize as u32) | 1;
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        draw.set(x);
        x & (stride - 1) == 0
    })
    .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One call every `gap` nanoseconds for `length`, each timed with the stride in force (as
    /// the bulkhead's draw does on average: one sample per `stride` calls); the stride after.
    fn run(sampling: &mut Sampling, start: u64, gap: u64, length: u64) -> u32 {
        let mut ended = start;
        while ended < start + length {
            let stride = sampling.stride;
            ended += gap * u64::from(stride);
            sampling.after_sample(ended, stride);
        }
        sampling.stride
    }

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn calls_far_apart_are_all_timed() {
        let mut sampling = Sampling::new();
        assert_eq!(run(&mut sampling, SECOND, SPACING, SECOND), 1);
        assert_eq!(run(&mut sampling, 2 * SECOND, 10 * SPACING, SECOND), 1);
    }

    #[test]
    fn bursts_at_one_instant_keep_every_call_timed() {
        // 64 calls ending at the same instant every 10 ms (tokio's paused clock does this): 6 400
        // calls a second, under one per `SPACING`.
        let mut sampling = Sampling::new();
        for burst in 1..=100 {
            for _ in 0..64 {
                assert_eq!(sampling.after_sample(SECOND + burst * 10_000_000, 1), 1);
            }
        }
    }

    #[test]
    fn fast_calls_are_sampled_up_to_the_maximum_stride() {
        // 1 000 000 calls a second: 100 per `SPACING`, more than the maximum stride.
        let mut sampling = Sampling::new();
        assert_eq!(run(&mut sampling, SECOND, 1_000, 100_000_000), MAX_STRIDE);
        // 100 000 calls a second: 10 per `SPACING`, rounded down to 8.
        let mut sampling = Sampling::new();
        assert_eq!(run(&mut sampling, SECOND, 10_000, 100_000_000), 8);
    }

    #[test]
    fn a_fall_in_traffic_lowers_the_stride_at_the_next_window() {
        let mut sampling = Sampling::new();
        run(&mut sampling, SECOND, 1_000, 100_000_000);
        assert_eq!(sampling.stride, MAX_STRIDE);
        // Then a call every millisecond: the first sample after the fall (64 calls on) ends
        // the window, and every call is timed again.
        assert_eq!(run(&mut sampling, 2 * SECOND, 1_000_000, 100_000_000), 1);
    }

    #[test]
    fn draws_pick_about_one_call_in_stride() {
        assert!((0..100).all(|_| drawn(1)));
        let picked = (0..64_000).filter(|_| drawn(16)).count();
        assert!((3_000..5_000).contains(&picked), "{picked} of 64 000");
    }
}
