//! The `Iam` port: the IAM reads behind `list mfa` and `list roles`.

use crate::credentials::Credentials;

/// One MFA device of an IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    /// The serial number (an ARN for virtual devices).
    pub serial: String,
}

/// The IAM calls.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait Iam: Send + Sync + std::fmt::Debug {
    /// The MFA devices of `user_name`, signed with `creds`.
    ///
    /// # Errors
    /// [`IamError`] with AWS's message when IAM refuses or cannot be reached.
    async fn list_mfa_devices(
        &self,
        creds: &Credentials,
        user_name: &str,
    ) -> Result<Vec<MfaDevice>, IamError>;

    /// Every policy document that applies to `user_name`: the user's inline and attached
    /// policies and those of the user's groups, as JSON text (URL-decoded).
    ///
    /// # Errors
    /// As [`Iam::list_mfa_devices`].
    async fn user_policy_documents(
        &self,
        creds: &Credentials,
        user_name: &str,
    ) -> Result<Vec<String>, IamError>;
}

/// An IAM failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct IamError {
    /// The operation, e.g. `iam:ListMFADevices`.
    pub operation: String,
    /// What happened (AWS's code and message, or the transport error).
    pub message: String,
}
