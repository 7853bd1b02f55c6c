//! The shared conformance suites, against a small emulator of ForgeRock AM (written from
//! ForgeRock's REST documentation, see `fixtures/idp/forgerock/SOURCES.md`): the IdP-initiated
//! SSO of the hosted IdP, the realm's `authenticate` endpoint with zero page login, an OATH code
//! stage (a tree with a retry limit: a wrong code brings the stage back) and the session cookie.

use crate::forgerock;
use aws_runas_idp_testkit::{
    ConformanceMock, MockRequest, MockResponse, OidcConformanceMock, OidcScenario, Scenario,
    ScenarioContext, conformance, oidc_conformance,
};
use serde_json::{Value, json};

const AUTHENTICATE: &str = "/am/json/realms/root/realms/alpha/authenticate";
const SESSION: &str = "fake-sso-token-0001";

struct AmMock;

fn stage() -> MockResponse {
    MockResponse::json(
        json!({"authId": "fake-auth-id-0001", "stage": "OATH1", "callbacks": [
            {"type": "PasswordCallback",
             "output": [{"name": "prompt", "value": "Enter verification code:"}],
             "input": [{"name": "IDToken1", "value": ""}]},
            {"type": "ConfirmationCallback", "output": [],
             "input": [{"name": "IDToken2", "value": 0}]}
        ]})
        .to_string(),
    )
}

fn session() -> MockResponse {
    MockResponse::json(
        json!({"tokenId": SESSION, "successUrl": "/am/console", "realm": "/alpha"}).to_string(),
    )
    .set_cookie(format!("iPlanetDirectoryPro={SESSION}; Path=/; HttpOnly"))
}

fn version(r: &MockRequest) -> bool {
    r.header("accept-api-version") == Some("resource=2.0, protocol=1.0")
}

impl ConformanceMock for AmMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let page = ctx.auto_post_page().to_string();
        let (user, password, code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();
        server.route("GET", "/am/idpssoinit", move |r| {
            let meta = r.query_param("metaAlias").as_deref() == Some("/alpha/saml-idp");
            if meta && r.cookie("iPlanetDirectoryPro").as_deref() == Some(SESSION) {
                MockResponse::html(page.clone())
            } else {
                MockResponse::redirect("/am/XUI/?realm=/alpha#login")
            }
        });
        server.route("GET", "/am/XUI/", |_| {
            MockResponse::html(
                "<!DOCTYPE html><html><body><div id=\"wrapper\">Loading...</div></body></html>",
            )
        });
        server.route("POST", AUTHENTICATE, move |r| {
            let unauthorized = || {
                MockResponse::json(
                    json!({"code": 401, "reason": "Unauthorized", "message": "Authentication Failed"})
                        .to_string(),
                )
                .with_status(401)
            };
            if !version(r) {
                return MockResponse::new(400);
            }
            if let Some(name) = r.header("x-openam-username") {
                if name != user || r.header("x-openam-password") != Some(password) {
                    return unauthorized();
                }
                return if mfa { stage() } else { session() };
            }
            let body: Value = serde_json::from_str(r.body()).unwrap_or(Value::Null);
            if body["authId"] != "fake-auth-id-0001" {
                return unauthorized();
            }
            if body["callbacks"][0]["input"][0]["value"] == code {
                session()
            } else {
                stage()
            }
        });
        server.url(AUTHENTICATE)
    }
}

#[tokio::test]
async fn forgerock_passes_every_conformance_scenario() {
    let report = conformance(forgerock(), &AmMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

/// The OIDC suite's provider signs users in on an HTML login page; AM's login is its
/// `authenticate` REST API instead (covered by the `oidc-*` replay cases).
struct RestLoginOnly;

const REST_LOGIN: &str = "forgerock signs in through its authenticate rest api, not the html login page of the suite's provider; the oidc-* replay cases cover these";

impl OidcConformanceMock for RestLoginOnly {
    fn skip(&self, _scenario: OidcScenario) -> Option<&'static str> {
        Some(REST_LOGIN)
    }
}

#[tokio::test]
async fn forgerock_names_why_it_skips_the_oidc_suite() {
    let report = oidc_conformance(forgerock(), &RestLoginOnly).await;
    assert!(report.passed.is_empty());
    assert_eq!(
        report.skipped,
        OidcScenario::ALL
            .iter()
            .map(|s| (*s, REST_LOGIN))
            .collect::<Vec<_>>()
    );
}
