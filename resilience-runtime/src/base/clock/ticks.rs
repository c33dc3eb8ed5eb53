//! [`TickScale`]: counter ticks to nanoseconds with one multiplication, keeping only the high
//! half of the product, where quanta's own scaling also shifts by a count it reads at run time
//! (a variable 128-bit shift: several cycles on every clock read).

/// Nanoseconds per tick as a 0.64 fixed-point fraction, for a counter that ticks faster than
/// once a nanosecond (every time-stamp counter of the last fifteen years); `None` otherwise,
/// and the caller scales as quanta does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TickScale(u64);

impl TickScale {
    /// The scale `nanos_for` gives, a function from ticks to nanoseconds (quanta's), if it is
    /// under one nanosecond a tick.
    pub(super) fn new(nanos_for: impl Fn(u64) -> u64) -> Option<Self> {
        // First at 2³² ticks, where no counter of 2³² ns a tick or less overflows, to tell
        // whether a tick is under a nanosecond; then at 2⁶² ticks for precision: under a
        // nanosecond a tick, that is under 2⁶² ns, so no truncation hides a slow counter.
        if nanos_for(1 << 32) >= 1 << 32 {
            return None;
        }
        let fraction = nanos_for(1 << 62) << 2;
        (fraction > 0).then_some(Self(fraction))
    }

    /// `ticks` in nanoseconds, rounded down.
    #[inline(always)]
    pub(super) const fn nanos(self, ticks: u64) -> u64 {
        // The high half of a 64 × 64 product is below 2⁶⁴: the cast keeps it whole.
        #[allow(clippy::cast_possible_truncation)]
        let nanos = ((ticks as u128 * self.0 as u128) >> 64) as u64;
        nanos
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// quanta's scaling: a multiplication and a shift.
    fn quanta_like(factor: u64, shift: u32) -> impl Fn(u64) -> u64 {
        move |ticks| ((u128::from(ticks) * u128::from(factor)) >> shift) as u64
    }

    #[test]
    fn a_counter_at_a_nanosecond_a_tick_or_slower_keeps_quanta_s_scaling() {
        // quanta's monotonic fallback: its raw values are nanoseconds.
        assert_eq!(TickScale::new(|ticks| ticks), None);
        assert_eq!(TickScale::new(quanta_like(5, 1)), None);
        assert_eq!(TickScale::new(quanta_like(1 << 40, 1)), None);
    }

    #[test]
    fn a_three_gigahertz_counter() {
        // 1/3 ns a tick.
        let scale = TickScale::new(|ticks| ticks / 3).unwrap();
        assert_eq!(scale.nanos(3_000_000_000), 999_999_999);
        assert_eq!(scale.nanos(3_000_000_003), 1_000_000_000);
        assert_eq!(scale.nanos(0), 0);
    }

    proptest! {
        /// Within a nanosecond and a part in 2⁶⁰ of quanta's scaling, for any rate over 1 GHz.
        #[test]
        fn agrees_with_the_scaling_it_came_from(
            factor in 1u64..(1 << 32), ticks in 0u64..(1 << 62)
        ) {
            let scaled = quanta_like(factor, 32);
            let scale = TickScale::new(&scaled).unwrap();
            let (ours, theirs) = (scale.nanos(ticks), scaled(ticks));
            prop_assert!(ours.abs_diff(theirs) <= 1 + (theirs >> 60), "{ours} vs {theirs}");
        }

        /// Never backwards.
        #[test]
        fn monotonic(factor in 1u64..(1 << 32), a: u64, b: u64) {
            let scale = TickScale::new(quanta_like(factor, 32)).unwrap();
            let (low, high) = (a.min(b), a.max(b));
            prop_assert!(scale.nanos(low) <= scale.nanos(high));
        }
    }
}
