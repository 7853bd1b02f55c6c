//! The settings of the `browser-sp` login: the IdP's SSO endpoint (`saml_auth_url`), the service
//! provider's entity id, and the longest wait for the browser (`mfa_wait_timeout`).

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, SettingsSpec, read_settings};
use serde::Deserialize;
use std::time::Duration;

const SPEC: SettingsSpec = SettingsSpec::new(
    "browser-sp",
    "the identity provider's SAML 2.0 single sign-on endpoint (saml_auth_url)",
);

/// The entity id AWS uses as a SAML service provider, the default `Issuer`.
pub(crate) const AWS_ENTITY_ID: &str = "https://signin.aws.amazon.com/saml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default = "default_entity_id")]
    browser_sp_entity_id: String,
}

fn default_entity_id() -> String {
    AWS_ENTITY_ID.to_string()
}

/// The `browser-sp` login's settings.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `saml_auth_url` | the IdP's SAML 2.0 SSO endpoint (HTTP-Redirect binding) | required |
/// | `browser_sp_entity_id` | the `Issuer` of the AuthnRequest (the original's `saml_auth_entityid`) | `https://signin.aws.amazon.com/saml` |
/// | `mfa_wait_timeout` | the longest wait for the browser to bring the SAML response | 2 minutes |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSpSettings {
    login: LoginSettings,
    entity_id: String,
}

impl BrowserSpSettings {
    /// Reads the settings of one login.
    ///
    /// # Errors
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`] naming the key at fault.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        Ok(BrowserSpSettings {
            login,
            entity_id: own.browser_sp_entity_id,
        })
    }

    /// The IdP's SSO endpoint.
    pub fn sso_url(&self) -> &str {
        self.login.url()
    }

    /// The `Issuer` of the AuthnRequest.
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The longest wait for the SAML response.
    pub fn wait(&self) -> Duration {
        self.login.mfa_wait()
    }
}
