//! A list that only grows and whose elements never move, so that readers can hold `&T` from it
//! without a lock while it grows: where a breaker keeps every sliding window it has switched to.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Enough places for every window shape there is ([`MAX_WINDOW_CALLS`](super::MAX_WINDOW_CALLS)
/// count windows and [`MAX_WINDOW_SECS`](super::MAX_WINDOW_SECS) time windows): segment `s`
/// holds `2^s` elements, 17 segments hold 131 071.
const SEGMENTS: usize = 17;

/// A list that only grows, whose elements never move: readers get `&T` by index without a
/// lock. Pushes must not race each other (the caller serialises them).
#[derive(Debug)]
pub(super) struct AppendOnly<T> {
    segments: [OnceLock<Box<[OnceLock<T>]>>; SEGMENTS],
    len: AtomicUsize,
}

impl<T> Default for AppendOnly<T> {
    fn default() -> Self {
        Self {
            segments: std::array::from_fn(|_| OnceLock::new()),
            len: AtomicUsize::new(0),
        }
    }
}

impl<T> AppendOnly<T> {
    /// The segment and the place in it of element `index`.
    fn place(index: usize) -> (usize, usize) {
        let position = index + 1;
        let segment = (usize::BITS - 1 - position.leading_zeros()) as usize;
        (segment, position - (1 << segment))
    }

    pub(super) fn get(&self, index: usize) -> Option<&T> {
        let (segment, offset) = Self::place(index);
        self.segments.get(segment)?.get()?.get(offset)?.get()
    }

    /// Appends `value`; its index, or `None` when full.
    pub(super) fn push(&self, value: T) -> Option<usize> {
        let index = self.len.load(Ordering::Relaxed);
        let (segment, offset) = Self::place(index);
        let slots = self.segments.get(segment)?.get_or_init(|| {
            std::iter::repeat_with(OnceLock::new)
                .take(1 << segment)
                .collect()
        });
        slots.get(offset)?.set(value).ok()?;
        self.len.store(index + 1, Ordering::Release);
        Some(index)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        (0..self.len.load(Ordering::Acquire)).filter_map(|index| self.get(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_only_keeps_elements_in_place() {
        let list = AppendOnly::default();
        for value in 0..100 {
            assert_eq!(list.push(value), Some(value));
        }
        let first = list.get(0).unwrap() as *const usize;
        for value in 100..1000 {
            list.push(value);
        }
        assert_eq!(list.get(0).unwrap() as *const usize, first);
        assert_eq!(list.iter().count(), 1000);
        assert_eq!(list.get(999), Some(&999));
        assert_eq!(list.get(1000), None);
        assert_eq!(AppendOnly::<u8>::place(0), (0, 0));
        assert_eq!(AppendOnly::<u8>::place(2), (1, 1));
        assert_eq!(AppendOnly::<u8>::place(3), (2, 0));
    }
}
