//! The cookie jar through the client: sent back, persisted, shared between runs.

use super::{client, client_with_jar};
use aws_runas_idp_support::HttpRequest;
use aws_runas_idp_testkit::{MockResponse, MockServer};

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
    assert_eq!(
        c.cookie_names(&server.url("/only/x")),
        vec!["SESSION", "SCOPED"]
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
        text.contains("\"IDP_SESSION\"") && text.contains("\"expires\": null"),
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
    assert!(std::fs::read_to_string(&path).unwrap().contains("\"A\""));
}
