//! The ForgeRock logins: the IdP-initiated SAML SSO of AM's hosted IdP, and the OIDC
//! authorization-code grant of the realm's OAuth2 provider, each with the session the
//! `authenticate` REST call leaves in the cookie jar (logging in first when there is none).

use crate::authn::Authenticator;
use crate::settings::ForgeRockSettings;
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpDeps, IdpError, OidcRequest, SamlAssertion,
};
use aws_runas_idp_support::{
    AuthorizationStep, HttpClient, HttpRequest, LoginAnswers, OidcClient, OidcEndpoints,
    display_url,
};
use std::fmt;

const STEP_SSO: &str = "opening the forgerock idp-initiated sso";
const STEP_SSO_AGAIN: &str = "opening the forgerock idp-initiated sso after logging in";

/// One ForgeRock login: its settings, HTTP client, answers and injected dependencies.
pub(crate) struct ForgeRock {
    settings: ForgeRockSettings,
    http: HttpClient,
    answers: LoginAnswers,
    deps: IdpDeps,
}

impl fmt::Debug for ForgeRock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForgeRock")
            .field("settings", &self.settings)
            .field("answers", &self.answers)
            .finish_non_exhaustive()
    }
}

impl ForgeRock {
    pub(crate) fn new(settings: ForgeRockSettings, deps: IdpDeps) -> Self {
        let answers = LoginAnswers::for_login(deps.prompter.clone(), settings.login());
        ForgeRock {
            http: HttpClient::from_deps(&deps),
            settings,
            answers,
            deps,
        }
    }

    async fn sign_in(&self) -> Result<(), IdpError> {
        Authenticator {
            settings: &self.settings,
            http: &self.http,
            answers: &self.answers,
        }
        .login()
        .await
    }

    /// `GET <base>/idpssoinit?metaAlias=…&spEntityID=…`, following redirects; the SAML response
    /// when the page carries one.
    async fn sso(&self, step: &str) -> Result<Option<SamlAssertion>, IdpError> {
        let page = self
            .http
            .follow(HttpRequest::get(self.settings.sso_url()).step(step))
            .await?;
        page.require_success()?;
        Ok(page.html().saml_assertion())
    }

    async fn saml(&self) -> Result<SamlAssertion, IdpError> {
        if let Some(saml) = self.sso(STEP_SSO).await? {
            return Ok(saml);
        }
        self.sign_in().await?;
        self.sso(STEP_SSO_AGAIN).await?.ok_or_else(|| {
            IdpError::unexpected_page(format!(
                "forgerock's idp-initiated sso at {} answered no SAML response after the login succeeded; check the meta alias {} (forgerock_idp_name) and the service provider {} (forgerock_sp_entity_id)",
                display_url(&self.settings.sso_url()),
                self.settings.meta_alias(),
                self.settings.sso_sp()
            ))
        })
    }

    /// The authorization request with the session in the jar; without one (a login page), the
    /// `authenticate` login first, then the request once more.
    async fn id_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        let base = self.settings.oidc_base();
        let endpoints = OidcEndpoints {
            issuer: Some(base.clone()),
            ..OidcEndpoints::new(format!("{base}/authorize"), format!("{base}/access_token"))
        };
        let client = OidcClient::new(self.http.clone(), &self.deps, endpoints);
        let session = client.session(req)?;
        let page = match session.start(&self.http).await? {
            AuthorizationStep::Code(code) => return client.exchange(&session, code).await,
            AuthorizationStep::Page(page) => page,
        };
        if page.status() >= 500 {
            return Err(page.status_error().into());
        }
        self.sign_in().await?;
        match session.start(&self.http).await? {
            AuthorizationStep::Code(code) => client.exchange(&session, code).await,
            AuthorizationStep::Page(page) if page.status() >= 500 => {
                Err(page.status_error().into())
            }
            AuthorizationStep::Page(page) => Err(IdpError::unexpected_page(format!(
                "forgerock did not redirect to {} after the login succeeded (the last page was {}); a consent page or a client that may not use this redirect uri",
                display_url(session.redirect_uri()),
                display_url(page.url())
            ))),
        }
    }
}

#[async_trait::async_trait]
impl IdentityProvider for ForgeRock {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        self.saml().await
    }

    async fn authenticate(&self) -> Result<(), IdpError> {
        self.sign_in().await
    }

    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        self.id_token(req).await
    }
}
