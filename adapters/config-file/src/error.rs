//! The crate's error type, for everything except loading profiles (which reports through the
//! port's own `ProfileStoreError`).

use std::path::PathBuf;

/// Why a file could not be located or a section could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigFileError {
    /// A default file location needs the home directory, and the environment does not give one.
    #[error(
        "cannot locate the {file} file: no home directory ({variables} unset) and {override_variable} is unset"
    )]
    NoHomeDirectory {
        /// Which file: `config` or `credentials`.
        file: &'static str,
        /// The variables that were looked at for the home directory.
        variables: &'static str,
        /// The variable that would have named the file directly.
        override_variable: &'static str,
    },
    /// The section name cannot be written as a header that reads back as the same name.
    #[error("cannot write section [{section}]: {reason}")]
    InvalidSection {
        /// The section name.
        section: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key or its value cannot be written so that it reads back unchanged.
    ///
    /// The message names the key and section but never the value, which may be a secret.
    #[error("cannot write key `{key}` in section [{section}]: {reason}")]
    InvalidEntry {
        /// The section name.
        section: String,
        /// The key.
        key: String,
        /// What is wrong with the key or the value.
        reason: &'static str,
    },
    /// The file to rewrite is not UTF-8 text.
    #[error("cannot rewrite {}: the file is not valid UTF-8", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// Following symbolic links from the given path did not end.
    #[error("cannot resolve {}: too many levels of symbolic links", path.display())]
    SymlinkLoop {
        /// The path as given.
        path: PathBuf,
    },
    /// A file-system operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `lock` or `rename into place`.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
