//! The `IdentityProvider` implementation and the constructor the registry calls.

use crate::login::{Login, SamlGoal, SessionGoal};
use crate::settings::OktaSettings;
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpDeps, IdpError, IdpSettings, OidcRequest, SamlAssertion,
};
use aws_runas_idp_support::HttpClient;
use std::fmt;

/// The Okta adapter: one configured login.
struct Okta {
    login: Login,
    deps: IdpDeps,
}

impl fmt::Debug for Okta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Okta")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl IdentityProvider for Okta {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        self.login.walk(&SamlGoal).await
    }

    async fn authenticate(&self) -> Result<(), IdpError> {
        self.login.walk(&SessionGoal).await
    }

    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        crate::oidc::id_token(&self.login, &self.deps, req).await
    }
}

/// Builds the Okta adapter from its settings and injected dependencies (the constructor the
/// registry calls for `okta`).
///
/// Nothing is sent and nothing is asked until a login is needed.
///
/// # Errors
/// As [`OktaSettings::from_idp_settings`].
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let parsed = OktaSettings::from_idp_settings(settings)?;
    let login = Login::new(parsed, HttpClient::from_deps(&deps), deps.prompter.clone());
    Ok(Box::new(Okta { login, deps }))
}
