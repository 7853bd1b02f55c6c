//! The `CredentialCache` port: STS results kept on disk between runs, with single-flight locking.

use crate::credentials::Credentials;
use std::time::Duration;

/// What a cache entry holds credentials of; it picks the original tool's file-name prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKind {
    /// GetSessionToken (`.aws_session_token_<name>`).
    SessionToken,
    /// AssumeRole (`.aws_assume_role_<name>`).
    AssumeRole,
    /// AssumeRoleWithSAML (`.aws_saml_role_<name>`).
    SamlRole,
    /// AssumeRoleWithWebIdentity (`.aws_web_role_<name>`).
    WebRole,
    /// IAM Identity Center GetRoleCredentials (`.aws_sso_role_<name>`).
    SsoRole,
}

impl CacheKind {
    /// The file-name prefix the original tool uses, e.g. `.aws_assume_role_`.
    pub fn file_prefix(self) -> &'static str {
        match self {
            CacheKind::SessionToken => ".aws_session_token_",
            CacheKind::AssumeRole => ".aws_assume_role_",
            CacheKind::SamlRole => ".aws_saml_role_",
            CacheKind::WebRole => ".aws_web_role_",
            CacheKind::SsoRole => ".aws_sso_role_",
        }
    }
}

/// Names one cache entry: a kind and a name (a profile name, or `<account>-<role>` for an ARN).
///
/// The name is free text; the adapter MUST encode it so that it cannot leave the cache directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    kind: CacheKind,
    name: String,
}

impl CacheKey {
    /// Builds a key.
    pub fn new(kind: CacheKind, name: impl Into<String>) -> Self {
        CacheKey {
            kind,
            name: name.into(),
        }
    }

    /// The kind.
    pub fn kind(&self) -> CacheKind {
        self.kind
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// One cached result and the fingerprint of the inputs that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// The credentials.
    pub credentials: Credentials,
    /// A digest of the settings that produced them; an entry whose fingerprint differs from the
    /// current one is stale (the profile was edited).
    pub fingerprint: String,
}

/// Held while one process refreshes an entry; dropping it releases the lock.
pub trait CacheLock: Send + std::fmt::Debug {}

/// Credentials kept between runs.
///
/// Loading takes no lock. A refresh takes the entry's lock, loads again, and only then calls STS,
/// so that many processes asking at once cause one refresh.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CredentialCache: Send + Sync {
    /// Reads an entry.
    ///
    /// A missing, unreadable or corrupt entry MUST be `Ok(None)` (a miss), so that it is
    /// rewritten by the next store.
    ///
    /// # Errors
    /// Only for failures that make the cache unusable as a whole.
    fn load(&self, key: &CacheKey) -> Result<Option<CacheEntry>, CacheError>;

    /// Writes an entry atomically, readable by the owner only.
    ///
    /// # Errors
    /// [`CacheError`] naming the file when it cannot be written.
    fn store(&self, key: &CacheKey, entry: &CacheEntry) -> Result<(), CacheError>;

    /// Deletes an entry; a missing entry is not an error.
    ///
    /// # Errors
    /// [`CacheError`] naming the file when it exists and cannot be removed.
    fn remove(&self, key: &CacheKey) -> Result<(), CacheError>;

    /// Takes the entry's lock if it is free, without waiting.
    ///
    /// # Errors
    /// [`CacheError`] when the lock file cannot be opened.
    fn try_lock(&self, key: &CacheKey) -> Result<Option<Box<dyn CacheLock>>, CacheError>;

    /// Waits for the entry's lock, up to `timeout`.
    ///
    /// # Errors
    /// [`CacheError::LockTimeout`] when the wait ran out.
    fn lock(&self, key: &CacheKey, timeout: Duration) -> Result<Box<dyn CacheLock>, CacheError>;

    /// Where the entry lives, for messages (a file path for the file cache).
    fn describe(&self, key: &CacheKey) -> String;
}

/// A cache failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// A file could not be read, written, locked or removed.
    #[error("credential cache {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Another process held the lock for longer than the bound.
    #[error("timed out after {waited_secs}s waiting for another aws-runas to release {path}")]
    LockTimeout {
        /// The lock file.
        path: String,
        /// How long we waited.
        waited_secs: u64,
    },
}

/// OIDC ID tokens kept between runs, by identity-provider URL (the original's
/// `.aws_runas_identity_token.cache`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenCache: Send + Sync {
    /// The token stored for `url`, fresh or not (the caller checks `exp`); a missing or corrupt
    /// file is `None`.
    fn load(&self, url: &str) -> Option<crate::secret::Secret>;

    /// Stores `token` for `url`, atomically, readable by the owner only.
    ///
    /// # Errors
    /// [`CacheError`] naming the file.
    fn store(&self, url: &str, token: &crate::secret::Secret) -> Result<(), CacheError>;

    /// Drops every stored token (`-r`).
    ///
    /// # Errors
    /// [`CacheError`] naming the file.
    fn clear(&self) -> Result<(), CacheError>;
}
