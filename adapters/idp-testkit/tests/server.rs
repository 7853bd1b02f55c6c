//! The mock server seen from a plain TCP client: routes, recording, faults, panicking handlers.

use aws_runas_idp_testkit::{Fault, MockResponse, MockServer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends one raw HTTP/1.1 request and returns the whole answer (or what came before `wait` ran out).
fn raw(server: &MockServer, request: &str, wait: Duration) -> String {
    let mut s = TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = vec![];
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(server: &MockServer, path: &str) -> String {
    raw(
        server,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nCookie: a=1; b=2\r\n\r\n",
            server.host()
        ),
        Duration::from_secs(5),
    )
}

#[test]
fn routes_answer_and_requests_are_recorded() {
    let server = MockServer::start();
    server.route("get", "/hello", |r| {
        MockResponse::text(format!("hi {}", r.query_param("name").unwrap_or_default()))
            .cookie("S", "1")
            .header("X-Test", "yes")
    });
    server.route("POST", "/form", |r| {
        MockResponse::text(r.form_value("b").unwrap_or_default())
    });
    let answer = get(&server, "/hello?name=jane%20doe");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("Set-Cookie: S=1; Path=/\r\n") && answer.contains("X-Test: yes\r\n"));
    assert!(answer.ends_with("\r\n\r\nhi jane doe"), "{answer}");
    let body = "a=1&b=x+y%21";
    let answer = raw(
        &server,
        &format!(
            "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
        Duration::from_secs(5),
    );
    assert!(answer.ends_with("x y!"), "{answer}");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method(), "GET");
    assert_eq!(seen[0].path(), "/hello");
    assert_eq!(seen[0].query(), "name=jane%20doe");
    assert_eq!(seen[0].cookie("b").as_deref(), Some("2"));
    assert_eq!(
        seen[1].form(),
        vec![("a".into(), "1".into()), ("b".into(), "x y!".into())]
    );
    assert!(seen[1].contains("x y!") && !seen[1].contains("nothing"));
    assert_eq!(server.requests_to("POST", "/form").len(), 1);
}

#[test]
fn unknown_routes_get_404_and_prefix_routes_match() {
    let server = MockServer::start();
    server.route("GET", "/realms/*", |r| {
        MockResponse::text(r.path().to_string())
    });
    assert!(get(&server, "/nothing").starts_with("HTTP/1.1 404 "));
    assert!(get(&server, "/realms/corp/login").ends_with("/realms/corp/login"));
}

#[test]
fn later_routes_replace_earlier_ones() {
    let server = MockServer::start();
    server.route("GET", "/x", |_| MockResponse::text("first"));
    server.route("GET", "/x", |_| MockResponse::text("second"));
    assert!(get(&server, "/x").ends_with("second"));
}

#[test]
fn faults_on_one_route_or_all() {
    let server = MockServer::start();
    server.route("GET", "/a", |_| MockResponse::text("a"));
    server.route("GET", "/b", |_| MockResponse::text("b"));
    server.fault("GET", "/a", Fault::Status(503));
    assert!(server.has_faults());
    assert!(get(&server, "/a").starts_with("HTTP/1.1 503 Service Unavailable"));
    assert!(get(&server, "/b").ends_with("b"));
    server.fault_all(Fault::Respond(MockResponse::html("<p>maintenance</p>")));
    assert!(get(&server, "/b").ends_with("<p>maintenance</p>"));
    server.clear_faults();
    assert!(!server.has_faults());
    assert!(get(&server, "/a").ends_with("a"));
}

#[test]
fn a_stalled_route_never_answers() {
    let server = MockServer::start();
    server.fault("GET", "/slow", Fault::Stall);
    let answer = raw(
        &server,
        "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_millis(300),
    );
    assert_eq!(answer, "");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_panicking_handler_answers_500_and_is_reported() {
    let server = MockServer::start();
    server.route("GET", "/boom", |_| panic!("mock bug"));
    assert!(get(&server, "/boom").starts_with("HTTP/1.1 500 "));
    assert_eq!(
        server.handler_panics(),
        vec!["GET /boom: mock bug".to_string()]
    );
}

#[test]
fn head_answers_have_no_body_and_proxy_targets_are_understood() {
    let server = MockServer::start();
    server.route("HEAD", "/x", |_| MockResponse::text("body"));
    let answer = raw(
        &server,
        "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(
        answer.contains("Content-Length: 4\r\n") && answer.ends_with("\r\n\r\n"),
        "{answer}"
    );
    server.route("GET", "/y", |_| MockResponse::text("proxied"));
    let answer = raw(
        &server,
        "GET http://idp.example.invalid/y?q=1 HTTP/1.1\r\nHost: idp.example.invalid\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(answer.ends_with("proxied"));
    let last = server.requests().pop().unwrap();
    assert_eq!(last.target(), "http://idp.example.invalid/y?q=1");
    assert_eq!(last.query(), "q=1");
}
