//! The registration record: name, capabilities, and the URL and probe matchers; settings refused
//! at build time; no secret in the adapter's `Debug`.

use crate::okta;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{AuthUrl, IdpSettings, MfaKind, Protocol, registry};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{
    ExpectedRegistration, MockResponse, MockServer, assert_accepted, assert_debug_hides,
    assert_refused, assert_registration, idle_deps, probe_with_headers,
};

#[test]
fn registration() {
    assert_registration(
        okta(),
        &ExpectedRegistration {
            registry: &["okta"],
            name: "okta",
            aliases: &[],
            crate_name: "aws-runas-idp-okta",
            protocols: &[Protocol::Saml, Protocol::Oidc],
            mfa: &[MfaKind::Code, MfaKind::Push],
            found_as: &["Okta"],
            urls_matched: &[
                "https://example.okta.com/home/amazon_aws/0oa1fake0001/272",
                "https://Example.OKTAPREVIEW.com/home/amazon_aws/0oa1/272",
                "https://example.okta-emea.com/home/amazon_aws/0oa1/272?x=1",
                "https://okta.com/",
            ],
            urls_not_matched: &[
                "https://example.notokta.com/home/amazon_aws/0oa1/272",
                "https://okta.com.evil.example/home/amazon_aws/0oa1/272",
                "https://sso.example.com/home/amazon_aws/0oa1/272",
                "https://login.microsoftonline.com/tenant/saml2",
            ],
            probes_matched: vec![
                probe_with_headers(&[("x-okta-request-id", "fake-request-0001")]),
                probe_with_headers(&[("X-Okta-Request-Id", "x")]),
            ],
            probes_not_matched: vec![
                probe_with_headers(&[("x-ms-request-id", "x")]),
                probe_with_headers(&[]),
            ],
        },
    );
}

#[tokio::test]
async fn an_okta_org_on_a_custom_domain_is_detected_by_one_probe() {
    let server = MockServer::start();
    server.route("HEAD", "/home/amazon_aws/0oa1fake0001/272", |_| {
        MockResponse::redirect("/login/login.htm?fromURI=%2Fhome%2Famazon_aws%2F0oa1fake0001%2F272")
            .header("X-Okta-Request-Id", "fake-request-0001")
    });
    server.route("HEAD", "/login/login.htm", |_| {
        MockResponse::new(200).header("X-Okta-Request-Id", "fake-request-0002")
    });
    let url = server.url("/home/amazon_aws/0oa1fake0001/272");
    assert!(
        registry()
            .unwrap()
            .detect_by_url(&AuthUrl::parse(&url).unwrap())
            .is_none()
    );
    let client = HttpClient::from_deps(&idle_deps());
    let probe = client.probe(&url).await.unwrap();
    assert_eq!(
        registry()
            .unwrap()
            .detect_by_probe(&probe)
            .map(|r| r.name()),
        Some("okta")
    );
}

#[test]
fn bad_settings_are_refused_when_building() {
    let url = (
        "url",
        "https://example.okta.com/home/amazon_aws/0oa1fake0001/272",
    );
    assert_refused(
        okta(),
        &[url, ("okta_factor", "push")],
        &["`okta_factor`", "no okta_* settings"],
    );
    assert_refused(okta(), &[], &["saml_auth_url", "web_identity_auth_url"]);
    assert_refused(
        okta(),
        &[url, ("mfa_type", "sms")],
        &["`mfa_type`", "\"sms\""],
    );
    assert_refused(
        okta(),
        &[url, ("mfa_wait_timeout", "soon")],
        &["`mfa_wait_timeout`"],
    );
    assert_accepted(
        okta(),
        &[url, ("mfa_type", "push"), ("keycloak_x", "ignored")],
    );
}

#[test]
fn the_adapter_debug_shows_no_secret() {
    let settings = IdpSettings::from_pairs([
        (
            "url",
            "https://example.okta.com/home/amazon_aws/0oa1fake0001/272?fromHome=t0ken",
        ),
        ("username", "jane.doe@example.test"),
    ])
    .with_secrets(
        Some(Secret::new("hunter2-password")),
        Some(Secret::new("975310")),
    );
    assert_debug_hides(
        okta(),
        &settings,
        &["hunter2-password", "975310", "t0ken"],
        &["jane.doe@example.test", "password_given: true"],
    );
}
