//! The `SecretStore` port: identity-provider passwords kept between runs.
//!
//! A password is stored per identity-provider URL (every profile using that URL shares it) and
//! per kind, as the original tool does: `aws-runas password <profile>` writes it, and a login
//! reads it when neither `-P` nor the environment gives one.

use crate::secret::Secret;
use std::fmt;

/// Which password of an identity-provider URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PasswordKind {
    /// The password of a SAML identity provider (`saml_auth_url`).
    Saml,
    /// The password of an OIDC identity provider (`web_identity_auth_url`).
    WebIdentity,
}

impl PasswordKind {
    /// The key the original tool stores it under: `saml_password` or `web_identity_password`.
    pub fn key(self) -> &'static str {
        match self {
            PasswordKind::Saml => "saml_password",
            PasswordKind::WebIdentity => "web_identity_password",
        }
    }
}

impl fmt::Display for PasswordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Keeps identity-provider passwords.
///
/// Implementations are synchronous and MUST NOT prompt; a store that can block (an OS keyring)
/// bounds the wait itself and reports [`SecretStoreError::Unavailable`] when it runs out.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretStore: Send + Sync {
    /// The stored password for `url`, or `None` when none is stored.
    ///
    /// # Errors
    /// [`SecretStoreError::Read`] when the store exists but cannot be read;
    /// [`SecretStoreError::Unavailable`] when the store cannot be reached at all.
    fn get(&self, url: &str, kind: PasswordKind) -> Result<Option<Secret>, SecretStoreError>;

    /// Stores `password` for `url`, replacing any earlier one and keeping everything else.
    ///
    /// # Errors
    /// [`SecretStoreError::Write`] when the store cannot be written;
    /// [`SecretStoreError::Unavailable`] when the store cannot be reached at all.
    fn set(&self, url: &str, kind: PasswordKind, password: &Secret)
    -> Result<(), SecretStoreError>;
}

/// Why a password could not be read or stored.
///
/// Messages name the store and the URL, never the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretStoreError {
    /// Reading the store failed.
    #[error("cannot read the {kind} for {url} from {store}: {source}")]
    Read {
        /// The store, e.g. `the credentials file /home/jane/.aws/credentials`.
        store: String,
        /// The identity-provider URL.
        url: String,
        /// Which password.
        kind: PasswordKind,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Writing the store failed.
    #[error("cannot store the {kind} for {url} in {store}: {source}")]
    Write {
        /// The store.
        store: String,
        /// The identity-provider URL.
        url: String,
        /// Which password.
        kind: PasswordKind,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store cannot be reached (no keyring service, or it did not answer in time).
    #[error("{store} is not available for the {kind} of {url}: {reason}")]
    Unavailable {
        /// The store.
        store: String,
        /// The identity-provider URL.
        url: String,
        /// Which password.
        kind: PasswordKind,
        /// What happened.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_original_ones() {
        assert_eq!(PasswordKind::Saml.key(), "saml_password");
        assert_eq!(
            PasswordKind::WebIdentity.to_string(),
            "web_identity_password"
        );
    }

    #[test]
    fn errors_name_the_store_and_url() {
        let err = SecretStoreError::Write {
            store: "the credentials file /tmp/x/credentials".to_string(),
            url: "https://idp.example.com/saml".to_string(),
            kind: PasswordKind::Saml,
            source: "permission denied".into(),
        };
        assert_eq!(
            err.to_string(),
            "cannot store the saml_password for https://idp.example.com/saml in \
             the credentials file /tmp/x/credentials: permission denied"
        );
    }

    #[test]
    fn the_mock_stands_in_for_a_store() {
        let mut store = MockSecretStore::new();
        store
            .expect_get()
            .withf(|url, kind| url == "https://idp.example.com" && *kind == PasswordKind::Saml)
            .returning(|_, _| Ok(Some(Secret::new("fake-password"))));
        let got = store
            .get("https://idp.example.com", PasswordKind::Saml)
            .unwrap();
        assert_eq!(got.unwrap().expose(), "fake-password");
    }
}
