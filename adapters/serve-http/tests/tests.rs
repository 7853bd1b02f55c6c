//! The server over a fake `CredentialSource`, spoken to with raw HTTP/1.1 on loopback: the ECS
//! and IMDSv2 protocols, every refusal, and shutdown.

use async_trait::async_trait;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::credential_source::{CredentialSource, CredentialSourceError};
use aws_runas_domain::{Credentials, Secret, Timestamp};
use aws_runas_serve_http::{Mode, ServeSettings, Server};
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const TOKEN: &str = "test-token-0123456789";
const PAGE_TOKEN: &str = "page-token-9876543210";

/// Answers `dev` and `other` with keys named after them, `mfa` with NeedsMfa, anything else with
/// NotFound; counts the calls.
#[derive(Debug, Default)]
struct Fake {
    calls: AtomicUsize,
}

#[async_trait]
impl CredentialSource for Fake {
    fn active_profile(&self) -> Option<String> {
        Some("dev".into())
    }

    fn profiles(&self) -> Vec<String> {
        vec!["other".into(), "dev".into()]
    }

    async fn credentials(
        &self,
        profile: Option<&str>,
    ) -> Result<Credentials, CredentialSourceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match profile.unwrap_or("dev") {
            p @ ("dev" | "other") => Ok(Credentials::new(
                format!("ASIA{}", p.to_uppercase()),
                Secret::new(format!("secret-of-{p}")),
                Some(Secret::new(format!("token-of-{p}"))),
                Some(Timestamp::from_unix(1_800_000_000)),
            )),
            "long" => Ok(Credentials::new(
                "AKIALONG",
                Secret::new("long-secret"),
                None,
                None,
            )),
            "mfa" => Err(CredentialSourceError::NeedsMfa {
                profile: "mfa".into(),
                message: "no terminal".into(),
            }),
            p => Err(CredentialSourceError::NotFound(Some(p.to_string()))),
        }
    }
}

/// A server running on its own thread until dropped.
struct Running {
    addr: SocketAddr,
    fake: Arc<Fake>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(mode: Mode) -> Running {
        Running::start_with(mode, Duration::from_secs(5))
    }

    fn start_with(mode: Mode, header_timeout: Duration) -> Running {
        Running::start_full(mode, header_timeout, true)
    }

    fn start_full(mode: Mode, header_timeout: Duration, page: bool) -> Running {
        let settings = ServeSettings {
            mode,
            clock: Arc::new(FixedClock(Timestamp::from_unix(1_700_000_000))),
            log_requests: false,
            header_timeout,
            page_token: page.then(|| Secret::new(PAGE_TOKEN.to_string())),
        };
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), settings).unwrap();
        let addr = server.local_addr();
        let fake = Arc::new(Fake::default());
        let source: Arc<dyn CredentialSource> = fake.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(server.run(source, async {
                let _ = rx.await;
            }))
            .unwrap();
        });
        Running {
            addr,
            fake,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }

    /// Sends `head` (request line and headers, without the blank line) and `body`; returns the
    /// status, the response head and the body.
    fn send(&self, head: &str, body: &[u8]) -> (u16, String, String) {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let host = if head.to_ascii_lowercase().contains("\r\nhost:") {
            String::new()
        } else {
            format!("\r\nHost: {}", self.addr)
        };
        let req = format!("{head}{host}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        // The server may answer and close before reading a body it refuses.
        let _ = s.write_all(body);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, head.to_string(), body.to_string())
    }

    fn get(&self, path: &str, extra: &str) -> (u16, String, String) {
        self.send(&format!("GET {path} HTTP/1.1{extra}"), b"")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ecs() -> Running {
    Running::start(Mode::Ecs {
        path: "/credentials".into(),
        token: Secret::new(TOKEN),
    })
}

fn auth() -> String {
    format!("\r\nAuthorization: {TOKEN}")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn ecs_serves_the_active_and_a_named_profile_with_the_token() {
    let s = ecs();
    let (status, head, body) = s.get("/credentials", &auth());
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let v = json(&body);
    assert_eq!(v["AccessKeyId"], "ASIADEV");
    assert_eq!(v["SecretAccessKey"], "secret-of-dev");
    assert_eq!(v["Token"], "token-of-dev");
    assert_eq!(
        v["Expiration"],
        Timestamp::from_unix(1_800_000_000).to_rfc3339()
    );
    let (status, _, body) = s.get("/credentials/other", &auth());
    assert_eq!(status, 200);
    assert_eq!(json(&body)["AccessKeyId"], "ASIAOTHER");
    // Long-term keys: no Token, and an expiry an hour after "now" so SDKs ask again.
    let (status, _, body) = s.get("/credentials/long", &auth());
    assert_eq!(status, 200);
    let v = json(&body);
    assert!(v.get("Token").is_none(), "{body}");
    assert_eq!(v["Expiration"], "2023-11-14T23:13:20Z");
}

#[test]
fn ecs_refuses_a_missing_or_wrong_token() {
    let s = ecs();
    for extra in [
        String::new(),
        "\r\nAuthorization: wrong".to_string(),
        format!("\r\nAuthorization: {TOKEN}x"),
        format!("\r\nAuthorization: Bearer {TOKEN}"),
        "\r\nAuthorization: ".to_string(),
    ] {
        let (status, _, body) = s.get("/credentials", &extra);
        assert_eq!(status, 401, "{extra:?}");
        assert!(!body.contains("secret-of"), "{body}");
        assert!(body.contains("AWS_CONTAINER_AUTHORIZATION_TOKEN"), "{body}");
    }
    assert_eq!(
        s.fake.calls.load(Ordering::SeqCst),
        0,
        "the source was never asked"
    );
}

#[test]
fn ecs_names_an_unknown_profile_and_signals_mfa() {
    let s = ecs();
    let (status, _, body) = s.get("/credentials/nope", &auth());
    assert_eq!(status, 404);
    assert!(
        json(&body)["error"].as_str().unwrap().contains("`nope`"),
        "{body}"
    );
    let (status, head, body) = s.get("/credentials/mfa", &auth());
    assert_eq!(status, 401);
    assert!(
        head.to_ascii_lowercase()
            .contains("x-awsrunas-authentication-type: mfa"),
        "{head}"
    );
    assert!(body.contains("MFA"), "{body}");
    for path in [
        "/nope",
        "/credentialsX",
        "/credentials/a/b",
        "/latest/api/token",
    ] {
        assert_eq!(s.get(path, &auth()).0, 404, "{path}");
    }
    let (status, _, _) = s.send(&format!("POST /credentials HTTP/1.1{}", auth()), b"");
    assert_eq!(status, 405);
}

#[test]
fn a_foreign_host_is_refused_and_loopback_names_are_not() {
    let s = ecs();
    for host in ["evil.example", "evil.example:12319", "10.1.2.3", "[::2]:80"] {
        let (status, _, body) = s.get("/credentials", &format!("{}\r\nHost: {host}", auth()));
        assert_eq!(status, 403, "{host}");
        assert!(!body.contains("secret-of"));
    }
    for host in ["localhost:1", "127.0.0.1", "[::1]:5", "LOCALHOST"] {
        let (status, _, _) = s.get("/credentials", &format!("{}\r\nHost: {host}", auth()));
        assert_eq!(status, 200, "{host}");
    }
}

#[test]
fn large_bodies_and_headers_are_refused() {
    let s = ecs();
    let mib = vec![b'x'; 1024 * 1024];
    let (status, _, _) = s.send(
        &format!(
            "POST /credentials HTTP/1.1{}\r\nContent-Length: {}",
            auth(),
            mib.len()
        ),
        &mib,
    );
    assert_eq!(status, 413);
    // A chunked body: read up to the limit, then refused.
    let mut chunked = Vec::new();
    for _ in 0..80 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[b'y'; 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, _, _) = s.send(
        &format!(
            "GET /credentials HTTP/1.1{}\r\nTransfer-Encoding: chunked",
            auth()
        ),
        &chunked,
    );
    assert_eq!(status, 413);
    let big = "a".repeat(17 * 1024);
    let (status, _, body) = s.get("/credentials", &format!("{}\r\nX-Big: {big}", auth()));
    assert_eq!(status, 431);
    assert!(!body.contains("secret-of"));
    // A small body is fine.
    let (status, _, _) = s.send(
        &format!("GET /credentials HTTP/1.1{}\r\nContent-Length: 5", auth()),
        b"hello",
    );
    assert_eq!(status, 200);
}

#[test]
fn a_slow_client_is_cut_off() {
    let s = Running::start_with(
        Mode::Ecs {
            path: "/credentials".into(),
            token: Secret::new(TOKEN),
        },
        Duration::from_millis(300),
    );
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    // The rest of the head never comes: the server closes the connection.
    let mut out = Vec::new();
    let read = c.read_to_end(&mut out);
    assert!(
        read.is_ok(),
        "closed by the server, not by our timeout: {read:?}"
    );
    assert!(!String::from_utf8_lossy(&out).contains("secret-of"));
}

#[test]
fn shutdown_finishes_and_stops_accepting() {
    let mut s = ecs();
    // An idle keep-alive connection does not hold the shutdown up.
    let idle = TcpStream::connect(s.addr).unwrap();
    assert_eq!(s.get("/credentials", &auth()).0, 200);
    s.stop();
    drop(idle);
    assert!(
        TcpStream::connect(s.addr).is_err(),
        "nothing listens after shutdown"
    );
}

fn imds(imdsv1: bool) -> Running {
    Running::start(Mode::Ec2 { imdsv1 })
}

fn put_token(s: &Running, ttl: &str) -> (u16, String, String) {
    s.send(
        &format!("PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: {ttl}"),
        b"",
    )
}

const CREDS: &str = "/latest/meta-data/iam/security-credentials/";

#[test]
fn imdsv2_tokens_gate_the_credentials() {
    let s = imds(false);
    let (status, head, token) = put_token(&s, "21600");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-aws-ec2-metadata-token-ttl-seconds: 21600"),
        "the TTL is echoed: {head}"
    );
    assert_eq!(token.len(), 64);
    let with = format!("\r\nX-aws-ec2-metadata-token: {token}");
    let (status, _, body) = s.get(CREDS, &with);
    assert_eq!((status, body.as_str()), (200, "dev"));
    let (status, _, body) = s.get(&format!("{CREDS}dev"), &with);
    assert_eq!(status, 200);
    let v = json(&body);
    assert_eq!(v["Code"], "Success");
    assert_eq!(v["Type"], "AWS-HMAC");
    assert_eq!(v["AccessKeyId"], "ASIADEV");
    assert_eq!(v["Token"], "token-of-dev");
    assert_eq!(v["LastUpdated"], "2023-11-14T22:13:20Z");
    let (status, _, body) = s.get(&format!("{CREDS}nope"), &with);
    assert_eq!(status, 404);
    assert!(body.contains("`nope`"));

    // No token, a forged one, a malformed TTL: refused, and the source never asked for them.
    let before = s.fake.calls.load(Ordering::SeqCst);
    for extra in [
        String::new(),
        "\r\nX-aws-ec2-metadata-token: forged".to_string(),
        format!("\r\nX-aws-ec2-metadata-token: {}", "0".repeat(64)),
    ] {
        let (status, _, body) = s.get(&format!("{CREDS}dev"), &extra);
        assert_eq!(status, 401, "{extra:?}");
        assert!(!body.contains("secret-of"));
    }
    assert_eq!(s.fake.calls.load(Ordering::SeqCst), before);
    for ttl in ["0", "21601", "x", ""] {
        assert_eq!(put_token(&s, ttl).0, 400, "{ttl:?}");
    }
    assert_eq!(
        s.send("PUT /latest/api/token HTTP/1.1", b"").0,
        400,
        "no TTL header"
    );
    assert_eq!(s.get("/latest/api/token", "").0, 405);
    let (status, _, _) = s.send(
        "PUT /latest/api/token HTTP/1.1\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\nX-Forwarded-For: 10.0.0.1",
        b"",
    );
    assert_eq!(status, 403);
    assert_eq!(s.get("/credentials", &with).0, 404, "no ECS route here");
}

#[test]
fn an_imds_token_dies_with_its_ttl() {
    let s = imds(false);
    let (status, _, token) = put_token(&s, "1");
    assert_eq!(status, 200);
    let with = format!("\r\nX-aws-ec2-metadata-token: {token}");
    assert_eq!(s.get(CREDS, &with).0, 200);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(s.get(CREDS, &with).0, 401, "expired");
}

#[test]
fn imdsv1_only_when_allowed() {
    let s = imds(true);
    let (status, _, body) = s.get(&format!("{CREDS}dev"), "");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["AccessKeyId"], "ASIADEV");
    // A token, when given, must still be live.
    assert_eq!(s.get(CREDS, "\r\nX-aws-ec2-metadata-token: forged").0, 401);
}

// ---- the web page ----

fn cookie() -> String {
    format!("\r\nCookie: aws_runas_page={PAGE_TOKEN}")
}

/// Every `src=`, `href=` and `url(` value of the page.
fn references(html: &str) -> Vec<String> {
    let mut out = vec![];
    for marker in ["src=", "href=", "url(", "@import"] {
        for (i, _) in html.match_indices(marker) {
            let rest = html[i + marker.len()..].trim_start_matches(['"', '\'', ' ']);
            let end = rest
                .find(|c: char| c == '"' || c == '\'' || c == ')' || c.is_whitespace() || c == '>')
                .unwrap_or(rest.len());
            out.push(rest[..end].to_string());
        }
    }
    out
}

#[test]
fn the_page_is_served_with_its_controls_and_loads_nothing_from_another_host() {
    let s = ecs();
    let (status, head, body) = s.get("/", "");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html")
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-security-policy: default-src 'none'")
    );
    for label in [">Profile<", ">MFA code<", ">Refresh now<"] {
        assert!(body.contains(label), "the page lacks {label}");
    }
    assert!(body.contains("X-AwsRunas-Authentication-Type"));
    for r in references(&body) {
        assert!(
            !r.contains("//") && !r.contains(':'),
            "the page refers to another host: {r}"
        );
    }
    assert!(!body.contains("http://") && !body.contains("https://"));
    // Self-check of the scanner: it finds a reference to another host.
    assert_eq!(
        references("<img src=\"https://cdn.example/x.png\">"),
        ["https://cdn.example/x.png"]
    );
}

#[test]
fn a_server_without_a_page_token_has_no_page() {
    let s = Running::start_full(
        Mode::Ecs {
            path: "/credentials".into(),
            token: Secret::new(TOKEN),
        },
        Duration::from_secs(5),
        false,
    );
    for path in ["/", "/status", "/profiles"] {
        assert_eq!(s.get(path, &cookie()).0, 404, "{path}");
    }
    let (status, _, _) = s.send(&format!("POST /refresh HTTP/1.1{}", cookie()), b"");
    assert_eq!(status, 404);
    assert_eq!(s.get("/credentials", &auth()).0, 200);
}

#[test]
fn the_ec2_server_has_the_page_too() {
    let s = Running::start(Mode::Ec2 { imdsv1: false });
    let (status, _, body) = s.get("/", "");
    assert_eq!(status, 200);
    assert!(body.contains(">Profile<"));
    let (status, _, body) = s.get("/status", &cookie());
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["access_key_id"], "ASIADEV");
}

#[test]
fn the_token_in_the_address_sets_the_cookie_the_page_requests_need() {
    let s = ecs();
    let (status, head, _) = s.get(&format!("/?token={PAGE_TOKEN}"), "");
    assert_eq!(status, 303, "{head}");
    let h = head.to_ascii_lowercase();
    assert!(
        h.contains(&format!("set-cookie: aws_runas_page={PAGE_TOKEN}")),
        "{head}"
    );
    assert!(
        h.contains("httponly") && h.contains("samesite=strict"),
        "{head}"
    );
    assert!(h.contains("location: /"), "{head}");
    let (status, head, _) = s.get("/?token=wrong", "");
    assert_eq!(status, 401, "{head}");
    assert!(!head.to_ascii_lowercase().contains("set-cookie"));
    // Without the cookie (or with a wrong one) the page's requests are refused.
    for extra in [
        String::new(),
        "\r\nCookie: aws_runas_page=wrong".to_string(),
    ] {
        let (status, _, body) = s.get("/status", &extra);
        assert_eq!(status, 401, "{body}");
        assert!(!body.contains("ASIA"));
    }
}

#[test]
fn the_page_lists_profiles_and_shows_what_is_served() {
    let s = ecs();
    let (status, _, body) = s.get("/profiles", &cookie());
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["profiles"], serde_json::json!(["dev", "other"]));
    assert_eq!(v["active"], "dev");
    let (status, _, body) = s.get("/status", &cookie());
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["profile"], "dev");
    assert_eq!(v["access_key_id"], "ASIADEV");
    assert_eq!(
        v["expiration"],
        Timestamp::from_unix(1_800_000_000).to_rfc3339()
    );
    assert!(
        !body.contains("secret-of-dev"),
        "no secret in the page's view: {body}"
    );
    // The ECS token in Authorization works too (scripts).
    let (status, _, _) = s.get("/status", &format!("\r\nAuthorization: {PAGE_TOKEN}"));
    assert_eq!(status, 200);
}

fn post(s: &Running, path: &str, extra: &str, body: &[u8]) -> (u16, String, String) {
    s.send(
        &format!(
            "POST {path} HTTP/1.1\r\nContent-Length: {}{extra}",
            body.len()
        ),
        body,
    )
}

#[test]
fn state_changes_need_our_host_and_origin() {
    let s = ecs();
    let ours = format!("http://{}", s.addr);
    let (status, _, body) = post(
        &s,
        "/refresh",
        &format!("{}\r\nOrigin: {ours}", cookie()),
        b"",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["access_key_id"], "ASIADEV");
    for origin in [
        "http://evil.example",
        "null",
        &format!("https://{}", s.addr),
    ] {
        let (status, _, body) = post(
            &s,
            "/refresh",
            &format!("{}\r\nOrigin: {origin}", cookie()),
            b"",
        );
        assert_eq!(status, 403, "{origin}: {body}");
        assert!(body.contains("Origin"), "{body}");
    }
    let port = s.addr.port();
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.2:{port}"),
        "127.0.0.1:1".to_string(),
    ] {
        let (status, _, body) = post(
            &s,
            "/refresh",
            &format!("{}\r\nHost: {host}", cookie()),
            b"",
        );
        assert_eq!(status, 403, "{host}: {body}");
        assert!(body.contains("Host"), "{body}");
    }
    let (status, _, _) = post(
        &s,
        "/refresh",
        &format!("{}\r\nHost: localhost:{port}", cookie()),
        b"",
    );
    assert_eq!(status, 200);
    // GET is not how state changes.
    let (status, _, _) = s.get("/refresh", &cookie());
    assert_eq!(status, 405);
    // And without the cookie, even from our own origin, nothing changes.
    let (status, _, _) = post(&s, "/refresh", &format!("\r\nOrigin: {ours}"), b"");
    assert_eq!(status, 401);
}

#[test]
fn picking_a_profile_and_giving_a_code_report_what_the_source_says() {
    let s = ecs();
    // This fake cannot switch profiles or take codes: the page is told so.
    let (status, _, body) = post(&s, "/profile", &cookie(), b"nope");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("nope"), "{body}");
    let (status, _, body) = post(&s, "/mfa", &cookie(), b"mfa=123456");
    assert_eq!(status, 409, "{body}");
    for bad in [&b"mfa="[..], b"mfa=12 34", b"mfa=12345678901234567"] {
        let (status, _, _) = post(&s, "/mfa", &cookie(), bad);
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(bad));
    }
    let (status, _, _) = post(&s, "/profile", &cookie(), b"  ");
    assert_eq!(status, 400);
    let big = vec![b'a'; 1024 * 1024];
    let (status, _, _) = post(&s, "/profile", &cookie(), &big);
    assert_eq!(status, 413);
}
