//! The `keycloak` identity-provider adapter: Keycloak's login form, one-time codes, the
//! IdP-initiated SAML endpoint and the OIDC authorization-code login, recognised by markup rather
//! than wording.

#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod login;
mod pages;
mod provider;
mod settings;

pub use provider::build;
pub use settings::KeycloakSettings;

use aws_runas_domain::ports::idp::{
    AuthUrl, IdpRegistrationSpec, MfaKind, ProbeResponse, Protocol,
};

/// Keycloak's SAML endpoints live under `/realms/<realm>/protocol/saml` (`/auth/realms/…` before
/// Keycloak 17); the IdP-initiated one is `…/protocol/saml/clients/<client>`. An OIDC login is
/// configured with the realm itself, `…/realms/<realm>`, which is claimed too.
fn matches_url(url: &AuthUrl) -> bool {
    let path = url.path();
    let Some((_, after)) = path.split_once("/realms/") else {
        return false;
    };
    let realm_base = {
        let rest = after.trim_end_matches('/');
        !rest.is_empty() && !rest.contains('/')
    };
    path.contains("/protocol/saml") || realm_base
}

/// Keycloak sets `KC_RESTART` on the login page of an authentication session.
fn matches_probe(probe: &ProbeResponse) -> bool {
    probe.has_cookie("KC_RESTART")
}

aws_runas_domain::register_idp!(IdpRegistrationSpec {
    name: "keycloak",
    aliases: &["kc"],
    protocols: &[Protocol::Saml, Protocol::Oidc],
    mfa: &[MfaKind::Code],
    matches_url,
    matches_probe,
    build,
});
