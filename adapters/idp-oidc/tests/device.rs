//! The device flow (`oidc_flow = device`) against the mock provider: pending then approval,
//! denial, and a provider without a device endpoint.

use crate::{assert_no_secret, login};
use aws_runas_domain::ports::idp::IdpErrorKind;
use aws_runas_idp_testkit::{
    DEVICE_USER_CODE, DeviceOutcome, MockOidc, MockOidcConfig, MockServer,
};

const DEVICE: [(&str, &str); 2] = [("oidc_flow", "device"), ("oidc_scopes", "email")];

#[tokio::test]
async fn pending_then_approval_returns_the_token() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_device_script(2, 0, DeviceOutcome::Approve);
    // No browser needed, and the redirect URI is not used.
    let (result, notices) = login(&mock, &DEVICE, None, "").await;
    let token = result.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        mock.issued_id_tokens().last().map(String::as_str)
    );
    assert_eq!(mock.device_polls(), 3);
    assert_eq!(server.requests_to("GET", "/oidc/jwks").len(), 1);
    assert_eq!(
        notices[0],
        format!(
            "To log in, open {} in a browser and enter the code {DEVICE_USER_CODE}",
            mock.verification_url()
        )
    );
    let asked = &server.requests_to("POST", "/oidc/device")[0];
    assert_eq!(
        asked.form_value("scope").as_deref(),
        Some("openid profile email")
    );
    let device_code = server.requests_to("POST", "/oidc/token")[0]
        .form_value("device_code")
        .unwrap();
    let shown = format!("{notices:?}");
    assert!(!shown.contains(&device_code), "{shown}");
    assert_no_secret(&mock, &shown);
}

#[tokio::test]
async fn a_denied_login_is_an_authentication_error() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_device_script(1, 0, DeviceOutcome::Deny);
    let (result, notices) = login(&mock, &DEVICE, None, "").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
    assert!(e.to_string().contains("was denied"), "{e}");
    assert!(mock.issued_id_tokens().is_empty());
    let device_code = server.requests_to("POST", "/oidc/token")[0]
        .form_value("device_code")
        .unwrap();
    let shown = format!("{e} {e:?} {notices:?}");
    assert!(!shown.contains(&device_code), "{shown}");
}

#[tokio::test]
async fn a_provider_without_a_device_endpoint_says_so() {
    let server = MockServer::start();
    let mock = MockOidc::install(
        &server,
        MockOidcConfig {
            device_flow: false,
            ..MockOidcConfig::new()
        },
    );
    let (result, notices) = login(&mock, &DEVICE, None, "").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("no device login") && m.contains(&mock.authorize_url()),
        "{m}"
    );
    assert!(notices.is_empty());
    assert!(server.requests_to("POST", "/oidc/device").is_empty());
}

#[tokio::test]
async fn the_device_flow_needs_discovery_too() {
    let server = MockServer::start();
    let mock = MockOidc::install(
        &server,
        MockOidcConfig {
            discovery: false,
            ..MockOidcConfig::new()
        },
    );
    let (result, _) = login(&mock, &DEVICE, None, "").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    assert!(e.to_string().contains(&mock.discovery_url()), "{e}");
}
