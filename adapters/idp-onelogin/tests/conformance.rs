//! The shared conformance suites, against a small emulator of OneLogin's API (written from
//! OneLogin's API reference, see `fixtures/idp/onelogin/SOURCES.md`): the OAuth2 token, the v2
//! SAML assertion with one Google Authenticator factor, its enrolled-factors list and its
//! verification.

use crate::{TOKEN, onelogin};
use aws_runas_idp_testkit::{
    ConformanceMock, MockRequest, MockResponse, OidcConformanceMock, OidcScenario, Scenario,
    ScenarioContext, conformance, oidc_conformance,
};
use serde_json::{Value, json};

const ACCESS_TOKEN: &str = "fake-access-token-0001";
const STATE_TOKEN: &str = "fake-state-token-0001";

struct OneLoginApi;

fn body(r: &MockRequest) -> Value {
    serde_json::from_str(r.body()).unwrap_or(Value::Null)
}

fn refusal(status: u16, message: &str) -> MockResponse {
    MockResponse::json(
        json!({"statusCode": status, "name": "Unauthorized", "message": message}).to_string(),
    )
    .with_status(status)
}

fn bearer(r: &MockRequest) -> bool {
    r.header("authorization") == Some(&format!("Bearer {ACCESS_TOKEN}"))
}

impl ConformanceMock for OneLoginApi {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let base = server.base_url();
        let saml = ctx.saml_response().to_string();
        let saml_after_code = saml.clone();
        let (user, password, code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();

        server.route("POST", "/auth/oauth2/v2/token", |r| {
            if r.header("authorization") != Some(&format!("Basic {TOKEN}")) {
                return refusal(401, "Authentication Failure");
            }
            MockResponse::json(
                json!({"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 36000,
                       "account_id": 555555, "created_at": "2026-01-15T10:00:00.000Z"})
                .to_string(),
            )
        });
        server.route("POST", "/api/2/saml_assertion", move |r| {
            let b = body(r);
            if !bearer(r) || b["app_id"] != "1234567" {
                return refusal(400, "Invalid request");
            }
            if b["username_or_email"] != user || b["password"] != password {
                return refusal(401, "Authentication Failed: Invalid user credentials");
            }
            if !mfa {
                return MockResponse::json(json!({"data": saml, "message": "Success"}).to_string());
            }
            MockResponse::json(
                json!({
                    "state_token": STATE_TOKEN,
                    "message": "MFA is required for this user",
                    "devices": [{"device_id": 666666, "device_type": "Google Authenticator"}],
                    "callback_url": format!("{base}/api/2/saml_assertion/verify_factor"),
                    "user": {"id": 88888888, "username": user, "email": user}
                })
                .to_string(),
            )
        });
        server.route("GET", "/api/2/mfa/users/88888888/devices", |_| {
            MockResponse::json(
                json!([{"device_id": "666666", "user_display_name": "Authenticator",
                        "type_display_name": "Authenticator",
                        "auth_factor_name": "Google Authenticator", "default": true}])
                .to_string(),
            )
        });
        server.route("POST", "/api/2/saml_assertion/verify_factor", move |r| {
            let b = body(r);
            if !bearer(r) || b["state_token"] != STATE_TOKEN || b["device_id"] != "666666" {
                return refusal(400, "Invalid request");
            }
            if b["otp_token"] == code {
                MockResponse::json(
                    json!({"data": saml_after_code, "message": "Success"}).to_string(),
                )
            } else {
                refusal(401, "Failed authentication with this factor")
            }
        });
        server.url(&format!(
            "/trust/saml2/launch/fake-portal-0001?app_id=1234567&token={TOKEN}"
        ))
    }
}

#[tokio::test]
async fn onelogin_passes_every_conformance_scenario() {
    let report = conformance(onelogin(), &OneLoginApi).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

/// The OIDC suite's provider signs users in on an HTML login page; OneLogin's OIDC login goes
/// through its API instead (covered by the `oidc-*` fixture cases).
struct ApiLoginOnly;

const API_LOGIN: &str = "onelogin signs in through its api (login/auth, session_via_api_token), not the html login page of the suite's provider; the oidc-* replay cases cover these";

impl OidcConformanceMock for ApiLoginOnly {
    fn skip(&self, _scenario: OidcScenario) -> Option<&'static str> {
        Some(API_LOGIN)
    }
}

#[tokio::test]
async fn onelogin_names_why_it_skips_the_oidc_suite() {
    let report = oidc_conformance(onelogin(), &ApiLoginOnly).await;
    assert!(report.passed.is_empty());
    assert_eq!(
        report.skipped,
        OidcScenario::ALL
            .iter()
            .map(|s| (*s, API_LOGIN))
            .collect::<Vec<_>>()
    );
}
