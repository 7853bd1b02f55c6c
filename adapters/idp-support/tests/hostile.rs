//! Hostile identity providers: every misbehaviour ends, within the client's timeout or a fixed
//! bound, in an error that names the host and what went wrong.
//!
//! Servers that the mock server cannot play (a trickling body, TLS) are small threads on
//! 127.0.0.1 here. The TLS certificate in `fixtures/` is a self-signed test certificate for
//! 127.0.0.1 made for these tests (`openssl req -x509 -newkey ec ...`); it protects nothing.

use super::{client, client_with, settings};
use aws_runas_domain::ports::idp::HttpSettings;
use aws_runas_idp_support::{HttpRequest, IdpSupportError, MAX_BODY, MAX_REDIRECTS};
use aws_runas_idp_testkit::{MockResponse, MockServer};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// Reads one request head (up to the blank line); `false` when the client went away.
fn read_head(stream: &mut impl Read) -> bool {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line == "\r\n" => return true,
            Ok(_) => {}
        }
    }
}

/// Accepts connections forever on a thread, each served on its own thread by `serve`.
fn serve_forever<F>(serve: F) -> u16
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = Arc::clone(&serve);
            std::thread::spawn(move || serve(stream));
        }
    });
    port
}

/// A server that answers a 200 with a long body, one byte a second.
fn slowloris() -> u16 {
    serve_forever(|mut stream| {
        if !read_head(&mut stream) {
            return;
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        while stream.write_all(b"<").and_then(|()| stream.flush()).is_ok() {
            std::thread::sleep(Duration::from_secs(1));
        }
    })
}

/// A TLS server with the test certificate, answering every request with `response` (a whole
/// HTTP/1.1 response).
fn tls_server(response: String) -> u16 {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(fixture("tls-test-cert.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("tls-test-key.pem")).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    serve_forever(move |stream| {
        let conn = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, stream);
        // A client that refuses the certificate ends the handshake here.
        if read_head(&mut tls) {
            let _ = tls.write_all(response.as_bytes());
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    })
}

fn ok_page(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn trusting_the_test_certificate() -> HttpSettings {
    HttpSettings {
        ca_bundle: Some(fixture("tls-test-cert.pem")),
        ..settings()
    }
}

#[tokio::test]
async fn a_server_sending_one_byte_a_second_is_cut_off_by_the_timeout() {
    let port = slowloris();
    let e = client()
        .send(
            HttpRequest::get(format!("http://127.0.0.1:{port}/login"))
                .step("opening the login page"),
        )
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("request to 127.0.0.1:{port} timed out after 500ms during opening the login page")
    );
    eprintln!("hostile idp: slowloris: {e}");
}

#[tokio::test]
async fn a_page_over_the_size_cap_is_refused() {
    let server = MockServer::start();
    let page = "a".repeat(10 * 1024 * 1024);
    server.route("GET", "/huge", move |_| MockResponse::html(page.clone()));
    let e = client()
        .send(HttpRequest::get(server.url("/huge")).step("opening the login page"))
        .await
        .unwrap_err();
    assert!(matches!(e, IdpSupportError::Body { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "cannot read the answer of {} during opening the login page: the answer is larger than {} MiB",
            server.host(),
            MAX_BODY / 1024 / 1024
        )
    );
    eprintln!("hostile idp: 10 MiB page: {e}");
}

#[tokio::test]
async fn a_redirect_loop_ends_after_the_bound() {
    let server = MockServer::start();
    server.route("GET", "/a", |_| MockResponse::redirect("/b"));
    server.route("GET", "/b", |_| MockResponse::redirect("/a"));
    let e = client()
        .follow(HttpRequest::get(server.url("/a")).step("opening the login page"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, IdpSupportError::TooManyRedirects { .. }),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), MAX_REDIRECTS + 1);
    eprintln!("hostile idp: redirect loop: {e}");
}

#[tokio::test]
async fn a_redirect_from_https_to_http_is_refused() {
    let plain = MockServer::start();
    plain.route("GET", "/next", |_| MockResponse::html("downgraded"));
    let port = tls_server(format!(
        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        plain.url("/next?token=s3cr3t")
    ));
    let e = client_with(trusting_the_test_certificate())
        .follow(
            HttpRequest::get(format!("https://127.0.0.1:{port}/login"))
                .step("opening the login page"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, IdpSupportError::BadRedirect { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("refusing to leave https for the unencrypted http://127.0.0.1:"),
        "{text}"
    );
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(plain.requests().is_empty(), "nothing was sent over http");
    eprintln!("hostile idp: https to http redirect: {text}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_unless_the_ca_bundle_trusts_it() {
    let port = tls_server(ok_page("<p>trusted</p>"));
    let url = format!("https://127.0.0.1:{port}/login");
    let e = client()
        .send(HttpRequest::get(&url).step("opening the login page"))
        .await
        .unwrap_err();
    assert!(matches!(e, IdpSupportError::Connect { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot reach 127.0.0.1:{port} during opening the login page: "
        )),
        "{text}"
    );
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    eprintln!("hostile idp: invalid certificate: {text}");

    let page = client_with(trusting_the_test_certificate())
        .send(HttpRequest::get(&url))
        .await
        .unwrap();
    assert_eq!(page.body(), "<p>trusted</p>");
}

#[tokio::test]
async fn a_redirect_to_a_plain_loopback_uri_can_still_be_stopped_at() {
    // An OIDC redirect_uri on http://127.0.0.1 is caught by the caller, not followed.
    let port = tls_server(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/callback?code=c\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_string(),
    );
    let r = client_with(trusting_the_test_certificate())
        .send_following(
            HttpRequest::get(format!("https://127.0.0.1:{port}/authorize")),
            |r| {
                if r.location()
                    .is_some_and(|l| l.starts_with("http://127.0.0.1:9/"))
                {
                    aws_runas_idp_support::RedirectAction::Stop
                } else {
                    aws_runas_idp_support::RedirectAction::Follow
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
}
