//! The `adfs` identity-provider adapter: Microsoft AD FS's IdP-initiated sign-on, its forms login,
//! the Azure MFA adapter's verification codes and push approvals, recognised by markup rather than
//! wording.

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod login;
mod pages;
mod provider;
mod settings;

pub use provider::build;
pub use settings::AdfsSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdpRegistrationSpec, MfaKind, ProbeResponse, Protocol,
};

/// Every AD FS endpoint lives under `/adfs/` (`/adfs/ls/`, `/adfs/oauth2/`, `/adfs/services/`);
/// IIS compares paths without case.
fn matches_url(url: &AuthUrl) -> bool {
    let path = url.path().to_ascii_lowercase();
    path.contains("/adfs/") || path.ends_with("/adfs")
}

/// AD FS names its cookies `MSIS…` (`MSISAuth`, `MSISAuthenticated`, `MSISSamlRequest`,
/// `MSISContext`, `MSISLoopDetectionCookie`, `MSISSignOut`).
fn matches_probe(probe: &ProbeResponse) -> bool {
    probe
        .cookies
        .iter()
        .any(|c| c.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("msis")))
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "adfs",
    aliases: &[],
    protocols: &[Protocol::Saml],
    mfa: &[MfaKind::Code, MfaKind::Push],
    matches_url,
    matches_probe,
    build,
});
