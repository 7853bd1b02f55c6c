//! The `Sts` port: the AWS Security Token Service calls aws-runas makes.
//!
//! Every call that needs signing receives the credentials to sign with explicitly; an adapter
//! MUST NOT fall back to any default credential chain.

use crate::credentials::Credentials;
use crate::names::{RoleArn, SessionName};
use crate::secret::Secret;

/// A GetSessionToken request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTokenRequest {
    /// Lifetime in seconds (already clamped).
    pub duration_secs: i64,
    /// The MFA device serial or ARN, with the code from it.
    pub mfa: Option<MfaAnswer>,
}

/// An MFA device and a code read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaAnswer {
    /// The device serial number or ARN.
    pub serial: String,
    /// The one-time code.
    pub code: Secret,
}

/// An AssumeRole request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    /// The role to assume.
    pub role_arn: RoleArn,
    /// The session name.
    pub session_name: SessionName,
    /// Lifetime in seconds (already clamped).
    pub duration_secs: i64,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// MFA, when this hop must present it.
    pub mfa: Option<MfaAnswer>,
}

/// An AssumeRoleWithSAML request (no signing credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlRoleRequest {
    /// The role to assume.
    pub role_arn: RoleArn,
    /// The SAML provider ARN paired with the role in the assertion.
    pub principal_arn: String,
    /// The base64 assertion exactly as the IdP sent it.
    pub assertion: Secret,
    /// Lifetime in seconds (already clamped).
    pub duration_secs: i64,
}

/// An AssumeRoleWithWebIdentity request (no signing credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentityRoleRequest {
    /// The role to assume.
    pub role_arn: RoleArn,
    /// The session name.
    pub session_name: SessionName,
    /// The OIDC ID token.
    pub token: Secret,
    /// Lifetime in seconds (already clamped).
    pub duration_secs: i64,
}

/// A GetFederationToken request: a federated-user session made from an IAM user's long-term keys
/// (for the console, whose sign-in endpoint takes only temporary credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationTokenRequest {
    /// The federated user's name: 2 to 32 characters of `[A-Za-z0-9_=,.@-]`.
    pub name: String,
    /// The inline session policy; the session's permissions are the intersection of this and
    /// the user's own policies (without one the session could do nothing).
    pub policy: String,
    /// Lifetime in seconds (900 to 129600).
    pub duration_secs: i64,
}

/// What GetCallerIdentity says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The account id.
    pub account: String,
    /// The caller's ARN.
    pub arn: String,
    /// The unique user id.
    pub user_id: String,
}

impl CallerIdentity {
    /// The last `/` segment of the ARN: the IAM user name, or the session name of a role session.
    pub fn name(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or_default()
    }
}

/// The STS calls.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait Sts: Send + Sync + std::fmt::Debug {
    /// GetSessionToken, signed with long-term keys.
    ///
    /// # Errors
    /// [`StsError::Rejected`] with AWS's code and message when STS refuses.
    async fn get_session_token(
        &self,
        creds: &Credentials,
        req: &SessionTokenRequest,
    ) -> Result<Credentials, StsError>;

    /// AssumeRole, signed with `creds`.
    ///
    /// # Errors
    /// As [`Sts::get_session_token`].
    async fn assume_role(
        &self,
        creds: &Credentials,
        req: &AssumeRoleRequest,
    ) -> Result<Credentials, StsError>;

    /// AssumeRoleWithSAML (unsigned).
    ///
    /// # Errors
    /// As [`Sts::get_session_token`].
    async fn assume_role_with_saml(&self, req: &SamlRoleRequest) -> Result<Credentials, StsError>;

    /// AssumeRoleWithWebIdentity (unsigned).
    ///
    /// # Errors
    /// As [`Sts::get_session_token`].
    async fn assume_role_with_web_identity(
        &self,
        req: &WebIdentityRoleRequest,
    ) -> Result<Credentials, StsError>;

    /// GetFederationToken, signed with long-term keys.
    ///
    /// # Errors
    /// As [`Sts::get_session_token`].
    async fn get_federation_token(
        &self,
        creds: &Credentials,
        req: &FederationTokenRequest,
    ) -> Result<Credentials, StsError>;

    /// GetCallerIdentity, signed with `creds`.
    ///
    /// # Errors
    /// As [`Sts::get_session_token`].
    async fn get_caller_identity(&self, creds: &Credentials) -> Result<CallerIdentity, StsError>;
}

/// An STS failure. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StsError {
    /// STS answered with an error.
    #[error("{operation} refused: {code}: {message}")]
    Rejected {
        /// The operation, e.g. `sts:AssumeRole`.
        operation: String,
        /// AWS's error code, e.g. `AccessDenied`.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// STS could not be reached or did not answer in time.
    #[error("{operation} to {endpoint} failed: {message}")]
    Network {
        /// The operation.
        operation: String,
        /// The endpoint URL.
        endpoint: String,
        /// What happened.
        message: String,
    },
    /// Anything else (an answer that could not be understood).
    #[error("{operation}: {message}")]
    Unexpected {
        /// The operation.
        operation: String,
        /// What happened.
        message: String,
    },
}
