//! Integration tests of the support crate against the testkit's mock server on 127.0.0.1.

mod client;
mod device;
mod hostile;
mod jar;
mod loopback;
mod oidc;
mod redirects;
mod settings;

use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::HttpSettings;
use aws_runas_idp_support::HttpClient;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The instant every test runs at.
fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
}

/// Settings with a short timeout and nothing else.
fn settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_millis(500),
        proxy: None,
        no_proxy: None,
        ca_bundle: None,
        cookie_jar: None,
    }
}

fn client_with(settings: HttpSettings) -> HttpClient {
    HttpClient::new(settings, Arc::new(FixedClock(now())))
}

fn client() -> HttpClient {
    client_with(settings())
}

fn client_with_jar(path: PathBuf) -> HttpClient {
    client_with(HttpSettings {
        cookie_jar: Some(path),
        ..settings()
    })
}
