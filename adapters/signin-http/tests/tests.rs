//! The adapter against a one-request HTTP server on 127.0.0.1 that answers like the sign-in
//! federation endpoint ("Enable custom identity broker access to the AWS console", IAM User
//! Guide): `GET /federation?Action=getSigninToken&Session=<JSON>` → `{"SigninToken": "…"}`.

use aws_runas_domain::ports::signin::{ConsoleSignin, SigninError, SigninTokenRequest};
use aws_runas_domain::{Credentials, Secret};
use aws_runas_signin_http::{HttpSignin, SigninSettings};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::Duration;

/// Serves one request with `status` and `body`; returns the endpoint and the request line.
fn serve_once(status: u16, body: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}/federation", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
        }
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        request_line
    });
    (endpoint, handle)
}

fn adapter() -> HttpSignin {
    HttpSignin::new(SigninSettings {
        timeout: Duration::from_secs(10),
        proxy: None,
        no_proxy: None,
        ca_bundle: None,
    })
}

fn temporary() -> Credentials {
    Credentials::new(
        "ASIAFAKE",
        Secret::new("fake/secret+key"),
        Some(Secret::new("fake-token")),
        None,
    )
}

fn query(request_line: &str) -> Vec<(String, String)> {
    let target = request_line.split(' ').nth(1).unwrap();
    let url = url::Url::parse(&format!("http://x{target}")).unwrap();
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn a_token_comes_back_for_temporary_credentials() {
    let (endpoint, server) = serve_once(200, r#"{"SigninToken":"tok-123"}"#);
    let req = SigninTokenRequest {
        endpoint,
        session_duration_secs: Some(3600),
    };
    let token = adapter().signin_token(&temporary(), &req).await.unwrap();
    assert_eq!(token.expose(), "tok-123");
    let pairs = query(&server.join().unwrap());
    assert_eq!(pairs[0], ("Action".into(), "getSigninToken".into()));
    assert_eq!(pairs[1], ("SessionDuration".into(), "3600".into()));
    let session: serde_json::Value = serde_json::from_str(&pairs[2].1).unwrap();
    assert_eq!(session["sessionKey"], "fake/secret+key");
}

#[tokio::test]
async fn an_error_status_is_rejected_without_the_credentials() {
    let (endpoint, server) = serve_once(400, "Bad Request");
    let req = SigninTokenRequest {
        endpoint: endpoint.clone(),
        session_duration_secs: None,
    };
    let err = adapter()
        .signin_token(&temporary(), &req)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SigninError::Rejected { status: 400, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&endpoint) && text.contains("Bad Request"),
        "{text}"
    );
    assert!(
        !text.contains("fake/secret") && !text.contains("fake-token"),
        "{text}"
    );
    let pairs = query(&server.join().unwrap());
    assert!(pairs.iter().all(|(k, _)| k != "SessionDuration"));
}

#[tokio::test]
async fn long_term_keys_are_refused_before_any_request() {
    let req = SigninTokenRequest {
        endpoint: "http://127.0.0.1:9/federation".into(),
        session_duration_secs: None,
    };
    let keys = Credentials::new("AKIAFAKE", Secret::new("s"), None, None);
    let err = adapter().signin_token(&keys, &req).await.unwrap_err();
    assert!(err.to_string().contains("long-term"), "{err}");
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_network_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let req = SigninTokenRequest {
        endpoint: format!("http://127.0.0.1:{port}/federation"),
        session_duration_secs: None,
    };
    let err = adapter()
        .signin_token(&temporary(), &req)
        .await
        .unwrap_err();
    assert!(matches!(err, SigninError::Network { .. }), "{err:?}");
    assert!(!err.to_string().contains("fake-token"), "{err}");
}
