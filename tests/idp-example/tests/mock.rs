//! Example SSO on the testkit's mock server: the routes, serving the fixture pages.

use aws_runas_idp_testkit::{ConformanceMock, MockResponse, MockServer, ScenarioContext};
use std::sync::Arc;

/// A fixture page: `fixtures/idp/example/<case>/<file>`.
pub(crate) fn fixture(case: &str, file: &str) -> String {
    let path = format!(
        "{}/../../fixtures/idp/example/{case}/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// How one mock Example SSO behaves.
#[derive(Debug, Clone)]
pub(crate) struct Behaviour {
    /// The user name accepted.
    pub(crate) username: String,
    /// The password accepted.
    pub(crate) password: String,
    /// The code accepted, when the login asks for one.
    pub(crate) code: Option<String>,
    /// The name of the code input.
    pub(crate) otp_field: String,
    /// The code page (`<case>`, `otp.html`).
    pub(crate) otp_case: String,
    /// The page answering a refused password (`<case>`, `login.html`).
    pub(crate) refused_case: String,
    /// The page that ends the login.
    pub(crate) saml_page: String,
}

/// Registers Example SSO's routes and returns the start URL.
///
/// `GET /example-sso/start` sets `EXAMPLE_SSO` and redirects to the login page; the login form
/// posts to `/example-sso/login` (the hidden `csrf_token` must come back); the code form posts
/// to `/example-sso/otp`.
pub(crate) fn serve(server: &MockServer, behaviour: Behaviour) -> String {
    let b = Arc::new(behaviour);
    server.route("GET", "/example-sso/start", |_| {
        MockResponse::redirect("/example-sso/login").cookie("EXAMPLE_SSO", "fake-session-0001")
    });
    server.route("GET", "/example-sso/login", |_| {
        MockResponse::html(fixture("login", "login.html"))
    });
    let login = b.clone();
    server.route("POST", "/example-sso/login", move |r| {
        let ok = r.cookie("EXAMPLE_SSO").is_some()
            && r.form_value("csrf_token").as_deref() == Some("fake-csrf-0001")
            && r.form_value("username").as_deref() == Some(login.username.as_str())
            && r.form_value("password").as_deref() == Some(login.password.as_str());
        match (ok, &login.code) {
            (false, _) => MockResponse::html(fixture(&login.refused_case, "login.html")),
            (true, None) => MockResponse::html(login.saml_page.clone()),
            (true, Some(_)) => MockResponse::html(fixture(&login.otp_case, "otp.html"))
                .cookie("EXAMPLE_MFA", "pending"),
        }
    });
    server.route("POST", "/example-sso/otp", move |r| {
        let pending = r.cookie("EXAMPLE_MFA").as_deref() == Some("pending");
        if pending && b.code.is_some() && r.form_value(&b.otp_field) == b.code {
            MockResponse::html(b.saml_page.clone())
        } else {
            MockResponse::html(fixture("wrong-code", "otp.html"))
        }
    });
    server.url("/example-sso/start")
}

/// Example SSO for the conformance suite.
#[derive(Debug)]
pub(crate) struct ExampleSsoMock;

impl ConformanceMock for ExampleSsoMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        serve(
            ctx.server(),
            Behaviour {
                username: ctx.username().to_string(),
                password: ctx.password().to_string(),
                code: ctx.requires_mfa().then(|| ctx.mfa_code().to_string()),
                otp_field: "otp".to_string(),
                otp_case: "login".to_string(),
                refused_case: "wrong-password".to_string(),
                saml_page: ctx.auto_post_page().to_string(),
            },
        )
    }
}
