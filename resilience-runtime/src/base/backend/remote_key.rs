//! [`RemoteKey`]: a key as a remote backend stores it.

use std::hash::{Hash, Hasher};

/// A key as the backend stores it: the bytes its `Hash` implementation writes, so that
/// every process names a key the same way without relying on a hash seed. Integers are
/// written in the machine's byte order: processes sharing keyed state should run on
/// machines of one byte order, and use one key type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RemoteKey(pub(crate) Vec<u8>);

impl RemoteKey {
    pub(crate) fn of<K: Hash + ?Sized>(key: &K) -> Self {
        struct Recorder(Vec<u8>);
        impl Hasher for Recorder {
            fn finish(&self) -> u64 {
                0
            }
            fn write(&mut self, bytes: &[u8]) {
                self.0.extend_from_slice(bytes);
            }
        }
        let mut recorder = Recorder(Vec::new());
        key.hash(&mut recorder);
        Self(recorder.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_keys_are_the_hash_byte_stream() {
        assert_eq!(RemoteKey::of("ab").0, b"ab\xff");
        assert_eq!(RemoteKey::of(&String::from("ab")), RemoteKey::of("ab"));
        assert_eq!(RemoteKey::of(&7u32).0, 7u32.to_ne_bytes());
        assert_ne!(RemoteKey::of(&("a", "bc")), RemoteKey::of(&("ab", "c")));
    }
}
