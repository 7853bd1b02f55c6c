//! The shared conformance suite, against a mock Okta Classic org: the embed link, the
//! organization endpoint, `/api/v1/authn` and one TOTP factor, answering the authn API's JSON
//! (success, `MFA_REQUIRED`, `E0000004`, `E0000068`) and the suite's own SAML auto-post page.

use crate::okta;
use aws_runas_idp_testkit::{
    ConformanceMock, MockRequest, MockResponse, Scenario, ScenarioContext, conformance,
};
use serde_json::{Value, json};

const START: &str = "/home/amazon_aws/0oa1fake0001/272";
const FACTOR: &str = "/api/v1/authn/factors/uft1fake0001/verify";
const SESSION_TOKEN: &str = "fake-session-token-0001";
const STATE_TOKEN: &str = "fake-state-token-0001";

/// A mock Okta Classic org.
struct OktaMock;

fn body(r: &MockRequest) -> Value {
    serde_json::from_str(r.body()).unwrap_or(Value::Null)
}

fn api_error(status: u16, code: &str, summary: &str) -> MockResponse {
    MockResponse::json(
        json!({"errorCode": code, "errorSummary": summary, "errorLink": code,
               "errorId": "oaefake0001", "errorCauses": []})
        .to_string(),
    )
    .with_status(status)
}

impl ConformanceMock for OktaMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let base = server.base_url();
        let saml = ctx.auto_post_page().to_string();
        let (user, password, code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();

        server.route("GET", START, move |r| {
            if r.query_param("sessionToken").as_deref() == Some(SESSION_TOKEN) {
                MockResponse::html(saml.clone())
            } else {
                MockResponse::redirect(
                    "/login/login.htm?fromURI=%2Fhome%2Famazon_aws%2F0oa1fake0001%2F272",
                )
            }
        });
        server.route("GET", "/login/login.htm", |_| {
            MockResponse::html("<!DOCTYPE html><html><head><title>Example - Sign In</title></head><body><div id=\"okta-sign-in\"></div></body></html>")
                .header("X-Okta-Request-Id", "fake-request-0001")
        });
        server.route("GET", "/.well-known/okta-organization", |_| {
            MockResponse::json(r#"{"id":"00ofake0001","pipeline":"v1","settings":{}}"#)
        });
        let factor_href = format!("{base}{FACTOR}");
        server.route("POST", "/api/v1/authn", move |r| {
            let b = body(r);
            if b["username"] != user || b["password"] != password {
                return api_error(401, "E0000004", "Authentication failed");
            }
            if !mfa {
                return MockResponse::json(
                    json!({"status": "SUCCESS", "sessionToken": SESSION_TOKEN}).to_string(),
                );
            }
            MockResponse::json(
                json!({
                    "stateToken": STATE_TOKEN,
                    "status": "MFA_REQUIRED",
                    "_embedded": {"factors": [{
                        "id": "uft1fake0001",
                        "factorType": "token:software:totp",
                        "provider": "GOOGLE",
                        "_links": {"verify": {"href": factor_href, "hints": {"allow": ["POST"]}}}
                    }]}
                })
                .to_string(),
            )
        });
        server.route("POST", FACTOR, move |r| {
            let b = body(r);
            if b["stateToken"] != STATE_TOKEN {
                return api_error(401, "E0000011", "Invalid token provided");
            }
            if b["passCode"] == code {
                MockResponse::json(
                    json!({"status": "SUCCESS", "sessionToken": SESSION_TOKEN}).to_string(),
                )
            } else {
                api_error(403, "E0000068", "Invalid Passcode/Answer")
            }
        });
        server.url(START)
    }
}

#[tokio::test]
async fn okta_passes_every_conformance_scenario() {
    let report = conformance(okta(), &OktaMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}
