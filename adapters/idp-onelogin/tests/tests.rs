//! Integration tests of the OneLogin adapter: its registration, the shared conformance suites,
//! and OneLogin API conversations of `fixtures/idp/onelogin/` replayed on the testkit's mock
//! server.

// Link the adapter so that its registration is in this binary's registry.
use aws_runas_idp_onelogin as _;

mod conformance;
mod fixtures;
mod registration;

use aws_runas_domain::ports::idp::{IdpRegistration, registry};

/// The registration record of `onelogin`, looked up the way the app does.
fn onelogin() -> &'static IdpRegistration {
    registry()
        .expect("the registry builds")
        .get("onelogin")
        .expect("onelogin is registered")
}

/// API credentials as the URL's `token` parameter: base64 of
/// `fake-client-0001:fake-secret-0001`.
const TOKEN: &str = "ZmFrZS1jbGllbnQtMDAwMTpmYWtlLXNlY3JldC0wMDAx";
