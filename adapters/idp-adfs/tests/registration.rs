//! The registration record: name, capabilities, and the URL and probe matchers; settings refused
//! at build time; no secret in the adapter's `Debug`.

use crate::adfs;
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    AuthUrl, IdpSettings, MfaKind, ProbeResponse, Protocol, registry,
};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{
    ExpectedRegistration, MockResponse, MockServer, assert_debug_hides, assert_refused,
    assert_registration, idle_http,
};
use std::sync::Arc;

/// An AD FS answer, with the cookies it set.
fn probe(cookies: &[&str]) -> ProbeResponse {
    ProbeResponse {
        status: 200,
        headers: vec![("server".into(), "Microsoft-HTTPAPI/2.0".into())],
        cookies: cookies.iter().map(|c| c.to_string()).collect(),
    }
}

#[test]
fn registration() {
    assert_registration(
        adfs(),
        &ExpectedRegistration {
            registry: &["adfs"],
            name: "adfs",
            aliases: &[],
            crate_name: "aws-runas-idp-adfs",
            protocols: &[Protocol::Saml],
            mfa: &[MfaKind::Code, MfaKind::Push],
            found_as: &["Adfs"],
            urls_matched: &[
                "https://sts.example.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
                "https://sts.example.com/adfs/ls/",
                "https://sts.example.com/ADFS/LS/?wa=wsignin1.0",
                "https://sts.example.com/adfs",
                "https://sts.example.com/adfs/oauth2/authorize",
            ],
            urls_not_matched: &[
                "https://sts.example.com/",
                "https://sts.example.com/adfsproxy/start",
                "https://sso.example.com/realms/corp/protocol/saml/clients/aws",
                "https://example.okta.com/home/amazon_aws/0oa1/272",
                "https://login.microsoftonline.com/common/saml2",
            ],
            probes_matched: vec![
                probe(&["MSISSamlRequest"]),
                probe(&["other", "msisauth"]),
                probe(&["MSISLoopDetectionCookie"]),
            ],
            probes_not_matched: vec![probe(&["KC_RESTART", "ESTSAUTH", "MSI", "é"]), probe(&[])],
        },
    );
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
        idle_http(),
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

#[test]
fn bad_settings_are_refused_when_building() {
    let url = ("url", "https://sts.example.com");
    assert_refused(
        adfs(),
        &[url, ("adfs_rp", "urn:amazon:webservices")],
        &["`adfs_rp`"],
    );
    assert_refused(adfs(), &[], &[]);
    assert_refused(adfs(), &[("url", "sts.example.com/adfs/ls/")], &[]);
    assert_refused(adfs(), &[url, ("mfa_type", "sms")], &[]);
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
    assert_debug_hides(
        adfs(),
        &settings,
        &["hunter2-password", "975310", "t0ken"],
        &["jane.doe@example.com", "password_given: true"],
    );
}
