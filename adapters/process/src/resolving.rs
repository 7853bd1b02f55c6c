//! The list of profiles being resolved, passed to child processes in one environment variable.
//!
//! A `credential_process` may itself run aws-runas.
//! If that inner aws-runas is asked for a profile the outer one is still resolving, it would wait
//! forever on a lock the outer one holds; the list lets it see that and fail at once.

/// The environment variable that carries the encoded list of profiles being resolved.
pub const RESOLVING_ENV: &str = "AWS_RUNAS_RESOLVING";

/// Encodes profile names as one environment value: names joined with `,`.
///
/// Inside a name, `%`, `,` and ASCII control characters are percent-encoded (`%25`, `%2C`, …),
/// so every name survives [`decode_resolving`] unchanged.
/// Empty names are left out: a profile name is never empty, and leaving them out keeps the empty
/// list and the empty value the same thing.
///
/// # Examples
/// ```
/// use aws_runas_process::{decode_resolving, encode_resolving};
///
/// let names = vec!["dev".to_string(), "odd,name%".to_string()];
/// let value = encode_resolving(&names);
/// assert_eq!(value, "dev,odd%2Cname%25");
/// assert_eq!(decode_resolving(&value), names);
/// ```
pub fn encode_resolving(names: &[String]) -> String {
    let mut out = String::new();
    for name in names.iter().filter(|n| !n.is_empty()) {
        if !out.is_empty() {
            out.push(',');
        }
        for c in name.chars() {
            if c == '%' || c == ',' || c.is_ascii_control() {
                out.push_str(&format!("%{:02X}", u32::from(c)));
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// Decodes a value made by [`encode_resolving`] back into profile names.
///
/// An empty value is the empty list.
/// A `%` that is not followed by two hex digits is kept as it is, so a hand-written value never
/// makes this fail.
pub fn decode_resolving(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    value
        .split(',')
        .filter(|part| !part.is_empty())
        .map(percent_decode)
        .collect()
}

fn percent_decode(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = bytes.get(i + 1..i + 3).and_then(hex_byte)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(pair).ok()?;
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn round_trips_awkward_names() {
        for list in [
            names(&[]),
            names(&["default"]),
            names(&["a", "b", "c"]),
            names(&["with,comma", "with%percent", "%2C", "%", ",", "tab\there"]),
            names(&[
                "ünïcødé",
                "profile with spaces",
                "arn:aws:iam::123456789012:role/x",
            ]),
        ] {
            let value = encode_resolving(&list);
            assert_eq!(decode_resolving(&value), list, "{value}");
        }
    }

    #[test]
    fn encodes_only_what_it_must() {
        assert_eq!(encode_resolving(&names(&["dev", "prod"])), "dev,prod");
        assert_eq!(encode_resolving(&names(&["a,b", "50%"])), "a%2Cb,50%25");
        assert_eq!(encode_resolving(&names(&["nul\0"])), "nul%00");
        assert_eq!(encode_resolving(&names(&["", "x", ""])), "x");
    }

    #[test]
    fn decoding_tolerates_hand_written_values() {
        assert_eq!(decode_resolving(""), names(&[]));
        assert_eq!(decode_resolving("a,,b"), names(&["a", "b"]));
        assert_eq!(
            decode_resolving("100%,%zz,%4"),
            names(&["100%", "%zz", "%4"])
        );
        assert_eq!(decode_resolving("%41%2c"), names(&["A,"]));
    }
}
