//! The `onelogin` identity-provider adapter: OneLogin's API login with the API credentials of the
//! URL's `token` parameter — the SAML assertion of API v2 and, for OIDC, the API v1 login turned
//! into a browser session for the authorization-code grant — with OneLogin Protect and Voice
//! pushes and one-time codes (OneLogin Protect, Google Authenticator, SMS, e-mail).

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod api;
mod flow;
mod mfa;
mod settings;

pub use settings::OneLoginSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, MfaKind,
    ProbeResponse, Protocol,
};

/// Builds the `onelogin` adapter for one login (the constructor the registry calls).
///
/// Nothing is sent and nothing is asked until a login is needed.
///
/// # Errors
/// As [`OneLoginSettings::from_idp_settings`]: a URL without a usable `token` parameter, a region
/// other than `us` or `eu`, bad common keys, any `onelogin_*` key.
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = OneLoginSettings::from_idp_settings(settings)?;
    Ok(Box::new(flow::Login::new(settings, deps)))
}

/// OneLogin serves every tenant from `<subdomain>.onelogin.com`.
fn matches_url(url: &AuthUrl) -> bool {
    url.host_ends_with("onelogin.com")
}

/// A OneLogin page on a custom domain sets cookies named after OneLogin's domain
/// (`sub_session_onelogin.com`, `onelogin.com_user`).
fn matches_probe(probe: &ProbeResponse) -> bool {
    probe
        .cookies
        .iter()
        .any(|c| c.to_ascii_lowercase().contains("onelogin.com"))
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "onelogin",
    aliases: &[],
    protocols: &[Protocol::Saml, Protocol::Oidc],
    mfa: &[MfaKind::Code, MfaKind::Push],
    matches_url,
    matches_probe,
    build,
});
