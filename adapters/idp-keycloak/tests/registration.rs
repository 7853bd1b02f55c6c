//! The registration record: name, alias, capabilities, and the URL and probe matchers; settings
//! refused at build time; no secret in the adapter's `Debug`.

use crate::keycloak;
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{AuthUrl, IdpSettings, MfaKind, Protocol, registry};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{
    ExpectedRegistration, MockResponse, MockServer, assert_debug_hides, assert_refused,
    assert_registration, idle_http, probe_with_cookies,
};
use std::sync::Arc;

#[test]
fn registration() {
    assert_registration(
        keycloak(),
        &ExpectedRegistration {
            registry: &["keycloak"],
            name: "keycloak",
            aliases: &["kc"],
            crate_name: "aws-runas-idp-keycloak",
            protocols: &[Protocol::Saml, Protocol::Oidc],
            mfa: &[MfaKind::Code],
            found_as: &["Keycloak"],
            urls_matched: &[
                "https://idp.example.com/realms/corp/protocol/saml/clients/aws",
                "https://sso.example.com:8443/auth/realms/corp/protocol/saml/clients/aws?RelayState=x",
                "https://idp.example.com/kc/realms/corp/protocol/saml",
                // An OIDC login is configured with the realm itself.
                "https://idp.example.com/realms/corp",
                "https://idp.example.com/realms/corp/",
                "https://sso.example.com/auth/realms/corp",
            ],
            urls_not_matched: &[
                "https://idp.example.com/realms/corp/protocol/openid-connect/auth",
                "https://idp.example.com/protocol/saml/clients/aws",
                "https://idp.example.com/realms/",
                "https://idp.example.com/realms/corp/account",
                "https://idp.example.com/oidc/realms",
                "https://example.okta.com/home/amazon_aws/0oa1/272",
                "https://idp.example.com/adfs/ls/IdpInitiatedSignOn.aspx",
            ],
            probes_matched: vec![
                probe_with_cookies(&["AUTH_SESSION_ID", "KC_RESTART"]),
                probe_with_cookies(&["kc_restart"]),
            ],
            probes_not_matched: vec![
                probe_with_cookies(&["AUTH_SESSION_ID", "KC_AUTH_SESSION_HASH"]),
                probe_with_cookies(&[]),
            ],
        },
    );
}

#[tokio::test]
async fn a_keycloak_server_is_detected_by_one_probe() {
    // Keycloak refuses HEAD on the login endpoints; the probe retries as GET and sees the cookie.
    let server = MockServer::start();
    server.route("HEAD", "/sso/start", |_| MockResponse::new(405));
    server.route("GET", "/sso/start", |_| {
        MockResponse::html("<html><body><form id=\"kc-form-login\"></form></body></html>")
            .set_cookie("KC_RESTART=fake-restart-0001; Version=1; Path=/realms/corp/; HttpOnly")
    });
    let url = server.url("/sso/start");
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
        Some("keycloak")
    );
}

#[test]
fn bad_settings_are_refused_when_building() {
    let url = (
        "url",
        "https://idp.example.com/realms/corp/protocol/saml/clients/aws",
    );
    assert_refused(
        keycloak(),
        &[url, ("keycloak_device", "Phone")],
        &["`keycloak_device`"],
    );
    assert_refused(keycloak(), &[], &[]);
    assert_refused(keycloak(), &[("url", "idp.example.com/realms/corp")], &[]);
}

#[test]
fn the_adapter_debug_shows_no_secret() {
    let settings = IdpSettings::from_pairs([
        (
            "url",
            "https://idp.example.com/realms/corp/protocol/saml/clients/aws?state=t0ken",
        ),
        ("username", "jane.doe"),
    ])
    .with_secrets(
        Some(Secret::new("hunter2-password")),
        Some(Secret::new("975310")),
    );
    assert_debug_hides(
        keycloak(),
        &settings,
        &["hunter2-password", "975310", "t0ken"],
        &["jane.doe", "password_given: true"],
    );
}
