//! The browser flow: a test client plays the browser against the mock provider (it opens the
//! authorization URL, posts the login form and follows the redirect to the loopback listener);
//! no real browser is ever started.

use crate::{assert_no_secret, http_settings, login, now};
use aws_runas_domain::ports::browser::BrowserOpener;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::IdpErrorKind;
use aws_runas_idp_support::{HttpClient, HttpRequest};
use aws_runas_idp_testkit::{
    MockOidc, MockOidcConfig, MockServer, PASSWORD, TokenSigning, USERNAME,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Plays the user's browser: requests the URL with its own client, fills the mock's login form
/// and follows the redirect to the loopback listener.
#[derive(Debug)]
struct PlayingBrowser {
    /// Whether `open` reports success (else the user opens the URL by hand, as told).
    starts: bool,
    /// Whether the user logs in at all.
    logs_in: bool,
    opened: Mutex<Vec<String>>,
    last_page: Arc<Mutex<Option<(u16, String)>>>,
}

impl PlayingBrowser {
    fn new(starts: bool) -> Arc<Self> {
        Arc::new(PlayingBrowser {
            starts,
            logs_in: true,
            opened: Mutex::new(vec![]),
            last_page: Arc::new(Mutex::new(None)),
        })
    }

    fn idle() -> Arc<Self> {
        Arc::new(PlayingBrowser {
            starts: true,
            logs_in: false,
            opened: Mutex::new(vec![]),
            last_page: Arc::new(Mutex::new(None)),
        })
    }

    fn opened(&self) -> Vec<String> {
        self.opened.lock().unwrap().clone()
    }

    /// The last page the browser showed, once its task is done.
    async fn last_page(&self) -> Option<(u16, String)> {
        for _ in 0..100 {
            if let Some(page) = self.last_page.lock().unwrap().clone() {
                return Some(page);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

impl BrowserOpener for PlayingBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        self.opened.lock().unwrap().push(url.to_string());
        if self.logs_in {
            let browser = HttpClient::new(http_settings(), Arc::new(FixedClock(now())));
            let url = url.to_string();
            let out = self.last_page.clone();
            tokio::spawn(async move {
                let page = browser.follow(HttpRequest::get(&url)).await.unwrap();
                let mut form = page.html().form_with_password().unwrap().clone();
                form.fill("username", USERNAME).fill("password", PASSWORD);
                let done = browser.follow(form.to_request()).await.unwrap();
                *out.lock().unwrap() = Some((done.status(), done.body().to_string()));
            });
        }
        if self.starts {
            Ok(())
        } else {
            Err("no display".to_string())
        }
    }
}

fn opener(b: &Arc<PlayingBrowser>) -> Option<Arc<dyn BrowserOpener>> {
    Some(b.clone())
}

#[tokio::test]
async fn the_browser_flow_logs_in_through_the_loopback_listener() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let browser = PlayingBrowser::new(true);
    let (result, notices) = login(
        &mock,
        &[("oidc_scopes", "email, groups")],
        opener(&browser),
        "http://localhost/callback",
    )
    .await;
    let token = result.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        mock.issued_id_tokens().last().map(String::as_str)
    );
    // Verified against the provider's keys.
    assert_eq!(server.requests_to("GET", "/oidc/jwks").len(), 1);
    let opened = browser.opened();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].starts_with(&mock.authorize_url()), "{opened:?}");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("If it does not open, visit this URL")
            && notices[0].contains(&opened[0])
    );
    // PKCE, the configured scopes and the port the listener took.
    let auth = &server.requests_to("GET", "/oidc/authorize")[0];
    assert_eq!(
        auth.query_param("code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        auth.query_param("scope").as_deref(),
        Some("openid profile email groups")
    );
    let sent = auth.query_param("redirect_uri").unwrap();
    assert!(
        sent.starts_with("http://localhost:")
            && sent.ends_with("/callback")
            && sent != "http://localhost/callback",
        "{sent}"
    );
    let exchange = &server.requests_to("POST", "/oidc/token")[0];
    assert_eq!(exchange.form_value("redirect_uri"), Some(sent));
    assert_eq!(mock.received_verifiers().len(), 1);
    let (status, body) = browser.last_page().await.unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("You can close this window"), "{body}");
    assert_no_secret(&mock, &format!("{notices:?}"));
}

#[tokio::test]
async fn alias_browser_and_a_fixed_port_work_too() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uri = format!("http://127.0.0.1:{port}/cb");
    let browser = PlayingBrowser::new(true);
    let (result, _) = login(&mock, &[("oidc_flow", "browser")], opener(&browser), &uri).await;
    result.unwrap();
    let auth = &server.requests_to("GET", "/oidc/authorize")[0];
    assert_eq!(auth.query_param("redirect_uri"), Some(uri));
}

#[tokio::test]
async fn without_a_browser_the_device_flow_is_suggested() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let (result, notices) = login(&mock, &[], None, "http://127.0.0.1/cb").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("no web browser is available here") && m.contains("oidc_flow = device"),
        "{m}"
    );
    assert!(notices.is_empty());
    assert!(server.requests().is_empty(), "nothing is sent");
}

#[tokio::test]
async fn when_the_browser_cannot_start_the_url_is_shown_and_the_login_completes() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let browser = PlayingBrowser::new(false);
    let (result, notices) = login(&mock, &[], opener(&browser), "http://127.0.0.1/cb").await;
    let token = result.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        mock.issued_id_tokens().last().map(String::as_str)
    );
    let url = browser.opened()[0].clone();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert_eq!(
        notices[1],
        format!("Could not start a browser: \"no display\". Open this URL to log in:\n{url}")
    );
    assert_no_secret(&mock, &format!("{notices:?}"));
}

#[tokio::test]
async fn a_redirect_uri_that_is_not_loopback_http_explains_the_choices() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    for uri in [
        "https://app.example.com/callback",
        "com.example.app:/callback",
    ] {
        let browser = PlayingBrowser::new(true);
        let (result, notices) = login(&mock, &[], opener(&browser), uri).await;
        let e = result.unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{uri}: {e:?}");
        let m = e.to_string();
        assert!(
            m.contains("loopback http uri") && m.contains("device flow") && m.contains(uri),
            "{uri}: {m}"
        );
        assert!(browser.opened().is_empty() && notices.is_empty());
    }
    assert!(server.requests_to("GET", "/oidc/authorize").is_empty());
}

#[tokio::test]
async fn the_wait_for_the_browser_is_bounded_by_oidc_timeout() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let browser = PlayingBrowser::idle();
    let (result, _) = login(
        &mock,
        &[("oidc_timeout", "1s")],
        opener(&browser),
        "http://127.0.0.1/cb",
    )
    .await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::MfaTimeout, "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("no answer from the browser") && m.contains("within 1s"),
        "{m}"
    );
    assert_eq!(browser.opened().len(), 1);
}

#[tokio::test]
async fn a_forged_state_is_refused_without_showing_a_secret() {
    let server = MockServer::start();
    let mock = MockOidc::install(&server, MockOidcConfig::new());
    mock.set_wrong_state(true);
    let browser = PlayingBrowser::new(true);
    let (result, notices) = login(&mock, &[], opener(&browser), "http://127.0.0.1/cb").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    assert!(e.to_string().starts_with("state mismatch"), "{e}");
    assert!(server.requests_to("POST", "/oidc/token").is_empty());
    assert_no_secret(&mock, &format!("{e} {e:?} {notices:?}"));
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    mock.set_signing(TokenSigning::OtherKey);
    let browser = PlayingBrowser::new(true);
    let (result, notices) = login(&mock, &[], opener(&browser), "http://127.0.0.1/cb").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    assert!(e.to_string().contains("signature"), "{e}");
    assert_no_secret(&mock, &format!("{e} {e:?} {notices:?}"));
}

#[tokio::test]
async fn a_provider_without_discovery_is_a_clear_error() {
    let server = MockServer::start();
    let mock = MockOidc::install(
        &server,
        MockOidcConfig {
            discovery: false,
            ..MockOidcConfig::new()
        },
    );
    let browser = PlayingBrowser::new(true);
    let (result, _) = login(&mock, &[], opener(&browser), "http://127.0.0.1/cb").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains(&mock.issuer())
            && m.contains(&mock.discovery_url())
            && m.contains("no discovery document")
            && m.contains("web_identity_auth_url"),
        "{m}"
    );
    assert!(browser.opened().is_empty());
}

#[tokio::test]
async fn a_missing_client_id_or_redirect_uri_is_named() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let browser = PlayingBrowser::new(true);
    let (result, _) = login(&mock, &[], opener(&browser), "").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    assert!(e.to_string().contains("web_identity_redirect_uri"), "{e}");
    let prompter = Arc::new(aws_runas_idp_testkit::ScriptedPrompter::new());
    let idp = crate::adapter(&mock, &[], prompter, opener(&browser));
    let mut req = crate::request(&mock, "http://127.0.0.1/cb");
    req.client_id = " ".into();
    let e = idp.oidc_token(&req).await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    assert!(e.to_string().contains("web_identity_client_id"), "{e}");
    assert!(browser.opened().is_empty());
}
