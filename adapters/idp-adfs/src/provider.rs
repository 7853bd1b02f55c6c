//! The `IdentityProvider` implementation and the constructor the registry calls.

use crate::login::{Login, SamlGoal, SessionGoal};
use crate::settings::AdfsSettings;
use aws_runas_domain::ports::idp::{
    IdentityProvider, IdpDeps, IdpError, IdpSettings, SamlAssertion,
};
use aws_runas_idp_support::HttpClient;

/// The AD FS adapter: one configured login.
#[derive(Debug)]
struct Adfs {
    login: Login,
}

#[async_trait::async_trait]
impl IdentityProvider for Adfs {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        self.login.walk(&SamlGoal).await
    }

    /// Signs in and stops when AD FS hands the user back (before any token is posted), leaving
    /// the AD FS session in the cookie jar: what Azure AD needs for a federated user.
    async fn authenticate(&self) -> Result<(), IdpError> {
        self.login.walk(&SessionGoal).await
    }
}

/// Builds the AD FS adapter from its settings and injected dependencies (the constructor the
/// registry calls for `adfs`).
///
/// Nothing is sent and nothing is asked until a login is needed.
///
/// # Errors
/// As [`AdfsSettings::from_idp_settings`].
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let parsed = AdfsSettings::from_idp_settings(settings)?;
    // The client shares the login's cookie jar (`deps.session`): when Azure AD calls
    // `authenticate` for a federated user, it finds the AD FS session there.
    let login = Login::new(parsed, HttpClient::from_deps(&deps), deps.prompter);
    Ok(Box::new(Adfs { login }))
}
