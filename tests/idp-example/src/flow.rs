//! The login walk of Example SSO: open the start URL, then answer page after page — the login
//! form, the one-time-code form — until a page carries the `SAMLResponse`.
//!
//! Pages are recognised by their markup (form ids), never by their wording.
//! The walk is bounded: at most [`MAX_PAGES`] pages and [`MAX_CODES`] one-time codes.

use crate::settings::ExampleSettings;
use async_trait::async_trait;
use aws_runas_domain::ports::idp::{IdentityProvider, IdpDeps, IdpError, SamlAssertion};
use aws_runas_idp_support::{Form, HttpClient, HttpRequest, LoginAnswers, Method, display_url};

/// How many pages one login may go through before the adapter gives up.
const MAX_PAGES: usize = 10;
/// How many one-time codes one login may send before the adapter gives up.
const MAX_CODES: usize = 3;

/// The id of Example SSO's login form.
const LOGIN_FORM: &str = "login-form";
/// The id of Example SSO's one-time-code form.
const OTP_FORM: &str = "otp-form";

const STEP_OPEN: &str = "opening the login page";
const STEP_PASSWORD: &str = "posting the password";
const STEP_CODE: &str = "posting the one-time code";

/// The `example` identity provider.
#[derive(Debug)]
pub(crate) struct ExampleIdp {
    settings: ExampleSettings,
    http: HttpClient,
    /// The user name, password and codes: from the settings, else asked once.
    answers: LoginAnswers,
}

impl ExampleIdp {
    /// An adapter for `settings`, with the HTTP client and prompter of `deps`.
    pub(crate) fn new(settings: ExampleSettings, deps: &IdpDeps) -> Self {
        let answers = LoginAnswers::for_login(deps.prompter.clone(), settings.login());
        ExampleIdp {
            settings,
            http: HttpClient::from_deps(deps),
            answers,
        }
    }

    async fn login(&self) -> Result<SamlAssertion, IdpError> {
        let mut response = self
            .http
            .follow(HttpRequest::get(self.settings.url()).step(STEP_OPEN))
            .await?;
        let mut password_sent = false;
        let mut codes_sent = 0;
        for _ in 0..MAX_PAGES {
            response.require_success()?;
            let page = response.html();
            if let Some(saml) = page.saml_assertion() {
                return Ok(saml);
            }
            let request = if let Some(form) = page.form_by_id(LOGIN_FORM) {
                if password_sent {
                    return Err(IdpError::bad_credentials(format!(
                        "{} refused the user name or password (not tried again, so that the account is not locked)",
                        display_url(response.url())
                    )));
                }
                if form.input("username").is_none() || form.password_input().is_none() {
                    return Err(response.unexpected_page().into());
                }
                password_sent = true;
                self.fill_login(form)?.step(STEP_PASSWORD)
            } else if let Some(form) = page.form_by_id(OTP_FORM) {
                if !self.settings.answers_codes() {
                    return Err(IdpError::bad_credentials(format!(
                        "{} asks for a one-time code, but mfa_type is none",
                        display_url(response.url())
                    )));
                }
                if codes_sent == MAX_CODES {
                    return Err(IdpError::mfa_rejected(format!(
                        "{} refused {MAX_CODES} one-time codes",
                        display_url(response.url())
                    )));
                }
                if form.input(self.settings.otp_field()).is_none() {
                    return Err(IdpError::unexpected_page(format!(
                        "the one-time-code form at {} has no input named {:?} (see example_otp_field)",
                        display_url(response.url()),
                        self.settings.otp_field()
                    )));
                }
                let code = self.answers.code("MFA code: ")?;
                codes_sent += 1;
                let mut form = form.clone();
                form.fill(self.settings.otp_field(), code.expose());
                post_only(form, response.url())?.step(STEP_CODE)
            } else {
                return Err(response.unexpected_page().into());
            };
            response = self.http.follow(request).await?;
        }
        Err(IdpError::unexpected_page(format!(
            "the login at {} went through more than {MAX_PAGES} pages",
            display_url(self.settings.url())
        )))
    }

    /// The login form with the user name and password filled in; asks for what is not given.
    fn fill_login(&self, form: &Form) -> Result<HttpRequest, IdpError> {
        let mut form = form.clone();
        form.fill("username", self.answers.username()?)
            .fill("password", self.answers.password()?.expose());
        post_only(form, self.settings.url())
    }
}

/// The form's request, refused when it would put a secret in a URL (a `GET` form).
fn post_only(form: Form, page_url: &str) -> Result<HttpRequest, IdpError> {
    if form.method() != Method::Post {
        return Err(IdpError::unexpected_page(format!(
            "the form at {} would send a secret in a URL; refusing to submit it",
            display_url(page_url)
        )));
    }
    Ok(form.to_request())
}

#[async_trait]
impl IdentityProvider for ExampleIdp {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        self.login().await
    }
}
