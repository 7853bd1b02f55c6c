//! The `browser-sp` identity-provider adapter: SAML through the user's default browser, with
//! aws-runas as a small service provider. It listens on `127.0.0.1`, sends the browser to the
//! IdP's SSO endpoint with an AuthnRequest (HTTP-Redirect binding) whose assertion consumer is
//! that listener, and receives the `SAMLResponse` the IdP posts back (the original's `browserne`).

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod authn;
mod flow;
mod settings;

pub use settings::BrowserSpSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, ProbeResponse,
    Protocol,
};

/// Builds the `browser-sp` adapter for one login (the constructor the registry calls).
///
/// # Errors
/// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`] for bad settings.
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = BrowserSpSettings::from_idp_settings(settings)?;
    Ok(Box::new(flow::BrowserSp::new(settings, deps)))
}

/// Any SAML IdP can serve this login: it is chosen by name only.
fn matches_url(_url: &AuthUrl) -> bool {
    false
}

/// Chosen by name only.
fn matches_probe(_probe: &ProbeResponse) -> bool {
    false
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "browser-sp",
    aliases: &["browserne"],
    protocols: &[Protocol::Saml],
    mfa: &[],
    matches_url,
    matches_probe,
    build,
});
