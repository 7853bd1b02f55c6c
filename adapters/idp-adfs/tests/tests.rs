//! Integration tests of the AD FS adapter: its registration, the shared conformance suite, the
//! AD FS pages of `fixtures/idp/adfs/` replayed on the testkit's mock server, and the error kinds
//! those cases do not reach.

// Link the adapter so that its registration is in this binary's registry.
use aws_runas_idp_adfs as _;

mod conformance;
mod fixtures;
mod kinds;
mod registration;

use aws_runas_domain::ports::idp::{IdpRegistration, registry};

/// The registration record of `adfs`, looked up the way the app does.
fn adfs() -> &'static IdpRegistration {
    registry()
        .expect("the registry builds")
        .get("adfs")
        .expect("adfs is registered")
}

/// The fixture directory of this adapter.
fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp/adfs")
}

/// The fixture pages are rendered for `https://adfs.example.test`; the mock server lives elsewhere.
const FIXTURE_HOST: &str = "https://adfs.example.test";

/// A fixture page of `case`, its links pointing at `base` (the mock server).
fn fixture_page(case: &str, file: &str, base: &str) -> String {
    let path = fixture_dir().join(case).join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .replace(FIXTURE_HOST, base)
}
