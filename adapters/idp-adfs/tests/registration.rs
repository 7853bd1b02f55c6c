//! The registration record: name, capabilities, and the URL and probe matchers; settings refused
//! at build time; no secret in the adapter's `Debug`.

use crate::adfs;
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
fn the_registry_of_this_binary_holds_exactly_adfs() {
    assert_eq!(registry().unwrap().names(), vec!["adfs"]);
}

#[test]
fn name_and_capabilities() {
    let reg = adfs();
    assert_eq!(reg.name(), "adfs");
    assert!(reg.aliases().is_empty());
    assert_eq!(reg.crate_name(), "aws-runas-idp-adfs");
    assert_eq!(reg.protocols(), [Protocol::Saml]);
    assert_eq!(reg.mfa(), [MfaKind::Code, MfaKind::Push]);
    assert_eq!(registry().unwrap().get("ADFS").unwrap().name(), "adfs");
}

#[test]
fn url_matcher() {
    let reg = adfs();
    let check = |url: &str, want: bool| {
        let parsed = AuthUrl::parse(url).unwrap();
        assert_eq!(reg.matches_url(&parsed), want, "{url}");
    };
    check(
        "https://sts.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
        true,
    );
    check("https://sts.example.com/adfs/ls/", true);
    check("https://sts.example.com/ADFS/LS/?wa=wsignin1.0", true);
    check("https://sts.example.com/adfs", true);
    check("https://sts.example.com/adfs/oauth2/authorize", true);
    check("https://sts.example.com/", false);
    check("https://sts.example.com/adfsproxy/start", false);
    check(
        "https://sso.example.com/realms/corp/protocol/saml/clients/aws",
        false,
    );
    check("https://example.okta.com/home/amazon_aws/0oa1/272", false);
    check("https://login.microsoftonline.com/common/saml2", false);
}

#[test]
fn probe_matcher() {
    let reg = adfs();
    let probe = |cookies: &[&str]| ProbeResponse {
        status: 200,
        headers: vec![("server".into(), "Microsoft-HTTPAPI/2.0".into())],
        cookies: cookies.iter().map(|c| c.to_string()).collect(),
    };
    assert!(reg.matches_probe(&probe(&["MSISSamlRequest"])));
    assert!(reg.matches_probe(&probe(&["other", "msisauth"])));
    assert!(reg.matches_probe(&probe(&["MSISLoopDetectionCookie"])));
    assert!(!reg.matches_probe(&probe(&["KC_RESTART", "ESTSAUTH", "MSI", "é"])));
    assert!(!reg.matches_probe(&probe(&[])));
}

#[tokio::test]
async fn an_adfs_farm_behind_another_path_is_detected_by_one_probe() {
    // A company short link redirects to the sign-on page, which keeps its request in a cookie.
    let server = MockServer::start();
    let target = server.url("/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices");
    server.route("HEAD", "/go/aws", move |_| {
        MockResponse::redirect(target.clone())
    });
    server.route("HEAD", "/adfs/ls/IdpInitiatedSignOn.aspx", |_| {
        MockResponse::new(200)
            .set_cookie("MSISSamlRequest=fake-request-0001; path=/adfs; HttpOnly; Secure")
    });
    let url = server.url("/go/aws");
    assert!(
        registry()
            .unwrap()
            .detect_by_url(&AuthUrl::parse(&url).unwrap())
            .is_none()
    );
    let client = HttpClient::new(
        http(),
        Arc::new(FixedClock(Timestamp::from_unix(1_795_521_600))),
    );
    let probe = client.probe(&url).await.unwrap();
    assert_eq!(
        registry()
            .unwrap()
            .detect_by_probe(&probe)
            .map(|r| r.name()),
        Some("adfs")
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
        clock: Arc::new(FixedClock(Timestamp::from_unix(1_795_521_600))),
        http: http(),
    }
}

#[test]
fn bad_settings_are_refused_when_building() {
    let build = |pairs: &[(&str, &str)]| {
        adfs()
            .build(&IdpSettings::from_pairs(pairs.iter().copied()), deps())
            .map(|_| ())
    };
    let unknown = build(&[
        ("url", "https://sts.example.com"),
        ("adfs_rp", "urn:amazon:webservices"),
    ])
    .unwrap_err();
    assert!(
        matches!(&unknown, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("`adfs_rp`")}),
        "{unknown:?}"
    );
    assert!(
        matches!(build(&[]), Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration)
    );
    assert!(matches!(
        build(&[("url", "sts.example.com/adfs/ls/")]),
        Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
    ));
    assert!(matches!(
        build(&[("url", "https://sts.example.com"), ("mfa_type", "sms")]),
        Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
    ));
}

#[test]
fn the_adapter_debug_shows_no_secret() {
    let settings = IdpSettings::from_pairs([
        (
            "url",
            "https://sts.example.com/adfs/ls/?wa=wsignin1.0&wctx=t0ken-context",
        ),
        ("username", "jane.doe@example.com"),
    ])
    .with_secrets(
        Some(Secret::new("hunter2-password")),
        Some(Secret::new("975310")),
    );
    let adapter = adfs().build(&settings, deps()).unwrap();
    let shown = format!("{adapter:?}");
    for secret in ["hunter2-password", "975310", "t0ken"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("jane.doe@example.com") && shown.contains("password_given: true"),
        "{shown}"
    );
}
