//! The `mock` identity-provider adapter: a SAML login with no identity provider and no network.
#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod idp;
mod response;
mod settings;

pub use idp::MockIdp;
pub use settings::MockSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, ProbeResponse,
    Protocol,
};

/// The hosts the URL matcher accepts: the local machine only.
const LOCAL_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// `http://localhost/mock…`, `http://127.0.0.1:8080/mock…`, `http://[::1]/mock…`.
fn matches_url(url: &AuthUrl) -> bool {
    LOCAL_HOSTS.contains(&url.host()) && url.path().starts_with("/mock")
}

/// The mock has no server to answer a probe, so a probe never picks it.
fn matches_probe(_: &ProbeResponse) -> bool {
    false
}

fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = MockSettings::from_idp_settings(settings)?;
    Ok(Box::new(MockIdp::new(settings, deps.clock)))
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "mock",
    aliases: &[],
    protocols: &[Protocol::Saml, Protocol::Oidc],
    mfa: &[],
    matches_url,
    matches_probe,
    build,
});
