//! The registration record: name, alias, capabilities, and the URL and probe matchers.

use crate::keycloak;
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    AuthUrl, HttpSettings, IdpDeps, IdpSettings, MfaKind, ProbeResponse, Protocol, registry,
};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{MockResponse, MockServer, ScriptedPrompter};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn the_registry_of_this_binary_holds_exactly_keycloak() {
    assert_eq!(registry().unwrap().names(), vec!["keycloak"]);
}

#[test]
fn name_alias_and_capabilities() {
    let reg = keycloak();
    assert_eq!(reg.name(), "keycloak");
    assert_eq!(reg.aliases(), ["kc"]);
    assert_eq!(reg.crate_name(), "aws-runas-idp-keycloak");
    assert_eq!(reg.protocols(), [Protocol::Saml, Protocol::Oidc]);
    assert_eq!(reg.mfa(), [MfaKind::Code]);
    assert_eq!(registry().unwrap().get("KC").unwrap().name(), "keycloak");
    assert_eq!(
        registry().unwrap().get("Keycloak").unwrap().name(),
        "keycloak"
    );
}

#[test]
fn url_matcher() {
    let reg = keycloak();
    let check = |url: &str, want: bool| {
        let parsed = AuthUrl::parse(url).unwrap();
        assert_eq!(reg.matches_url(&parsed), want, "{url}");
    };
    check(
        "https://idp.example.com/realms/corp/protocol/saml/clients/aws",
        true,
    );
    check(
        "https://sso.example.com:8443/auth/realms/corp/protocol/saml/clients/aws?RelayState=x",
        true,
    );
    check("https://idp.example.com/kc/realms/corp/protocol/saml", true);
    check(
        "https://idp.example.com/realms/corp/protocol/openid-connect/auth",
        false,
    );
    check("https://idp.example.com/protocol/saml/clients/aws", false);
    // An OIDC login is configured with the realm itself.
    check("https://idp.example.com/realms/corp", true);
    check("https://idp.example.com/realms/corp/", true);
    check("https://sso.example.com/auth/realms/corp", true);
    check("https://idp.example.com/realms/", false);
    check("https://idp.example.com/realms/corp/account", false);
    check("https://idp.example.com/oidc/realms", false);
    check("https://example.okta.com/home/amazon_aws/0oa1/272", false);
    check(
        "https://idp.example.com/adfs/ls/IdpInitiatedSignOn.aspx",
        false,
    );
}

#[test]
fn probe_matcher() {
    let reg = keycloak();
    let probe = |cookies: &[&str]| ProbeResponse {
        status: 200,
        headers: vec![],
        cookies: cookies.iter().map(|c| c.to_string()).collect(),
    };
    assert!(reg.matches_probe(&probe(&["AUTH_SESSION_ID", "KC_RESTART"])));
    assert!(reg.matches_probe(&probe(&["kc_restart"])));
    assert!(!reg.matches_probe(&probe(&["AUTH_SESSION_ID", "KC_AUTH_SESSION_HASH"])));
    assert!(!reg.matches_probe(&probe(&[])));
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
        http(),
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

fn http() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        proxy: None,
        no_proxy: None,
        ca_bundle: None,
        cookie_jar: None,
    }
}

fn deps() -> IdpDeps {
    IdpDeps {
        federation: None,
        session: aws_runas_domain::ports::idp::IdpSession::new(),
        browser: None,
        prompter: Arc::new(ScriptedPrompter::new()),
        clock: Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
        http: http(),
    }
}

#[test]
fn bad_settings_are_refused_when_building() {
    let build = |pairs: &[(&str, &str)]| {
        keycloak()
            .build(&IdpSettings::from_pairs(pairs.iter().copied()), deps())
            .map(|_| ())
    };
    let unknown = build(&[
        (
            "url",
            "https://idp.example.com/realms/corp/protocol/saml/clients/aws",
        ),
        ("keycloak_device", "Phone"),
    ])
    .unwrap_err();
    assert!(
        matches!(&unknown, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("`keycloak_device`")}),
        "{unknown:?}"
    );
    assert!(
        matches!(build(&[]), Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration)
    );
    assert!(matches!(
        build(&[("url", "idp.example.com/realms/corp")]),
        Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
    ));
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
    let adapter = keycloak().build(&settings, deps()).unwrap();
    let shown = format!("{adapter:?}");
    for secret in ["hunter2-password", "975310", "t0ken"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("jane.doe") && shown.contains("password_given: true"),
        "{shown}"
    );
}
