//! `authenticate()`: the sign-in another adapter asks for (a federated user handed over), which
//! leaves the Okta session in the shared cookie jar instead of asking for an AWS assertion.

use crate::okta;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{HttpSettings, IdpDeps, IdpSettings};
use aws_runas_idp_testkit::{MockResponse, MockServer, ScriptedPrompter};
use std::sync::Arc;
use std::time::Duration;

const WSFED: &str = "/app/office365/0oafakewsfed01/sso/wsfed/passive";

#[tokio::test]
async fn a_classic_sign_in_ends_with_a_session_cookie_in_the_jar() {
    let server = MockServer::start();
    server.route("GET", WSFED, |r| {
        if r.cookie("sid").as_deref() == Some("fake-okta-sid-0001") {
            MockResponse::html("<html><body><form method=\"post\" action=\"https://login.microsoftonline.com/login.srf\"><input type=\"hidden\" name=\"wresult\" value=\"fake\"></form></body></html>")
        } else {
            MockResponse::redirect("/login/login.htm?fromURI=%2Fapp%2Foffice365")
        }
    });
    server.route("GET", "/login/login.htm", |_| {
        MockResponse::html(
            "<html><head><title>Example - Sign In</title></head><body></body></html>",
        )
    });
    server.route("GET", "/.well-known/okta-organization", |_| {
        MockResponse::json(r#"{"id":"00ofake0001","pipeline":"v1"}"#)
    });
    server.route("POST", "/api/v1/authn", |_| {
        MockResponse::json(r#"{"status":"SUCCESS","sessionToken":"fake-session-token-0001"}"#)
    });
    server.route("GET", "/login/sessionCookieRedirect", |r| {
        if r.query_param("token").as_deref() != Some("fake-session-token-0001") {
            return MockResponse::new(403);
        }
        let back = r.query_param("redirectUrl").unwrap_or_default();
        MockResponse::redirect(back).set_cookie("sid=fake-okta-sid-0001; Path=/; HttpOnly")
    });

    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join(".aws_runas.cookies");
    let prompter = Arc::new(ScriptedPrompter::new().secret("fake-password-0001"));
    let deps = IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
        HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: Some(jar.clone()),
        },
    );
    let settings = IdpSettings::from_pairs([
        (
            IdpSettings::URL,
            server.url(&format!("{WSFED}?wa=wsignin1.0")),
        ),
        (IdpSettings::USERNAME, "jane.doe@example.test".to_string()),
    ]);
    let adapter = okta().build(&settings, deps).unwrap();
    adapter.authenticate().await.unwrap();
    prompter.assert_finished();

    let exchange = server.requests_to("GET", "/login/sessionCookieRedirect");
    assert_eq!(exchange.len(), 1);
    assert_eq!(
        exchange[0].query_param("redirectUrl"),
        Some(server.url(&format!("{WSFED}?wa=wsignin1.0")))
    );
    let jar_text = std::fs::read_to_string(&jar).unwrap();
    assert!(jar_text.contains("fake-okta-sid-0001"), "{jar_text}");
    assert_eq!(server.requests_to("POST", "/api/v1/authn").len(), 1);
}
