//! OIDC through an Okta authorization server: the shared OIDC conformance suite on a mock laid out
//! like `<org>/oauth2/default`, and Okta's own ways to the redirect — an Okta session already in
//! the cookie jar, the authn API's session token on the authorization request (`sessionToken`),
//! the org authorization server's issuer, and a token signed with another key.

use crate::okta;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdToken, IdpDeps, IdpError, IdpErrorKind, IdpSettings, OidcRequest, Protocol,
};
use aws_runas_idp_testkit::{
    MockOidc, MockOidcConfig, MockResponse, MockServer, OidcConformanceMock, OidcScenario,
    PASSWORD, ScriptedPrompter, TIMEOUT, TokenSigning, USERNAME, WRONG_PASSWORD, oidc_conformance,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const AS_PATH: &str = "/oauth2/default";
const SESSION_TOKEN: &str = "fake-oidc-session-token-0001";
const CODE: &str = "fake-okta-code-0001";

/// The mock provider laid out like an Okta custom authorization server.
fn okta_layout() -> MockOidcConfig {
    MockOidcConfig {
        issuer_path: AS_PATH.into(),
        authorize_path: format!("{AS_PATH}/v1/authorize"),
        token_path: format!("{AS_PATH}/v1/token"),
        jwks_path: format!("{AS_PATH}/v1/keys"),
        device_path: format!("{AS_PATH}/v1/device/authorize"),
        ..MockOidcConfig::new()
    }
}

struct OktaOidc;

impl OidcConformanceMock for OktaOidc {
    fn config(&self, _: OidcScenario) -> MockOidcConfig {
        okta_layout()
    }
}

#[tokio::test]
async fn okta_declares_oidc_and_passes_every_oidc_scenario() {
    assert!(okta().protocols().contains(&Protocol::Oidc));
    assert!(okta().protocols().contains(&Protocol::Saml));
    let report = oidc_conformance(okta(), &OktaOidc).await;
    assert_eq!(report.passed, OidcScenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

/// One login's surroundings: the prompter, the cookie jar's directory and the client's server.
struct Run {
    prompter: Arc<ScriptedPrompter>,
    client: MockServer,
    _dir: tempfile::TempDir,
    deps: IdpDeps,
}

fn run(prompter: ScriptedPrompter, dir: tempfile::TempDir, now: Timestamp) -> Run {
    let prompter = Arc::new(prompter);
    let deps = IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(now)),
        HttpSettings {
            timeout: TIMEOUT,
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: Some(dir.path().join(".aws_runas.cookies")),
        },
    );
    Run {
        prompter,
        client: MockServer::start(),
        _dir: dir,
        deps,
    }
}

async fn login(url: &str, r: &Run, client_id: &str) -> Result<IdToken, IdpError> {
    let settings = IdpSettings::from_pairs([
        (IdpSettings::URL.to_string(), url.to_string()),
        (IdpSettings::USERNAME.to_string(), USERNAME.to_string()),
    ]);
    let adapter = okta().build(&settings, r.deps.clone()).unwrap();
    adapter
        .oidc_token(&OidcRequest {
            client_id: client_id.to_string(),
            redirect_uri: r.client.url("/callback"),
            scopes: vec!["profile".into()],
        })
        .await
}

#[tokio::test]
async fn an_okta_session_in_the_cookie_jar_skips_the_sign_in() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, okta_layout());
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().to_path_buf();
    let first = run(
        ScriptedPrompter::new().secret(PASSWORD),
        dir,
        oidc.config().now,
    );
    let url = server.url(AS_PATH);
    let token = login(&url, &first, oidc.client_id()).await.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        oidc.issued_id_tokens().last().map(String::as_str)
    );
    first.prompter.assert_finished();

    // Same cookie jar, no answers scripted: nothing may be asked, no password posted.
    let again = tempfile::tempdir().unwrap();
    std::fs::copy(
        jar.join(".aws_runas.cookies"),
        again.path().join(".aws_runas.cookies"),
    )
    .unwrap();
    let second = run(ScriptedPrompter::new(), again, oidc.config().now);
    let token = login(&url, &second, oidc.client_id()).await.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        oidc.issued_id_tokens().last().map(String::as_str)
    );
    assert_eq!(oidc.password_attempts(), 1);
    assert_eq!(oidc.redeemed_codes(), 2);
    assert!(second.prompter.labels().is_empty());
    assert!(second.client.requests().is_empty());
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, okta_layout());
    oidc.set_signing(TokenSigning::OtherKey);
    let r = run(
        ScriptedPrompter::new().secret(PASSWORD),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    let e = login(&server.url(AS_PATH), &r, oidc.client_id())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    assert!(e.to_string().contains("signature"), "{e}");
}

/// What the mock Classic org remembers of the authorization request.
#[derive(Default)]
struct Grant {
    nonce: Option<String>,
    state: Option<String>,
}

/// A Classic org whose authorization server shows the sign-in widget (no form) and accepts the
/// authn API's session token on the authorization request; `org_server` lays it out as the org
/// authorization server (`/oauth2`, issuer = the org) instead of `/oauth2/default`; without
/// `discovery_doc` the adapter must fall back on Okta's known paths.
fn classic_org(server: &MockServer, org_server: bool, discovery_doc: bool) -> (MockOidc, String) {
    let base = server.base_url();
    let as_path = if org_server { "/oauth2" } else { AS_PATH };
    let issuer = if org_server {
        base.clone()
    } else {
        format!("{base}{as_path}")
    };
    let discovery = if org_server {
        "/.well-known/openid-configuration".to_string()
    } else {
        format!("{as_path}/.well-known/openid-configuration")
    };
    let doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}{as_path}/v1/authorize"),
        "token_endpoint": format!("{base}{as_path}/v1/token"),
        "jwks_uri": format!("{base}{as_path}/v1/keys"),
    })
    .to_string();
    // The testkit's provider only signs the tokens and serves the keys here.
    let oidc = MockOidc::install(
        server,
        MockOidcConfig {
            issuer_path: if org_server {
                String::new()
            } else {
                as_path.into()
            },
            authorize_path: "/unused/authorize".into(),
            token_path: "/unused/token".into(),
            jwks_path: format!("{as_path}/v1/keys"),
            device_path: "/unused/device".into(),
            discovery: false,
            ..MockOidcConfig::new()
        },
    );
    // Replaces the testkit's own (404) discovery route.
    if discovery_doc {
        server.route("GET", &discovery, move |_| MockResponse::json(doc.clone()));
    }
    let grant = Arc::new(Mutex::new(Grant::default()));
    let g = grant.clone();
    server.route("GET", &format!("{as_path}/v1/authorize"), move |r| {
        if r.query_param("sessionToken").as_deref() != Some(SESSION_TOKEN) {
            return MockResponse::html(
                "<!DOCTYPE html><html><head><title>Example - Sign In</title></head><body><div id=\"okta-sign-in\"></div></body></html>",
            )
            .header("X-Okta-Request-Id", "fake-request-0002");
        }
        let mut g = g.lock().unwrap();
        g.nonce = r.query_param("nonce");
        g.state = r.query_param("state");
        MockResponse::redirect(format!(
            "{}?code={CODE}&state={}",
            r.query_param("redirect_uri").unwrap_or_default(),
            g.state.clone().unwrap_or_default()
        ))
    });
    let minter = oidc.clone();
    server.route("POST", &format!("{as_path}/v1/token"), move |r| {
        if r.form_value("code").as_deref() != Some(CODE)
            || r.form_value("code_verifier").is_none_or(|v| v.len() != 43)
        {
            return MockResponse::json(r#"{"error":"invalid_grant"}"#).with_status(400);
        }
        let nonce = grant.lock().unwrap().nonce.clone();
        MockResponse::json(
            json!({"token_type": "Bearer", "id_token": minter.mint_id_token(nonce.as_deref())})
                .to_string(),
        )
    });
    server.route("POST", "/api/v1/authn", |r| {
        let b: Value = serde_json::from_str(r.body()).unwrap_or(Value::Null);
        if b["username"] == USERNAME && b["password"] == PASSWORD {
            MockResponse::json(
                json!({"status": "SUCCESS", "sessionToken": SESSION_TOKEN}).to_string(),
            )
        } else {
            MockResponse::json(
                json!({"errorCode": "E0000004", "errorSummary": "Authentication failed"})
                    .to_string(),
            )
            .with_status(401)
        }
    });
    (oidc, format!("{base}{as_path}"))
}

#[tokio::test]
async fn a_classic_org_signs_in_through_authn_and_passes_the_session_token() {
    for (org_server, discovery_doc) in [(false, true), (true, true), (false, false)] {
        let server = MockServer::start();
        let (oidc, url) = classic_org(&server, org_server, discovery_doc);
        let r = run(
            ScriptedPrompter::new().secret(PASSWORD),
            tempfile::tempdir().unwrap(),
            oidc.config().now,
        );
        let token = login(&url, &r, oidc.client_id()).await.unwrap();
        assert_eq!(
            Some(token.0.expose()),
            oidc.issued_id_tokens().last().map(String::as_str)
        );
        assert_eq!(server.requests_to("POST", "/api/v1/authn").len(), 1);
        let with_token: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|q| q.query_param("sessionToken").is_some())
            .collect();
        assert_eq!(with_token.len(), 1, "org server: {org_server}");
        assert_eq!(
            with_token[0]
                .query_param("code_challenge_method")
                .as_deref(),
            Some("S256")
        );
        let keys = if org_server {
            "/oauth2/v1/keys"
        } else {
            "/oauth2/default/v1/keys"
        };
        // The signature is checked exactly when the discovery document names the keys.
        assert_eq!(
            !server.requests_to("GET", keys).is_empty(),
            discovery_doc,
            "org server: {org_server}, discovery: {discovery_doc}"
        );
        assert!(r.client.requests().is_empty());
        r.prompter.assert_finished();
    }
}

#[tokio::test]
async fn a_refused_password_on_a_classic_org_is_not_retried() {
    let server = MockServer::start();
    let (oidc, url) = classic_org(&server, false, true);
    let r = run(
        ScriptedPrompter::new().secret(WRONG_PASSWORD),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    let e = login(&url, &r, oidc.client_id()).await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
    assert!(!e.to_string().contains(WRONG_PASSWORD));
    assert_eq!(server.requests_to("POST", "/api/v1/authn").len(), 1);
    assert!(oidc.issued_id_tokens().is_empty());
    r.prompter.assert_finished();
}
