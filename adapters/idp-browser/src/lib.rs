//! The `browser` identity-provider adapter: drives an installed Chromium, Chrome or Edge over the
//! Chrome DevTools Protocol (chromiumoxide). The user logs in by hand in a window on aws-runas's
//! own browser profile; the `SAMLResponse` the IdP posts to the AWS sign-in endpoint is captured
//! (and never sent on), then the browser is closed.

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod flow;
mod launch;
mod settings;

pub use settings::BrowserLoginSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, ProbeResponse,
    Protocol,
};

/// Builds the `browser` adapter for one login (the constructor the registry calls).
///
/// # Errors
/// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`] for bad settings.
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = BrowserLoginSettings::from_idp_settings(settings)?;
    Ok(Box::new(flow::BrowserLogin::new(settings, deps)))
}

/// Any IdP can be logged in to in a browser: chosen by name only.
fn matches_url(_url: &AuthUrl) -> bool {
    false
}

/// Chosen by name only.
fn matches_probe(_probe: &ProbeResponse) -> bool {
    false
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "browser",
    aliases: &["chrome"],
    protocols: &[Protocol::Saml],
    mfa: &[],
    matches_url,
    matches_probe,
    build,
});
