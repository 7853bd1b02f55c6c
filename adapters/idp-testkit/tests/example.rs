//! A trivial form-login IdP adapter and its mock, written the way a real adapter would be.
//!
//! GET the start URL (it redirects to the login page); fill the form that has a password input;
//! POST it; the answer is the auto-post SAML page, a one-time-code page (answered and posted, as
//! often as the IdP asks, within a bound), or the login form again (wrong password).
//! The `Quirk`s are deliberately broken variants that the suite must catch.

use async_trait::async_trait;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistration, IdpRegistrationSpec,
    IdpSettings, MfaKind, ProbeResponse, Protocol, SamlAssertion,
};
use aws_runas_domain::ports::prompter::{PromptError, Prompter};
use aws_runas_idp_support::{HttpClient, HttpRequest};
use aws_runas_idp_testkit::{ConformanceMock, MockResponse, ScenarioContext};
use std::fmt;
use std::sync::Arc;

/// The name the example registers under.
pub(crate) const NAME: &str = "testkit-example";

/// How an example adapter misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quirk {
    /// None: the adapter is correct.
    None,
    /// Asks for the password again after a refusal.
    RetriesPasswords,
    /// Reports every failure as `Authentication`.
    EverythingIsAuthentication,
    /// Sends the login form as a GET, so the password lands in the URL.
    PasswordInUrl,
}

struct ExampleIdp {
    url: String,
    username: String,
    http: HttpClient,
    prompter: Arc<dyn Prompter>,
    password: Option<Secret>,
    quirk: Quirk,
}

impl fmt::Debug for ExampleIdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExampleIdp")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("quirk", &self.quirk)
            .finish_non_exhaustive()
    }
}

fn prompt_failed(e: PromptError) -> IdpError {
    IdpError::bad_credentials(format!("cannot ask: {e}"))
}

impl ExampleIdp {
    async fn login(&self) -> Result<SamlAssertion, IdpError> {
        let page = self
            .http
            .follow(HttpRequest::get(&self.url).step("opening the login page"))
            .await?;
        page.require_success()?;
        let html = page.html();
        if let Some(saml) = html.saml_assertion() {
            return Ok(saml);
        }
        let Some(form) = html.form_with_password() else {
            return Err(page.unexpected_page().into());
        };
        let mut form = form.clone();
        let user_field = form
            .username_input()
            .map(|i| i.name().to_string())
            .ok_or_else(|| page.unexpected_page())?;
        let pass_field = form
            .password_input()
            .map(|i| i.name().to_string())
            .unwrap_or_default();
        let password = match &self.password {
            Some(given) => given.clone(),
            None => self
                .prompter
                .read_secret("Password: ")
                .map_err(prompt_failed)?,
        };
        form.fill(&user_field, self.username.clone())
            .fill(&pass_field, password.expose());
        let request = if self.quirk == Quirk::PasswordInUrl {
            let query: Vec<String> = form
                .fields()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            HttpRequest::get(format!("{}?{}", form.action(), query.join("&")))
        } else {
            form.to_request()
        };
        let mut answer = self
            .http
            .follow(request.step("posting the password"))
            .await?;
        for _ in 0..5 {
            answer.require_success()?;
            let html = answer.html();
            if let Some(saml) = html.saml_assertion() {
                return Ok(saml);
            }
            if html.form_with_password().is_some() {
                if self.quirk == Quirk::RetriesPasswords {
                    let again = self
                        .prompter
                        .read_secret("Password: ")
                        .map_err(prompt_failed)?;
                    let mut form = html.form_with_password().unwrap().clone();
                    form.fill(&user_field, self.username.clone())
                        .fill(&pass_field, again.expose());
                    answer = self.http.follow(form.to_request()).await?;
                    continue;
                }
                return Err(IdpError::bad_credentials(
                    "the identity provider refused the user name or password",
                ));
            }
            let otp = html
                .forms()
                .iter()
                .find(|f| f.user_inputs().count() == 1 && f.input("otp").is_some());
            let Some(otp) = otp else {
                return Err(answer.unexpected_page().into());
            };
            let mut otp = otp.clone();
            let code = self
                .prompter
                .read_line("One-time code: ")
                .map_err(prompt_failed)?;
            otp.fill("otp", code);
            answer = self
                .http
                .follow(otp.to_request().step("posting the one-time code"))
                .await?;
        }
        Err(IdpError::bad_credentials("too many one-time codes refused"))
    }
}

#[async_trait]
impl IdentityProvider for ExampleIdp {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        let result = self.login().await;
        match (self.quirk, result) {
            (Quirk::EverythingIsAuthentication, Err(e)) => Err(IdpError::bad_credentials(e)),
            (_, result) => result,
        }
    }
}

fn build_with(
    settings: &IdpSettings,
    deps: IdpDeps,
    quirk: Quirk,
) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let url = settings
        .get(IdpSettings::URL)
        .ok_or_else(|| IdpError::configuration("saml_auth_url is not set"))?;
    AuthUrl::parse(url)?;
    let username = settings
        .get(IdpSettings::USERNAME)
        .ok_or_else(|| IdpError::configuration("saml_username is not set"))?;
    let idp = ExampleIdp {
        url: url.to_string(),
        username: username.to_string(),
        http: HttpClient::from_deps(&deps),
        prompter: deps.prompter.clone(),
        password: settings.password().cloned(),
        quirk,
    };
    Ok(Box::new(idp))
}

fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(settings, deps, Quirk::None)
}

fn build_retrying(
    settings: &IdpSettings,
    deps: IdpDeps,
) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(settings, deps, Quirk::RetriesPasswords)
}

fn build_all_auth(
    settings: &IdpSettings,
    deps: IdpDeps,
) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(settings, deps, Quirk::EverythingIsAuthentication)
}

fn build_password_in_url(
    settings: &IdpSettings,
    deps: IdpDeps,
) -> Result<Box<dyn IdentityProvider>, IdpError> {
    build_with(settings, deps, Quirk::PasswordInUrl)
}

fn matches_url(url: &AuthUrl) -> bool {
    url.path().starts_with("/example-idp/")
}

fn matches_probe(probe: &ProbeResponse) -> bool {
    probe.has_cookie("EXAMPLE_IDP")
}

const fn spec(
    name: &'static str,
    mfa: &'static [MfaKind],
    build: aws_runas_domain::ports::idp::IdpBuilder,
) -> IdpRegistrationSpec {
    IdpRegistrationSpec {
        name,
        aliases: &[],
        protocols: &[Protocol::Saml],
        mfa,
        matches_url,
        matches_probe,
        build,
    }
}

aws_runas_domain::register_idp!(spec(NAME, &[MfaKind::Code], build));

/// Broken variants: not registered (the registry holds the good one only), used directly.
pub(crate) static RETRYING: IdpRegistration = IdpRegistration::new(
    "example-tests",
    spec("retrying", &[MfaKind::Code], build_retrying),
);
pub(crate) static ALL_AUTH: IdpRegistration = IdpRegistration::new(
    "example-tests",
    spec("all-auth", &[MfaKind::Code], build_all_auth),
);
pub(crate) static PASSWORD_IN_URL: IdpRegistration = IdpRegistration::new(
    "example-tests",
    spec("password-in-url", &[MfaKind::Code], build_password_in_url),
);
pub(crate) static NO_MFA_DECLARED: IdpRegistration =
    IdpRegistration::new("example-tests", spec("no-mfa", &[], build));

fn login_page(error: Option<&str>) -> String {
    let error = error
        .map(|e| format!(r#"<div class="alert alert-error" role="alert">{e}</div>"#))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html><html><head><title>Example IdP sign-in</title></head><body>{error}
<form id="login" method="post" action="/example-idp/login">
<input type="hidden" name="csrf" value="c5rf-token">
<label for="user">User name</label><input type="text" id="user" name="user" autocomplete="username">
<label for="pass">Password</label><input type="password" id="pass" name="pass">
<input type="submit" value="Sign in">
</form></body></html>"#
    )
}

fn otp_page(error: bool) -> String {
    let error = if error {
        r#"<div class="alert alert-error" role="alert">Invalid code</div>"#
    } else {
        ""
    };
    format!(
        r#"<!DOCTYPE html><html><head><title>Example IdP verification</title></head><body>{error}
<form id="otp-form" method="post" action="otp"><input type="text" name="otp" inputmode="numeric" autocomplete="one-time-code">
<input type="submit" value="Verify"></form></body></html>"#
    )
}

/// The example IdP's mock: the behaviour each scenario asks for.
#[derive(Debug)]
pub(crate) struct ExampleMock;

impl ConformanceMock for ExampleMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let (user, password, code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();
        let saml_page = ctx.auto_post_page().to_string();
        server.route("GET", "/example-idp/start", |_| {
            MockResponse::redirect("/example-idp/login").cookie("EXAMPLE_IDP", "1")
        });
        server.route("GET", "/example-idp/login", |_| {
            MockResponse::html(login_page(None))
        });
        let page = saml_page.clone();
        server.route("POST", "/example-idp/login", move |r| {
            let ok = r.form_value("csrf").as_deref() == Some("c5rf-token")
                && r.form_value("user").as_deref() == Some(user)
                && r.form_value("pass").as_deref() == Some(password);
            match (ok, mfa) {
                (false, _) => MockResponse::html(login_page(Some("Invalid user name or password"))),
                (true, false) => MockResponse::html(page.clone()).cookie("EXAMPLE_SESSION", "s"),
                (true, true) => {
                    MockResponse::html(otp_page(false)).cookie("EXAMPLE_MFA", "pending")
                }
            }
        });
        server.route("POST", "/example-idp/otp", move |r| {
            let pending = r.cookie("EXAMPLE_MFA").as_deref() == Some("pending");
            if pending && r.form_value("otp").as_deref() == Some(code) {
                MockResponse::html(saml_page.clone()).cookie("EXAMPLE_SESSION", "s")
            } else {
                MockResponse::html(otp_page(true))
            }
        });
        server.url("/example-idp/start?RelayState=abc")
    }
}
