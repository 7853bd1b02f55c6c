//! The `Ecr` port: the Amazon ECR call behind `ecr login` (GetAuthorizationToken).

use crate::credentials::Credentials;
use crate::secret::Secret;

/// A registry login: the user name and password `docker login` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryLogin {
    /// The user name (`AWS`).
    pub username: String,
    /// The password (a token valid for 12 hours).
    pub password: Secret,
    /// When the password stops working.
    pub expires_at: Option<crate::time::Timestamp>,
}

/// Amazon ECR.
#[async_trait::async_trait]
pub trait Ecr: Send + Sync + std::fmt::Debug {
    /// GetAuthorizationToken in `region`, signed with `creds`; the token is decoded into the
    /// user name and password.
    ///
    /// # Errors
    /// [`EcrError::Rejected`] with AWS's code and message when ECR refuses,
    /// [`EcrError::Network`] when it cannot be reached, [`EcrError::Unexpected`] for a token
    /// that is not `user:password` in base64.
    async fn authorization_token(
        &self,
        creds: &Credentials,
        region: &str,
    ) -> Result<RegistryLogin, EcrError>;
}

/// An ECR failure. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EcrError {
    /// ECR answered with an error.
    #[error("ecr:GetAuthorizationToken refused: {code}: {message}")]
    Rejected {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// ECR could not be reached or did not answer in time.
    #[error("ecr:GetAuthorizationToken to {endpoint} failed: {message}")]
    Network {
        /// The endpoint URL.
        endpoint: String,
        /// What happened.
        message: String,
    },
    /// Anything else.
    #[error("ecr:GetAuthorizationToken: {message}")]
    Unexpected {
        /// What happened.
        message: String,
    },
}
