//! The `forms` identity-provider adapter: SAML and OIDC logins through any IdP whose login is an
//! HTML form.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod flow;
pub mod fuzzing;
mod page;
mod settings;

pub use settings::FormsSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, MfaKind,
    ProbeResponse, Protocol,
};

/// Builds the `forms` adapter for one login (the constructor the registry calls).
///
/// # Errors
/// As [`FormsSettings::from_idp_settings`]: a configuration error for a missing or bad URL, an
/// unknown `forms_*` key or a bad `mfa_type`; an unsupported error for `mfa_type = push`.
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = FormsSettings::from_idp_settings(settings)?;
    Ok(Box::new(flow::FormsIdp::new(settings, &deps)))
}

/// A generic adapter is never guessed from a URL: it is chosen by name.
fn matches_url(_: &AuthUrl) -> bool {
    false
}

/// A generic adapter is never guessed from a probe: it is chosen by name.
fn matches_probe(_: &ProbeResponse) -> bool {
    false
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "forms",
    aliases: &["form", "html"],
    protocols: &[Protocol::Saml, Protocol::Oidc],
    mfa: &[MfaKind::Code],
    matches_url,
    matches_probe,
    build,
});
