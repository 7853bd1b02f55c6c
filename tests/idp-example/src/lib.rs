//! The `example` identity-provider adapter: the walk-through of `docs/adding-an-idp.md`, built.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod flow;
mod settings;

pub use settings::ExampleSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, MfaKind,
    ProbeResponse, Protocol,
};

/// Builds the `example` adapter for one login (the constructor the registry calls).
///
/// # Errors
/// As [`ExampleSettings::from_idp_settings`].
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = ExampleSettings::from_idp_settings(settings)?;
    Ok(Box::new(flow::ExampleIdp::new(settings, &deps)))
}

/// Example SSO is served from `sso.example.test` and its subdomains.
fn matches_url(url: &AuthUrl) -> bool {
    url.host_ends_with("sso.example.test")
}

/// Example SSO's start URL sets the `EXAMPLE_SSO` cookie.
fn matches_probe(probe: &ProbeResponse) -> bool {
    probe.has_cookie("EXAMPLE_SSO")
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "example",
    aliases: &["example-sso"],
    protocols: &[Protocol::Saml],
    mfa: &[MfaKind::Code],
    matches_url,
    matches_probe,
    build,
});
