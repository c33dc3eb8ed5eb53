//! Hash tags: the `{...}` part of a key that alone decides its Redis Cluster slot, so that
//! every key one decision touches lies on one node.
//!
//! The tag is 16 hex digits of a 64-bit FNV-1a hash of the parts that name the state (the
//! instance's name, the key's bytes), each prefixed with its length so that `("a", "bc")`
//! and `("ab", "c")` differ. Hex holds no brace, so whatever bytes a name or key contains,
//! the tag ends where it should; and the hash is fixed by this file, not by a seed or a Rust
//! release, so every process and every version computes the same tag for the same state.
//! Tags only place keys: the keys also carry the parts themselves, so two states never share
//! a key even if their tags collide.

/// `{` + 16 hex digits + `}`.
pub(crate) const TAG_LEN: usize = 18;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The hash tag of the state named by `parts`.
pub(crate) fn hash_tag(parts: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut hash = FNV_OFFSET;
    let mut eat = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    };
    for part in parts {
        eat(&(part.len() as u64).to_le_bytes());
        eat(part);
    }
    let mut tag = [0; TAG_LEN];
    tag[0] = b'{';
    tag[TAG_LEN - 1] = b'}';
    for (index, digit) in tag[1..TAG_LEN - 1].iter_mut().enumerate() {
        let nibble = (hash >> (60 - 4 * index)) & 0xf;
        *digit = b"0123456789abcdef"[usize::try_from(nibble).unwrap_or(0)];
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stable_hex_in_braces() {
        let tag = hash_tag(&[b"api"]);
        assert_eq!(tag, hash_tag(&[b"api"]));
        assert_eq!((tag[0], tag[TAG_LEN - 1]), (b'{', b'}'));
        assert!(tag[1..TAG_LEN - 1].iter().all(u8::is_ascii_hexdigit));
        // Pinned (checked against an independent FNV-1a): every process and every release
        // computes this one.
        assert_eq!(&hash_tag(&[b"api", b"tenant-1"]), b"{816f1e430dfa3304}");
    }

    #[test]
    fn parts_keep_their_boundaries() {
        assert_ne!(hash_tag(&[b"a", b"bc"]), hash_tag(&[b"ab", b"c"]));
        assert_ne!(hash_tag(&[b"api"]), hash_tag(&[b"api", b""]));
        assert_ne!(hash_tag(&[b"{x}"]), hash_tag(&[b"x"]));
    }
}
