//! The shared conformance suite, against a mock Keycloak serving the fixture pages of the
//! `keycloak.v2` theme (login form, its "invalid password" version, the one-time-code form and its
//! "invalid code" version) and the suite's own SAML auto-post page.

use crate::{fixture_page, keycloak};
use aws_runas_idp_testkit::{
    ConformanceMock, MockResponse, Scenario, ScenarioContext, conformance,
};

const START: &str = "/realms/corp/protocol/saml/clients/aws";
const AUTHENTICATE: &str = "/realms/corp/login-actions/authenticate";

/// A mock Keycloak: the IdP-initiated SSO URL answers the login form and sets `KC_RESTART`;
/// the form posts to `login-actions/authenticate`, which answers the next page.
struct KeycloakMock;

impl ConformanceMock for KeycloakMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let base = server.base_url();
        let login = fixture_page("v2-en-invalid-password", "login.html", &base);
        let login_invalid = fixture_page("v2-en-invalid-password", "login-invalid.html", &base);
        let otp = fixture_page("v2-en-too-many-codes", "otp.html", &base);
        let otp_invalid = fixture_page("v2-en-too-many-codes", "otp-invalid.html", &base);
        let saml = ctx.auto_post_page().to_string();
        let (user, password, code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();

        server.route("GET", START, move |_| {
            MockResponse::html(login.clone())
                .set_cookie("KC_RESTART=fake-restart-0001; Version=1; Path=/realms/corp/; HttpOnly")
                .set_cookie(
                    "AUTH_SESSION_ID=fake-session-0001; Version=1; Path=/realms/corp/; HttpOnly",
                )
        });
        server.route("POST", AUTHENTICATE, move |r| {
            let session = r.cookie("AUTH_SESSION_ID").as_deref() == Some("fake-session-0001");
            let logged_in = || {
                MockResponse::html(saml.clone()).set_cookie(
                    "KEYCLOAK_IDENTITY=fake-identity-0001; Version=1; Path=/realms/corp/; HttpOnly",
                )
            };
            if let Some(given) = r.form_value("otp") {
                let password_done = r.cookie("KC_TEST_STAGE").as_deref() == Some("otp");
                return if session && password_done && given == code {
                    logged_in()
                } else {
                    MockResponse::html(otp_invalid.clone())
                };
            }
            let ok = session
                && r.form_value("username").as_deref() == Some(user)
                && r.form_value("password").as_deref() == Some(password)
                && r.form_value("credentialId").is_some();
            match (ok, mfa) {
                (false, _) => MockResponse::html(login_invalid.clone()),
                (true, false) => logged_in(),
                (true, true) => MockResponse::html(otp.clone())
                    .set_cookie("KC_TEST_STAGE=otp; Path=/realms/corp/"),
            }
        });
        server.url(START)
    }
}

#[tokio::test]
async fn keycloak_passes_every_conformance_scenario() {
    let report = conformance(keycloak(), &KeycloakMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}
