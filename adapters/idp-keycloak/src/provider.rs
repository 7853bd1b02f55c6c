//! The `IdentityProvider` implementation and the constructor the registry calls.

use crate::login::{Login, OidcGoal, SamlGoal};
use crate::settings::KeycloakSettings;
use aws_runas_domain::ports::idp::{
    IdToken, IdentityProvider, IdpDeps, IdpError, IdpSettings, OidcRequest, SamlAssertion,
};
use aws_runas_idp_support::{HttpClient, OidcClient, OidcEndpoints, display_url};
use url::Url;

/// The Keycloak adapter: one configured login.
struct Keycloak {
    login: Login,
    deps: IdpDeps,
}

impl std::fmt::Debug for Keycloak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keycloak")
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl IdentityProvider for Keycloak {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        self.login
            .walk(&SamlGoal::new(self.login.settings().url()))
            .await
    }

    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        check_request(req)?;
        let realm = realm_base(self.login.settings().url())?;
        let client = OidcClient::discover(
            self.login.http().clone(),
            &self.deps,
            &realm,
            Some(known_endpoints(&realm)),
        )
        .await?;
        log::debug!(
            "keycloak: oidc login at {} (token endpoint {})",
            display_url(&client.endpoints().authorization_endpoint),
            display_url(&client.endpoints().token_endpoint)
        );
        let session = client.session(req)?;
        let code = self.login.walk(&OidcGoal::new(&session)).await?;
        client.exchange(&session, code).await
    }
}

/// The client id and redirect URI must be set before anything is sent.
fn check_request(req: &OidcRequest) -> Result<(), IdpError> {
    if req.client_id.trim().is_empty() {
        return Err(IdpError::configuration(
            "web_identity_client_id is not set: the keycloak oidc login needs the id of the realm's client",
        ));
    }
    if req.redirect_uri.trim().is_empty() {
        return Err(IdpError::configuration(
            "web_identity_redirect_uri is not set: the keycloak oidc login needs one of the client's valid redirect uris",
        ));
    }
    Ok(())
}

/// The realm's base URL (its issuer), `<base>/realms/<realm>` or `<base>/auth/realms/<realm>`,
/// from the configured URL: the realm base itself, or any URL under it (an `openid-connect`
/// endpoint, the SAML endpoint); a URL that names no realm is taken as the issuer, without its
/// query.
pub(crate) fn realm_base(configured: &str) -> Result<String, IdpError> {
    let mut url = Url::parse(configured.trim()).map_err(|e| {
        IdpError::configuration(format!(
            "invalid keycloak url {}: {e}",
            display_url(configured)
        ))
    })?;
    url.set_query(None);
    url.set_fragment(None);
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    let path = match segments.iter().position(|s| s == "realms") {
        Some(at) if at + 1 < segments.len() => segments[..at + 2].join("/"),
        _ => segments.join("/"),
    };
    url.set_path(&path);
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Keycloak's OIDC endpoints under the realm, for a server that serves no discovery document.
pub(crate) fn known_endpoints(realm: &str) -> OidcEndpoints {
    OidcEndpoints::new(
        format!("{realm}/protocol/openid-connect/auth"),
        format!("{realm}/protocol/openid-connect/token"),
    )
}

/// Builds the Keycloak adapter from its settings and injected dependencies (the constructor the
/// registry calls for `keycloak`).
///
/// The configured URL ([`IdpSettings::URL`]) is the client's IdP-initiated SAML SSO URL for SAML
/// logins, and the realm (`<base>/realms/<realm>`) for OIDC logins.
/// Nothing is sent and nothing is asked until a login is needed.
///
/// # Errors
/// As [`KeycloakSettings::from_idp_settings`].
pub fn build(settings: &IdpSettings, deps: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
    let parsed = KeycloakSettings::from_idp_settings(settings)?;
    let login = Login::new(parsed, HttpClient::from_deps(&deps), deps.prompter.clone());
    Ok(Box::new(Keycloak { login, deps }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    #[test]
    fn the_realm_base_is_found_in_any_url_under_it() {
        let cases = [
            (
                "https://idp.example.com/realms/corp",
                "https://idp.example.com/realms/corp",
            ),
            (
                "https://idp.example.com/realms/corp/",
                "https://idp.example.com/realms/corp",
            ),
            (
                "https://sso.example.com:8443/auth/realms/corp/protocol/openid-connect/auth?client_id=x",
                "https://sso.example.com:8443/auth/realms/corp",
            ),
            (
                "https://idp.example.com/kc/realms/corp/protocol/saml/clients/aws",
                "https://idp.example.com/kc/realms/corp",
            ),
            (
                "https://idp.example.com/oidc/issuer/?x=1",
                "https://idp.example.com/oidc/issuer",
            ),
        ];
        for (configured, want) in cases {
            assert_eq!(realm_base(configured).unwrap(), want, "{configured}");
        }
        assert_eq!(
            realm_base("not a url").unwrap_err().kind(),
            IdpErrorKind::Configuration
        );
    }

    #[test]
    fn known_endpoints_are_keycloaks_paths() {
        let e = known_endpoints("https://idp.example.com/realms/corp");
        assert_eq!(
            e.authorization_endpoint,
            "https://idp.example.com/realms/corp/protocol/openid-connect/auth"
        );
        assert_eq!(
            e.token_endpoint,
            "https://idp.example.com/realms/corp/protocol/openid-connect/token"
        );
        assert_eq!(e.jwks_uri, None);
    }

    #[test]
    fn a_request_without_client_or_redirect_is_refused_naming_the_key() {
        let req = |client: &str, redirect: &str| OidcRequest {
            client_id: client.into(),
            redirect_uri: redirect.into(),
            scopes: vec![],
        };
        let e = check_request(&req(" ", "app:/cb")).unwrap_err();
        assert!(e.to_string().contains("web_identity_client_id"), "{e}");
        let e = check_request(&req("aws", "")).unwrap_err();
        assert!(e.to_string().contains("web_identity_redirect_uri"), "{e}");
        check_request(&req("aws", "app:/cb")).unwrap();
    }
}
