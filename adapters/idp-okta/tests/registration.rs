//! The registration record: name, capabilities, and the URL and probe matchers.

use crate::okta;
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
fn the_registry_of_this_binary_holds_exactly_okta() {
    assert_eq!(registry().unwrap().names(), vec!["okta"]);
}

#[test]
fn name_and_capabilities() {
    let reg = okta();
    assert_eq!(reg.name(), "okta");
    assert!(reg.aliases().is_empty());
    assert_eq!(reg.crate_name(), "aws-runas-idp-okta");
    assert_eq!(reg.protocols(), [Protocol::Saml, Protocol::Oidc]);
    assert_eq!(reg.mfa(), [MfaKind::Code, MfaKind::Push]);
    assert_eq!(registry().unwrap().get("OKTA").unwrap().name(), "okta");
}

#[test]
fn url_matcher() {
    let reg = okta();
    let check = |url: &str, want: bool| {
        let parsed = AuthUrl::parse(url).unwrap();
        assert_eq!(reg.matches_url(&parsed), want, "{url}");
    };
    check(
        "https://example.okta.com/home/amazon_aws/0oa1fake0001/272",
        true,
    );
    check(
        "https://Example.OKTAPREVIEW.com/home/amazon_aws/0oa1/272",
        true,
    );
    check(
        "https://example.okta-emea.com/home/amazon_aws/0oa1/272?x=1",
        true,
    );
    check("https://okta.com/", true);
    check(
        "https://example.notokta.com/home/amazon_aws/0oa1/272",
        false,
    );
    check(
        "https://okta.com.evil.example/home/amazon_aws/0oa1/272",
        false,
    );
    check("https://sso.example.com/home/amazon_aws/0oa1/272", false);
    check("https://login.microsoftonline.com/tenant/saml2", false);
}

#[test]
fn probe_matcher() {
    let reg = okta();
    let probe = |headers: &[(&str, &str)]| ProbeResponse {
        status: 200,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        cookies: vec![],
    };
    assert!(reg.matches_probe(&probe(&[("x-okta-request-id", "fake-request-0001")])));
    assert!(reg.matches_probe(&probe(&[("X-Okta-Request-Id", "x")])));
    assert!(!reg.matches_probe(&probe(&[("x-ms-request-id", "x")])));
    assert!(!reg.matches_probe(&probe(&[])));
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
        Some("okta")
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
        okta()
            .build(&IdpSettings::from_pairs(pairs.iter().copied()), deps())
            .map(|_| ())
    };
    let url = "https://example.okta.com/home/amazon_aws/0oa1fake0001/272";
    let unknown = build(&[("url", url), ("okta_factor", "push")]).unwrap_err();
    assert!(
        matches!(&unknown, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("`okta_factor`")}),
        "{unknown:?}"
    );
    assert!(
        matches!(build(&[]), Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration)
    );
    assert!(matches!(
        build(&[("url", url), ("mfa_type", "sms")]),
        Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
    ));
    assert!(
        build(&[
            ("url", url),
            ("mfa_type", "push"),
            ("keycloak_x", "ignored")
        ])
        .is_ok()
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
    let adapter = okta().build(&settings, deps()).unwrap();
    let shown = format!("{adapter:?}");
    for secret in ["hunter2-password", "975310", "t0ken"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("jane.doe@example.test") && shown.contains("password_given: true"),
        "{shown}"
    );
}
