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
use aws_runas_idp_support::{HttpClient, HttpRequest, HttpResponse, RedirectAction, display_url};
use std::fmt;
use std::sync::Arc;

/// How many one-time codes are tried before giving up.
pub(crate) const MAX_CODES: usize = 3;

/// The longest Okta message quoted in an error.
const MAX_MESSAGE: usize = 300;

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
    /// `InvalidConfiguration` for a URL that cannot carry the session.
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

/// One configured Okta login: settings, client, prompter and the secrets given up front.
pub(crate) struct Login {
    settings: OktaSettings,
    http: HttpClient,
    prompter: Arc<dyn Prompter>,
    password: Option<Secret>,
    mfa_code: Option<Secret>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("settings", &self.settings)
            .field("password_given", &self.password.is_some())
            .field("mfa_code_given", &self.mfa_code.is_some())
            .finish_non_exhaustive()
    }
}

/// What one run of the walk has done so far.
#[derive(Default)]
pub(crate) struct Progress {
    username: Option<String>,
    password: Option<Secret>,
    /// The password went to Okta.
    pub(crate) password_sent: bool,
    /// The user name went to Okta (IDX identify).
    pub(crate) identified: bool,
    /// The code given up front has been used.
    code_used: bool,
}

impl Login {
    pub(crate) fn new(
        settings: OktaSettings,
        http: HttpClient,
        prompter: Arc<dyn Prompter>,
        password: Option<Secret>,
        mfa_code: Option<Secret>,
    ) -> Self {
        Login {
            settings,
            http,
            prompter,
            password,
            mfa_code,
        }
    }

    pub(crate) fn settings(&self) -> &OktaSettings {
        &self.settings
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn prompter(&self) -> &Arc<dyn Prompter> {
        &self.prompter
    }

    /// Whether a code was given up front and not used yet (codes are then preferred).
    pub(crate) fn has_code_up_front(&self, progress: &Progress) -> bool {
        self.mfa_code.is_some() && !progress.code_used
    }

    /// The origin of the configured URL, where the APIs live.
    pub(crate) fn base(&self) -> Result<String, IdpError> {
        api::origin(self.settings.url())
    }

    /// Walks the login until `goal` is reached.
    ///
    /// # Errors
    /// `Authentication` when Okta refuses the user, a code or a push; `Provider` for network
    /// failures, HTTP errors and answers nobody knows; `Unsupported` for sign-in steps the adapter
    /// cannot take; `InvalidConfiguration` for an `mfa_type` that excludes every offered factor;
    /// `Prompt` when a question gets no answer.
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
            None => IdpError::unavailable("okta: nothing to do after the sign-in"),
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

    /// The user name: configured, else asked once.
    pub(crate) fn username(&self, progress: &mut Progress) -> Result<String, IdpError> {
        if let Some(u) = &progress.username {
            return Ok(u.clone());
        }
        let username = match self.settings.username() {
            Some(u) => u.to_string(),
            None => self.prompter.read_line("Username: ")?.trim().to_string(),
        };
        progress.username = Some(username.clone());
        Ok(username)
    }

    /// The user name for messages.
    pub(crate) fn who<'a>(&self, progress: &'a Progress) -> &'a str {
        progress.username.as_deref().unwrap_or("the user")
    }

    /// The password: given up front, else asked once per login.
    pub(crate) fn password(&self, progress: &mut Progress) -> Result<Secret, IdpError> {
        if let Some(p) = progress.password.as_ref().or(self.password.as_ref()) {
            return Ok(p.clone());
        }
        let password = self.prompter.read_secret("Password: ")?;
        progress.password = Some(password.clone());
        Ok(password)
    }

    /// A one-time code: the one given up front for the first question, else asked.
    pub(crate) fn code(&self, progress: &mut Progress) -> Result<Secret, IdpError> {
        if !progress.code_used {
            progress.code_used = true;
            if let Some(code) = &self.mfa_code {
                return Ok(code.clone());
            }
        }
        let code = self.prompter.read_line("MFA code: ")?;
        Ok(Secret::new(code.trim()))
    }

    /// `: "<Okta's message>"` for an error, or nothing; a message that would show a secret of
    /// this login is left out.
    pub(crate) fn quote(&self, messages: &[String], progress: &Progress) -> String {
        let message = messages.join(" ");
        if message.trim().is_empty() {
            return String::new();
        }
        let secrets = [
            progress.password.as_ref(),
            self.password.as_ref(),
            self.mfa_code.as_ref(),
        ];
        if secrets
            .iter()
            .flatten()
            .any(|s| !s.is_empty() && message.contains(s.expose()))
        {
            return String::new();
        }
        let mut shown: String = message.chars().take(MAX_MESSAGE).collect();
        if message.chars().count() > MAX_MESSAGE {
            shown.push('…');
        }
        format!(": {shown:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpSettings;

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

    #[test]
    fn quotes_leave_secrets_out() {
        let settings = OktaSettings::from_idp_settings(&IdpSettings::from_pairs([(
            "url",
            "https://example.okta.com/home/amazon_aws/0oa1/272",
        )]))
        .unwrap();
        let deps_http = HttpClient::new(
            aws_runas_domain::ports::idp::HttpSettings {
                timeout: std::time::Duration::from_secs(1),
                proxy: None,
                no_proxy: None,
                ca_bundle: None,
                cookie_jar: None,
            },
            Arc::new(aws_runas_domain::ports::clock::FixedClock(
                aws_runas_domain::Timestamp::from_unix(0),
            )),
        );
        struct Silent;
        impl Prompter for Silent {
            fn read_line(
                &self,
                _: &str,
            ) -> Result<String, aws_runas_domain::ports::prompter::PromptError> {
                Err(aws_runas_domain::ports::prompter::PromptError::NoTerminal)
            }
            fn read_secret(
                &self,
                _: &str,
            ) -> Result<Secret, aws_runas_domain::ports::prompter::PromptError> {
                Err(aws_runas_domain::ports::prompter::PromptError::NoTerminal)
            }
            fn notice(&self, _: &str) {}
        }
        let login = Login::new(
            settings,
            deps_http,
            Arc::new(Silent),
            Some(Secret::new("hunter2-pw")),
            None,
        );
        let progress = Progress::default();
        assert_eq!(
            login.quote(&["Authentication failed".into()], &progress),
            ": \"Authentication failed\""
        );
        assert_eq!(login.quote(&["echo hunter2-pw".into()], &progress), "");
        assert_eq!(login.quote(&[], &progress), "");
        assert!(login.quote(&["x".repeat(400)], &progress).ends_with("…\""));
    }
}
