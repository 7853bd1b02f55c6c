//! The `IdentityProvider` implementation and the constructor the registry calls.

use crate::login::{Login, SamlGoal};
use crate::settings::AzureAdSettings;
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpDeps, IdpError, IdpSettings, OidcRequest, SamlAssertion,
};
use std::fmt;

/// The Azure AD adapter: one configured login.
struct AzureAd {
    login: Login,
    deps: IdpDeps,
    url: String,
}

impl fmt::Debug for AzureAd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureAd")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl IdentityProvider for AzureAd {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        self.login.walk(&SamlGoal).await
    }

    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        crate::oidc::id_token(&self.login, &self.deps, &self.url, req).await
    }
}

/// Builds the Azure AD adapter from its settings and injected dependencies (the constructor the
/// registry calls for `azuread`).
///
/// Nothing is sent and nothing is asked until a login is needed.
///
/// Federated users are signed in at their federation server through `deps.federation`; without
/// it, their login ends in a configuration error.
///
/// # Errors
/// A configuration error ([`IdpError::configuration`]) for settings
/// [`AzureAdSettings::from_idp_settings`] refuses.
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let parsed = AzureAdSettings::from_idp_settings(settings)?;
    let url = parsed.url().to_string();
    let login = Login::new(parsed, deps.clone());
    Ok(Box::new(AzureAd { login, deps, url }))
}
