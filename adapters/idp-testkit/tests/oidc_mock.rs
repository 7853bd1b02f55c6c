//! The mock OIDC provider on its own: what it serves, what it refuses, and its knobs.

use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::HttpSettings;
use aws_runas_idp_support::{HttpClient, HttpRequest, HttpResponse};
use aws_runas_idp_testkit::{
    MOCK_KEY_ID, MockOidc, MockOidcConfig, MockServer, OidcRoute, PASSWORD, SESSION_COOKIE,
    TokenSigning, USERNAME,
};
use std::sync::Arc;
use std::time::Duration;

fn http() -> HttpClient {
    HttpClient::new(
        HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: None,
        },
        Arc::new(FixedClock(Timestamp::from_unix(1_768_471_200))),
    )
}

fn json(r: &HttpResponse) -> serde_json::Value {
    serde_json::from_str(r.body()).unwrap()
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorize_url(mock: &MockOidc, challenge: &str) -> String {
    format!(
        "{}?response_type=code&client_id={}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid&state=st4te&nonce=n0nce&code_challenge={challenge}&code_challenge_method=S256",
        mock.authorize_url(),
        mock.client_id()
    )
}

/// Logs in with the form and returns the code from the redirect.
async fn code(http: &HttpClient, mock: &MockOidc) -> String {
    let page = http
        .send(HttpRequest::get(authorize_url(mock, CHALLENGE)))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let mut form = page.html().form_with_password().unwrap().clone();
    form.fill("username", USERNAME).fill("password", PASSWORD);
    let answer = http.send(form.to_request()).await.unwrap();
    assert_eq!(answer.status(), 302);
    assert!(answer.sets_cookie(SESSION_COOKIE));
    let location = answer.location().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:9/cb?code="),
        "{location}"
    );
    assert!(location.ends_with("&state=st4te"), "{location}");
    location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

async fn redeem(http: &HttpClient, mock: &MockOidc, code: &str, verifier: &str) -> HttpResponse {
    http.send(HttpRequest::post(mock.token_url()).form([
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", "http://127.0.0.1:9/cb"),
        ("client_id", mock.client_id()),
        ("code_verifier", verifier),
    ]))
    .await
    .unwrap()
}

#[tokio::test]
async fn discovery_and_keys_are_served() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let doc = json(
        &http()
            .send(HttpRequest::get(mock.discovery_url()))
            .await
            .unwrap(),
    );
    assert_eq!(doc["issuer"], mock.issuer().as_str());
    assert_eq!(doc["token_endpoint"], mock.token_url().as_str());
    assert_eq!(doc["jwks_uri"], mock.jwks_url().as_str());
    assert_eq!(
        doc["device_authorization_endpoint"],
        mock.device_url().as_str()
    );
    assert_eq!(doc["code_challenge_methods_supported"][0], "S256");
    let keys = json(
        &http()
            .send(HttpRequest::get(mock.jwks_url()))
            .await
            .unwrap(),
    );
    assert_eq!(keys["keys"][0]["kid"], MOCK_KEY_ID);
    assert_eq!(keys["keys"][0]["kty"], "RSA");
    let off = MockServer::start();
    let hidden = MockOidc::install(
        &off,
        MockOidcConfig {
            discovery: false,
            publish_jwks: false,
            ..MockOidcConfig::new()
        },
    );
    let r = http()
        .send(HttpRequest::get(hidden.discovery_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_login_gives_a_code_that_redeems_once_with_the_right_verifier() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let http = http();
    let c = code(&http, &mock).await;
    let wrong = redeem(
        &http,
        &mock,
        &c,
        "not-the-verifier-at-all-not-the-verifier-xx",
    )
    .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(json(&wrong)["error"], "invalid_grant");
    // The code is spent even by a failed attempt; a fresh one works.
    let again = redeem(&http, &mock, &c, VERIFIER).await;
    assert_eq!(json(&again)["error"], "invalid_grant");
    let c = {
        // Logged in already: the session cookie gives a code at once.
        let r = http
            .send(HttpRequest::get(authorize_url(&mock, CHALLENGE)))
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        r.location()
            .unwrap()
            .split("code=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string()
    };
    let ok = redeem(&http, &mock, &c, VERIFIER).await;
    assert_eq!(ok.status(), 200, "{}", ok.body());
    let token = json(&ok)["id_token"].as_str().unwrap().to_string();
    let claims = aws_runas_domain::jwt::claims(&token).unwrap();
    assert_eq!(claims["iss"], mock.issuer().as_str());
    assert_eq!(claims["aud"], mock.client_id());
    assert_eq!(claims["preferred_username"], USERNAME);
    assert_eq!(claims["nonce"], "n0nce");
    assert_eq!(claims["iat"], 1_768_471_200);
    assert_eq!(claims["exp"], 1_768_471_200 + 3600);
    assert_eq!(mock.issued_id_tokens(), vec![token]);
    assert_eq!(mock.password_attempts(), 1);
    assert_eq!(mock.redeemed_codes(), 1);
}

#[tokio::test]
async fn bad_requests_and_passwords_are_refused() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let http = http();
    let no_pkce = authorize_url(&mock, CHALLENGE).replace("&code_challenge_method=S256", "");
    assert_eq!(
        http.send(HttpRequest::get(no_pkce)).await.unwrap().status(),
        400
    );
    let page = http
        .send(HttpRequest::get(authorize_url(&mock, CHALLENGE)))
        .await
        .unwrap();
    let mut form = page.html().form_with_password().unwrap().clone();
    form.fill("username", USERNAME).fill("password", "wrong");
    let again = http.send(form.to_request()).await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(again.html().form_with_password().is_some());
    assert!(again.body().contains("Invalid username or password."));
    let bad_grant = http
        .send(HttpRequest::post(mock.token_url()).form([("grant_type", "password")]))
        .await
        .unwrap();
    assert_eq!(json(&bad_grant)["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn the_knobs_break_what_they_say() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_wrong_state(true);
    let page = http()
        .send(HttpRequest::get(authorize_url(&mock, CHALLENGE)))
        .await
        .unwrap();
    let mut form = page.html().form_with_password().unwrap().clone();
    form.fill("username", USERNAME).fill("password", PASSWORD);
    let r = http().send(form.to_request()).await.unwrap();
    assert!(r.location().unwrap().ends_with("&state=forged-state"));
    mock.fail_route(OidcRoute::Jwks, Some(500));
    assert_eq!(
        http()
            .send(HttpRequest::get(mock.jwks_url()))
            .await
            .unwrap()
            .status(),
        500
    );
    mock.fail_route(OidcRoute::Jwks, None);
    assert_eq!(
        http()
            .send(HttpRequest::get(mock.jwks_url()))
            .await
            .unwrap()
            .status(),
        200
    );
    mock.set_signing(TokenSigning::AlgNone);
    mock.set_token_audience(Some("someone-else"));
    let t = mock.mint_id_token(Some("n"));
    assert!(t.ends_with('.'));
    assert_eq!(
        aws_runas_domain::jwt::claims(&t).unwrap()["aud"],
        "someone-else"
    );
}
