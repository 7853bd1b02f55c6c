//! The `oidc` identity-provider adapter: a login at any OpenID Connect provider that has no
//! headless adapter, finished in the user's own browser (a loopback redirect) or with the device
//! authorization grant.

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod provider;
mod settings;

pub use provider::build;
pub use settings::{OidcFlow, OidcSettings};

use aws_runas_domain::ports::idp::{AuthUrl, IdpRegistrationSpec, ProbeResponse, Protocol};

/// Any provider's URL could be an OIDC issuer: this adapter is only ever chosen by name.
fn matches_url(_: &AuthUrl) -> bool {
    false
}

/// Nothing in a probe response says "generic OIDC": chosen by name only.
fn matches_probe(_: &ProbeResponse) -> bool {
    false
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "oidc",
    // `browser` names the DevTools adapter (idp-browser), as in the original tool.
    aliases: &[],
    protocols: &[Protocol::Oidc],
    // The provider's own pages, in the browser, handle any second factor.
    mfa: &[],
    matches_url,
    matches_probe,
    build,
});
