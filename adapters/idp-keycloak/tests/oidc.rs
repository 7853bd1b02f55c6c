//! The OIDC login: the testkit's OIDC conformance suite against a mock laid out like Keycloak
//! (realm paths, the `keycloak.v2` login page of the fixtures), and Keycloak-specific cases: an
//! existing Keycloak session, a server without a discovery document, a realm URL of the older
//! `/auth` layout, a custom-scheme redirect URI, tokens failing verification.

use crate::{fixture_page, keycloak};
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdentityProvider, IdpDeps, IdpErrorKind, IdpSettings, OidcRequest,
};
use aws_runas_idp_testkit::{
    LoginPage, MockOidc, MockOidcConfig, MockServer, OidcConformanceMock, OidcScenario, PASSWORD,
    ScriptedPrompter, USERNAME, oidc_conformance,
};
use std::sync::Arc;
use std::time::Duration;

/// The fixture pages' form action, replaced by the mock's own.
const FIXTURE_ACTION: &str =
    r#"action="https://idp.example.test/realms/corp/login-actions/authenticate"#;

/// The `keycloak.v2` login page of the fixtures (its "invalid password" version after a refusal),
/// posting where the mock wants.
fn keycloak_login_page(page: &LoginPage<'_>) -> String {
    let file = if page.error.is_some() {
        "login-invalid.html"
    } else {
        "login.html"
    };
    let html = fixture_page("v2-en-invalid-password", file, crate::FIXTURE_HOST);
    let start = html
        .find(FIXTURE_ACTION)
        .expect("the fixture's login form has its action");
    let value_start = start + r#"action=""#.len();
    let end = value_start + html[value_start..].find('"').expect("the action is quoted");
    format!(
        "{}{}{}",
        &html[..value_start],
        page.action.replace('&', "&amp;"),
        &html[end..]
    )
}

/// Keycloak's layout under `prefix` (`""`, or `/auth` before Keycloak 17), realm `corp`.
fn keycloak_config(prefix: &str) -> MockOidcConfig {
    let realm = format!("{prefix}/realms/corp");
    let base = format!("{realm}/protocol/openid-connect");
    MockOidcConfig {
        issuer_path: realm,
        authorize_path: format!("{base}/auth"),
        token_path: format!("{base}/token"),
        jwks_path: format!("{base}/certs"),
        device_path: format!("{base}/auth/device"),
        login_page: Arc::new(keycloak_login_page),
        ..MockOidcConfig::new()
    }
}

/// The mock, given the realm's base URL.
struct RealmBase;

impl OidcConformanceMock for RealmBase {
    fn config(&self, _: OidcScenario) -> MockOidcConfig {
        keycloak_config("")
    }
}

/// The older `/auth` layout, given the authorization endpoint's URL: the realm is found in it.
struct OlderLayoutEndpointUrl;

impl OidcConformanceMock for OlderLayoutEndpointUrl {
    fn config(&self, _: OidcScenario) -> MockOidcConfig {
        keycloak_config("/auth")
    }

    fn url(&self, oidc: &MockOidc) -> String {
        format!("{}?kc_locale=de", oidc.authorize_url())
    }
}

#[tokio::test]
async fn keycloak_passes_every_oidc_conformance_scenario() {
    let report = oidc_conformance(keycloak(), &RealmBase).await;
    assert_eq!(report.passed, OidcScenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

#[tokio::test]
async fn the_older_auth_layout_given_by_an_endpoint_url_passes_too() {
    let report = oidc_conformance(keycloak(), &OlderLayoutEndpointUrl).await;
    assert_eq!(report.passed, OidcScenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
}

/// A built adapter for `url`, with the prompter and a cookie jar in `dir`.
fn adapter(
    url: &str,
    prompter: Arc<ScriptedPrompter>,
    dir: &tempfile::TempDir,
    now: Timestamp,
) -> Box<dyn IdentityProvider> {
    let deps = IdpDeps::new(
        prompter,
        Arc::new(FixedClock(now)),
        HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: Some(dir.path().join(".aws_runas.cookies")),
        },
    );
    let settings =
        IdpSettings::from_pairs([(IdpSettings::URL, url), (IdpSettings::USERNAME, USERNAME)]);
    keycloak()
        .build(&settings, deps)
        .expect("the adapter builds")
}

fn request(oidc: &MockOidc, redirect_uri: &str) -> OidcRequest {
    OidcRequest {
        client_id: oidc.client_id().to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes: vec!["profile".into()],
    }
}

#[tokio::test]
async fn a_keycloak_session_in_the_jar_skips_the_login_form() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, keycloak_config(""));
    let dir = tempfile::tempdir().unwrap();
    // One password, asked once: the second login rides on the session cookie.
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let now = oidc.config().now;
    let first = adapter(&oidc.issuer(), prompter.clone(), &dir, now);
    let req = request(&oidc, "http://127.0.0.1:9/callback");
    let one = first.oidc_token(&req).await.unwrap();
    // A new adapter (a later run) with the same cookie jar.
    let second = adapter(&oidc.issuer(), prompter.clone(), &dir, now);
    let two = second.oidc_token(&req).await.unwrap();
    assert_ne!(one.0.expose(), two.0.expose());
    assert_eq!(oidc.issued_id_tokens().last().unwrap(), two.0.expose());
    assert_eq!(oidc.password_attempts(), 1);
    assert_eq!(oidc.redeemed_codes(), 2);
    assert!(prompter.problems().is_none(), "{:?}", prompter.problems());
    assert_eq!(prompter.labels(), vec!["Password: ".to_string()]);
}

#[tokio::test]
async fn without_a_discovery_document_keycloaks_own_paths_are_used() {
    let server = MockServer::start();
    let oidc = MockOidc::install(
        &server,
        MockOidcConfig {
            discovery: false,
            ..keycloak_config("")
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let kc = adapter(
        &format!("{}/", oidc.issuer()),
        prompter.clone(),
        &dir,
        oidc.config().now,
    );
    let token = kc
        .oidc_token(&request(&oidc, "http://127.0.0.1:9/callback"))
        .await
        .unwrap();
    assert_eq!(oidc.issued_id_tokens().last().unwrap(), token.0.expose());
    assert_eq!(
        server
            .requests_to("GET", "/realms/corp/.well-known/openid-configuration")
            .len(),
        1
    );
    assert!(prompter.problems().is_none());
}

#[tokio::test]
async fn a_custom_scheme_redirect_uri_is_captured() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, keycloak_config(""));
    let dir = tempfile::tempdir().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let kc = adapter(&oidc.issuer(), prompter, &dir, oidc.config().now);
    let token = kc
        .oidc_token(&request(&oidc, "app:/callback"))
        .await
        .unwrap();
    assert_eq!(oidc.issued_id_tokens().last().unwrap(), token.0.expose());
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused_after_jwks_verification() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, keycloak_config(""));
    oidc.set_token_audience(Some("another-client"));
    let dir = tempfile::tempdir().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let kc = adapter(&oidc.issuer(), prompter, &dir, oidc.config().now);
    let e = kc
        .oidc_token(&request(&oidc, "http://127.0.0.1:9/callback"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    assert_eq!(
        server
            .requests_to("GET", "/realms/corp/protocol/openid-connect/certs")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_request_without_a_client_id_sends_nothing() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, keycloak_config(""));
    let dir = tempfile::tempdir().unwrap();
    let kc = adapter(
        &oidc.issuer(),
        Arc::new(ScriptedPrompter::new()),
        &dir,
        oidc.config().now,
    );
    let e = kc
        .oidc_token(&OidcRequest {
            client_id: String::new(),
            redirect_uri: "app:/callback".into(),
            scopes: vec![],
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
    let m = e.to_string();
    assert!(m.contains("web_identity_client_id"), "{m}");
    assert!(server.requests().is_empty());
}
