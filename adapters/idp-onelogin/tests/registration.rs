//! The registration record: name, capabilities, and the URL and probe matchers (one probe of a
//! server setting OneLogin's session cookie); settings refused at build time; no secret in the
//! adapter's `Debug`.

use crate::{TOKEN, onelogin};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{AuthUrl, IdpSettings, MfaKind, Protocol, registry};
use aws_runas_domain::{Secret, Timestamp};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{
    ExpectedRegistration, MockResponse, MockServer, assert_accepted, assert_debug_hides,
    assert_refused, assert_registration, idle_http, probe_with_cookies, probe_with_headers,
};
use std::sync::Arc;

#[test]
fn registration() {
    assert_registration(
        onelogin(),
        &ExpectedRegistration {
            registry: &["onelogin"],
            name: "onelogin",
            aliases: &[],
            crate_name: "aws-runas-idp-onelogin",
            protocols: &[Protocol::Saml, Protocol::Oidc],
            mfa: &[MfaKind::Code, MfaKind::Push],
            found_as: &["OneLogin"],
            urls_matched: &[
                "https://example.onelogin.com/trust/saml2/launch/123456?app_id=1&token=x",
                "https://EXAMPLE.onelogin.com/oidc/2?token=x",
                "https://example.eu.onelogin.com/oidc/2",
            ],
            urls_not_matched: &[
                "https://example.okta.com/home/amazon_aws/0oa1/272",
                "https://onelogin.example.com/trust/saml2/launch/1",
                "https://example.notonelogin.com/oidc/2",
            ],
            probes_matched: vec![
                probe_with_cookies(&["sub_session_onelogin.com"]),
                probe_with_cookies(&["onelogin.com_user", "other"]),
            ],
            probes_not_matched: vec![
                probe_with_cookies(&["KC_RESTART"]),
                probe_with_headers(&[("x-okta-request-id", "1")]),
                probe_with_cookies(&[]),
            ],
        },
    );
}

#[tokio::test]
async fn a_onelogin_page_on_a_custom_domain_is_detected_by_one_probe() {
    let server = MockServer::start();
    server.route("HEAD", "/sso", |_| {
        MockResponse::new(200)
            .set_cookie("sub_session_onelogin.com=fake-session-0001; Path=/; HttpOnly")
    });
    let url = server.url("/sso");
    assert!(
        registry()
            .unwrap()
            .detect_by_url(&AuthUrl::parse(&url).unwrap())
            .is_none()
    );
    let client = HttpClient::new(
        idle_http(),
        Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
    );
    let probe = client.probe(&url).await.unwrap();
    assert_eq!(
        registry()
            .unwrap()
            .detect_by_probe(&probe)
            .map(|r| r.name()),
        Some("onelogin")
    );
}

#[test]
fn bad_urls_are_refused_when_building() {
    let base = "https://example.onelogin.com/trust/saml2/launch/1";
    // No token, a malformed token, an unknown region, a key of the adapter's namespace.
    assert_refused(
        onelogin(),
        &[("url", &format!("{base}?app_id=1"))],
        &["`token`", "example.onelogin.com"],
    );
    assert_refused(
        onelogin(),
        &[("url", &format!("{base}?app_id=1&token=bm8tY29sb24"))],
        &["malformed `token`"],
    );
    assert_refused(
        onelogin(),
        &[("url", &format!("{base}?app_id=1&token={TOKEN}&region=ap"))],
        &["\"ap\""],
    );
    assert_refused(
        onelogin(),
        &[
            ("url", &format!("{base}?app_id=1&token={TOKEN}")),
            ("onelogin_region", "eu"),
        ],
        &["`onelogin_region`"],
    );
    assert_refused(onelogin(), &[], &["saml_auth_url"]);
    // No app_id is fine for OIDC; the SAML login refuses it (the `saml-no-app-id` case).
    assert_accepted(
        onelogin(),
        &[(
            "url",
            &format!("https://example.onelogin.com/oidc/2?token={TOKEN}&region=eu"),
        )],
    );
}

#[test]
fn the_adapter_debug_shows_no_secret() {
    let settings = IdpSettings::from_pairs([
        (
            "url".to_string(),
            format!("https://example.onelogin.com/trust/saml2/launch/1?app_id=7&token={TOKEN}"),
        ),
        ("username".to_string(), "jane.doe@example.test".to_string()),
    ])
    .with_secrets(
        Some(Secret::new("hunter2-password")),
        Some(Secret::new("975310")),
    );
    assert_debug_hides(
        onelogin(),
        &settings,
        &[
            "hunter2-password",
            "975310",
            TOKEN,
            "fake-secret-0001",
            "fake-client-0001",
        ],
        &["password_given: true", "api.us.onelogin.com"],
    );
}
