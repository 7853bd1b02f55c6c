//! The `IdentityProvider` implementation and the constructor the registry calls.

use crate::login::{Login, SamlGoal};
use crate::settings::AzureAdSettings;
use aws_runas_domain::ports::idp::{
    IdentityProvider, IdpDeps, IdpError, IdpSettings, SamlAssertion,
};

/// The Azure AD adapter: one configured login.
#[derive(Debug)]
struct AzureAd {
    login: Login,
}

#[async_trait::async_trait]
impl IdentityProvider for AzureAd {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        self.login.walk(&SamlGoal).await
    }
}

/// Builds the Azure AD adapter from its settings and injected dependencies (the constructor the
/// registry calls for `azuread`).
///
/// Nothing is sent and nothing is asked until a login is needed.
///
/// # Errors
/// [`IdpError::InvalidConfiguration`] for settings [`AzureAdSettings::from_idp_settings`]
/// refuses.
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let parsed = AzureAdSettings::from_idp_settings(settings)?;
    let login = Login::new(
        parsed,
        deps,
        settings.password().cloned(),
        settings.mfa_code().cloned(),
    );
    Ok(Box::new(AzureAd { login }))
}
