//! The `ServerTime` port: the time an HTTPS server says it is (its `Date` header), for checking
//! the local clock against AWS's (requests signed with a clock more than 5 minutes off are
//! refused).

use crate::time::Timestamp;

/// Reads a server's clock.
#[async_trait::async_trait]
pub trait ServerTime: Send + Sync + std::fmt::Debug {
    /// The `Date` of the answer to an unsigned request to `url` (any status).
    ///
    /// # Errors
    /// [`ServerTimeError`] when the server cannot be reached or sends no readable `Date`.
    async fn server_time(&self, url: &str) -> Result<Timestamp, ServerTimeError>;
}

/// The server's time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the time of {url}: {message}")]
pub struct ServerTimeError {
    /// The URL asked.
    pub url: String,
    /// What happened.
    pub message: String,
}
