//! The `azuread` identity-provider adapter: Azure AD (Microsoft Entra ID) sign-in pages read
//! through their `$Config`, federated users handed to the adapter of their federation server,
//! second factors through `BeginAuth`/`EndAuth`, the SAML launch of an enterprise application,
//! and the ID token of the Microsoft identity platform (OIDC authorization-code grant with PKCE).

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod config;
mod federation;
pub mod fuzzing;
mod login;
mod mfa;
mod oidc;
mod provider;
mod settings;

pub use provider::build;
pub use settings::AzureAdSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdpRegistrationSpec, MfaKind, ProbeResponse, Protocol,
};

/// The registered name.
const NAME: &str = "azuread";

/// The hosts of Azure AD's sign-in and application pages: `myapps.microsoft.com`,
/// `login.microsoftonline.com`, and the sovereign clouds' `login.microsoftonline.us` and
/// `login.partner.microsoftonline.cn`.
const HOST_SUFFIXES: [&str; 4] = [
    "microsoft.com",
    "microsoftonline.com",
    "microsoftonline.us",
    "microsoftonline.cn",
];

fn matches_url(url: &AuthUrl) -> bool {
    HOST_SUFFIXES.iter().any(|s| url.host_ends_with(s))
}

/// Azure AD (and the rest of Microsoft's front doors) answers every request with an
/// `x-ms-request-id` header.
fn matches_probe(probe: &ProbeResponse) -> bool {
    probe.header("x-ms-request-id").is_some()
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: NAME,
    aliases: &["aad", "entra", "entraid"],
    protocols: &[Protocol::Saml, Protocol::Oidc],
    mfa: &[MfaKind::Code, MfaKind::Push],
    matches_url,
    matches_probe,
    build,
});
