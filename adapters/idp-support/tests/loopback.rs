//! The browser flow: the loopback listener on 127.0.0.1, ::1 and localhost, with a fixed port and
//! with port 0, and a test client playing the browser (no real browser is ever started).

use super::now;
use crate::oidc::{deps, discovered, http_settings, request};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{IdpError, IdpErrorKind};
use aws_runas_idp_support::{
    BrowserOpener, BrowserSettings, HttpClient, HttpRequest, LoopbackListener,
};
use aws_runas_idp_testkit::{
    MockOidc, MockOidcConfig, MockServer, PASSWORD, ScriptedPrompter, USERNAME,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(20);

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A blocking `GET` to `addr`, returning the status line and the body.
fn get(addr: SocketAddr, target: &str) -> (String, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.lines().next().unwrap_or_default().to_string();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

/// Runs the listener's wait in a task accepting any `code`, and returns the URL it accepted.
fn wait_for_code(listener: LoopbackListener) -> tokio::task::JoinHandle<Result<String, IdpError>> {
    tokio::spawn(listener.receive(LONG, |url| {
        Ok(url.contains("code=").then(|| url.to_string()))
    }))
}

#[tokio::test]
async fn a_fixed_port_on_127_0_0_1_is_used_as_configured() {
    let port = free_port();
    let uri = format!("http://127.0.0.1:{port}/callback");
    let listener = LoopbackListener::bind(&uri).await.unwrap();
    assert_eq!(listener.redirect_uri(), uri);
    let addrs = listener.local_addrs();
    assert_eq!(addrs, vec![SocketAddr::from(([127, 0, 0, 1], port))]);
    let task = wait_for_code(listener);
    let addr = addrs[0];
    let (status, _) = tokio::task::spawn_blocking(move || get(addr, "/favicon.ico"))
        .await
        .unwrap();
    assert!(status.contains("404"), "{status}");
    let (status, body) =
        tokio::task::spawn_blocking(move || get(addr, "/callback?code=abc&state=xyz"))
            .await
            .unwrap();
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("You can close this window"), "{body}");
    assert_eq!(
        task.await.unwrap().unwrap(),
        format!("http://127.0.0.1:{port}/callback?code=abc&state=xyz")
    );
}

#[tokio::test]
async fn without_a_port_a_free_one_goes_into_the_redirect_uri() {
    let listener = LoopbackListener::bind("http://127.0.0.1/cb").await.unwrap();
    let addrs = listener.local_addrs();
    assert_eq!(addrs.len(), 1);
    let port = addrs[0].port();
    assert_ne!(port, 0);
    assert_eq!(
        listener.redirect_uri(),
        format!("http://127.0.0.1:{port}/cb")
    );
    let v6 = LoopbackListener::bind("http://[::1]/cb").await.unwrap();
    let port6 = v6.local_addrs()[0].port();
    assert_eq!(v6.redirect_uri(), format!("http://[::1]:{port6}/cb"));
    let task = wait_for_code(v6);
    let (status, _) = tokio::task::spawn_blocking(move || {
        get(
            SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port6)),
            "/cb?code=1&state=2",
        )
    })
    .await
    .unwrap();
    assert!(status.contains("200"), "{status}");
    assert!(
        task.await
            .unwrap()
            .unwrap()
            .starts_with(&format!("http://[::1]:{port6}/cb?"))
    );
}

#[tokio::test]
async fn localhost_listens_on_both_families() {
    for (uri, fixed) in [("http://localhost/done", false), ("", true)] {
        let uri = if fixed {
            format!("http://localhost:{}/done", free_port())
        } else {
            uri.to_string()
        };
        let listener = LoopbackListener::bind(&uri).await.unwrap();
        let addrs = listener.local_addrs();
        assert_eq!(addrs.len(), 2, "{uri}");
        assert!(addrs[0].is_ipv4() && addrs[1].is_ipv6(), "{addrs:?}");
        let port = addrs[0].port();
        assert_eq!(addrs[1].port(), port);
        assert_eq!(
            listener.redirect_uri(),
            format!("http://localhost:{port}/done")
        );
        let task = wait_for_code(listener);
        let (v4, v6) = (addrs[0], addrs[1]);
        // IPv6 answers (a wrong path keeps the wait going), then IPv4 brings the code.
        let (status, _) = tokio::task::spawn_blocking(move || get(v6, "/other"))
            .await
            .unwrap();
        assert!(status.contains("404"), "{status}");
        let (status, _) = tokio::task::spawn_blocking(move || get(v4, "/done?code=c&state=s"))
            .await
            .unwrap();
        assert!(status.contains("200"), "{status}");
        assert_eq!(
            task.await.unwrap().unwrap(),
            format!("http://localhost:{port}/done?code=c&state=s")
        );
    }
}

#[tokio::test]
async fn an_idle_connection_does_not_hold_up_the_answer() {
    let listener = LoopbackListener::bind("http://127.0.0.1/cb").await.unwrap();
    let addr = listener.local_addrs()[0];
    // Shorter than the 5 s an idle connection may take to send its request.
    let task =
        tokio::spawn(listener.receive(Duration::from_secs(3), |url| Ok(Some(url.to_string()))));
    let idle = TcpStream::connect(addr).unwrap();
    let (status, _) = tokio::task::spawn_blocking(move || get(addr, "/cb?code=1&state=2"))
        .await
        .unwrap();
    assert!(status.contains("200"), "{status}");
    assert!(task.await.unwrap().unwrap().ends_with("/cb?code=1&state=2"));
    drop(idle);
}

#[tokio::test]
async fn a_busy_port_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let e = LoopbackListener::bind(&format!("http://127.0.0.1:{port}/cb"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
    let m = e.to_string();
    assert!(
        m.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{m}"
    );
}

#[tokio::test]
async fn the_wait_is_bounded() {
    let listener = LoopbackListener::bind("http://127.0.0.1/cb").await.unwrap();
    let uri = listener.redirect_uri().to_string();
    let e = listener.receive(SHORT, |_| Ok(Some(()))).await.unwrap_err();
    assert_eq!(
        e,
        IdpError::mfa_timeout(format!(
            "no answer from the browser on {uri} within 300ms: finish the login in the browser in time (open the login url shown above if no browser started), or use the device flow"
        ))
    );
}

#[tokio::test]
async fn a_refused_answer_shows_a_failure_page_and_ends_the_wait() {
    let listener = LoopbackListener::bind("http://127.0.0.1/cb").await.unwrap();
    let addr = listener.local_addrs()[0];
    let task = tokio::spawn(listener.receive(LONG, |_| {
        Err::<Option<()>, _>(IdpError::unavailable("state mismatch"))
    }));
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/cb?code=1&state=forged"))
        .await
        .unwrap();
    assert!(
        status.contains("400") && body.contains("Login failed"),
        "{status} {body}"
    );
    assert_eq!(
        task.await.unwrap().unwrap_err(),
        IdpError::unavailable("state mismatch")
    );
}

/// Plays the browser: requests the URL with its own client, fills the mock's login form, and
/// follows the redirect to the loopback listener.
#[derive(Debug)]
struct PlayingBrowser {
    starts: bool,
    opened: Mutex<Vec<String>>,
    last_page: Arc<Mutex<Option<(u16, String)>>>,
}

impl PlayingBrowser {
    fn new(starts: bool) -> Self {
        PlayingBrowser {
            starts,
            opened: Mutex::new(vec![]),
            last_page: Arc::new(Mutex::new(None)),
        }
    }

    fn last_page(&self) -> Option<(u16, String)> {
        self.last_page.lock().unwrap().clone()
    }
}

impl BrowserOpener for PlayingBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        self.opened.lock().unwrap().push(url.to_string());
        let browser = HttpClient::new(http_settings(), Arc::new(FixedClock(now())));
        let url = url.to_string();
        let out = self.last_page.clone();
        // Whether or not the browser "started", the user gets to the page (by hand, else).
        tokio::spawn(async move {
            let page = browser.follow(HttpRequest::get(&url)).await.unwrap();
            let mut form = page.html().form_with_password().unwrap().clone();
            form.fill("username", USERNAME).fill("password", PASSWORD);
            let done = browser.follow(form.to_request()).await.unwrap();
            *out.lock().unwrap() = Some((done.status(), done.body().to_string()));
        });
        if self.starts {
            Ok(())
        } else {
            Err("no display".to_string())
        }
    }
}

async fn browser_login(
    mock: &MockOidc,
    browser: &PlayingBrowser,
    redirect_uri: &str,
) -> (
    Result<aws_runas_domain::ports::idp::IdToken, IdpError>,
    Arc<ScriptedPrompter>,
) {
    let prompter = Arc::new(ScriptedPrompter::new());
    let deps = deps(prompter.clone());
    let client = discovered(mock, &deps).await;
    let result = client
        .login_in_browser(
            &request(mock, redirect_uri),
            browser,
            &BrowserSettings::new(LONG),
        )
        .await;
    (result, prompter)
}

#[tokio::test]
async fn the_browser_flow_logs_in_through_the_listener() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let browser = PlayingBrowser::new(true);
    let (result, prompter) = browser_login(&mock, &browser, "http://localhost/callback").await;
    let token = result.unwrap();
    assert_eq!(
        Some(token.0.expose()),
        mock.issued_id_tokens().last().map(String::as_str)
    );
    let opened = browser.opened.lock().unwrap().clone();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].starts_with(&mock.authorize_url()), "{opened:?}");
    let notices = prompter.notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("If it does not open, visit this URL")
            && notices[0].contains(&opened[0])
    );
    // The redirect URI sent carries the port the listener took.
    let auth = &server.requests_to("GET", "/oidc/authorize")[0];
    let sent = auth.query_param("redirect_uri").unwrap();
    assert!(
        sent.starts_with("http://localhost:") && sent.ends_with("/callback"),
        "{sent}"
    );
    assert_ne!(sent, "http://localhost/callback");
    let token_request = &server.requests_to("POST", "/oidc/token")[0];
    assert_eq!(token_request.form_value("redirect_uri"), Some(sent));
    // The browser was told it can close the window (its task may finish just after us).
    for _ in 0..100 {
        if browser.last_page().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = browser.last_page().unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("You can close this window"), "{body}");
}

#[tokio::test]
async fn when_no_browser_starts_the_user_is_told_which_url_to_open() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let browser = PlayingBrowser::new(false);
    let (result, prompter) = browser_login(&mock, &browser, "http://127.0.0.1/cb").await;
    result.unwrap();
    let notices = prompter.notices();
    let url = browser.opened.lock().unwrap()[0].clone();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert_eq!(
        notices[1],
        format!("Could not start a browser: \"no display\". Open this URL to log in:\n{url}")
    );
}

#[tokio::test]
async fn a_forged_state_in_the_browser_flow_is_refused() {
    let server = MockServer::start();
    let mock = MockOidc::install(&server, MockOidcConfig::new());
    mock.set_wrong_state(true);
    let browser = PlayingBrowser::new(true);
    let (result, _) = browser_login(&mock, &browser, "http://127.0.0.1/cb").await;
    let e = result.unwrap_err();
    assert!(e.to_string().starts_with("state mismatch"), "{e}");
    assert!(server.requests_to("POST", "/oidc/token").is_empty());
}

#[tokio::test]
async fn a_redirect_uri_that_cannot_be_listened_on_explains_the_choices() {
    let server = MockServer::start();
    let mock = MockOidc::start(&server);
    let browser = PlayingBrowser::new(true);
    let (result, prompter) = browser_login(&mock, &browser, "app:/callback").await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
    let m = e.to_string();
    assert!(
        m.contains("app:/callback")
            && m.contains("loopback http uri")
            && m.contains("headless")
            && m.contains("device flow"),
        "{m}"
    );
    assert!(browser.opened.lock().unwrap().is_empty());
    assert!(prompter.notices().is_empty());
}
