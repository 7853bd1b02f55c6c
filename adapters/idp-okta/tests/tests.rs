//! Integration tests of the Okta adapter: its registration, the shared conformance suite, and the
//! Okta exchanges of `fixtures/idp/okta/` replayed on the testkit's mock server.

// Link the adapter so that its registration is in this binary's registry.
use aws_runas_idp_okta as _;

mod conformance;
mod fixtures;
mod oidc;
mod registration;
mod session;

use aws_runas_domain::ports::idp::{IdpRegistration, registry};

/// The registration record of `okta`, looked up the way the app does.
fn okta() -> &'static IdpRegistration {
    registry()
        .expect("the registry builds")
        .get("okta")
        .expect("okta is registered")
}

/// The fixture directory of this adapter.
fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp/okta")
}

/// The fixtures are written for `https://example.okta.com` (and Duo's
/// `https://api-fake0001.duosecurity.com`); the mock server lives elsewhere.
const FIXTURE_HOSTS: [&str; 2] = [
    "https://example.okta.com",
    "https://api-fake0001.duosecurity.com",
];
