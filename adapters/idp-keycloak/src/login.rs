//! The login walk: from the first page through Keycloak's pages (login form, one-time code,
//! consent) to the answer that ends the login.
//!
//! The walk does not know what ends it: a [`Goal`] does. The SAML goal opens the configured URL
//! and stops at a page carrying a `SAMLResponse`; the OIDC goal opens the authorization URL and
//! stops at the redirect to the client's `redirect_uri`, which it captures without fetching it.

use crate::pages::{self, LoginPage, OtpDevice, OtpPage, Page};
use crate::settings::KeycloakSettings;
use aws_runas_domain::ports::idp::{IdpError, SamlAssertion};
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_idp_support::{
    AuthorizationCode, AuthorizationSession, AuthorizationStep, Form, HttpClient, HttpRequest,
    HttpResponse, LoginAnswers, RedirectAction, display_url,
};
use std::sync::Arc;

/// How many pages one login may go through before it is called stuck.
const MAX_PAGES: usize = 12;

/// How many one-time codes are tried before giving up.
const MAX_CODES: usize = 3;

/// The cookies Keycloak sets once the user is logged in.
const SESSION_COOKIES: [&str; 2] = ["KEYCLOAK_IDENTITY", "KEYCLOAK_SESSION"];

const OPENING: &str = "opening the keycloak login page";
const OPENING_AUTHORIZATION: &str = "opening the keycloak authorization page";
const REOPENING: &str = "opening the keycloak login page again with the new session";
const POSTING_USERNAME: &str = "posting the user name";
const POSTING_PASSWORD: &str = "posting the password";
const POSTING_CODE: &str = "posting the one-time code";
const POSTING_CONSENT: &str = "granting the client's consent request";

/// Where one request of the walk led.
pub(crate) enum Arrival<T> {
    /// The goal is reached.
    Done(T),
    /// A page to answer.
    Page(HttpResponse),
}

/// What a login is after: where it starts, how its requests are sent, and how to tell it has
/// arrived.
#[async_trait::async_trait]
pub(crate) trait Goal: Send + Sync {
    /// What the login produces.
    type Output: Send;

    /// The first request (also sent again once when a session exists but the walk got lost).
    fn start(&self) -> HttpRequest;

    /// Sends `request`, following redirects as far as this goal wants.
    async fn send(
        &self,
        http: &HttpClient,
        request: HttpRequest,
    ) -> Result<Arrival<Self::Output>, IdpError>;

    /// What to check when Keycloak shows an error page before any credential was sent.
    fn configuration_hint(&self) -> &'static str;
}

/// The SAML goal: the IdP-initiated SSO URL, then the auto-post page with a `SAMLResponse`.
#[derive(Debug)]
pub(crate) struct SamlGoal {
    url: String,
}

impl SamlGoal {
    pub(crate) fn new(url: &str) -> Self {
        SamlGoal {
            url: url.to_string(),
        }
    }
}

#[async_trait::async_trait]
impl Goal for SamlGoal {
    type Output = SamlAssertion;

    fn start(&self) -> HttpRequest {
        HttpRequest::get(&self.url).step(OPENING)
    }

    async fn send(
        &self,
        http: &HttpClient,
        request: HttpRequest,
    ) -> Result<Arrival<SamlAssertion>, IdpError> {
        let response = http
            .send_following(request, |_| RedirectAction::Follow)
            .await?;
        Ok(match response.html().saml_assertion() {
            Some(assertion) => Arrival::Done(assertion),
            None => Arrival::Page(response),
        })
    }

    fn configuration_hint(&self) -> &'static str {
        "check saml_auth_url and that IdP-initiated login is enabled for the client"
    }
}

/// The OIDC goal: the authorization URL of `session`, then the redirect to its `redirect_uri`
/// (any scheme), captured with its code and never fetched.
#[derive(Debug)]
pub(crate) struct OidcGoal<'a> {
    session: &'a AuthorizationSession,
}

impl<'a> OidcGoal<'a> {
    pub(crate) fn new(session: &'a AuthorizationSession) -> Self {
        OidcGoal { session }
    }
}

#[async_trait::async_trait]
impl Goal for OidcGoal<'_> {
    type Output = AuthorizationCode;

    fn start(&self) -> HttpRequest {
        HttpRequest::get(self.session.url()).step(OPENING_AUTHORIZATION)
    }

    async fn send(
        &self,
        http: &HttpClient,
        request: HttpRequest,
    ) -> Result<Arrival<AuthorizationCode>, IdpError> {
        Ok(match self.session.send(http, request).await? {
            AuthorizationStep::Code(code) => Arrival::Done(code),
            AuthorizationStep::Page(response) => Arrival::Page(response),
        })
    }

    fn configuration_hint(&self) -> &'static str {
        "check web_identity_auth_url (the realm), web_identity_client_id and that web_identity_redirect_uri is one of the client's valid redirect uris"
    }
}

/// One configured Keycloak login: settings, client, and the answers of the user (asked once).
#[derive(Debug)]
pub(crate) struct Login {
    settings: KeycloakSettings,
    http: HttpClient,
    answers: LoginAnswers,
}

/// What one run of the walk has done so far.
#[derive(Default)]
struct Progress {
    sent_username: bool,
    sent_password: bool,
    codes_sent: usize,
    device_announced: bool,
    reopened: bool,
    consented: bool,
}

impl Login {
    pub(crate) fn new(
        settings: KeycloakSettings,
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

    /// The HTTP client (with its cookie jar), shared with the OIDC token exchange.
    pub(crate) fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The settings.
    pub(crate) fn settings(&self) -> &KeycloakSettings {
        &self.settings
    }

    /// Walks the login until `goal` is reached.
    ///
    /// # Errors
    /// [`IdpError::bad_credentials`] when Keycloak refuses the user or needs the user in a
    /// browser; [`IdpError::mfa_rejected`] when it refuses [`MAX_CODES`] one-time codes;
    /// [`IdpError::unavailable`] for network failures and error statuses;
    /// [`IdpError::unexpected_page`] for pages nobody knows and a walk that goes round in circles;
    /// [`IdpError::configuration`] for an error page before any credential was sent (a wrong URL
    /// or client) and an OTP device that does not exist; a prompt error when a question gets no
    /// answer.
    pub(crate) async fn walk<G: Goal>(&self, goal: &G) -> Result<G::Output, IdpError> {
        let mut progress = Progress::default();
        let first = goal.start();
        let first_url = display_url(first.url());
        let mut response = match goal.send(&self.http, first).await? {
            Arrival::Done(output) => return Ok(output),
            Arrival::Page(response) => response,
        };
        for _ in 0..MAX_PAGES {
            let next = {
                if response.status() >= 500 {
                    return Err(response.status_error().into());
                }
                let page = response.html();
                let kind = pages::classify(&page);
                log::debug!(
                    "keycloak: {} answered {} ({})",
                    display_url(response.url()),
                    kind.kind(),
                    response.status()
                );
                match kind {
                    Page::Login(login) => self.answer_login(login, &response, &mut progress)?,
                    Page::Otp(otp) => self.answer_otp(otp, &response, &mut progress)?,
                    Page::Consent(form) => self.answer_consent(form, &response, &mut progress)?,
                    Page::RequiredAction { action } => {
                        return Err(self.required_action(&action, &response));
                    }
                    Page::Error { message } => {
                        return Err(self.error_page(message, &response, &progress, goal));
                    }
                    Page::Unknown if !response.is_success() => {
                        return Err(response.status_error().into());
                    }
                    Page::Unknown => {
                        if progress.sent_password
                            && !progress.reopened
                            && self.has_session(response.url())
                        {
                            // Logged in, but Keycloak went somewhere else (the account console,
                            // a client's base URL): the first URL now answers at once.
                            progress.reopened = true;
                            goal.start().step(REOPENING)
                        } else {
                            return Err(response.unexpected_page().into());
                        }
                    }
                }
            };
            response = match goal.send(&self.http, next).await? {
                Arrival::Done(output) => return Ok(output),
                Arrival::Page(response) => response,
            };
        }
        Err(IdpError::unexpected_page(format!(
            "the keycloak login starting at {first_url} did not finish within {MAX_PAGES} pages"
        )))
    }

    /// Accepts a consent page (`login-oauth-grant.ftl`): the client asks for the scopes the
    /// user configured it to ask for, so the grant is given, once per login.
    fn answer_consent(
        &self,
        mut form: Form,
        response: &HttpResponse,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        if progress.consented {
            return Err(IdpError::unexpected_page(format!(
                "keycloak asked for consent twice at {}; grant it once in a browser, then try again",
                display_url(response.url())
            )));
        }
        progress.consented = true;
        self.answers
            .prompter()
            .notice("keycloak: granting the client the access it asks for (consent page)");
        form.press(pages::CONSENT_ACCEPT);
        Ok(form.to_request().step(POSTING_CONSENT))
    }

    fn answer_login(
        &self,
        login: LoginPage,
        response: &HttpResponse,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        let asks_again = (login.password_field.is_some() && progress.sent_password)
            || (login.username_field.is_some() && progress.sent_username);
        if asks_again {
            let what = if progress.sent_password {
                "the user name or password"
            } else {
                "the user name"
            };
            return Err(IdpError::bad_credentials(format!(
                "keycloak did not accept {what} of {} at {}{}; the password is not tried again, so that the account does not get locked",
                self.answers.who(),
                display_url(response.url()),
                self.quote(login.error),
            )));
        }
        let mut form = login.form;
        if let Some(field) = &login.username_field {
            let username = self.answers.username()?;
            form.fill(field, username);
            progress.sent_username = true;
        }
        let step = match &login.password_field {
            Some(field) => {
                let password = self.answers.password()?;
                form.fill(field, password.expose());
                progress.sent_password = true;
                POSTING_PASSWORD
            }
            None => POSTING_USERNAME,
        };
        form.press("login");
        Ok(form.to_request().step(step))
    }

    fn answer_otp(
        &self,
        mut otp: OtpPage,
        response: &HttpResponse,
        progress: &mut Progress,
    ) -> Result<HttpRequest, IdpError> {
        if progress.codes_sent >= MAX_CODES {
            return Err(IdpError::mfa_rejected(format!(
                "keycloak refused {MAX_CODES} one-time codes at {}{}",
                display_url(response.url()),
                self.quote(otp.error),
            )));
        }
        if progress.codes_sent > 0 {
            self.answers.prompter().notice(&format!(
                "keycloak did not accept the one-time code{}; enter a new one",
                self.quote(otp.error.take())
            ));
        }
        if let Some(device) = self.pick_device(&otp.devices, response)? {
            if otp.devices.len() > 1 && !progress.device_announced {
                progress.device_announced = true;
                self.answers.prompter().notice(&format!(
                    "keycloak: using the one-time-code device {:?} (keycloak_otp_device chooses among {})",
                    device.label,
                    labels(&otp.devices)
                ));
            }
            otp.choose(&device);
        }
        let code = self.answers.code("MFA code: ")?;
        otp.form.fill(&otp.code_field, code.expose());
        otp.form.press("login");
        progress.codes_sent += 1;
        Ok(otp.form.to_request().step(POSTING_CODE))
    }

    /// The device named by `keycloak_otp_device`, else the first one; `None` when the page offers
    /// no choice.
    fn pick_device(
        &self,
        devices: &[OtpDevice],
        response: &HttpResponse,
    ) -> Result<Option<OtpDevice>, IdpError> {
        let Some(first) = devices.first() else {
            return Ok(None);
        };
        let Some(wanted) = self.settings.otp_device() else {
            return Ok(Some(first.clone()));
        };
        devices
            .iter()
            .find(|d| d.label.to_lowercase() == wanted.to_lowercase() || d.id == wanted)
            .cloned()
            .map(Some)
            .ok_or_else(|| {
                IdpError::configuration(format!(
                    "keycloak_otp_device {wanted:?} is none of the one-time-code devices keycloak offers at {}: {}",
                    display_url(response.url()),
                    labels(devices)
                ))
            })
    }

    fn required_action(&self, action: &str, response: &HttpResponse) -> IdpError {
        IdpError::bad_credentials(format!(
            "the keycloak account of {} needs attention: keycloak asks to {} ({action}) at {}; log in once in a browser to finish that, then try again",
            self.answers.who(),
            describe_action(action),
            display_url(response.url()),
        ))
    }

    fn error_page(
        &self,
        message: Option<String>,
        response: &HttpResponse,
        progress: &Progress,
        goal: &impl Goal,
    ) -> IdpError {
        let url = display_url(response.url());
        let quoted = self.quote(message);
        if progress.sent_password || progress.sent_username {
            IdpError::bad_credentials(format!(
                "keycloak stopped the login of {} with an error page at {url}{quoted}; the account may be disabled or locked",
                self.answers.who(),
            ))
        } else {
            // An error page before any credential was sent: the URL or the client is wrong.
            IdpError::configuration(format!(
                "keycloak answered an error page at {url}{quoted}; {}",
                goal.configuration_hint(),
            ))
            .at_step(response.step())
        }
    }

    /// Whether the jar holds Keycloak's session cookies for `url` (a page of the realm).
    fn has_session(&self, url: &str) -> bool {
        self.http
            .cookie_names(url)
            .iter()
            .any(|name| SESSION_COOKIES.iter().any(|s| s.eq_ignore_ascii_case(name)))
    }

    /// `: "<Keycloak's message>"` for an error, or nothing; a message that would show a secret of
    /// this login (Keycloak never echoes one, but a theme might) is left out.
    fn quote(&self, message: Option<String>) -> String {
        self.answers.quote(message.as_deref().unwrap_or_default())
    }
}

/// The device labels, for messages.
fn labels(devices: &[OtpDevice]) -> String {
    devices
        .iter()
        .map(|d| format!("{:?}", d.label))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a required action asks of the user, in words.
fn describe_action(action: &str) -> String {
    match action.to_ascii_uppercase().as_str() {
        "UPDATE_PASSWORD" => "update the password".to_string(),
        "CONFIGURE_TOTP" => "set up a one-time-code app".to_string(),
        "UPDATE_PROFILE" => "complete the profile".to_string(),
        "UPDATE_EMAIL" => "update the e-mail address".to_string(),
        "VERIFY_EMAIL" => "verify the e-mail address".to_string(),
        "TERMS_AND_CONDITIONS" => "accept the terms and conditions".to_string(),
        "WEBAUTHN_REGISTER" | "WEBAUTHN_REGISTER_PASSWORDLESS" => {
            "register a security key".to_string()
        }
        "CONFIGURE_RECOVERY_AUTHN_CODES" => "set up recovery codes".to_string(),
        _ => "complete a required action".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_actions_are_described() {
        assert_eq!(describe_action("UPDATE_PASSWORD"), "update the password");
        assert_eq!(
            describe_action("configure_totp"),
            "set up a one-time-code app"
        );
        assert_eq!(
            describe_action("SOMETHING_NEW"),
            "complete a required action"
        );
    }

    #[test]
    fn labels_are_quoted() {
        let devices = [
            OtpDevice {
                id: "1".into(),
                label: "Phone".into(),
            },
            OtpDevice {
                id: "2".into(),
                label: "Dienst-Handy".into(),
            },
        ];
        assert_eq!(labels(&devices), r#""Phone", "Dienst-Handy""#);
    }
}
