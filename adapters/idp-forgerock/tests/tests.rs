//! Integration tests of the ForgeRock adapter: its registration, the shared conformance suites,
//! and AM conversations of `fixtures/idp/forgerock/` replayed on the testkit's mock server.

// Link the adapter so that its registration is in this binary's registry.
use aws_runas_idp_forgerock as _;

mod conformance;
mod fixtures;
mod registration;

use aws_runas_domain::ports::idp::{IdpRegistration, registry};

/// The registration record of `forgerock`, looked up the way the app does.
fn forgerock() -> &'static IdpRegistration {
    registry()
        .expect("the registry builds")
        .get("forgerock")
        .expect("forgerock is registered")
}
