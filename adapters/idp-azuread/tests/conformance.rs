//! The shared conformance suite, against a mock Azure AD: the My Apps link redirects to the
//! sign-in page, the user name and then the password are posted to `urlPost`, the authenticator
//! app's code goes through `BeginAuth`/`EndAuth` when the scenario asks for a second factor,
//! "stay signed in?" is asked after a password-only login, and the application launch ends in the
//! suite's own SAML auto-post page.

use crate::azuread;
use aws_runas_idp_testkit::{
    ConformanceMock, MockResponse, Scenario, ScenarioContext, conformance,
};
use serde_json::{Value, json};

const START: &str = "/signin/conformance-app";
const AUTHORIZE: &str = "/conformance-tenant/oauth2/authorize";
const LOGIN: &str = "/conformance-tenant/login";
const SAML: &str = "/conformance-tenant/saml2";

/// An Azure AD page carrying `config` as its `$Config`.
fn config_page(config: Value) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>Sign in to your account</title>\n<script type=\"text/javascript\">//<![CDATA[\n$Config={config};\n//]]></script>\n</head><body></body></html>\n"
    )
}

fn sign_in(n: u32, extra: Value) -> String {
    let mut config = json!({
        "pgid": "ConvergedSignIn",
        "urlPost": LOGIN,
        "sFT": format!("conformance-flow-{n}"),
        "sFTName": "flowToken",
        "sCtx": format!("conformance-ctx-{n}"),
        "canary": "conformance-canary",
        "sErrorCode": "",
    });
    if let (Value::Object(c), Value::Object(e)) = (&mut config, extra) {
        c.extend(e);
    }
    config_page(config)
}

fn hidden_form(action: &str, fields: &[(&str, &str)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(n, v)| format!("<input type=\"hidden\" name=\"{n}\" value=\"{v}\" />"))
        .collect();
    format!(
        "<html><head><title>Working...</title></head><body><form method=\"POST\" name=\"hiddenform\" action=\"{action}\">{inputs}<noscript><input type=\"submit\" value=\"Submit\" /></noscript></form></body></html>"
    )
}

/// A mock Azure AD and My Apps on one server.
struct AzureAdMock;

impl ConformanceMock for AzureAdMock {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        let server = ctx.server();
        let base = server.base_url();
        let (user, password, code) = (ctx.username(), ctx.password(), ctx.mfa_code());
        let mfa = ctx.requires_mfa();
        let saml = ctx.auto_post_page().to_string();

        let launch = format!(
            "<html><body><script>window.location = '{base}{SAML}?SAMLRequest=conformance-request\\u0026RelayState=x';</script></body></html>"
        );
        server.route("GET", START, move |r| {
            if r.cookie("MyAppsSession").is_some() {
                MockResponse::html(launch.clone())
            } else {
                MockResponse::redirect(format!("{AUTHORIZE}?client_id=conformance"))
            }
        });
        server.route("GET", AUTHORIZE, |_| {
            MockResponse::html(sign_in(1, json!({})))
                .header("x-ms-request-id", "00000000-conformance-0001")
        });
        server.route("POST", LOGIN, move |r| {
            let login = r.form_value("login");
            let Some(given) = r.form_value("passwd") else {
                return if login.as_deref() == Some(user) && r.form_value("flowToken").as_deref() == Some("conformance-flow-1") {
                    MockResponse::html(sign_in(
                        2,
                        json!({"sPOST_Username": user, "oGetCredTypeResult": {"IfExistsResult": 0, "Credentials": {"HasPassword": true, "PrefCredential": 1}}}),
                    ))
                } else {
                    MockResponse::html(sign_in(1, json!({"sErrorCode": "50034"})))
                };
            };
            let ok = given == password
                && login.as_deref() == Some(user)
                && r.form_value("flowToken").as_deref() == Some("conformance-flow-2");
            if !ok {
                return MockResponse::html(sign_in(
                    3,
                    json!({"sErrorCode": "50126", "sErrTxt": "Your account or password is incorrect."}),
                ));
            }
            if mfa {
                return MockResponse::html(config_page(json!({
                    "pgid": "ConvergedTFA",
                    "urlPost": "/common/SAS/ProcessAuth",
                    "urlBeginAuth": "/common/SAS/BeginAuth",
                    "urlEndAuth": "/common/SAS/EndAuth",
                    "sFT": "conformance-flow-3",
                    "sFTName": "flowToken",
                    "sCtx": "conformance-ctx-3",
                    "arrUserProofs": [{"authMethodId": "PhoneAppOTP", "display": "Authenticator app", "isDefault": true}],
                    "oPerAuthPollingInterval": {"PhoneAppOTP": 1},
                })));
            }
            MockResponse::html(config_page(json!({
                "pgid": "KmsiInterrupt",
                "urlPost": "/kmsi",
                "sFT": "conformance-flow-4",
                "sFTName": "flowToken",
                "sCtx": "conformance-ctx-4",
                "sErrorCode": "50058",
            })))
            .cookie("ESTSAUTH", "conformance-session")
        });
        server.route("POST", "/common/SAS/BeginAuth", |r| {
            let body: Value = serde_json::from_str(r.body()).unwrap_or_default();
            MockResponse::json(
                json!({
                    "Success": body["Method"] == "BeginAuth" && body["FlowToken"] == "conformance-flow-3",
                    "ResultValue": "Success",
                    "AuthMethodId": body["AuthMethodId"],
                    "ErrCode": 0,
                    "Retry": false,
                    "FlowToken": "conformance-mfa-flow-1",
                    "Ctx": "conformance-mfa-ctx-1",
                    "SessionId": "conformance-mfa-session",
                })
                .to_string(),
            )
        });
        server.route("POST", "/common/SAS/EndAuth", move |r| {
            let body: Value = serde_json::from_str(r.body()).unwrap_or_default();
            let right = body["AdditionalAuthData"] == code
                && body["SessionId"] == "conformance-mfa-session";
            MockResponse::json(
                json!({
                    "Success": right,
                    "ResultValue": if right { "Success" } else { "OathCodeIncorrect" },
                    "AuthMethodId": "PhoneAppOTP",
                    "ErrCode": if right { 0 } else { 500_121 },
                    "Retry": !right,
                    "FlowToken": "conformance-mfa-flow-2",
                    "Ctx": "conformance-mfa-ctx-2",
                    "SessionId": "conformance-mfa-session",
                })
                .to_string(),
            )
        });
        let oidc_post = hidden_form(
            &format!("{base}/signin-oidc"),
            &[("code", "conformance-code"), ("state", "conformance-state")],
        );
        let after_mfa = oidc_post.clone();
        server.route("POST", "/common/SAS/ProcessAuth", move |r| {
            if r.form_value("flowToken").as_deref() == Some("conformance-mfa-flow-2") {
                MockResponse::html(after_mfa.clone()).cookie("ESTSAUTH", "conformance-session")
            } else {
                MockResponse::html("<html>bad ProcessAuth</html>").with_status(400)
            }
        });
        server.route("POST", "/kmsi", move |r| {
            if r.form_value("LoginOptions").as_deref() == Some("1") {
                MockResponse::html(oidc_post.clone())
            } else {
                MockResponse::html("<html>bad kmsi</html>").with_status(400)
            }
        });
        server.route("POST", "/signin-oidc", |_| {
            MockResponse::redirect(START).cookie("MyAppsSession", "conformance-myapps")
        });
        server.route("GET", SAML, move |r| {
            if r.cookie("ESTSAUTH").is_some() && r.query_param("SAMLRequest").is_some() {
                MockResponse::html(saml.clone())
            } else {
                MockResponse::html(sign_in(1, json!({})))
            }
        });
        server.url(&format!("{START}?tenantId=conformance-tenant"))
    }
}

#[tokio::test]
async fn azuread_passes_every_conformance_scenario() {
    let report = conformance(azuread(), &AzureAdMock).await;
    assert_eq!(report.passed, Scenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}
