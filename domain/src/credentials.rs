//! Temporary or long-term AWS credentials, and when they must be refreshed.

use crate::secret::Secret;
use crate::time::Timestamp;
use std::fmt;

/// The default refresh-ahead window: cached credentials that expire within it are refreshed.
pub const DEFAULT_REFRESH_WINDOW_SECS: i64 = 5 * 60;

/// AWS credentials.
///
/// `Debug` shows the access key id (which AWS documents as not secret) and the expiry, never the
/// secret key or session token. There is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expiration: Option<Timestamp>,
}

impl Credentials {
    /// Builds credentials; an empty session token counts as none.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: Secret,
        session_token: Option<Secret>,
        expiration: Option<Timestamp>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key,
            session_token: session_token.filter(|t| !t.is_empty()),
            expiration,
        }
    }

    /// The access key id (`AKIA…` for long-term keys, `ASIA…` for temporary ones).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&Secret> {
        self.session_token.as_ref()
    }

    /// When the credentials expire; `None` for long-term keys.
    pub fn expiration(&self) -> Option<Timestamp> {
        self.expiration
    }

    /// Long-term IAM user keys: no session token. Only these may call GetSessionToken.
    pub fn is_long_term(&self) -> bool {
        self.session_token.is_none()
    }

    /// Whether both the key id and the secret are present.
    pub fn is_complete(&self) -> bool {
        !self.access_key_id.is_empty() && !self.secret_access_key.is_empty()
    }

    /// Whether these credentials are still good at `now`, keeping `window_secs` in hand.
    pub fn is_fresh(&self, now: Timestamp, window_secs: i64) -> bool {
        match self.expiration {
            None => true,
            Some(exp) => exp.secs_since(now) > window_secs,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(exp: Option<i64>) -> Credentials {
        Credentials::new(
            "ASIAEXAMPLE",
            Secret::new("very-secret-key"),
            Some(Secret::new("very-secret-token")),
            exp.map(Timestamp::from_unix),
        )
    }

    #[test]
    fn debug_redacts_secret_and_token() {
        let shown = format!("{:?}", creds(Some(100)));
        assert!(shown.contains("ASIAEXAMPLE"));
        assert!(!shown.contains("very-secret"), "{shown}");
    }

    #[test]
    fn freshness_keeps_the_window_in_hand() {
        let c = creds(Some(1000));
        assert!(c.is_fresh(Timestamp::from_unix(600), 300));
        assert!(!c.is_fresh(Timestamp::from_unix(700), 300));
        assert!(!c.is_fresh(Timestamp::from_unix(1001), 0));
        assert!(creds(None).is_fresh(Timestamp::from_unix(i64::MAX / 2), 300));
    }

    #[test]
    fn empty_token_means_long_term() {
        let c = Credentials::new("AKIA", Secret::new("s"), Some(Secret::new("")), None);
        assert!(c.is_long_term());
        assert!(!creds(None).is_long_term());
    }
}
