//! The registration record: name, aliases, capabilities, and the URL and probe matchers; settings
//! refused at build time; no secret in the adapter's `Debug`.

use crate::azuread;
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{AuthUrl, IdpSettings, MfaKind, Protocol, registry};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{
    ExpectedRegistration, MockResponse, MockServer, assert_accepted, assert_debug_hides,
    assert_refused, assert_registration, idle_http, probe_with_headers,
};
use std::sync::Arc;

#[test]
fn registration() {
    assert_registration(
        azuread(),
        &ExpectedRegistration {
            registry: &["azuread"],
            name: "azuread",
            aliases: &["aad", "entra", "entraid"],
            crate_name: "aws-runas-idp-azuread",
            protocols: &[Protocol::Saml, Protocol::Oidc],
            mfa: &[MfaKind::Code, MfaKind::Push],
            found_as: &["Entra", "entraID", "AzureAD"],
            urls_matched: &[
                "https://myapps.microsoft.com/signin/AWS/fake-app-0001?tenantId=fake-tenant-0001",
                "https://launcher.myapps.microsoft.com/api/signin/x",
                "https://login.microsoftonline.com/fake-tenant-0001/saml2?SAMLRequest=x",
                "https://login.microsoftonline.us/fake-tenant/saml2",
                "https://login.partner.microsoftonline.cn/fake-tenant/saml2",
            ],
            urls_not_matched: &[
                "https://notmicrosoft.com/signin",
                "https://microsoft.com.evil.example/signin",
                "https://example.okta.com/home/amazon_aws/0oa1/272",
                "https://idp.example.com/adfs/ls/IdpInitiatedSignOn.aspx",
            ],
            probes_matched: vec![
                probe_with_headers(&[("x-ms-request-id", "00000000-fake-0001")]),
                probe_with_headers(&[("X-MS-Request-Id", "00000000-fake-0001")]),
            ],
            probes_not_matched: vec![
                probe_with_headers(&[("x-okta-request-id", "fake")]),
                probe_with_headers(&[]),
            ],
        },
    );
}

#[tokio::test]
async fn an_azure_ad_front_door_is_detected_by_one_probe() {
    // A custom domain in front of Azure AD: the URL says nothing, the answer's header does.
    let server = MockServer::start();
    server.route("HEAD", "/sso/aws", |_| {
        MockResponse::new(200).header("x-ms-request-id", "00000000-fake-req-0001")
    });
    let url = server.url("/sso/aws");
    assert!(
        registry()
            .unwrap()
            .detect_by_url(&AuthUrl::parse(&url).unwrap())
            .is_none()
    );
    let client = HttpClient::new(
        idle_http(),
        Arc::new(FixedClock(Timestamp::from_unix(1_795_514_400))),
    );
    let probe = client.probe(&url).await.unwrap();
    assert_eq!(
        registry()
            .unwrap()
            .detect_by_probe(&probe)
            .map(|r| r.name()),
        Some("azuread")
    );
}

const URL: &str = "https://myapps.microsoft.com/signin/fake-app-0001?tenantId=fake-tenant-0001";

#[test]
fn bad_settings_are_refused_when_building() {
    let url = ("url", URL);
    assert_refused(
        azuread(),
        &[url, ("azuread_app_id", "x")],
        &["`azuread_app_id`"],
    );
    assert_refused(azuread(), &[], &[]);
    assert_refused(azuread(), &[("url", "myapps.microsoft.com/signin/x")], &[]);
    assert_refused(azuread(), &[url, ("mfa_type", "voice")], &["voice"]);
    // The user name is never required up front.
    assert_accepted(azuread(), &[url]);
}

#[test]
fn the_adapter_debug_shows_no_secret() {
    let settings = IdpSettings::from_pairs([
        ("url", format!("{URL}&state=t0ken").as_str()),
        ("username", "jane.doe@example.test"),
    ])
    .with_secrets(
        Some(Secret::new("hunter2-password")),
        Some(Secret::new("975310")),
    );
    assert_debug_hides(
        azuread(),
        &settings,
        &["hunter2-password", "975310", "t0ken", "fake-tenant-0001"],
        &["jane.doe@example.test", "password_given: true"],
    );
}
