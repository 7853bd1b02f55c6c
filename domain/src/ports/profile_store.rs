//! The `ProfileStore` port: where profiles come from (normally `~/.aws/config` and `~/.aws/credentials`).

use crate::profile::ProfileSet;
use std::path::PathBuf;

/// Loads every profile and sso-session, merged across the config and credentials files.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait ProfileStore: Send + Sync {
    /// Reads the files.
    ///
    /// A file that does not exist MUST count as empty, not as an error.
    ///
    /// # Errors
    /// [`ProfileStoreError::Parse`] for a malformed line, naming the file and line number;
    /// [`ProfileStoreError::Io`] when a file exists but cannot be read.
    fn load(&self) -> Result<ProfileSet, ProfileStoreError>;
}

/// Why profiles could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileStoreError {
    /// A line the profile-file grammar does not allow.
    #[error("{}:{line}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
