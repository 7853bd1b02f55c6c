//! OIDC through the Microsoft identity platform's v2.0 endpoints: the shared OIDC conformance
//! suite on a mock laid out like `login.microsoftonline.com/<tenant>`, and Azure AD's own ways —
//! a session still in the cookie jar, the `$Config` sign-in page at the authorization endpoint,
//! a tenant named by its domain whose discovery document names its id, a tenant without a
//! discovery document, and a redirect URI of a custom scheme.

use crate::azuread;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdToken, IdpDeps, IdpError, IdpErrorKind, IdpSettings, OidcRequest, Protocol,
};
use aws_runas_idp_testkit::{
    LoginPage, MockOidc, MockOidcConfig, MockResponse, MockServer, OidcConformanceMock,
    OidcScenario, PASSWORD, ScriptedPrompter, TIMEOUT, USERNAME, WRONG_PASSWORD, oidc_conformance,
};
use serde_json::json;
use std::sync::Arc;

const TENANT: &str = "fake-tenant-0001";

/// The mock provider laid out like the v2.0 endpoints of `tenant`.
fn layout(tenant: &str) -> MockOidcConfig {
    MockOidcConfig {
        issuer_path: format!("/{tenant}/v2.0"),
        authorize_path: format!("/{tenant}/oauth2/v2.0/authorize"),
        token_path: format!("/{tenant}/oauth2/v2.0/token"),
        jwks_path: format!("/{tenant}/discovery/v2.0/keys"),
        device_path: format!("/{tenant}/oauth2/v2.0/devicecode"),
        ..MockOidcConfig::new()
    }
}

struct AzureOidc;

impl OidcConformanceMock for AzureOidc {
    fn config(&self, _: OidcScenario) -> MockOidcConfig {
        layout(TENANT)
    }

    /// The documented form, `https://login.microsoftonline.com/<tenant>/oauth2/v2.0`, which the
    /// original tool could not be built from.
    fn url(&self, oidc: &MockOidc) -> String {
        format!("{}/oauth2/v2.0", oidc.issuer().trim_end_matches("/v2.0"))
    }
}

#[tokio::test]
async fn azuread_declares_oidc_and_passes_every_oidc_scenario() {
    assert!(azuread().protocols().contains(&Protocol::Oidc));
    assert!(azuread().protocols().contains(&Protocol::Saml));
    let report = oidc_conformance(azuread(), &AzureOidc).await;
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

async fn login_to(
    url: &str,
    r: &Run,
    client_id: &str,
    redirect_uri: &str,
) -> Result<IdToken, IdpError> {
    let settings = IdpSettings::from_pairs([
        (IdpSettings::URL.to_string(), url.to_string()),
        (IdpSettings::USERNAME.to_string(), USERNAME.to_string()),
    ]);
    let adapter = azuread().build(&settings, r.deps.clone()).unwrap();
    adapter
        .oidc_token(&OidcRequest {
            client_id: client_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            scopes: vec!["profile".into()],
        })
        .await
}

async fn login(url: &str, r: &Run, client_id: &str) -> Result<IdToken, IdpError> {
    login_to(url, r, client_id, &r.client.url("/callback")).await
}

fn issued_last(oidc: &MockOidc, token: &IdToken) -> bool {
    oidc.issued_id_tokens().last().map(String::as_str) == Some(token.0.expose())
}

#[tokio::test]
async fn an_azure_ad_session_in_the_cookie_jar_skips_the_sign_in() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, layout(TENANT));
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().to_path_buf();
    let first = run(
        ScriptedPrompter::new().secret(PASSWORD),
        dir,
        oidc.config().now,
    );
    let url = oidc.issuer();
    let token = login(&url, &first, oidc.client_id()).await.unwrap();
    assert!(issued_last(&oidc, &token));
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
    assert!(issued_last(&oidc, &token));
    assert_eq!(oidc.password_attempts(), 1);
    assert_eq!(oidc.redeemed_codes(), 2);
    assert!(second.prompter.labels().is_empty());
    assert!(second.client.requests().is_empty());
    assert!(first.client.requests().is_empty());
}

/// Azure AD's converged sign-in page, as the authorization endpoint shows it: no form in the
/// HTML, only the `$Config` the page's script renders (the markup of `fixtures/idp/azuread/`).
fn converged_sign_in(page: &LoginPage<'_>) -> String {
    let config = json!({
        "pgid": "ConvergedSignIn",
        "urlPost": page.action,
        "sFT": "fake-flow-token-0001",
        "sFTName": "flowToken",
        "sCtx": "fake-ctx-0001",
        "canary": "fake-canary-0001",
    });
    format!(
        "<!DOCTYPE html><html dir=\"ltr\" lang=\"en\"><head><title>Sign in to your account</title>\
<script type=\"text/javascript\">//<![CDATA[\n$Config={config};\n//]]></script></head>\
<body><div id=\"lightbox\"></div></body></html>"
    )
}

fn converged_layout() -> MockOidcConfig {
    MockOidcConfig {
        username_field: "login".into(),
        password_field: "passwd".into(),
        login_page: Arc::new(converged_sign_in),
        ..layout(TENANT)
    }
}

#[tokio::test]
async fn the_converged_sign_in_page_gets_the_user_name_then_the_password_once() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, converged_layout());
    let r = run(
        ScriptedPrompter::new().secret(PASSWORD),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    let token = login(&oidc.issuer(), &r, oidc.client_id()).await.unwrap();
    assert!(issued_last(&oidc, &token));
    let posts = server.requests_to("POST", &oidc.config().authorize_path);
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].form_value("login").as_deref(), Some(USERNAME));
    assert_eq!(
        posts[0].form_value("flowToken").as_deref(),
        Some("fake-flow-token-0001")
    );
    assert_eq!(posts[0].form_value("passwd"), None);
    assert_eq!(posts[1].form_value("passwd").as_deref(), Some(PASSWORD));
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|q| q.contains(PASSWORD))
            .count(),
        1
    );
    assert!(r.client.requests().is_empty());
    r.prompter.assert_finished();
}

#[tokio::test]
async fn a_refused_password_on_the_converged_page_is_not_retried() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, converged_layout());
    let r = run(
        ScriptedPrompter::new().secret(WRONG_PASSWORD),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    let e = login(&oidc.issuer(), &r, oidc.client_id())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
    assert!(!e.to_string().contains(WRONG_PASSWORD), "{e}");
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|q| q.contains(WRONG_PASSWORD))
            .count(),
        1
    );
    assert!(oidc.issued_id_tokens().is_empty());
    r.prompter.assert_finished();
}

/// A tenant named by its domain: its discovery document names the tenant by id, as Azure AD's do.
#[tokio::test]
async fn a_tenant_named_by_its_domain_takes_the_issuer_of_its_discovery_document() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, layout(TENANT));
    let doc = json!({
        "issuer": oidc.issuer(),
        "authorization_endpoint": oidc.authorize_url(),
        "token_endpoint": oidc.token_url(),
        "jwks_uri": oidc.jwks_url(),
    })
    .to_string();
    server.route(
        "GET",
        "/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        move |_| MockResponse::json(doc.clone()),
    );
    let r = run(
        ScriptedPrompter::new().secret(PASSWORD),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    let url = server.url("/contoso.onmicrosoft.com/oauth2/v2.0");
    let token = login(&url, &r, oidc.client_id()).await.unwrap();
    assert!(issued_last(&oidc, &token));
    // The signature was checked against the tenant's keys.
    assert!(
        !server
            .requests_to("GET", &oidc.config().jwks_path)
            .is_empty()
    );
    r.prompter.assert_finished();
}

#[tokio::test]
async fn a_discovery_document_naming_another_host_is_refused() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, layout(TENANT));
    let doc = json!({
        "issuer": format!("https://elsewhere.example.test/{TENANT}/v2.0"),
        "authorization_endpoint": oidc.authorize_url(),
        "token_endpoint": oidc.token_url(),
        "jwks_uri": oidc.jwks_url(),
    })
    .to_string();
    server.route(
        "GET",
        &format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
        move |_| MockResponse::json(doc.clone()),
    );
    let r = run(
        ScriptedPrompter::new(),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    let e = login(&oidc.issuer(), &r, oidc.client_id())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    assert!(e.to_string().contains("elsewhere.example.test"), "{e}");
    assert!(
        server
            .requests_to("GET", &oidc.config().authorize_path)
            .is_empty()
    );
    assert!(r.prompter.labels().is_empty());
}

#[tokio::test]
async fn without_a_discovery_document_the_v2_endpoints_of_the_tenant_are_used() {
    let server = MockServer::start();
    let oidc = MockOidc::install(
        &server,
        MockOidcConfig {
            discovery: false,
            ..layout(TENANT)
        },
    );
    let r = run(
        ScriptedPrompter::new().secret(PASSWORD),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    // The tenant-only form of the URL.
    let url = server.url(&format!("/{TENANT}"));
    let token = login(&url, &r, oidc.client_id()).await.unwrap();
    assert!(issued_last(&oidc, &token));
    assert_eq!(
        server
            .requests_to(
                "GET",
                &format!("/{TENANT}/v2.0/.well-known/openid-configuration")
            )
            .len(),
        1
    );
    assert_eq!(
        server.requests_to("POST", &oidc.config().token_path).len(),
        1
    );
    r.prompter.assert_finished();
}

#[tokio::test]
async fn a_redirect_uri_of_a_custom_scheme_is_captured() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, layout(TENANT));
    let r = run(
        ScriptedPrompter::new().secret(PASSWORD),
        tempfile::tempdir().unwrap(),
        oidc.config().now,
    );
    let token = login_to(&oidc.issuer(), &r, oidc.client_id(), "app:/callback")
        .await
        .unwrap();
    assert!(issued_last(&oidc, &token));
    assert_eq!(oidc.redeemed_codes(), 1);
    r.prompter.assert_finished();
}

#[tokio::test]
async fn a_url_without_a_tenant_names_the_forms_accepted() {
    let server = MockServer::start();
    let r = run(
        ScriptedPrompter::new(),
        tempfile::tempdir().unwrap(),
        Timestamp::from_unix(1_768_471_200),
    );
    let e = login(&server.url("/oauth2/v2.0"), &r, "client")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    assert!(e.to_string().contains("<tenant>/oauth2/v2.0"), "{e}");
    assert!(server.requests().is_empty());
}
