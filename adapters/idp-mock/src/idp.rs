//! The adapter: every login succeeds at once, with no question and no request.

use crate::response::response_xml;
use crate::settings::MockSettings;
use async_trait::async_trait;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::idp::{IdentityProvider, IdpError, SamlAssertion};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use std::sync::Arc;

/// The mock identity provider: hands out a fresh SAML Response, issued at the clock's now,
/// granting the configured roles.
pub struct MockIdp {
    settings: MockSettings,
    clock: Arc<dyn Clock>,
}

impl MockIdp {
    /// A mock identity provider telling the time by `clock`.
    pub fn new(settings: MockSettings, clock: Arc<dyn Clock>) -> Self {
        MockIdp { settings, clock }
    }
}

impl fmt::Debug for MockIdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockIdp")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl IdentityProvider for MockIdp {
    /// Never fails: the base64 of a complete SAML Response.
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        let xml = response_xml(&self.settings, self.clock.now());
        Ok(SamlAssertion(Secret::new(STANDARD.encode(xml))))
    }
}
