//! The device authorization grant against the mock provider: pending, slow_down, approval,
//! denial, expiry and the wait's bound.

use crate::oidc::{deps, discovered, request};
use aws_runas_domain::ports::idp::{IdToken, IdpError, IdpErrorKind};
use aws_runas_idp_support::{DeviceSettings, OidcClient, OidcEndpoints};
use aws_runas_idp_testkit::{
    DEVICE_USER_CODE, DeviceOutcome, MockOidc, MockOidcConfig, MockServer, ScriptedPrompter,
};
use std::sync::Arc;
use std::time::Duration;

fn settings() -> DeviceSettings {
    DeviceSettings::new(Some(Duration::from_secs(20)))
        .with_slow_down_step(Duration::from_millis(10))
}

async fn device_login(
    mock: &MockOidc,
    settings: &DeviceSettings,
) -> (Result<IdToken, IdpError>, Arc<ScriptedPrompter>) {
    let prompter = Arc::new(ScriptedPrompter::new());
    let deps = deps(prompter.clone());
    let client = discovered(mock, &deps).await;
    let result = client
        .login_on_device(&request(mock, "http://127.0.0.1/unused"), settings)
        .await;
    (result, prompter)
}

#[tokio::test]
async fn the_code_is_shown_and_polling_ends_at_approval() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_device_script(2, 0, DeviceOutcome::Approve);
    let (result, prompter) = device_login(&mock, &settings()).await;
    let token = result.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        mock.issued_id_tokens().last().map(String::as_str)
    );
    assert_eq!(mock.device_polls(), 3);
    let notices = prompter.notices();
    assert_eq!(
        notices[0],
        format!(
            "To log in, open {} in a browser and enter the code {DEVICE_USER_CODE}",
            mock.verification_url()
        )
    );
    assert!(
        notices[1].contains(&format!("user_code={DEVICE_USER_CODE}")),
        "{notices:?}"
    );
    assert!(
        notices[2].starts_with("Waiting for you to finish the login at"),
        "{notices:?}"
    );
    let asked = &server.requests_to("POST", "/oidc/device")[0];
    assert_eq!(
        asked.form_value("client_id").as_deref(),
        Some(mock.client_id())
    );
    assert_eq!(asked.form_value("scope").as_deref(), Some("openid profile"));
    let polls = server.requests_to("POST", "/oidc/token");
    assert!(polls.iter().all(|p| p.form_value("grant_type").as_deref()
        == Some("urn:ietf:params:oauth:grant-type:device_code")));
    // The device code is never shown.
    let device_code = polls[0].form_value("device_code").unwrap();
    assert!(!format!("{notices:?}").contains(&device_code));
}

#[tokio::test]
async fn slow_down_is_honoured() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_device_script(1, 2, DeviceOutcome::Approve);
    let (result, _) = device_login(&mock, &settings()).await;
    result.unwrap();
    assert_eq!(mock.device_polls(), 4);
}

#[tokio::test]
async fn a_denied_login_is_an_authentication_error() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_device_script(1, 0, DeviceOutcome::Deny);
    let (result, _) = device_login(&mock, &settings()).await;
    assert_eq!(
        result.unwrap_err(),
        IdpError::bad_credentials(format!(
            "the login at {} was denied",
            mock.verification_url()
        ))
    );
}

#[tokio::test]
async fn an_expired_code_is_a_timeout() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_device_script(0, 1, DeviceOutcome::Expire);
    let (result, _) = device_login(&mock, &settings()).await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::MfaTimeout, "{e}");
    let m = e.to_string();
    assert!(
        m.contains(&format!("the code {DEVICE_USER_CODE} expired")),
        "{m}"
    );
}

#[tokio::test]
async fn the_wait_ends_at_its_bound() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    // Slowed down at every poll, so that the wait polls a few times only.
    mock.set_device_script(0, usize::MAX / 2, DeviceOutcome::Approve);
    let bounded = DeviceSettings::new(Some(Duration::from_millis(300)))
        .with_slow_down_step(Duration::from_millis(100));
    let (result, _) = device_login(&mock, &bounded).await;
    assert_eq!(
        result.unwrap_err(),
        IdpError::mfa_timeout(format!(
            "the login at {} was not finished within 300ms; run the command again",
            mock.verification_url()
        ))
    );
}

#[tokio::test]
async fn providers_without_a_device_endpoint_or_refusing_the_client_say_so() {
    let server = MockServer::start();
    let mock = MockOidc::install(
        &server,
        MockOidcConfig {
            device_flow: false,
            ..MockOidcConfig::new()
        },
    );
    let (result, _) = device_login(&mock, &settings()).await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e}");
    let m = e.to_string();
    assert!(m.contains("no device login"), "{m}");
    let other_server = MockServer::start();
    let other = MockOidc::start(&other_server);
    let deps = deps(Arc::new(ScriptedPrompter::new()));
    let endpoints = OidcEndpoints {
        device_authorization_endpoint: Some(mock.device_url()),
        ..OidcEndpoints::new(mock.authorize_url(), mock.token_url())
    };
    // The first mock has the device flow off: 404.
    let client = OidcClient::new(
        aws_runas_idp_support::HttpClient::from_deps(&deps),
        &deps,
        endpoints,
    );
    let e = client
        .login_on_device(&request(&other, "http://127.0.0.1/x"), &settings())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("404"), "{e}");
    let (result, _) = {
        let mut req = request(&other, "http://127.0.0.1/x");
        req.client_id = "unknown-client".into();
        let deps = deps.clone();
        let client = discovered(&other, &deps).await;
        (client.login_on_device(&req, &settings()).await, ())
    };
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
    let m = e.to_string();
    assert!(
        m.contains("unknown-client") && m.contains("invalid_client"),
        "{m}"
    );
}
