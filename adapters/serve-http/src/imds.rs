//! IMDSv2 session tokens: random, each with its own time to live, kept in memory only.

use aws_runas_domain::Secret;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest time to live IMDS grants (six hours).
pub(crate) const MAX_TTL_SECS: u64 = 21_600;
/// Above this many live tokens, new ones are refused until some expire.
const MAX_TOKENS: usize = 65_536;

/// The tokens issued and when each stops being accepted.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    live: Mutex<HashMap<String, Instant>>,
}

/// Why no token was issued.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IssueError {
    /// The TTL header is missing, not a number, or outside 1–21600.
    BadTtl,
    /// Too many live tokens.
    Full,
}

impl Tokens {
    /// Parses the `X-aws-ec2-metadata-token-ttl-seconds` value.
    pub(crate) fn parse_ttl(value: Option<&str>) -> Result<u64, IssueError> {
        let ttl: u64 = value
            .map(str::trim)
            .and_then(|v| v.parse().ok())
            .ok_or(IssueError::BadTtl)?;
        if (1..=MAX_TTL_SECS).contains(&ttl) {
            Ok(ttl)
        } else {
            Err(IssueError::BadTtl)
        }
    }

    /// Issues a token valid for `ttl` seconds from `now`.
    pub(crate) fn issue(&self, ttl: u64, now: Instant) -> Result<Secret, IssueError> {
        let token = crate::random_token();
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if live.len() >= 1024 {
            live.retain(|_, until| *until > now);
        }
        if live.len() >= MAX_TOKENS {
            return Err(IssueError::Full);
        }
        live.insert(token.expose().to_string(), now + Duration::from_secs(ttl));
        Ok(token)
    }

    /// Whether `token` was issued here and is still live at `now`.
    pub(crate) fn is_live(&self, token: &str, now: Instant) -> bool {
        let live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.get(token).is_some_and(|until| *until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_bounds() {
        for (v, ok) in [
            (Some("1"), true),
            (Some("21600"), true),
            (Some(" 60 "), true),
            (Some("0"), false),
            (Some("21601"), false),
            (Some("-5"), false),
            (Some("ten"), false),
            (None, false),
        ] {
            assert_eq!(Tokens::parse_ttl(v).is_ok(), ok, "{v:?}");
        }
    }

    #[test]
    fn tokens_live_for_their_ttl_only() {
        let tokens = Tokens::default();
        let t0 = Instant::now();
        let t = tokens.issue(2, t0).unwrap();
        assert!(tokens.is_live(t.expose(), t0 + Duration::from_secs(1)));
        assert!(!tokens.is_live(t.expose(), t0 + Duration::from_secs(2)));
        assert!(!tokens.is_live("forged", t0));
        let other = tokens.issue(2, t0).unwrap();
        assert_ne!(t.expose(), other.expose(), "random tokens");
    }
}
