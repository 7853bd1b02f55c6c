//! The `CredentialSource` port: what a credential server (`serve ecs`, `serve ec2`, the endpoint
//! of a wrapped command) asks for — the credentials of the active profile or of a named one.
//!
//! The server knows HTTP; the source knows profiles, caches and refreshes. Neither sees the
//! other's types: a request names a profile (or none), an answer is [`Credentials`] or a
//! [`CredentialSourceError`] saying what the server should tell its client.

use crate::credentials::Credentials;
use async_trait::async_trait;

/// Credentials for a server to hand out.
///
/// Implementations MUST answer a request whose credentials are fresh without touching the disk
/// or taking a lock held across a refresh (keep the last answer in memory), and MUST refresh a
/// profile at most once at a time however many requests wait for it.
#[async_trait]
pub trait CredentialSource: Send + Sync + std::fmt::Debug {
    /// The profile served when a request names none; `None` when the server was started without
    /// one.
    fn active_profile(&self) -> Option<String>;

    /// The credentials of `profile`, or of the active profile when `None`.
    ///
    /// # Errors
    /// [`CredentialSourceError::NotFound`] for a profile that is not configured (or no active
    /// profile); [`CredentialSourceError::NeedsMfa`] when an MFA code is needed and nobody can be
    /// asked; [`CredentialSourceError::NeedsLogin`] when an identity-provider login is needed and
    /// nobody can be asked; [`CredentialSourceError::Failed`] for anything else.
    async fn credentials(
        &self,
        profile: Option<&str>,
    ) -> Result<Credentials, CredentialSourceError>;

    /// The profiles a person may pick in the web page (empty: the page offers none).
    fn profiles(&self) -> Vec<String> {
        Vec::new()
    }

    /// The role `profile` assumes, when it assumes one (shown in the web page).
    fn role_arn(&self, profile: &str) -> Option<String> {
        let _ = profile;
        None
    }

    /// Makes `profile` the active one (the web page's "Profile" control).
    ///
    /// # Errors
    /// [`CredentialSourceError::NotFound`] for a profile that is not configured, or when this
    /// source cannot switch.
    fn set_active(&self, profile: &str) -> Result<(), CredentialSourceError> {
        Err(CredentialSourceError::NotFound(Some(profile.to_string())))
    }

    /// Drops the credentials kept for `profile` (the active one when `None`), so the next
    /// request refreshes them ("Refresh now").
    fn forget(&self, profile: Option<&str>) {
        let _ = profile;
    }

    /// Hands over an MFA code typed in the web page, for the next refresh that asks for one.
    /// Returns false when this source takes no codes.
    fn give_mfa_code(&self, code: crate::Secret) -> bool {
        drop(code);
        false
    }

    /// Hands over an identity-provider login typed in the web page (the user name, `None` when
    /// left empty, and the password), for the next refresh that asks for them. Returns false
    /// when this source takes no logins.
    fn give_login(&self, username: Option<String>, password: crate::Secret) -> bool {
        drop((username, password));
        false
    }
}

/// Why a [`CredentialSource`] has no credentials to give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialSourceError {
    /// The profile is not configured; `None` when no profile was named and none is active.
    #[error("{}", not_found(.0.as_deref()))]
    NotFound(Option<String>),
    /// An MFA code is needed for the profile and there is no terminal to ask on.
    #[error("profile `{profile}` needs an MFA code: {message}")]
    NeedsMfa {
        /// The profile.
        profile: String,
        /// What happened (never a secret).
        message: String,
    },
    /// An identity-provider login (user name, password) is needed for the profile and there is
    /// no terminal to ask on.
    #[error("profile `{profile}` needs an identity-provider login: {message}")]
    NeedsLogin {
        /// The profile.
        profile: String,
        /// The user name configured for the login, when there is one.
        username: Option<String>,
        /// What happened (never a secret).
        message: String,
    },
    /// Resolving the profile failed (STS, the identity provider, the configuration).
    #[error("credentials of profile `{profile}` failed: {message}")]
    Failed {
        /// The profile.
        profile: String,
        /// What happened (never a secret).
        message: String,
    },
}

fn not_found(profile: Option<&str>) -> String {
    match profile {
        Some(p) => format!("profile `{p}` not found"),
        None => "no profile is being served: name one in the path".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_profile() {
        assert_eq!(
            CredentialSourceError::NotFound(Some("nope".into())).to_string(),
            "profile `nope` not found"
        );
        assert!(
            CredentialSourceError::NotFound(None)
                .to_string()
                .contains("no profile")
        );
        let e = CredentialSourceError::NeedsMfa {
            profile: "p".into(),
            message: "no terminal".into(),
        };
        assert_eq!(e.to_string(), "profile `p` needs an MFA code: no terminal");
    }
}
