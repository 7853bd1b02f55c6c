//! The `BrowserOpener` port: shows a URL in the user's web browser (for OIDC logins that finish
//! in the browser). Tests replace it, so no test ever starts a real browser.

use std::fmt;

/// Opens URLs in the user's browser.
pub trait BrowserOpener: Send + Sync + fmt::Debug {
    /// Opens `url`; the error says why no browser could be started.
    ///
    /// # Errors
    /// A description of the failure (the caller then tells the user to open the URL by hand).
    fn open(&self, url: &str) -> Result<(), String>;
}
