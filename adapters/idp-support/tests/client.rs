//! Single requests: what goes out, what comes back, and how failures read.

use super::{client, settings};
use aws_runas_domain::ports::idp::{IdpError, IdpErrorKind};
use aws_runas_idp_support::{HttpRequest, IdpSupportError, Method};
use aws_runas_idp_testkit::{Fault, MockResponse, MockServer};

#[tokio::test]
async fn a_get_returns_status_headers_and_body() {
    let server = MockServer::start();
    server.route("GET", "/page", |_| {
        MockResponse::html("<p>hello</p>").header("X-Okta-Request-Id", "abc")
    });
    let url = server.url("/page?x=1");
    let r = client().send(HttpRequest::get(&url)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.url(), url);
    assert_eq!(r.body(), "<p>hello</p>");
    assert_eq!(r.header("x-okta-request-id"), Some("abc"));
    assert!(r.content_type().unwrap().starts_with("text/html"));
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].query_param("x").as_deref(), Some("1"));
    assert!(
        seen[0]
            .header("user-agent")
            .unwrap()
            .starts_with("aws-runas/")
    );
}

#[tokio::test]
async fn forms_json_and_headers_go_out_as_given() {
    let server = MockServer::start();
    server.route("POST", "/login", |_| MockResponse::text("ok"));
    server.route("PUT", "/api", |_| MockResponse::json("{}"));
    let c = client();
    c.send(
        HttpRequest::post(server.url("/login"))
            .header("X-Test", "1")
            .form([("username", "jane doe"), ("password", "p&ss=word")]),
    )
    .await
    .unwrap();
    c.send(HttpRequest::new(Method::Put, server.url("/api")).json(r#"{"a":1}"#))
        .await
        .unwrap();
    let seen = server.requests();
    assert_eq!(seen[0].form_value("username").as_deref(), Some("jane doe"));
    assert_eq!(seen[0].form_value("password").as_deref(), Some("p&ss=word"));
    assert_eq!(seen[0].header("x-test"), Some("1"));
    assert_eq!(seen[1].method(), "PUT");
    assert_eq!(seen[1].header("content-type"), Some("application/json"));
    assert_eq!(seen[1].body(), r#"{"a":1}"#);
}

#[tokio::test]
async fn an_error_status_is_an_answer_until_required_otherwise() {
    let server = MockServer::start();
    server.fault("POST", "/login", Fault::Status(503));
    let r = client()
        .send(HttpRequest::post(server.url("/login")).step("posting the password"))
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let e = r.require_success().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} answered http status 503 during posting the password",
            server.host()
        )
    );
    assert_eq!(IdpError::from(e).kind(), IdpErrorKind::Unavailable);
}

#[tokio::test]
async fn a_stalled_server_times_out_with_a_message_saying_so() {
    let server = MockServer::start();
    server.fault("GET", "/slow", Fault::Stall);
    let e = client()
        .send(HttpRequest::get(server.url("/slow?token=s3cr3t")))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "request to {} timed out after 500ms during GET /slow",
            server.host()
        )
    );
    let e = IdpError::from(e);
    assert_eq!(e.kind(), IdpErrorKind::Unavailable, "{e:?}");
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
}

#[tokio::test]
async fn an_unreachable_host_is_named() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = client()
        .send(HttpRequest::get(format!("http://127.0.0.1:{port}/x")).step("opening the login page"))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot reach 127.0.0.1:{port} during opening the login page: "
        )),
        "{text}"
    );
    assert!(matches!(e, IdpSupportError::Connect { .. }));
}

#[tokio::test]
async fn a_bad_url_is_a_configuration_error() {
    let e = client()
        .send(HttpRequest::get("file:///etc/passwd"))
        .await
        .unwrap_err();
    assert_eq!(
        IdpError::from(e),
        IdpError::configuration("invalid url file:///etc/passwd: expected http:// or https://")
    );
    let _ = settings();
}

#[tokio::test]
async fn the_probe_falls_back_to_get_and_lists_every_cookie() {
    let server = MockServer::start();
    let next = server.url("/realms/x/login");
    server.route("HEAD", "/start", |_| MockResponse::new(405));
    server.route("GET", "/start", move |_| {
        MockResponse::redirect(next.clone()).cookie("AUTH_SESSION_ID", "1")
    });
    server.route("GET", "/realms/x/login", |_| {
        MockResponse::html("<form></form>")
            .cookie("KC_RESTART", "2")
            .header("X-Frame-Options", "SAMEORIGIN")
    });
    let probe = client().probe(&server.url("/start")).await.unwrap();
    assert_eq!(probe.status, 200);
    assert!(probe.has_cookie("kc_restart") && probe.has_cookie("AUTH_SESSION_ID"));
    assert_eq!(probe.header("x-frame-options"), Some("SAMEORIGIN"));
    let methods: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.method().to_string())
        .collect();
    assert_eq!(methods, vec!["HEAD", "GET", "GET"]);
}

#[tokio::test]
async fn pages_parse_against_their_own_url() {
    let server = MockServer::start();
    server.route("GET", "/idp/login", |_| {
        MockResponse::html(r#"<form method="post" action="authenticate"><input name="u"><input type="password" name="p"></form>"#)
    });
    let r = client()
        .send(HttpRequest::get(server.url("/idp/login")))
        .await
        .unwrap();
    let page = r.html();
    assert_eq!(
        page.form_with_password().unwrap().action(),
        server.url("/idp/authenticate")
    );
    assert_eq!(
        r.unexpected_page().to_string(),
        format!(
            "unrecognised page at {} during GET /idp/login",
            server.url("/idp/login")
        )
    );
}
