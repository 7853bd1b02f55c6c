//! The login walk: open the configured URL, sign in through the API the org speaks (the authn API
//! of Classic orgs or the IDX API of Identity Engine orgs), then turn the new session into what
//! the [`Goal`] wants.
//!
//! The walk does not know what ends it: a goal does. The SAML goal reads the `SAMLResponse` of
//! the app's embed link; the session goal (used when another adapter hands a federated user over)
//! only leaves the Okta session in the cookie jar. The OIDC login (`oidc.rs`) reuses the sign-in
//! steps and stops at the redirect to its `redirect_uri` instead.

use crate::api::{self, JSON};
use crate::settings::OktaSettings;
use crate::{authn, idx};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{IdpError, SamlAssertion};
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_idp_support::{
    HttpClient, HttpRequest, HttpResponse, LoginAnswers, RedirectAction, display_url,
};
use std::sync::Arc;

/// How many one-time codes are tried before giving up.
pub(crate) const MAX_CODES: usize = 3;

const OPENING: &str = "opening the okta app link";
const READING_ORG: &str = "reading the okta organization (/.well-known/okta-organization)";
const FINISHING: &str = "opening the okta app link with the new session";

/// What a sign-in produced.
#[derive(Debug)]
pub(crate) enum Session {
    /// A one-time session token (authn API).
    Token(Secret),
    /// A session cookie, already in the jar (after Duo's Universal Prompt).
    Cookie,
    /// The IDX `success` link that turns the sign-in into a session.
    Success(String),
}

/// What a login is after, and how to tell it has arrived.
pub(crate) trait Goal: Send + Sync {
    /// What the login produces.
    type Output: Send;

    /// Whether to follow one redirect; every one by default.
    fn on_redirect(&self, _response: &HttpResponse) -> RedirectAction {
        RedirectAction::Follow
    }

    /// The product, when the configured URL already answers it (a session in the cookie jar).
    fn already(&self, response: &HttpResponse) -> Option<Self::Output>;

    /// The requests that turn a fresh session into the product, tried in order.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) for a URL that cannot carry the
    /// session.
    fn after_login(
        &self,
        url: &str,
        base: &str,
        session: &Session,
    ) -> Result<Vec<HttpRequest>, IdpError>;

    /// The product, when this answer to one of [`Goal::after_login`]'s requests is it.
    fn reached(&self, response: &HttpResponse) -> Option<Self::Output>;
}

/// The SAML goal: the `SAMLResponse` of the embed link.
#[derive(Debug)]
pub(crate) struct SamlGoal;

impl Goal for SamlGoal {
    type Output = SamlAssertion;

    fn already(&self, response: &HttpResponse) -> Option<SamlAssertion> {
        response.html().saml_assertion()
    }

    fn after_login(
        &self,
        url: &str,
        _base: &str,
        session: &Session,
    ) -> Result<Vec<HttpRequest>, IdpError> {
        Ok(match session {
            // The link keeps its own query; the original tool replaced it.
            Session::Token(token) => vec![
                HttpRequest::get(api::with_query(url, "sessionToken", token.expose())?)
                    .step(FINISHING),
            ],
            Session::Cookie => vec![HttpRequest::get(url).step(FINISHING)],
            Session::Success(href) => vec![
                HttpRequest::get(href.clone()).step("following the identity engine success link"),
                HttpRequest::get(url).step(FINISHING),
            ],
        })
    }

    fn reached(&self, response: &HttpResponse) -> Option<SamlAssertion> {
        response.html().saml_assertion()
    }
}

/// The session goal: an Okta session cookie in the jar, nothing else.
#[derive(Debug)]
pub(crate) struct SessionGoal;

impl Goal for SessionGoal {
    type Output = ();

    fn already(&self, _response: &HttpResponse) -> Option<()> {
        None
    }

    fn after_login(
        &self,
        url: &str,
        base: &str,
        session: &Session,
    ) -> Result<Vec<HttpRequest>, IdpError> {
        Ok(match session {
            Session::Token(token) => {
                let redirect =
                    format!("{base}/login/sessionCookieRedirect?checkAccountSetupComplete=true");
                let redirect = api::with_query(&redirect, "token", token.expose())?;
                let redirect = api::with_query(&redirect, "redirectUrl", url)?;
                vec![
                    HttpRequest::get(redirect)
                        .step("exchanging the session token for a session cookie"),
                ]
            }
            Session::Cookie => vec![HttpRequest::get(url).step(FINISHING)],
            Session::Success(href) => vec![
                HttpRequest::get(href.clone()).step("following the identity engine success link"),
            ],
        })
    }

    fn reached(&self, response: &HttpResponse) -> Option<()> {
        response.is_success().then_some(())
    }
}

/// Which API the org signs users in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pipeline {
    /// Okta Classic: `/api/v1/authn`.
    Classic,
    /// Okta Identity Engine: `/idp/idx/*`.
    IdentityEngine,
}

/// One configured Okta login: settings, client, and the answers of the user (each asked at most
/// once; codes once per question).
#[derive(Debug)]
pub(crate) struct Login {
    settings: OktaSettings,
    http: HttpClient,
    answers: LoginAnswers,
}

/// What one run of the walk has done so far.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// The password went to Okta.
    pub(crate) password_sent: bool,
    /// The user name went to Okta (IDX identify).
    pub(crate) identified: bool,
}

impl Login {
    pub(crate) fn new(
        settings: OktaSettings,
        http: HttpClient,
        prompter: Arc<dyn Prompter>,
    ) -> Self {
        let answers = LoginAnswers::for_login(prompter, settings.login());
        Login {
            settings,
            http,
            answers,
        }
    }

    pub(crate) fn settings(&self) -> &OktaSettings {
        &self.settings
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The user's answers: user name, password and codes, and quotes of Okta's messages without
    /// them.
    pub(crate) fn answers(&self) -> &LoginAnswers {
        &self.answers
    }

    /// The prompter, for notices and waits.
    pub(crate) fn prompter(&self) -> &Arc<dyn Prompter> {
        self.answers.prompter()
    }

    /// The origin of the configured URL, where the APIs live.
    pub(crate) fn base(&self) -> Result<String, IdpError> {
        api::origin(self.settings.url())
    }

    /// Walks the login until `goal` is reached.
    ///
    /// # Errors
    /// [`IdpError::bad_credentials`] when Okta refuses the user name or password, or the account
    /// is locked or not allowed in; [`IdpError::mfa_rejected`] when Okta refuses [`MAX_CODES`]
    /// one-time codes or the user rejects a push; [`IdpError::mfa_timeout`] when a push expires or
    /// the wait for it runs out (`mfa_wait_timeout`); [`IdpError::unavailable`] for network
    /// failures and error statuses; [`IdpError::unexpected_page`] for answers the adapter cannot
    /// go on from and sign-ins that go round in circles; [`IdpError::unsupported`] for factors
    /// and sign-in steps the adapter cannot take; [`IdpError::configuration`] for an `mfa_type`
    /// that excludes every offered factor; a prompt error when a question gets no answer.
    pub(crate) async fn walk<G: Goal>(&self, goal: &G) -> Result<G::Output, IdpError> {
        let url = self.settings.url();
        let base = self.base()?;
        let first = self.send(HttpRequest::get(url).step(OPENING), goal).await?;
        if let Some(output) = goal.already(&first) {
            log::debug!("okta: the cookie jar still holds a session");
            return Ok(output);
        }
        if !first.is_success() {
            return Err(first.status_error().into());
        }
        let mut progress = Progress::default();
        let pipeline = self.pipeline(&base).await?;
        log::debug!(
            "okta: {} uses the {pipeline:?} pipeline",
            display_url(&base)
        );
        let session = match pipeline {
            Pipeline::Classic => authn::sign_in(self, &mut progress).await?,
            Pipeline::IdentityEngine => {
                let token = idx::state_token(first.body()).ok_or_else(|| {
                    IdpError::unsupported(format!(
                        "okta identity engine: the sign-in page at {} carries no stateToken, so this sign-in cannot be driven without a browser",
                        display_url(first.url())
                    ))
                })?;
                idx::sign_in(self, &token, &mut progress).await?
            }
        };
        let mut last = None;
        for request in goal.after_login(url, &base, &session)? {
            let response = self.send(request, goal).await?;
            if let Some(output) = goal.reached(&response) {
                return Ok(output);
            }
            last = Some(response);
        }
        Err(match last {
            Some(r) if !r.is_success() => r.status_error().into(),
            Some(r) => r.unexpected_page().into(),
            None => IdpError::unexpected_page("okta: the sign-in led to no page"),
        })
    }

    async fn send<G: Goal>(
        &self,
        request: HttpRequest,
        goal: &G,
    ) -> Result<HttpResponse, IdpError> {
        Ok(self
            .http
            .send_following(request, |r| goal.on_redirect(r))
            .await?)
    }

    /// Asks `/.well-known/okta-organization` which pipeline the org runs; an org that does not
    /// know the endpoint (404) is a Classic org.
    pub(crate) async fn pipeline(&self, base: &str) -> Result<Pipeline, IdpError> {
        let request = HttpRequest::get(format!("{base}/.well-known/okta-organization"))
            .header("Accept", JSON)
            .step(READING_ORG);
        let response = self.http.follow(request).await?;
        if response.status() == 404 {
            return Ok(Pipeline::Classic);
        }
        if !response.is_success() {
            return Err(response.status_error().into());
        }
        let value: serde_json::Value =
            serde_json::from_str(response.body()).map_err(|_| response.unexpected_page())?;
        if !value.is_object() {
            return Err(response.unexpected_page().into());
        }
        Ok(match api::text(&value, "pipeline").as_deref() {
            Some(p) if p.eq_ignore_ascii_case("idx") => Pipeline::IdentityEngine,
            _ => Pipeline::Classic,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpSettings;
    use aws_runas_idp_testkit::idle_deps;

    /// A login of `jane.doe@example.test` that is never run (its prompter expects no question).
    pub(crate) fn test_login() -> Login {
        let settings = OktaSettings::from_idp_settings(&IdpSettings::from_pairs([
            (
                IdpSettings::URL,
                "https://example.okta.com/home/amazon_aws/0oa1fake0001/272",
            ),
            (IdpSettings::USERNAME, "jane.doe@example.test"),
        ]))
        .expect("the settings are valid");
        let deps = idle_deps();
        Login::new(
            settings,
            HttpClient::from_deps(&deps),
            deps.prompter.clone(),
        )
    }

    #[test]
    fn the_saml_goal_keeps_the_link_query_and_adds_the_session_token() {
        let requests = SamlGoal
            .after_login(
                "https://example.okta.com/home/amazon_aws/0oa1/272?fromHome=true",
                "https://example.okta.com",
                &Session::Token(Secret::new("fake-session-token")),
            )
            .unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            requests[0].url(),
            "https://example.okta.com/home/amazon_aws/0oa1/272?fromHome=true&sessionToken=fake-session-token"
        );
        let idx = SamlGoal
            .after_login(
                "https://example.okta.com/home/amazon_aws/0oa1/272",
                "https://example.okta.com",
                &Session::Success(
                    "https://example.okta.com/login/token/redirect?stateToken=x".into(),
                ),
            )
            .unwrap();
        assert_eq!(idx.len(), 2);
    }

    #[test]
    fn the_session_goal_exchanges_the_token_for_a_cookie() {
        let requests = SessionGoal
            .after_login(
                "https://example.okta.com/app/office365/x/sso/wsfed/passive?a=1",
                "https://example.okta.com",
                &Session::Token(Secret::new("t0k")),
            )
            .unwrap();
        let url = requests[0].url();
        assert!(url.starts_with("https://example.okta.com/login/sessionCookieRedirect?checkAccountSetupComplete=true&token=t0k&redirectUrl=https%3A%2F%2Fexample.okta.com%2Fapp%2Foffice365"), "{url}");
    }
}
