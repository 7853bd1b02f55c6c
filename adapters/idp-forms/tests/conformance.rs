//! The shared conformance suite, against a mock of a plain form IdP: a start URL that redirects
//! to the login page, a login form with a CSRF token, a one-time-code page, and the auto-post
//! page of the SAML Response; the registration record; and the settings checks made when the
//! adapter is built.

use crate::support::registration;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{IdpErrorKind, IdpSettings, MfaKind, ProbeResponse, Protocol};
use aws_runas_idp_testkit::{
    ConformanceMock, ExpectedRegistration, MockResponse, Scenario, ScenarioContext,
    assert_accepted, assert_debug_hides, assert_refused, assert_registration, conformance,
    idle_deps,
};

fn login_page(error: bool) -> String {
    let banner = if error {
        r#"<div class="alert alert-error" role="alert">Invalid user name or password.</div>"#
    } else {
        ""
    };
    format!(
        r#"<!DOCTYPE html><html><head><title>Sign in</title></head><body>{banner}
<form id="login-form" method="post" action="/sso/login">
<input type="hidden" name="csrf" value="fake-csrf-0001">
<label for="username">User name</label><input type="text" id="username" name="username" autocomplete="username">
<label for="password">Password</label><input type="password" id="password" name="password">
<button type="submit" name="cancel" value="1">Cancel</button>
<button type="submit" name="login" value="1">Sign in</button>
</form></body></html>"#
    )
}

fn otp_page(error: bool) -> String {
    let banner = if error {
        r#"<p class="error-message">That code did not work.</p>"#
    } else {
        ""
    };
    format!(
        r#"<!DOCTYPE html><html><head><title>Verification</title></head><body>{banner}
<form id="otp-form" method="post" action="otp"><input type="hidden" name="csrf" value="fake-csrf-0002">
<input type="text" name="otp" inputmode="numeric" autocomplete="one-time-code">
<input type="checkbox" name="remember_device" value="1">
<input type="submit" name="verify" value="Verify"></form></body></html>"#
    )
}

/// The mock IdP of the conformance scenarios.
struct FormsMock;

impl ConformanceMock for FormsMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let (user, password, code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();
        let saml_page = ctx.auto_post_page().to_string();
        server.route("GET", "/sso/start", |_| {
            MockResponse::redirect("/sso/login").cookie("FORMS_MOCK", "1")
        });
        server.route("GET", "/sso/login", |_| {
            MockResponse::html(login_page(false))
        });
        let page = saml_page.clone();
        server.route("POST", "/sso/login", move |r| {
            let ok = r.form_value("csrf").as_deref() == Some("fake-csrf-0001")
                && r.form_value("login").as_deref() == Some("1")
                && r.form_value("cancel").is_none()
                && r.form_value("username").as_deref() == Some(user)
                && r.form_value("password").as_deref() == Some(password);
            match (ok, mfa) {
                (false, _) => MockResponse::html(login_page(true)),
                (true, false) => MockResponse::html(page.clone()).cookie("FORMS_SESSION", "s"),
                (true, true) => MockResponse::html(otp_page(false)).cookie("FORMS_MFA", "pending"),
            }
        });
        server.route("POST", "/sso/otp", move |r| {
            let pending = r.cookie("FORMS_MFA").as_deref() == Some("pending");
            if pending
                && r.form_value("csrf").as_deref() == Some("fake-csrf-0002")
                && r.form_value("otp").as_deref() == Some(code)
            {
                MockResponse::html(saml_page.clone()).cookie("FORMS_SESSION", "s")
            } else {
                MockResponse::html(otp_page(true))
            }
        });
        server.url("/sso/start?RelayState=conformance")
    }
}

#[tokio::test]
async fn the_forms_adapter_passes_every_conformance_scenario() {
    let report = conformance(registration(), &FormsMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

#[test]
fn registration_the_forms_adapter_is_chosen_by_name_only() {
    assert_registration(
        registration(),
        &ExpectedRegistration {
            registry: &["forms"],
            name: "forms",
            aliases: &["form", "html"],
            crate_name: "aws-runas-idp-forms",
            protocols: &[Protocol::Saml, Protocol::Oidc],
            mfa: &[MfaKind::Code],
            found_as: &["Form", "Forms"],
            urls_matched: &[],
            urls_not_matched: &[
                "https://idp.example.test/idp/profile/SAML2/Unsolicited/SSO?providerId=urn:amazon:webservices",
                "https://login.example.test/simplesaml/saml2/idp/SSOService.php",
                "http://127.0.0.1:8080/forms",
            ],
            probes_matched: vec![],
            probes_not_matched: vec![ProbeResponse {
                status: 200,
                headers: vec![("content-type".into(), "text/html".into())],
                cookies: vec!["JSESSIONID".into(), "shib_idp_session".into()],
            }],
        },
    );
}

#[test]
fn settings_are_checked_when_the_adapter_is_built() {
    let url = (
        "url",
        "https://idp.example.test/sso?SAMLRequest=fake-request-0001",
    );
    assert_refused(
        registration(),
        &[url, ("forms_user_field", "ident"), ("keycloak_realm", "x")],
        &["`forms_user_field`", "known: forms_username_field"],
    );
    assert_refused(registration(), &[url, ("mfa_type", "sms")], &["`mfa_type`"]);
    assert_refused(registration(), &[("username", "jane")], &["saml_auth_url"]);
    assert_accepted(
        registration(),
        &[
            url,
            ("mfa_type", "none"),
            ("forms_otp_field", "token"),
            ("keycloak_realm", "another adapter's key"),
        ],
    );
    let push = IdpSettings::from_pairs([url, ("mfa_type", "push")]);
    let e = registration().build(&push, idle_deps()).unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");

    let given = IdpSettings::from_pairs([url, ("username", "jane.doe")]).with_secrets(
        Some(Secret::new("Fake-Passw0rd-0002")),
        Some(Secret::new("975310")),
    );
    assert_debug_hides(
        registration(),
        &given,
        &["Fake-Passw0rd-0002", "975310", "fake-request-0001"],
        &["idp.example.test/sso", "jane.doe", "password_given: true"],
    );
}
