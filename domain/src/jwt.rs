//! Reading the claims of a JSON Web Token without verifying it: only to learn when it expires and
//! whose it is. Signatures are checked by STS (and by the adapter, where the IdP publishes keys).

use crate::time::Timestamp;
use base64::Engine as _;
use serde_json::{Map, Value};

/// The payload claims of `token` (the second dot-separated part, base64url without padding).
pub fn claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.trim().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice::<Value>(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// The `exp` claim.
pub fn expiry(token: &str) -> Option<Timestamp> {
    claims(token)?
        .get("exp")?
        .as_i64()
        .map(Timestamp::from_unix)
}

/// Whether the token is still good at `now`, keeping `margin_secs` in hand; a token without a
/// readable `exp` counts as expired.
pub fn is_fresh(token: &str, now: Timestamp, margin_secs: i64) -> bool {
    expiry(token).is_some_and(|exp| exp.secs_since(now) > margin_secs)
}

/// The user the token names: `preferred_username`, else `email`, else `upn`, else `sub`.
pub fn username(token: &str) -> Option<String> {
    let c = claims(token)?;
    ["preferred_username", "email", "upn", "sub"]
        .iter()
        .find_map(|k| c.get(*k)?.as_str().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/` (jwt): an `exp` at the far end of `i64` overflowed the freshness check
    /// (a panic in debug builds; in release a token from the far past counted as fresh).
    #[test]
    fn extreme_expiry_is_not_fresh_and_does_not_overflow() {
        use base64::Engine as _;
        let token = |payload: &str| {
            format!(
                "e30.{}.sig",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
            )
        };
        let past = token(r#"{"exp":-9223372036854775808}"#);
        assert!(!is_fresh(&past, Timestamp::from_unix(1_700_000_000), 60));
        let future = token(r#"{"exp":9223372036854775807}"#);
        assert!(is_fresh(&future, Timestamp::from_unix(-1_700_000_000), 60));
    }

    fn token(payload: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b(r#"{"alg":"none"}"#), b(payload))
    }

    #[test]
    fn reads_expiry_and_user_even_for_alg_none() {
        let t = token(r#"{"exp":1700000600,"preferred_username":"alice","sub":"123"}"#);
        assert_eq!(expiry(&t), Some(Timestamp::from_unix(1_700_000_600)));
        assert_eq!(username(&t).as_deref(), Some("alice"));
        assert!(is_fresh(&t, Timestamp::from_unix(1_700_000_000), 60));
        assert!(!is_fresh(&t, Timestamp::from_unix(1_700_000_550), 60));
        assert_eq!(
            username(&token(r#"{"sub":"only-sub"}"#)).as_deref(),
            Some("only-sub")
        );
    }

    #[test]
    fn malformed_tokens_are_expired() {
        for t in [
            "",
            "abc",
            "a.%%%.c",
            &token("[1,2]"),
            &token(r#"{"exp":"soon"}"#),
        ] {
            assert!(!is_fresh(t, Timestamp::from_unix(0), 60), "{t}");
        }
    }
}
