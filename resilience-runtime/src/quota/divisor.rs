//! [`Divisor`]: a window length with its reciprocal, so that finding the window of an instant is
//! a multiplication rather than a 64-bit division (tens of cycles on some processors, and every
//! decision of a quota needs one).

use crate::base::clock::Nanos;

/// A non-zero divisor and `u64::MAX / divisor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Divisor {
    value: Nanos,
    reciprocal: u64,
}

impl Divisor {
    /// Dividing by `value` (0 counts as 1).
    pub(super) const fn new(value: Nanos) -> Self {
        let value = if value == 0 { 1 } else { value };
        Self {
            value,
            reciprocal: u64::MAX / value,
        }
    }

    /// The divisor.
    pub(super) const fn get(self) -> Nanos {
        self.value
    }

    /// `n / divisor` and `n % divisor`, exactly.
    #[inline]
    pub(super) const fn div_rem(self, n: u64) -> (u64, u64) {
        // `reciprocal` is within 2 of 2⁶⁴ / divisor, so the estimate is the quotient or up to
        // two below it, and never above (`estimate × divisor ≤ n`): at most two corrections.
        #[allow(clippy::cast_possible_truncation)]
        let mut quotient = ((n as u128 * self.reciprocal as u128) >> 64) as u64;
        let mut remainder = n - quotient * self.value;
        while remainder >= self.value {
            quotient += 1;
            remainder -= self.value;
        }
        (quotient, remainder)
    }

    /// `n / divisor`.
    #[inline]
    pub(super) const fn div(self, n: u64) -> u64 {
        self.div_rem(n).0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn divides_at_the_edges() {
        for value in [
            1,
            2,
            3,
            7,
            31,
            1_000_000_000,
            86_400_000_000_000,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let divisor = Divisor::new(value);
            for n in [
                0,
                1,
                value - 1,
                value,
                value.saturating_add(1),
                u64::MAX - 1,
                u64::MAX,
            ] {
                assert_eq!(divisor.div_rem(n), (n / value, n % value), "{n} / {value}");
            }
        }
        assert_eq!(Divisor::new(0).div_rem(9), (9, 0));
    }

    proptest! {
        #[test]
        fn divides_exactly(value in 1u64.., n: u64) {
            prop_assert_eq!(Divisor::new(value).div_rem(n), (n / value, n % value));
        }

        #[test]
        fn divides_exactly_by_small_values(value in 1u64..100_000, n: u64) {
            prop_assert_eq!(Divisor::new(value).div_rem(n), (n / value, n % value));
        }
    }
}
