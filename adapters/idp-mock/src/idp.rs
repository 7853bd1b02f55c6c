//! The adapter: every login succeeds at once, with no question and no request.

use crate::response::response_xml;
use crate::settings::MockSettings;
use async_trait::async_trait;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpError, OidcRequest, SamlAssertion,
};
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

    /// Never fails: an unsigned (`alg: none`) ID token for `req`'s client, valid for an hour,
    /// naming the configured user. STS would refuse it; the AWS emulator used by the demo and the
    /// tests does not check signatures.
    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let now = self.clock.now().unix();
        let header = serde_json::json!({"alg": "none", "typ": "JWT"});
        let claims = serde_json::json!({
            "iss": "https://mock.aws-runas.invalid",
            "aud": req.client_id,
            "sub": self.settings.username(),
            "preferred_username": self.settings.username(),
            "iat": now,
            "exp": now + 3600,
        });
        let token = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        Ok(IdToken(Secret::new(token)))
    }
}
