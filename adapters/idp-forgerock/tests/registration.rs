//! The registration record: name, alias, capabilities, and the URL and probe matchers (one
//! probe of a server answering like AM); settings refused at build time; no secret in the
//! adapter's `Debug`.

use crate::forgerock;
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{AuthUrl, IdpSettings, MfaKind, Protocol, registry};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{
    ExpectedRegistration, MockResponse, MockServer, assert_debug_hides, assert_refused,
    assert_registration, idle_http, probe_with_cookies, probe_with_headers,
};
use std::sync::Arc;

#[test]
fn registration() {
    assert_registration(
        forgerock(),
        &ExpectedRegistration {
            registry: &["forgerock"],
            name: "forgerock",
            aliases: &["openam"],
            crate_name: "aws-runas-idp-forgerock",
            protocols: &[Protocol::Saml, Protocol::Oidc],
            mfa: &[MfaKind::Code, MfaKind::Push],
            found_as: &["ForgeRock", "OpenAM"],
            urls_matched: &[
                "https://am.example.com/am/json/realms/root/realms/alpha/authenticate",
                "https://am.example.com/am/oauth2/realms/root/realms/alpha",
                "https://am.example.com/openam/idpssoinit?metaAlias=/corp/saml-idp",
                "https://am.example.com/openam/SSORedirect/metaAlias/corp/idp",
            ],
            urls_not_matched: &[
                "https://idp.example.com/realms/corp/protocol/saml/clients/aws",
                "https://idp.example.com/realms/corp",
                "https://example.onelogin.com/oidc/2",
                "https://am.example.com/am/XUI/",
            ],
            probes_matched: vec![
                probe_with_headers(&[(
                    "access-control-allow-headers",
                    "Content-Type, X-OpenAM-Username, X-OpenAM-Password, Accept-API-Version",
                )]),
                probe_with_headers(&[("access-control-allow-headers", "MFA-FR-Token")]),
                probe_with_cookies(&["amlbcookie"]),
            ],
            probes_not_matched: vec![
                probe_with_headers(&[("access-control-allow-headers", "Content-Type")]),
                probe_with_cookies(&["KC_RESTART"]),
                probe_with_cookies(&[]),
            ],
        },
    );
}

#[tokio::test]
async fn an_am_server_on_any_path_is_detected_by_one_probe() {
    let server = MockServer::start();
    server.route("HEAD", "/sso", |_| {
        MockResponse::new(200).header(
            "Access-Control-Allow-Headers",
            "Content-Type, X-OpenAM-Username, X-OpenAM-Password",
        )
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
        Some("forgerock")
    );
}

#[test]
fn bad_settings_are_refused_when_building() {
    // A URL without a realm, one without a base, an unknown key.
    assert_refused(
        forgerock(),
        &[("url", "https://am.example.com/am/json/authenticate")],
        &["names no realm", "am.example.com"],
    );
    assert_refused(
        forgerock(),
        &[("url", "https://am.example.com/realms/alpha")],
        &["has no base"],
    );
    assert_refused(
        forgerock(),
        &[
            (
                "url",
                "https://am.example.com/am/json/realms/alpha/authenticate",
            ),
            ("forgerock_tree", "Login"),
        ],
        &["`forgerock_tree`"],
    );
    assert_refused(forgerock(), &[], &["saml_auth_url"]);
}

#[test]
fn the_adapter_debug_shows_no_secret() {
    let settings = IdpSettings::from_pairs([
        (
            "url",
            "https://am.example.com/am/json/realms/root/realms/alpha/authenticate?goto=t0ken",
        ),
        ("username", "jane.doe"),
    ])
    .with_secrets(
        Some(Secret::new("hunter2-password")),
        Some(Secret::new("975310")),
    );
    assert_debug_hides(
        forgerock(),
        &settings,
        &["hunter2-password", "975310", "t0ken"],
        &["password_given: true", "alpha"],
    );
}
