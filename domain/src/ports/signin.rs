//! The `ConsoleSignin` port: AWS's sign-in federation endpoint, which trades temporary
//! credentials for a console sign-in token (`Action=getSigninToken`).
//!
//! The port only fetches the token; building the login URL around it is the caller's job.

use crate::credentials::Credentials;
use crate::secret::Secret;

/// A getSigninToken request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninTokenRequest {
    /// The federation endpoint, e.g. `https://signin.aws.amazon.com/federation`.
    pub endpoint: String,
    /// `SessionDuration` in seconds (900 to 43200), only for credentials of a role assumed
    /// directly (AWS refuses it otherwise).
    pub session_duration_secs: Option<i64>,
}

/// Trades temporary credentials for a console sign-in token.
#[async_trait::async_trait]
pub trait ConsoleSignin: Send + Sync + std::fmt::Debug {
    /// Calls `getSigninToken` with `creds` (which MUST carry a session token).
    ///
    /// # Errors
    /// [`SigninError::Rejected`] when the endpoint answers with an error status,
    /// [`SigninError::Network`] when it cannot be reached, [`SigninError::Unexpected`] for an
    /// answer without a token.
    async fn signin_token(
        &self,
        creds: &Credentials,
        req: &SigninTokenRequest,
    ) -> Result<Secret, SigninError>;
}

/// A sign-in endpoint failure. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigninError {
    /// The endpoint answered with an error status.
    #[error("the sign-in endpoint {endpoint} refused the credentials: HTTP {status}{detail}")]
    Rejected {
        /// The endpoint URL.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// `: ` and a short excerpt of the answer, or empty.
        detail: String,
    },
    /// The endpoint could not be reached or did not answer in time.
    #[error("the sign-in endpoint {endpoint} could not be reached: {message}")]
    Network {
        /// The endpoint URL.
        endpoint: String,
        /// What happened.
        message: String,
    },
    /// Anything else.
    #[error("the sign-in endpoint {endpoint}: {message}")]
    Unexpected {
        /// The endpoint URL.
        endpoint: String,
        /// What happened.
        message: String,
    },
}
