//! The `ReleaseCheck` port: where a project's "latest release" address redirects to, for
//! `aws-runas update`.

/// Asks a release page where its latest release is.
#[async_trait::async_trait]
pub trait ReleaseCheck: Send + Sync + std::fmt::Debug {
    /// Sends `HEAD url` without following redirects and returns the `Location` of a redirect
    /// (`None` for any answer that is not one), with the status.
    ///
    /// # Errors
    /// [`ReleaseError`] when the page cannot be reached in time.
    async fn latest_location(&self, url: &str) -> Result<(u16, Option<String>), ReleaseError>;
}

/// The release page could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot reach {url}: {message}")]
pub struct ReleaseError {
    /// The URL asked.
    pub url: String,
    /// What happened.
    pub message: String,
}
