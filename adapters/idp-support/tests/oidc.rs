//! The OIDC flow against the testkit's mock provider: discovery, the headless login, the token
//! exchange and its errors, and the checks on the ID token (state, nonce, expiry, JWKS).

use super::{now, settings};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdToken, IdpDeps, IdpError, IdpErrorKind, OidcRequest,
};
use aws_runas_idp_support::{
    AuthorizationStep, HttpClient, HttpRequest, HttpResponse, MAX_LOGIN_PAGES, OidcClient,
    OidcEndpoints,
};
use aws_runas_idp_testkit::{
    MockOidc, MockOidcConfig, MockResponse, MockServer, OidcRoute, PASSWORD, ScriptedPrompter,
    TokenSigning, USERNAME, WRONG_PASSWORD,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Settings with a timeout generous enough for a busy machine.
pub(crate) fn http_settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        ..settings()
    }
}

pub(crate) fn deps(prompter: Arc<ScriptedPrompter>) -> IdpDeps {
    IdpDeps {
        federation: None,
        session: aws_runas_domain::ports::idp::IdpSession::new(),
        browser: None,
        prompter,
        clock: Arc::new(FixedClock(now())),
        http: http_settings(),
    }
}

pub(crate) fn http(deps: &IdpDeps) -> HttpClient {
    HttpClient::from_deps(deps)
}

/// An OIDC client for the mock, through its discovery document.
pub(crate) async fn discovered(mock: &MockOidc, deps: &IdpDeps) -> OidcClient {
    OidcClient::discover(http(deps), deps, &mock.issuer(), None)
        .await
        .unwrap()
}

pub(crate) fn request(mock: &MockOidc, redirect_uri: &str) -> OidcRequest {
    OidcRequest {
        client_id: mock.client_id().to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes: vec!["profile".into()],
    }
}

/// The adapter's part of a headless login: fill the mock's form with `password`.
fn fill(
    password: &'static str,
) -> impl FnMut(&HttpResponse) -> Result<HttpRequest, IdpError> + Send {
    move |page: &HttpResponse| {
        let html = page.html();
        let mut form = html
            .form_with_password()
            .ok_or_else(|| page.unexpected_page())?
            .clone();
        if html.has("p.error") {
            return Err(IdpError::bad_credentials("the password was refused"));
        }
        form.fill("username", USERNAME).fill("password", password);
        Ok(form.to_request().step("posting the password"))
    }
}

struct Fixture {
    server: MockServer,
    client_side: MockServer,
    mock: MockOidc,
    deps: IdpDeps,
}

impl Fixture {
    fn new(config: MockOidcConfig) -> Self {
        let server = MockServer::start();
        let mock = MockOidc::install(&server, config);
        Fixture {
            server,
            client_side: MockServer::start(),
            mock,
            deps: deps(Arc::new(ScriptedPrompter::new())),
        }
    }

    fn redirect_uri(&self) -> String {
        self.client_side.url("/callback")
    }

    async fn login(&self) -> Result<IdToken, IdpError> {
        let client = discovered(&self.mock, &self.deps).await;
        client
            .login_headless(&request(&self.mock, &self.redirect_uri()), fill(PASSWORD))
            .await
    }
}

#[tokio::test]
async fn discovery_reads_every_endpoint() {
    let f = Fixture::new(MockOidcConfig::new());
    let e = OidcEndpoints::discover(&http(&f.deps), &format!("{}/", f.mock.issuer()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.issuer.as_deref(), Some(f.mock.issuer().as_str()));
    assert_eq!(e.authorization_endpoint, f.mock.authorize_url());
    assert_eq!(e.token_endpoint, f.mock.token_url());
    assert_eq!(e.jwks_uri.as_deref(), Some(f.mock.jwks_url().as_str()));
    assert_eq!(
        e.device_authorization_endpoint.as_deref(),
        Some(f.mock.device_url().as_str())
    );
    let seen = f.server.requests();
    assert_eq!(seen[0].path(), "/oidc/.well-known/openid-configuration");
}

#[tokio::test]
async fn without_discovery_the_adapters_endpoints_are_used() {
    let f = Fixture::new(MockOidcConfig {
        discovery: false,
        ..MockOidcConfig::new()
    });
    let http = http(&f.deps);
    assert_eq!(
        OidcEndpoints::discover(&http, &f.mock.issuer())
            .await
            .unwrap(),
        None
    );
    let known = OidcEndpoints::new(f.mock.authorize_url(), f.mock.token_url());
    let e = OidcEndpoints::discover_or(&http, &f.mock.issuer(), known.clone())
        .await
        .unwrap();
    assert_eq!(e, known);
    let none = OidcClient::discover(http.clone(), &f.deps, &f.mock.issuer(), None)
        .await
        .unwrap_err();
    assert_eq!(none.kind(), IdpErrorKind::UnexpectedPage, "{none}");
    let m = none.to_string();
    assert!(
        m.contains("no openid configuration")
            && m.contains("/oidc/.well-known/openid-configuration"),
        "{m}"
    );
    // Known endpoints without JWKS: the login works, the token is not verified.
    let client = OidcClient::new(http, &f.deps, known);
    let token = client
        .login_headless(&request(&f.mock, &f.redirect_uri()), fill(PASSWORD))
        .await
        .unwrap();
    assert_eq!(
        Some(token.0.expose()),
        f.mock.issued_id_tokens().last().map(String::as_str)
    );
    assert!(f.server.requests_to("GET", "/oidc/jwks").is_empty());
}

#[tokio::test]
async fn broken_discovery_documents_are_errors() {
    let server = MockServer::start();
    server.route("GET", "/a/.well-known/openid-configuration", |_| {
        MockResponse::json(r#"{"issuer":"https://evil.example.com","authorization_endpoint":"x","token_endpoint":"y"}"#)
    });
    server.route("GET", "/b/.well-known/openid-configuration", |_| {
        MockResponse::html("<html>login</html>")
    });
    server.route("GET", "/c/.well-known/openid-configuration", |_| {
        MockResponse::json(r#"{"authorization_endpoint":"https://h/auth"}"#)
    });
    let http = http(&deps(Arc::new(ScriptedPrompter::new())));
    let other = OidcEndpoints::discover(&http, &server.url("/a"))
        .await
        .unwrap_err();
    assert!(
        other
            .to_string()
            .contains("names the issuer https://evil.example.com"),
        "{other}"
    );
    let html = OidcEndpoints::discover(&http, &server.url("/b"))
        .await
        .unwrap_err();
    assert!(
        html.to_string().contains("not a usable json document"),
        "{html}"
    );
    let partial = OidcEndpoints::discover(&http, &server.url("/c"))
        .await
        .unwrap_err();
    assert!(
        partial.to_string().contains("has no token_endpoint"),
        "{partial}"
    );
    let f = Fixture::new(MockOidcConfig::new());
    f.mock.fail_route(OidcRoute::Discovery, Some(500));
    let e = OidcEndpoints::discover(&http, &f.mock.issuer())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unavailable, "{e}");
    let m = e.to_string();
    assert!(
        m.contains("500") && m.contains("fetching the openid configuration"),
        "{m}"
    );
}

#[tokio::test]
async fn a_headless_login_returns_the_verified_token_and_never_fetches_the_redirect() {
    let f = Fixture::new(MockOidcConfig::new());
    let token = f.login().await.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        f.mock.issued_id_tokens().last().map(String::as_str)
    );
    assert_eq!(f.mock.redeemed_codes(), 1);
    assert!(f.client_side.requests().is_empty());
    let auth = &f.server.requests_to("GET", "/oidc/authorize")[0];
    let p = |n: &str| auth.query_param(n).unwrap_or_default();
    assert_eq!(p("response_type"), "code");
    assert_eq!(p("client_id"), f.mock.client_id());
    assert_eq!(p("redirect_uri"), f.redirect_uri());
    assert_eq!(p("scope"), "openid profile");
    assert_eq!(p("code_challenge_method"), "S256");
    assert_eq!(p("code_challenge").len(), 43);
    assert!(!p("state").is_empty() && !p("nonce").is_empty());
    let claims = aws_runas_domain::jwt::claims(token.0.expose()).unwrap();
    assert_eq!(claims["nonce"], p("nonce").as_str());
    let exchange = &f.server.requests_to("POST", "/oidc/token")[0];
    assert_eq!(
        exchange.form_value("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(exchange.form_value("code_verifier").unwrap().len(), 43);
    assert_eq!(exchange.form_value("redirect_uri"), Some(f.redirect_uri()));
    // The password went in one form body, never in a URL.
    let carrying: Vec<_> = f
        .server
        .requests()
        .into_iter()
        .filter(|r| r.contains(PASSWORD))
        .collect();
    assert_eq!(carrying.len(), 1);
    assert!(!carrying[0].target().contains(PASSWORD));
    // The signing keys were fetched: the token was verified.
    assert_eq!(f.server.requests_to("GET", "/oidc/jwks").len(), 1);
}

#[tokio::test]
async fn an_idp_session_cookie_skips_the_login_form() {
    let f = Fixture::new(MockOidcConfig::new());
    let client = discovered(&f.mock, &f.deps).await;
    let req = request(&f.mock, &f.redirect_uri());
    client.login_headless(&req, fill(PASSWORD)).await.unwrap();
    let pages = AtomicUsize::new(0);
    let second = client
        .login_headless(&req, |page: &HttpResponse| {
            pages.fetch_add(1, Ordering::SeqCst);
            Err(page.unexpected_page().into())
        })
        .await
        .unwrap();
    assert_eq!(pages.load(Ordering::SeqCst), 0);
    assert_eq!(f.mock.password_attempts(), 1);
    assert_eq!(
        Some(second.0.expose()),
        f.mock.issued_id_tokens().last().map(String::as_str)
    );
}

#[tokio::test]
async fn a_redirect_uri_with_a_custom_scheme_is_captured() {
    let f = Fixture::new(MockOidcConfig::new());
    let client = discovered(&f.mock, &f.deps).await;
    let token = client
        .login_headless(&request(&f.mock, "app:/callback"), fill(PASSWORD))
        .await
        .unwrap();
    assert!(!token.0.expose().is_empty());
    // With the lower-level session too: the step after the password is the code.
    let session = client.session(&request(&f.mock, "app:/callback")).unwrap();
    match session.start(client.http()).await.unwrap() {
        AuthorizationStep::Code(_) => {} // logged in already (session cookie)
        AuthorizationStep::Page(p) => panic!("expected the code, got a page at {}", p.url()),
    }
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_the_code_never_redeemed() {
    let f = Fixture::new(MockOidcConfig::new());
    f.mock.set_wrong_state(true);
    let e = f.login().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e}");
    let m = e.to_string();
    assert!(
        m.starts_with("state mismatch") && m.contains("refusing the answer"),
        "{m}"
    );
    assert!(f.server.requests_to("POST", "/oidc/token").is_empty());
    for code in f.mock.issued_codes() {
        assert!(!e.to_string().contains(&code));
    }
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let f = Fixture::new(MockOidcConfig::new());
    f.mock.set_token_nonce(Some("someone-elses-nonce"));
    let e = f.login().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e}");
    let m = e.to_string();
    assert!(m.contains("nonce is not the one this login sent"), "{m}");
}

#[tokio::test]
async fn a_refused_password_is_the_adapters_error_after_one_attempt() {
    let f = Fixture::new(MockOidcConfig::new());
    let client = discovered(&f.mock, &f.deps).await;
    let e = client
        .login_headless(&request(&f.mock, &f.redirect_uri()), fill(WRONG_PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e}");
    assert_eq!(f.mock.password_attempts(), 1);
}

#[tokio::test]
async fn token_endpoint_failures_are_reported() {
    let f = Fixture::new(MockOidcConfig::new());
    f.mock.set_omit_id_token(true);
    let e = f.login().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e}");
    let m = e.to_string();
    assert!(
        m.contains("without an id_token") && m.contains("/oidc/token"),
        "{m}"
    );
    f.mock.set_omit_id_token(false);
    f.mock.fail_route(OidcRoute::Token, Some(500));
    let e = f.login().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unavailable, "{e}");
    let m = e.to_string();
    assert!(
        m.contains("answered http status 500") && m.contains("exchanging the authorization code"),
        "{m}"
    );
}

#[tokio::test]
async fn oauth_errors_of_the_token_endpoint_are_named() {
    let f = Fixture::new(MockOidcConfig::new());
    let answers = [
        (
            "/grant",
            r#"{"error":"invalid_grant","error_description":"PKCE verification failed"}"#,
            "answered an error: \"invalid_grant (PKCE verification failed)\"",
        ),
        (
            "/client",
            r#"{"error":"invalid_client"}"#,
            "web_identity_client_id",
        ),
        (
            "/denied",
            r#"{"error":"access_denied"}"#,
            "refused the login",
        ),
    ];
    for (path, body, expected) in answers {
        let body = body.to_string();
        f.server.route("POST", path, move |_| {
            MockResponse::json(body.clone()).with_status(400)
        });
        let mut endpoints = OidcEndpoints::new(f.mock.authorize_url(), f.server.url(path));
        endpoints.issuer = Some(f.mock.issuer());
        let client = OidcClient::new(http(&f.deps), &f.deps, endpoints);
        let e = client
            .login_headless(&request(&f.mock, &f.redirect_uri()), fill(PASSWORD))
            .await
            .unwrap_err();
        assert!(e.to_string().contains(expected), "{path}: {e}");
        for secret in f
            .mock
            .issued_codes()
            .iter()
            .chain(&f.mock.received_verifiers())
        {
            assert!(!e.to_string().contains(secret.as_str()));
        }
    }
}

#[tokio::test]
async fn a_5xx_login_page_or_an_endless_login_is_an_error() {
    let f = Fixture::new(MockOidcConfig::new());
    f.mock.fail_route(OidcRoute::Authorize, Some(502));
    let e = f.login().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Unavailable, "{e}");
    let m = e.to_string();
    assert!(m.contains("502") && m.contains("127.0.0.1"), "{m}");
    f.mock.fail_route(OidcRoute::Authorize, None);
    let client = discovered(&f.mock, &f.deps).await;
    let again = f.mock.authorize_url();
    let e = client
        .login_headless(&request(&f.mock, &f.redirect_uri()), |_: &HttpResponse| {
            Ok(HttpRequest::get(&again))
        })
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("within {MAX_LOGIN_PAGES} pages")),
        "{e}"
    );
}

async fn jwks_failure(knob: impl FnOnce(&MockOidc)) -> String {
    let f = Fixture::new(MockOidcConfig::new());
    knob(&f.mock);
    let e = f.login().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e}");
    let text = e.to_string();
    for token in f.mock.issued_id_tokens() {
        assert!(!text.contains(&token), "{text}");
    }
    text
}

#[tokio::test]
async fn id_tokens_are_verified_against_the_published_keys() {
    let issuer = jwks_failure(|m| m.set_token_issuer(Some("https://evil.example.com"))).await;
    assert!(
        issuer.contains(r#"issued by "https://evil.example.com""#)
            && issuer.contains("refusing the id token"),
        "{issuer}"
    );
    let audience = jwks_failure(|m| m.set_token_audience(Some("another-client"))).await;
    assert!(
        audience.contains(
            r#"for the audience "another-client", not for the client "aws-runas-conformance""#
        ),
        "{audience}"
    );
    let key = jwks_failure(|m| m.set_signing(TokenSigning::OtherKey)).await;
    assert!(
        key.contains(
            "RS256 signature does not match the signing keys published at http://127.0.0.1:"
        ),
        "{key}"
    );
    let none = jwks_failure(|m| m.set_signing(TokenSigning::AlgNone)).await;
    assert!(none.contains("unsigned (alg none)"), "{none}");
}

#[tokio::test]
async fn unsigned_tokens_pass_where_no_keys_are_published_and_expiry_is_read() {
    let f = Fixture::new(MockOidcConfig {
        publish_jwks: false,
        ..MockOidcConfig::new()
    });
    f.mock.set_signing(TokenSigning::AlgNone);
    let token = f.login().await.unwrap();
    assert_eq!(
        aws_runas_domain::jwt::expiry(token.0.expose()),
        Some(now().plus_secs(3600))
    );
    let expired = Fixture::new(MockOidcConfig {
        token_lifetime_secs: -30,
        ..MockOidcConfig::new()
    });
    let e = expired.login().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e}");
    let m = e.to_string();
    assert!(
        m.contains("the id token expired at 2026-01-15T09:59:30Z"),
        "{m}"
    );
}

#[tokio::test]
async fn the_client_shows_no_secret() {
    let f = Fixture::new(MockOidcConfig::new());
    let client = discovered(&f.mock, &f.deps).await;
    let session = client
        .session(&request(&f.mock, &f.redirect_uri()))
        .unwrap();
    let shown = format!("{client:?} {session:?}");
    let url = session.url();
    let state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(!shown.contains(state), "{shown}");
    assert!(shown.contains("/oidc/token"), "{shown}");
}
