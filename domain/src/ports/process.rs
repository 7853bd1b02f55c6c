//! The `CredentialProcess` port: runs a profile's `credential_process` command.

use crate::credentials::Credentials;
use crate::names::ProfileName;

/// Runs `credential_process` commands.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CredentialProcess: Send + Sync {
    /// Runs `command` for `profile` and parses its JSON output (Version 1).
    ///
    /// The adapter MUST mark the child's environment so that an aws-runas started by the command
    /// for a profile already being resolved fails at once instead of waiting on a lock it holds.
    ///
    /// # Errors
    /// [`ProcessError`] naming the profile when the command cannot start, fails, or prints
    /// something that is not credential-process JSON.
    fn run(&self, profile: &ProfileName, command: &str) -> Result<Credentials, ProcessError>;
}

/// A `credential_process` that gave no credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credential_process of profile `{profile}` failed: {message}")]
pub struct ProcessError {
    /// The profile whose command failed.
    pub profile: String,
    /// What went wrong (never the command's stdout, which may hold secrets).
    pub message: String,
}
