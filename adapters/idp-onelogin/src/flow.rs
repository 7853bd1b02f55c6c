//! The OneLogin logins: the SAML assertion of API v2 and, for OIDC, the API v1 login whose
//! session token becomes a browser session at `session_via_api_token`, then the authorization
//! code grant at `<url>/auth` and `<url>/token`.

use crate::api::{Reply, access_token, send_json, text};
use crate::mfa::{self, Api, Challenge};
use crate::settings::OneLoginSettings;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpDeps, IdpError, OidcRequest, SamlAssertion,
};
use aws_runas_idp_support::{
    AuthorizationStep, HttpClient, HttpRequest, LoginAnswers, OidcClient, OidcEndpoints,
    display_url,
};
use serde_json::{Value, json};
use std::fmt;

const STEP_SAML: &str = "asking onelogin for the saml assertion";
const STEP_LOGIN: &str = "logging in at the onelogin api";
const STEP_SESSION: &str = "opening a onelogin session with the session token";

/// One OneLogin login: its settings, HTTP client, answers and injected dependencies.
pub(crate) struct Login {
    settings: OneLoginSettings,
    http: HttpClient,
    answers: LoginAnswers,
    deps: IdpDeps,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneLogin")
            .field("settings", &self.settings)
            .field("answers", &self.answers)
            .finish_non_exhaustive()
    }
}

impl Login {
    pub(crate) fn new(settings: OneLoginSettings, deps: IdpDeps) -> Self {
        let answers = LoginAnswers::for_login(deps.prompter.clone(), settings.login());
        Login {
            http: HttpClient::from_deps(&deps),
            settings,
            answers,
            deps,
        }
    }

    pub(crate) fn settings(&self) -> &OneLoginSettings {
        &self.settings
    }

    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    pub(crate) fn answers(&self) -> &LoginAnswers {
        &self.answers
    }

    /// The error for a refused login request (`saml_assertion` or `login/auth`), by status.
    fn refused(&self, reply: &Reply, step: &str) -> IdpError {
        let message = reply.message();
        let quoted = self.answers.quote(&message);
        let lower = message.to_ascii_lowercase();
        let e = match reply.status {
            401 if lower.contains("token") || lower.contains("authorization information") => {
                IdpError::configuration(format!(
                    "onelogin refused the api access token{quoted}; check the API credential in the url's `token` parameter"
                ))
            }
            401 | 403 | 423 => IdpError::bad_credentials(format!(
                "onelogin refused the login of {}{quoted}; it is not tried again",
                self.answers.who()
            )),
            400 | 404 | 422 => IdpError::configuration(format!(
                "onelogin refused the login request for the subdomain {}{}{quoted}; check the url",
                self.settings.subdomain(),
                self.settings
                    .app_id()
                    .map(|a| format!(" and the app {a}"))
                    .unwrap_or_default()
            )),
            status => IdpError::unavailable(format!(
                "onelogin answered the login with status {status}{quoted}"
            )),
        };
        e.at_step(step.to_string())
    }

    /// The SAML login: `POST <api>/api/2/saml_assertion`, then the second factor when asked.
    async fn saml(&self) -> Result<SamlAssertion, IdpError> {
        let app_id = self.settings.app_id().ok_or_else(|| {
            IdpError::configuration(format!(
                "the onelogin url {} has no `app_id` parameter, which a SAML login needs: add app_id=<the id of the OneLogin AWS app> to its query",
                display_url(self.settings.login().url())
            ))
        })?;
        let token = access_token(&self.http, &self.settings, &self.answers).await?;
        let username = self.answers.username()?;
        let password = self.answers.password()?;
        let body = json!({
            "username_or_email": username,
            "password": password.expose(),
            "app_id": app_id,
            "subdomain": self.settings.subdomain(),
        });
        let reply = send_json(
            &self.http,
            HttpRequest::post(format!("{}/api/2/saml_assertion", self.settings.api()))
                .header("Authorization", token.header())
                .json(body.to_string())
                .step(STEP_SAML),
        )
        .await?;
        drop(body);
        if !reply.is_success() {
            return Err(self.refused(&reply, STEP_SAML));
        }
        if let Some(saml) = text(&reply.value, "data") {
            return Ok(SamlAssertion(Secret::new(saml)));
        }
        if asks_for_factor(&reply.value) {
            let challenge = Challenge::from_answer(Api::V2, &reply.value)?;
            let saml = mfa::second_factor(self, &token, &challenge).await?;
            return Ok(SamlAssertion(saml));
        }
        Err(IdpError::unexpected_page(format!(
            "onelogin answered the saml assertion request with neither an assertion nor a second factor{}",
            self.answers.quote(&reply.message())
        ))
        .at_step(STEP_SAML))
    }

    /// The login for OIDC: `POST <api>/api/1/login/auth`, the second factor when asked, then
    /// `POST <origin>/session_via_api_token`, which sets the session cookie.
    async fn sign_in(&self) -> Result<(), IdpError> {
        let token = access_token(&self.http, &self.settings, &self.answers).await?;
        let username = self.answers.username()?;
        let password = self.answers.password()?;
        let body = json!({
            "username_or_email": username,
            "password": password.expose(),
            "subdomain": self.settings.subdomain(),
        });
        let reply = send_json(
            &self.http,
            HttpRequest::post(format!("{}/api/1/login/auth", self.settings.api()))
                .header("Authorization", token.header())
                .json(body.to_string())
                .step(STEP_LOGIN),
        )
        .await?;
        drop(body);
        if !reply.is_success() {
            return Err(self.refused(&reply, STEP_LOGIN));
        }
        let first = reply
            .value
            .get("data")
            .and_then(|d| d.get(0))
            .ok_or_else(|| {
                IdpError::unexpected_page(format!(
                    "onelogin answered the login without its data (an invalid authentication response){}",
                    self.answers.quote(&reply.message())
                ))
                .at_step(STEP_LOGIN)
            })?;
        let session_token = if asks_for_factor(first) {
            let challenge = Challenge::from_answer(Api::V1, first)?;
            mfa::second_factor(self, &token, &challenge).await?
        } else {
            Secret::new(text(first, "session_token").ok_or_else(|| {
                IdpError::unexpected_page(
                    "onelogin answered the login with neither a session token nor a second factor",
                )
                .at_step(STEP_LOGIN)
            })?)
        };
        let response = self
            .http
            .send(
                HttpRequest::post(format!("{}/session_via_api_token", self.settings.origin()))
                    .form([("session_token", session_token.expose())])
                    .step(STEP_SESSION),
            )
            .await?;
        if !(200..400).contains(&response.status()) {
            return Err(response.status_error().into());
        }
        Ok(())
    }

    /// The OIDC login: the authorization request, answered at once with a session; otherwise
    /// [`Login::sign_in`] and the request once more, and no more (the original tool tried again
    /// forever).
    async fn id_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        let base = self.settings.base();
        let endpoints = OidcEndpoints {
            issuer: Some(base.to_string()),
            ..OidcEndpoints::new(format!("{base}/auth"), format!("{base}/token"))
        };
        let client = OidcClient::new(self.http.clone(), &self.deps, endpoints);
        let session = client.session(req)?;
        let mut step = session.start(&self.http).await?;
        let mut signed_in = false;
        loop {
            let page = match step {
                AuthorizationStep::Code(code) => return client.exchange(&session, code).await,
                AuthorizationStep::Page(page) => page,
            };
            if page.status() >= 500 {
                return Err(page.status_error().into());
            }
            if signed_in {
                return Err(IdpError::unexpected_page(format!(
                    "onelogin did not redirect to {} after the login succeeded (the last page was {})",
                    display_url(session.redirect_uri()),
                    display_url(page.url())
                )));
            }
            self.sign_in().await?;
            signed_in = true;
            step = session.start(&self.http).await?;
        }
    }
}

/// Whether an answer asks for a second factor (it lists devices or carries a state token).
fn asks_for_factor(value: &Value) -> bool {
    value
        .get("devices")
        .and_then(Value::as_array)
        .is_some_and(|d| !d.is_empty())
        || text(value, "state_token").is_some()
}

#[async_trait::async_trait]
impl IdentityProvider for Login {
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::{IdpErrorKind, IdpSettings};
    use aws_runas_idp_testkit::idle_deps;

    fn login() -> Login {
        let settings = OneLoginSettings::from_idp_settings(&IdpSettings::from_pairs([
            ("url", "https://example.onelogin.com/trust/saml2/launch/1?app_id=7&token=ZmFrZS1jbGllbnQtMDAwMTpmYWtlLXNlY3JldC0wMDAx"),
            ("username", "jane.doe@example.test"),
        ]))
        .unwrap();
        Login::new(settings, idle_deps())
    }

    fn reply(status: u16, message: &str) -> Reply {
        Reply {
            status,
            value: json!({"statusCode": status, "name": "x", "message": message}),
        }
    }

    #[test]
    fn refusals_get_the_kind_the_user_can_act_on() {
        let l = login();
        let bad = l.refused(
            &reply(401, "Authentication Failed: Invalid user credentials"),
            "s",
        );
        assert_eq!(bad.kind(), IdpErrorKind::BadCredentials);
        assert!(
            bad.to_string()
                .contains("\"Authentication Failed: Invalid user credentials\""),
            "{bad}"
        );
        let token = l.refused(&reply(401, "Invalid Token"), "s");
        assert_eq!(token.kind(), IdpErrorKind::Configuration);
        let app = l.refused(&reply(400, "Invalid app_id"), "s");
        assert_eq!(app.kind(), IdpErrorKind::Configuration);
        assert!(app.to_string().contains("the app 7"), "{app}");
        let odd = l.refused(&reply(409, "Conflict"), "s");
        assert_eq!(odd.kind(), IdpErrorKind::Unavailable);
    }

    #[test]
    fn answers_asking_for_a_factor_are_recognised() {
        assert!(asks_for_factor(&json!({"devices": [{"device_id": 1}]})));
        assert!(asks_for_factor(&json!({"state_token": "s", "devices": []})));
        assert!(!asks_for_factor(&json!({"data": "PHNhbWw+"})));
    }
}
