//! Cache file names: the kind's prefix plus the entry name, encoded so it cannot leave the directory.
//!
//! The rule is described in the crate README; this module is its only implementation.

use aws_runas_domain::ports::cache::CacheKey;
use std::fmt::Write as _;

/// Suffixes of the files that live beside entries; an encoded name never ends in one of them.
const RESERVED_SUFFIXES: [&str; 2] = ["lock", "tmp"];

/// The file name of `key`'s entry: prefix plus encoded name.
pub(crate) fn file_name(key: &CacheKey) -> String {
    let mut out = String::from(key.kind().file_prefix());
    out.push_str(&encode(key.name()));
    out
}

/// Percent-encodes `name` for use after a prefix in a file name.
fn encode(name: &str) -> String {
    let bytes = name.as_bytes();
    let reserved_dot = reserved_suffix_dot(name);
    let mut out = String::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        let dot_to_encode = b == b'.' && (i == 0 || Some(i) == reserved_dot);
        if is_kept(b) && !dot_to_encode {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Bytes that stay as they are: the ones the original tool's names use, none of them a path separator.
fn is_kept(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@' | b'+' | b'=' | b',')
}

/// The index of the `.` in a trailing `.lock` or `.tmp` (any case), which must be encoded.
fn reserved_suffix_dot(name: &str) -> Option<usize> {
    let dot = name.rfind('.')?;
    let tail = &name[dot + 1..];
    RESERVED_SUFFIXES
        .iter()
        .any(|s| tail.eq_ignore_ascii_case(s))
        .then_some(dot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::cache::CacheKind;

    fn check(name: &str, expected: &str) {
        assert_eq!(encode(name), expected, "encoding of {name:?}");
    }

    #[test]
    fn ordinary_names_are_unchanged() {
        for name in [
            "my-profile",
            "dev_admin",
            "123456789012-Admin",
            "a.b",
            "x@y+z=1,2",
            "",
        ] {
            check(name, name);
        }
    }

    #[test]
    fn unsafe_bytes_are_percent_encoded() {
        check("a/b", "a%2Fb");
        check("a\\b", "a%5Cb");
        check("a:b", "a%3Ab");
        check("100%", "100%25");
        check("two words", "two%20words");
        check("é", "%C3%A9");
        check("nul\0", "nul%00");
    }

    #[test]
    fn leading_dot_is_encoded() {
        check(".", "%2E");
        check("..", "%2E.");
        check("../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd");
        check(".hidden", "%2Ehidden");
    }

    #[test]
    fn reserved_suffixes_are_broken_up() {
        check("x.lock", "x%2Elock");
        check("x.LOCK", "x%2ELOCK");
        check("x.tmp", "x%2Etmp");
        check("x.tmp.lock", "x.tmp%2Elock");
        check("x.locked", "x.locked");
        check("xlock", "xlock");
    }

    #[test]
    fn file_name_has_the_original_prefix() {
        let key = CacheKey::new(CacheKind::AssumeRole, "my-profile");
        assert_eq!(file_name(&key), ".aws_assume_role_my-profile");
        let key = CacheKey::new(CacheKind::SessionToken, "");
        assert_eq!(file_name(&key), ".aws_session_token_");
    }

    #[test]
    fn encoding_is_one_to_one_on_tricky_names() {
        let names = [
            ".", "%2E", "..", "%2E.", "x.lock", "x%2Elock", "a/b", "a%2Fb", "", "%",
        ];
        let mut seen = std::collections::HashSet::new();
        for name in names {
            assert!(seen.insert(encode(name)), "collision for {name:?}");
        }
    }
}
