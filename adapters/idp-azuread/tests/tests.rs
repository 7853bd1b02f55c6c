//! Integration tests of the Azure AD adapter: its registration, the shared conformance suite,
//! the Azure AD pages of `fixtures/idp/azuread/` replayed on the testkit's mock server, and the
//! hand-over of federated users.
//!
//! The federated cases run with a test `Federation`
//! in the adapter's deps (`fake_adfs.rs`), standing in for the app's: it signs the user in with a
//! tiny test adapter, `fake-adfs`, that claims the mock federation server's URL.

// Link the adapter so that its registration is in this binary's registry.
use aws_runas_idp_azuread as _;

mod conformance;
mod fake_adfs;
mod federation;
mod fixtures;
mod oidc;
mod registration;

use aws_runas_domain::ports::idp::{IdpRegistration, registry};

/// The registration record of `azuread`, looked up the way the app does.
fn azuread() -> &'static IdpRegistration {
    registry()
        .expect("the registry builds")
        .get("azuread")
        .expect("azuread is registered")
}

/// The fixture directory of this adapter.
fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp/azuread")
}

/// The hosts the fixture pages are rendered for; the mock server stands in for all of them.
const FIXTURE_HOSTS: [&str; 4] = [
    "https://myapps.microsoft.com",
    "https://login.microsoftonline.com",
    "https://account.activedirectory.windowsazure.com",
    "https://adfs.example.test",
];
