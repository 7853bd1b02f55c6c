//! The `forgerock` identity-provider adapter: ForgeRock AM / OpenAM through its `authenticate`
//! REST API (zero page login, then OATH code and push callbacks), the IdP-initiated SAML SSO of
//! its hosted IdP, and the OIDC authorization-code grant of its OAuth2 provider with the session
//! the login leaves.

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod authn;
mod flow;
mod settings;

pub use settings::ForgeRockSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpError, IdpRegistrationSpec, IdpSettings, MfaKind,
    ProbeResponse, Protocol,
};

/// Builds the `forgerock` adapter for one login (the constructor the registry calls).
///
/// Nothing is sent and nothing is asked until a login is needed.
///
/// # Errors
/// As [`ForgeRockSettings::from_idp_settings`]: a URL without a realm or a base, bad common
/// keys, an unknown `forgerock_*` key.
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let settings = ForgeRockSettings::from_idp_settings(settings)?;
    Ok(Box::new(flow::ForgeRock::new(settings, deps)))
}

/// Paths only AM has: its REST and OAuth2 endpoints under a realm (`/json/realms/`,
/// `/oauth2/realms/`), its IdP-initiated SSO and its meta aliases.
fn matches_url(url: &AuthUrl) -> bool {
    let path = url.path();
    [
        "/json/realms/",
        "/oauth2/realms/",
        "/idpssoinit",
        "/metaAlias/",
    ]
    .iter()
    .any(|m| path.contains(m))
}

/// AM announces its own headers to CORS clients (`X-OpenAM-Username`, ForgeRock's push
/// `MFA-FR-Token`), and its load balancer sets `amlbcookie`.
fn matches_probe(probe: &ProbeResponse) -> bool {
    probe
        .header("access-control-allow-headers")
        .is_some_and(|h| h.contains("X-OpenAM-") || h.contains("MFA-FR-Token"))
        || probe.has_cookie("amlbcookie")
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "forgerock",
    aliases: &["openam"],
    protocols: &[Protocol::Saml, Protocol::Oidc],
    mfa: &[MfaKind::Code, MfaKind::Push],
    matches_url,
    matches_probe,
    build,
});
