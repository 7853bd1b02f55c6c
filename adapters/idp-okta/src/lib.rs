//! The `okta` identity-provider adapter: Okta Classic through the authn API, Okta Identity Engine
//! through the IDX API, Okta Verify push with its number challenge, one-time codes, and Duo's
//! Universal Prompt; the SAML response of the AWS app's embed link, and the ID token of an Okta
//! authorization server (OIDC authorization-code grant with PKCE).

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod api;
mod authn;
mod duo;
mod factors;
mod idx;
mod login;
mod oidc;
mod provider;
mod settings;

pub use provider::build;
pub use settings::OktaSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdpRegistrationSpec, MfaKind, ProbeResponse, Protocol,
};

/// The host suffixes of Okta's own domains (orgs, preview orgs, the EMEA cell).
const HOST_SUFFIXES: [&str; 3] = ["okta.com", "oktapreview.com", "okta-emea.com"];

/// An Okta org on one of Okta's domains.
fn matches_url(url: &AuthUrl) -> bool {
    HOST_SUFFIXES.iter().any(|s| url.host_ends_with(s))
}

/// An Okta org on a custom domain: every Okta answer carries `X-Okta-Request-Id`.
fn matches_probe(probe: &ProbeResponse) -> bool {
    probe.header("x-okta-request-id").is_some()
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "okta",
    aliases: &[],
    protocols: &[Protocol::Saml, Protocol::Oidc],
    mfa: &[MfaKind::Code, MfaKind::Push],
    matches_url,
    matches_probe,
    build,
});
