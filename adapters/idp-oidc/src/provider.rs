//! The `IdentityProvider` implementation and the constructor the registry calls.

use crate::settings::{OidcFlow, OidcSettings};
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpDeps, IdpError, IdpSettings, OidcRequest, SamlAssertion,
};
use aws_runas_idp_support::{
    BrowserSettings, DeviceSettings, HttpClient, OidcClient, OidcEndpoints, display_url,
};
use std::time::Duration;

/// The generic OIDC adapter: one configured issuer.
struct Oidc {
    settings: OidcSettings,
    deps: IdpDeps,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("settings", &self.settings)
            .field("browser", &self.deps.browser.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds the `oidc` adapter from its settings.
///
/// # Errors
/// As [`OidcSettings::from_idp_settings`].
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = OidcSettings::from_idp_settings(settings)?;
    Ok(Box::new(Oidc { settings, deps }))
}

impl Oidc {
    /// The provider's endpoints from its discovery document, which this adapter cannot do
    /// without (it knows no provider's paths): without one, the configured URL is not an
    /// issuer's, a configuration error.
    async fn client(&self) -> Result<OidcClient, IdpError> {
        let http = HttpClient::from_deps(&self.deps);
        let issuer = self.settings.issuer();
        let Some(endpoints) = OidcEndpoints::discover(&http, issuer).await? else {
            return Err(IdpError::configuration(format!(
                "the oidc identity provider at {} has no discovery document ({} was not found): \
                 the generic oidc adapter needs one; check that web_identity_auth_url is the issuer url, \
                 or choose the adapter of your provider with web_identity_provider",
                display_url(issuer),
                display_url(&OidcEndpoints::discovery_url(issuer))
            )));
        };
        log::debug!(
            "oidc: {} login at {} (token endpoint {})",
            self.settings.flow().as_str(),
            display_url(&endpoints.authorization_endpoint),
            display_url(&endpoints.token_endpoint)
        );
        Ok(OidcClient::new(http, &self.deps, endpoints))
    }

    /// The request with the configured extra scopes added.
    fn request(&self, req: &OidcRequest) -> OidcRequest {
        let mut scopes = req.scopes.clone();
        for s in self.settings.scopes() {
            if !scopes
                .iter()
                .flat_map(|k| k.split_whitespace())
                .any(|k| k == s)
            {
                scopes.push(s.clone());
            }
        }
        OidcRequest {
            scopes,
            ..req.clone()
        }
    }
}

#[async_trait::async_trait]
impl IdentityProvider for Oidc {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        Err(IdpError::unsupported(
            "the oidc identity provider is oidc-only: it has no saml login; use it with web_identity_auth_url, or choose a saml adapter with saml_provider",
        ))
    }

    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        let req = self.request(req);
        match self.settings.flow() {
            OidcFlow::Browser => {
                let Some(browser) = self.deps.browser.clone() else {
                    return Err(IdpError::configuration(format!(
                        "no web browser is available here to log in at {}: set oidc_flow = device in the profile to log in with a code on another device instead",
                        display_url(self.settings.issuer())
                    )));
                };
                let client = self.client().await?;
                let settings =
                    BrowserSettings::new(self.settings.timeout().unwrap_or(Duration::ZERO));
                client
                    .login_in_browser(&req, browser.as_ref(), &settings)
                    .await
            }
            OidcFlow::Device => {
                let client = self.client().await?;
                client
                    .login_on_device(&req, &DeviceSettings::new(self.settings.timeout()))
                    .await
            }
        }
    }
}
