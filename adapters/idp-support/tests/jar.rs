//! The cookie jar through the client: sent back, persisted, shared between runs, and shared in
//! memory by the clients of one login.

use super::{client, client_with_jar, now, settings};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::IdpDeps;
use aws_runas_idp_support::{HttpClient, HttpRequest};
use aws_runas_idp_testkit::{MockResponse, MockServer, ScriptedPrompter};
use std::sync::Arc;

#[tokio::test]
async fn cookies_come_back_on_later_requests() {
    let server = MockServer::start();
    server.route("GET", "/set", |_| {
        MockResponse::text("ok")
            .cookie("SESSION", "one")
            .set_cookie("SCOPED=two; Path=/only")
    });
    server.route("GET", "/echo", |_| MockResponse::text("ok"));
    let c = client();
    let r = c.send(HttpRequest::get(server.url("/set"))).await.unwrap();
    assert_eq!(
        r.set_cookie_names(),
        ["SESSION".to_string(), "SCOPED".to_string()]
    );
    assert!(r.sets_cookie("session"));
    c.send(HttpRequest::get(server.url("/echo")).header("Cookie", "MINE=1"))
        .await
        .unwrap();
    let echo = &server.requests_to("GET", "/echo")[0];
    assert_eq!(echo.cookie("SESSION").as_deref(), Some("one"));
    assert_eq!(echo.cookie("MINE").as_deref(), Some("1"));
    assert_eq!(echo.cookie("SCOPED"), None);
    // The longer path first, as browsers send them.
    assert_eq!(
        c.cookie_names(&server.url("/only/x")),
        vec!["SCOPED", "SESSION"]
    );
}

#[tokio::test]
async fn a_session_survives_into_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".aws_runas.cookies");
    let server = MockServer::start();
    server.route("POST", "/login", |_| {
        MockResponse::text("welcome").cookie("IDP_SESSION", "abc")
    });
    server.route("GET", "/saml", |r| match r.cookie("IDP_SESSION") {
        Some(_) => MockResponse::text("already signed in"),
        None => MockResponse::text("please sign in"),
    });
    client_with_jar(path.clone())
        .send(HttpRequest::post(server.url("/login")))
        .await
        .unwrap();
    let next_run = client_with_jar(path.clone());
    let r = next_run
        .send(HttpRequest::get(server.url("/saml")))
        .await
        .unwrap();
    assert_eq!(r.body(), "already signed in");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"IDP_SESSION=abc") && text.contains("\"SessionEnd\""),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

#[tokio::test]
async fn a_malformed_jar_does_not_stop_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".aws_runas.cookies");
    std::fs::write(&path, "garbage").unwrap();
    let server = MockServer::start();
    server.route("GET", "/x", |_| MockResponse::text("ok").cookie("A", "1"));
    let r = client_with_jar(path.clone())
        .send(HttpRequest::get(server.url("/x")))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(std::fs::read_to_string(&path).unwrap().contains("\"A=1"));
}

#[tokio::test]
async fn cookies_set_during_redirects_are_kept_and_sent() {
    let server = MockServer::start();
    let next = server.url("/landing");
    server.route("GET", "/start", move |_| {
        MockResponse::redirect(&next).cookie("HOP", "1")
    });
    server.route("GET", "/landing", |r| match r.cookie("HOP") {
        Some(_) => MockResponse::text("cookie from the redirect"),
        None => MockResponse::text("no cookie"),
    });
    let r = client()
        .follow(HttpRequest::get(server.url("/start")))
        .await
        .unwrap();
    assert_eq!(r.body(), "cookie from the redirect");
}

fn deps() -> IdpDeps {
    IdpDeps::new(
        Arc::new(ScriptedPrompter::new()),
        Arc::new(FixedClock(now())),
        settings(),
    )
}

#[tokio::test]
async fn clients_of_one_login_share_their_cookies_in_memory() {
    let server = MockServer::start();
    server.route("POST", "/federated/login", |_| {
        MockResponse::text("signed in").cookie("FED_SESSION", "s1")
    });
    server.route("GET", "/continue", |r| match r.cookie("FED_SESSION") {
        Some(_) => MockResponse::text("welcome back"),
        None => MockResponse::text("who are you"),
    });
    let login = deps();
    assert!(login.http.cookie_jar.is_none());
    // What a federation does: the other adapter gets a clone of the deps, the same session.
    let federated = HttpClient::from_deps(&login.clone());
    let caller = HttpClient::from_deps(&login);
    federated
        .send(HttpRequest::post(server.url("/federated/login")))
        .await
        .unwrap();
    assert_eq!(
        caller.cookie_names(&server.url("/continue")),
        ["FED_SESSION"]
    );
    let r = caller
        .send(HttpRequest::get(server.url("/continue")))
        .await
        .unwrap();
    assert_eq!(r.body(), "welcome back");

    // Another login, and a client of its own, see none of it.
    let other = HttpClient::from_deps(&deps());
    assert!(other.cookie_names(&server.url("/continue")).is_empty());
    let own = HttpClient::new(settings(), Arc::new(FixedClock(now())));
    let r = own
        .send(HttpRequest::get(server.url("/continue")))
        .await
        .unwrap();
    assert_eq!(r.body(), "who are you");
}

#[tokio::test]
async fn a_session_that_holds_something_else_gives_a_private_jar() {
    let server = MockServer::start();
    server.route("GET", "/set", |_| MockResponse::text("ok").cookie("A", "1"));
    let login = deps();
    assert!(login.session.get_or_init(|| Arc::new(7_u32)).is_some());
    let first = HttpClient::from_deps(&login);
    first
        .send(HttpRequest::get(server.url("/set")))
        .await
        .unwrap();
    assert_eq!(first.cookie_names(&server.url("/")), ["A"]);
    assert!(
        HttpClient::from_deps(&login)
            .cookie_names(&server.url("/"))
            .is_empty()
    );
}
