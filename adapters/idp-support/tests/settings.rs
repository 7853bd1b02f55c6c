//! The settings handed in: proxy, `NO_PROXY`, CA bundle, timeout.

use super::{client_with, settings};
use aws_runas_domain::ports::idp::{HttpSettings, IdpError, IdpErrorKind};
use aws_runas_idp_support::{HttpRequest, IdpSupportError};
use aws_runas_idp_testkit::{MockResponse, MockServer};
use std::time::Duration;

/// A self-signed test root made for these tests (public certificate only; its key was discarded).
const TEST_ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBrDCCAVGgAwIBAgIUbolhGrvexh2wA+xUnU6C8jTyoo4wCgYIKoZIzj0EAwIw
KjEoMCYGA1UEAwwfYXdzLXJ1bmFzIGlkcC1zdXBwb3J0IHRlc3Qgcm9vdDAgFw0y
NjExMjQwNjE1MzJaGA8yMTI2MTAzMTA2MTUzMlowKjEoMCYGA1UEAwwfYXdzLXJ1
bmFzIGlkcC1zdXBwb3J0IHRlc3Qgcm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABCKGwKbPp48+IsfiOlnxkSV7cHAwaCUqGy8zxrO+0i0aA+l5WPicesRMgMi3
PlE2fAaqjoFgQpBm+O4/0jfcBH+jUzBRMB0GA1UdDgQWBBQUf1EHUSjFu1giigCE
cH5lI/SUgjAfBgNVHSMEGDAWgBQUf1EHUSjFu1giigCEcH5lI/SUgjAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQD36BeuWSK6XfSfgORsGGcbGEwp
fynazQCXO3J4YamNugIhAKpsC9QEjQB2aLMHIKiDd7PxoTxYLvN4HlK5cyr1z91H
-----END CERTIFICATE-----
";

#[tokio::test]
async fn requests_go_through_the_proxy_unless_no_proxy_says_otherwise() {
    let proxy = MockServer::start();
    proxy.route("GET", "/x", |_| MockResponse::text("via proxy"));
    let target = MockServer::start();
    target.route("GET", "/x", |_| MockResponse::text("direct"));
    let proxied = client_with(HttpSettings {
        proxy: Some(proxy.base_url()),
        ..settings()
    });
    let r = proxied
        .send(HttpRequest::get("http://idp.example.invalid/x?a=1"))
        .await
        .unwrap();
    assert_eq!(r.body(), "via proxy");
    let seen = &proxy.requests()[0];
    assert_eq!(seen.target(), "http://idp.example.invalid/x?a=1");
    assert_eq!(seen.header("host"), Some("idp.example.invalid"));

    let bypass = client_with(HttpSettings {
        proxy: Some(proxy.host()),
        no_proxy: Some("localhost,127.0.0.1".into()),
        ..settings()
    });
    let r = bypass
        .send(HttpRequest::get(target.url("/x")))
        .await
        .unwrap();
    assert_eq!(r.body(), "direct");
    assert_eq!(proxy.requests().len(), 1);
}

#[tokio::test]
async fn a_bad_proxy_is_a_configuration_error_without_its_password() {
    let c = client_with(HttpSettings {
        proxy: Some("socks5://bob:hunter2@proxy.example.com:1080".into()),
        ..settings()
    });
    let e = c
        .send(HttpRequest::get("http://idp.example.com/"))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("invalid proxy socks5://proxy.example.com:1080"),
        "{text}"
    );
    assert!(!text.contains("hunter2"));
    assert_eq!(IdpError::from(e).kind(), IdpErrorKind::Configuration);
}

#[tokio::test]
async fn the_ca_bundle_is_checked_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let missing = dir.path().join("missing.pem");
    for (path, detail) in [(&bad, "no certificate found"), (&missing, "")] {
        let c = client_with(HttpSettings {
            ca_bundle: Some(path.clone()),
            ..settings()
        });
        let e = c
            .send(HttpRequest::get("http://127.0.0.1:1/"))
            .await
            .unwrap_err();
        assert!(matches!(e, IdpSupportError::CaBundle { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("cannot use CA bundle {}: ", path.display())),
            "{text}"
        );
        assert!(text.ends_with(detail), "{text}");
    }

    let good = dir.path().join("roots.pem");
    std::fs::write(&good, format!("{TEST_ROOT}{TEST_ROOT}")).unwrap();
    let server = MockServer::start();
    server.route("GET", "/", |_| MockResponse::text("ok"));
    let c = client_with(HttpSettings {
        ca_bundle: Some(good),
        ..settings()
    });
    assert_eq!(
        c.send(HttpRequest::get(server.url("/")))
            .await
            .unwrap()
            .body(),
        "ok"
    );
}

#[test]
fn a_zero_timeout_means_the_default() {
    let c = client_with(HttpSettings {
        timeout: Duration::ZERO,
        ..settings()
    });
    assert_eq!(c.timeout(), Duration::from_secs(30));
    assert_eq!(
        client_with(settings()).timeout(),
        Duration::from_millis(500)
    );
}
