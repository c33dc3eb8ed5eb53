//! [`SeqLock`]: a few words that change rarely and are read on every call, without a lock or
//! a read-modify-write on the read side.
//!
//! A reader loads the sequence number, the words, then the sequence number again, and retries
//! if a writer was in between (odd, or changed). Reading is plain loads, so readers on many
//! cores never contend; writers take a mutex among themselves.

use std::sync::atomic::{AtomicU64, Ordering, fence};
use std::sync::{Mutex, PoisonError};

/// `N` words read and replaced as one value.
#[derive(Debug)]
pub(crate) struct SeqLock<const N: usize> {
    sequence: AtomicU64,
    words: [AtomicU64; N],
    writer: Mutex<()>,
}

impl<const N: usize> SeqLock<N> {
    /// Holding `words`.
    pub(crate) const fn new(words: [u64; N]) -> Self {
        let mut atomics = [const { AtomicU64::new(0) }; N];
        let mut i = 0;
        while i < N {
            atomics[i] = AtomicU64::new(words[i]);
            i += 1;
        }
        Self {
            sequence: AtomicU64::new(0),
            words: atomics,
            writer: Mutex::new(()),
        }
    }

    /// The words, all from one [`store`](Self::store).
    #[inline]
    pub(crate) fn load(&self) -> [u64; N] {
        loop {
            let before = self.sequence.load(Ordering::Acquire);
            if before & 1 == 0 {
                let words = std::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
                fence(Ordering::Acquire);
                if self.sequence.load(Ordering::Relaxed) == before {
                    return words;
                }
            }
            std::hint::spin_loop();
        }
    }

    /// Word `index` alone (one load, consistent on its own); 0 past the end.
    #[inline]
    pub(crate) fn word(&self, index: usize) -> u64 {
        self.words
            .get(index)
            .map_or(0, |word| word.load(Ordering::Acquire))
    }

    /// Replaces the words; loads from now on see them.
    pub(crate) fn store(&self, words: [u64; N]) {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let sequence = self.sequence.load(Ordering::Relaxed);
        self.sequence
            .store(sequence.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for (word, value) in self.words.iter().zip(words) {
            word.store(value, Ordering::Relaxed);
        }
        self.sequence
            .store(sequence.wrapping_add(2), Ordering::Release);
    }
}
