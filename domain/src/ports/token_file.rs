//! The `TokenFile` port: reads a `web_identity_token_file` (written by Kubernetes, CI systems).

use crate::secret::Secret;

/// Reads token files.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenFile: Send + Sync {
    /// The file's contents, trimmed, read afresh on every call (the writer rotates it).
    ///
    /// # Errors
    /// [`TokenFileError`] naming the path when the file is missing, unreadable or empty.
    fn read(&self, path: &str) -> Result<Secret, TokenFileError>;
}

/// A token file that gave no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("web identity token file {path}: {reason}")]
pub struct TokenFileError {
    /// The file.
    pub path: String,
    /// What is wrong (never the contents).
    pub reason: String,
}
