//! Fingerprints: a stable digest of the inputs that produced a cached result.
//!
//! Not a security measure (the cache file is private to the user); it only tells an edited
//! profile from the one that filled the cache.

/// A 128-bit FNV-1a digest over length-prefixed parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(u128);

impl Fingerprint {
    /// Digests `parts`; each is length-prefixed so `["ab","c"]` and `["a","bc"]` differ.
    pub fn of(parts: &[&str]) -> Self {
        const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
        const PRIME: u128 = 0x0000000001000000000000000000013B;
        let mut h = OFFSET;
        for part in parts {
            for b in (part.len() as u64)
                .to_le_bytes()
                .iter()
                .chain(part.as_bytes())
            {
                h ^= u128::from(*b);
                h = h.wrapping_mul(PRIME);
            }
        }
        Fingerprint(h)
    }

    /// 32 hex digits.
    pub fn hex(self) -> String {
        format!("{:032x}", self.0)
    }

    /// 8 hex digits, for names.
    pub fn short(self) -> String {
        self.hex()[..8].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_length_prefixed() {
        assert_eq!(Fingerprint::of(&["a", "b"]), Fingerprint::of(&["a", "b"]));
        assert_ne!(Fingerprint::of(&["ab", "c"]), Fingerprint::of(&["a", "bc"]));
        assert_eq!(
            Fingerprint::of(&[]).hex(),
            "6c62272e07bb014262b821756295c58d"
        );
        assert_eq!(Fingerprint::of(&["x"]).short().len(), 8);
    }
}
