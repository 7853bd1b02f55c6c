//! The on-disk JSON form of a cache entry: STS `Credentials` field names plus our `Fingerprint`.

use aws_runas_domain::ports::cache::CacheEntry;
use aws_runas_domain::{Credentials, Secret, Timestamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// What is written: borrowed from the entry, in the original tool's field order.
#[derive(Serialize)]
struct Written<'a> {
    #[serde(rename = "AccessKeyId")]
    access_key_id: &'a str,
    #[serde(rename = "Expiration", skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: &'a str,
    #[serde(rename = "SessionToken", skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(rename = "Fingerprint")]
    fingerprint: &'a str,
}

/// What is read: borrowed from the file's bytes where no unescaping is needed.
///
/// Unknown fields are ignored, and every field may be missing or `null`, so that any JSON object
/// parses and the completeness check decides.
#[derive(Deserialize)]
struct Read<'a> {
    #[serde(rename = "AccessKeyId", borrow, default)]
    access_key_id: Option<Cow<'a, str>>,
    #[serde(rename = "Expiration", borrow, default)]
    expiration: Option<Cow<'a, str>>,
    #[serde(rename = "SecretAccessKey", borrow, default)]
    secret_access_key: Option<Cow<'a, str>>,
    #[serde(rename = "SessionToken", borrow, default)]
    session_token: Option<Cow<'a, str>>,
    #[serde(rename = "Fingerprint", borrow, default)]
    fingerprint: Option<Cow<'a, str>>,
}

/// The file's bytes for `entry`: one JSON object and a newline.
pub(crate) fn encode(entry: &CacheEntry) -> Vec<u8> {
    let c = &entry.credentials;
    let written = Written {
        access_key_id: c.access_key_id(),
        expiration: c.expiration().map(Timestamp::to_rfc3339),
        secret_access_key: c.secret_access_key().expose(),
        session_token: c.session_token().map(Secret::expose),
        fingerprint: &entry.fingerprint,
    };
    // Serializing strings into a Vec cannot fail.
    let mut out = serde_json::to_vec(&written).unwrap_or_default();
    out.push(b'\n');
    out
}

/// The entry in `bytes`, or `None` when they are not a complete entry.
pub(crate) fn decode(bytes: &[u8]) -> Option<CacheEntry> {
    let read: Read<'_> = serde_json::from_slice(bytes).ok()?;
    let access_key_id = read.access_key_id.filter(|s| !s.is_empty())?;
    let secret = read.secret_access_key.filter(|s| !s.is_empty())?;
    let expiration = match read.expiration.as_deref() {
        None | Some("") => None,
        Some(text) => Some(Timestamp::parse_rfc3339(text).ok()?),
    };
    let credentials = Credentials::new(
        access_key_id.into_owned(),
        Secret::new(secret.into_owned()),
        read.session_token.map(|t| Secret::new(t.into_owned())),
        expiration,
    );
    Some(CacheEntry {
        credentials,
        fingerprint: read.fingerprint.map(Cow::into_owned).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(token: Option<&str>, expiration: Option<i64>) -> CacheEntry {
        CacheEntry {
            credentials: Credentials::new(
                "ASIAEXAMPLE",
                Secret::new("fake-secret"),
                token.map(Secret::new),
                expiration.map(Timestamp::from_unix),
            ),
            fingerprint: "fp1".into(),
        }
    }

    fn text(entry: &CacheEntry) -> String {
        String::from_utf8(encode(entry)).unwrap()
    }

    #[test]
    fn layout_matches_the_original_field_order() {
        assert_eq!(
            text(&entry(Some("fake-token"), Some(1_714_568_400))),
            "{\"AccessKeyId\":\"ASIAEXAMPLE\",\"Expiration\":\"2024-05-01T13:00:00Z\",\
             \"SecretAccessKey\":\"fake-secret\",\"SessionToken\":\"fake-token\",\"Fingerprint\":\"fp1\"}\n"
        );
    }

    #[test]
    fn missing_token_and_expiration_are_left_out() {
        assert_eq!(
            text(&entry(None, None)),
            "{\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"fake-secret\",\"Fingerprint\":\"fp1\"}\n"
        );
    }

    #[test]
    fn round_trip_keeps_everything() {
        for e in [
            entry(Some("t"), Some(0)),
            entry(None, None),
            entry(Some("a\"b\\c\u{1}"), Some(-5)),
        ] {
            assert_eq!(decode(&encode(&e)), Some(e));
        }
    }

    #[test]
    fn original_files_without_fingerprint_load() {
        let got = decode(
            br#"{"AccessKeyId":"ASIAX","Expiration":"2024-05-01T13:00:00.5+01:00","SecretAccessKey":"s","SessionToken":"t","Other":[1]}"#,
        )
        .unwrap();
        assert_eq!(got.fingerprint, "");
        assert_eq!(
            got.credentials.expiration(),
            Some(Timestamp::from_unix(1_714_564_800))
        );
        assert_eq!(
            got.credentials.session_token().map(Secret::expose),
            Some("t")
        );
    }

    #[test]
    fn incomplete_or_broken_files_are_misses() {
        let cases: [&[u8]; 9] = [
            b"",
            b"{",
            b"[]",
            b"null",
            br#"{"AccessKeyId":"ASIAX"}"#,
            br#"{"SecretAccessKey":"s"}"#,
            br#"{"AccessKeyId":"","SecretAccessKey":"s"}"#,
            br#"{"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"tomorrow"}"#,
            br#"{"AccessKeyId":"A","SecretAccessKey":"s","Expiration":5}"#,
        ];
        for bytes in cases {
            assert_eq!(decode(bytes), None, "{}", String::from_utf8_lossy(bytes));
        }
    }
}
