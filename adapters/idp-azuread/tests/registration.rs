//! The registration record: name, aliases, capabilities, and the URL and probe matchers.

use crate::{azuread, fake_adfs};
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
fn the_registry_of_this_binary_holds_azuread_and_the_test_federation_adapter() {
    // `fake-adfs` is registered by this test binary (tests/fake_adfs.rs) for the federated cases.
    assert_eq!(
        registry().unwrap().names(),
        vec!["azuread", fake_adfs::NAME]
    );
    assert_eq!(
        registry()
            .unwrap()
            .get(fake_adfs::NAME)
            .unwrap()
            .crate_name(),
        "aws-runas-idp-azuread"
    );
}

#[test]
fn name_aliases_and_capabilities() {
    let reg = azuread();
    assert_eq!(reg.name(), "azuread");
    assert_eq!(reg.aliases(), ["aad", "entra", "entraid"]);
    assert_eq!(reg.crate_name(), "aws-runas-idp-azuread");
    assert_eq!(reg.protocols(), [Protocol::Saml, Protocol::Oidc]);
    assert_eq!(reg.mfa(), [MfaKind::Code, MfaKind::Push]);
    for alias in ["AAD", "Entra", "entraID", "AzureAD"] {
        assert_eq!(registry().unwrap().get(alias).unwrap().name(), "azuread");
    }
}

#[test]
fn url_matcher() {
    let reg = azuread();
    let check = |url: &str, want: bool| {
        let parsed = AuthUrl::parse(url).unwrap();
        assert_eq!(reg.matches_url(&parsed), want, "{url}");
    };
    check(
        "https://myapps.microsoft.com/signin/AWS/fake-app-0001?tenantId=fake-tenant-0001",
        true,
    );
    check("https://launcher.myapps.microsoft.com/api/signin/x", true);
    check(
        "https://login.microsoftonline.com/fake-tenant-0001/saml2?SAMLRequest=x",
        true,
    );
    check("https://login.microsoftonline.us/fake-tenant/saml2", true);
    check(
        "https://login.partner.microsoftonline.cn/fake-tenant/saml2",
        true,
    );
    check("https://notmicrosoft.com/signin", false);
    check("https://microsoft.com.evil.example/signin", false);
    check("https://example.okta.com/home/amazon_aws/0oa1/272", false);
    check(
        "https://idp.example.com/adfs/ls/IdpInitiatedSignOn.aspx",
        false,
    );
}

#[test]
fn probe_matcher() {
    let reg = azuread();
    let probe = |headers: &[(&str, &str)]| ProbeResponse {
        status: 200,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        cookies: vec![],
    };
    assert!(reg.matches_probe(&probe(&[("x-ms-request-id", "00000000-fake-0001")])));
    assert!(reg.matches_probe(&probe(&[("X-MS-Request-Id", "00000000-fake-0001")])));
    assert!(!reg.matches_probe(&probe(&[("x-okta-request-id", "fake")])));
    assert!(!reg.matches_probe(&probe(&[])));
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
    let client = HttpClient::new(http(), clock());
    let probe = client.probe(&url).await.unwrap();
    assert_eq!(
        registry()
            .unwrap()
            .detect_by_probe(&probe)
            .map(|r| r.name()),
        Some("azuread")
    );
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(Timestamp::from_unix(1_795_514_400)))
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
        clock: clock(),
        http: http(),
    }
}

const URL: &str = "https://myapps.microsoft.com/signin/fake-app-0001?tenantId=fake-tenant-0001";

#[test]
fn bad_settings_are_refused_when_building() {
    let build = |pairs: &[(&str, &str)]| {
        azuread()
            .build(&IdpSettings::from_pairs(pairs.iter().copied()), deps())
            .map(|_| ())
    };
    let unknown = build(&[("url", URL), ("azuread_app_id", "x")]).unwrap_err();
    assert!(
        matches!(&unknown, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("`azuread_app_id`")}),
        "{unknown:?}"
    );
    assert!(
        matches!(build(&[]), Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration)
    );
    assert!(matches!(
        build(&[("url", "myapps.microsoft.com/signin/x")]),
        Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
    ));
    assert!(matches!(
        build(&[("url", URL), ("mfa_type", "voice")]),
        Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("voice")}
    ));
    // The user name is never required up front.
    assert!(build(&[("url", URL)]).is_ok());
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
    let adapter = azuread().build(&settings, deps()).unwrap();
    let shown = format!("{adapter:?}");
    for secret in ["hunter2-password", "975310", "t0ken", "fake-tenant-0001"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(
        shown.contains("jane.doe@example.test") && shown.contains("password_given: true"),
        "{shown}"
    );
}
