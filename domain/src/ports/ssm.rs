//! The `Ssm` port: the AWS calls behind `ssm shell | forward | ssh`.
//!
//! EC2's DescribeInstances finds the instance behind a target, Systems Manager's StartSession
//! opens a session on it, and EC2 Instance Connect's SendSSHPublicKey pushes a public key for
//! `ssm ssh --ec2ic`. Every call is signed with the credentials passed in; an adapter MUST NOT
//! fall back to any default credential chain.

use crate::credentials::Credentials;
use crate::secret::Secret;
use std::collections::BTreeMap;

/// One DescribeInstances filter, e.g. `tag:Name` = `web`, or `private-ip-address` = `10.0.0.5`.
///
/// The adapter adds `instance-state-name` = `running` to every query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFilter {
    /// The filter name, as EC2 spells it.
    pub name: String,
    /// The value to match.
    pub value: String,
}

/// A StartSession request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartSessionRequest {
    /// The instance id.
    pub target: String,
    /// The SSM document; `None` is Session Manager's default shell document.
    pub document_name: Option<String>,
    /// The document's parameters, each a list of strings as the API takes them.
    pub parameters: BTreeMap<String, Vec<String>>,
}

/// What StartSession answers: where the session's data channel is, and the token to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedSession {
    /// The session id.
    pub session_id: String,
    /// The WebSocket URL of the data channel (`wss://ssmmessages.<region>.amazonaws.com/...`).
    pub stream_url: String,
    /// The token the client sends first on the data channel.
    pub token_value: Secret,
}

/// An SendSSHPublicKey request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    /// The instance id.
    pub instance_id: String,
    /// The OS user the key is for.
    pub os_user: String,
    /// The public key in `authorized_keys` format.
    pub public_key: String,
}

/// Systems Manager, EC2 and EC2 Instance Connect.
#[async_trait::async_trait]
pub trait Ssm: Send + Sync + std::fmt::Debug {
    /// The ids of the running instances matching `filter` in `region`, in EC2's order.
    ///
    /// # Errors
    /// [`SsmError::Rejected`] when EC2 refuses, [`SsmError::Network`] when it cannot be reached.
    async fn running_instances(
        &self,
        creds: &Credentials,
        region: &str,
        filter: &InstanceFilter,
    ) -> Result<Vec<String>, SsmError>;

    /// StartSession in `region`.
    ///
    /// # Errors
    /// [`SsmError::Rejected`] when Systems Manager refuses, [`SsmError::Network`] when it cannot
    /// be reached, [`SsmError::Unexpected`] for an answer without a stream URL or token.
    async fn start_session(
        &self,
        creds: &Credentials,
        region: &str,
        request: &StartSessionRequest,
    ) -> Result<StartedSession, SsmError>;

    /// SendSSHPublicKey in `region`: the key is accepted by the instance for 60 seconds.
    ///
    /// # Errors
    /// [`SsmError::Rejected`] when EC2 Instance Connect refuses or does not report success,
    /// [`SsmError::Network`] when it cannot be reached.
    async fn send_ssh_public_key(
        &self,
        creds: &Credentials,
        region: &str,
        key: &SshPublicKey,
    ) -> Result<(), SsmError>;
}

/// A Systems Manager, EC2 or EC2 Instance Connect failure. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SsmError {
    /// The service answered with an error.
    #[error("{operation} refused: {code}: {message}")]
    Rejected {
        /// The call, e.g. `ssm:StartSession`.
        operation: String,
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// The service could not be reached or did not answer in time.
    #[error("{operation} to {endpoint} failed: {message}")]
    Network {
        /// The call.
        operation: String,
        /// The endpoint URL.
        endpoint: String,
        /// What happened.
        message: String,
    },
    /// Anything else.
    #[error("{operation}: {message}")]
    Unexpected {
        /// The call.
        operation: String,
        /// What happened.
        message: String,
    },
}
