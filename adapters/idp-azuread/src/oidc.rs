//! The OIDC login (authorization-code grant with PKCE) against the Microsoft identity platform
//! (Azure AD v2.0 endpoints).
//!
//! The configured URL names the tenant, in any of the forms the documentation uses:
//! `https://login.microsoftonline.com/<tenant>/oauth2/v2.0` (the endpoints' base),
//! `…/<tenant>/v2.0` (the issuer), `…/<tenant>/v2.0/.well-known/openid-configuration`,
//! `…/<tenant>/oauth2/v2.0/authorize`, `…/<tenant>`, or any URL with a `tenantId` query parameter
//! (an application's user access URL on `myapps.microsoft.com`). The original tool could only
//! be built from the last form; every one works here.
//!
//! Endpoints come from `<origin>/<tenant>/v2.0/.well-known/openid-configuration`, else
//! `<origin>/<tenant>/oauth2/v2.0/authorize` and `/token`. The authorization request's pages are
//! answered by the adapter's login walk (`$Config` pages, federation, second factors, or a plain
//! sign-in form), which stops at the redirect to `redirect_uri` without fetching it.

use crate::login::{Login, OidcGoal};
use aws_runas_domain::ports::idp::{IdToken, IdpDeps, IdpError, OidcRequest};
use aws_runas_idp_support::{HttpClient, HttpRequest, OidcClient, OidcEndpoints, display_url};
use url::Url;

const DISCOVERY: &str = "fetching the azure ad openid configuration";
const AUTHORIZING: &str = "opening the azure ad authorization request";

/// The tenants that stand for many: their discovery documents name the issuer as a template
/// (`https://login.microsoftonline.com/{tenantid}/v2.0`), so only the signature and the audience
/// of their tokens can be checked.
const MULTI_TENANT: [&str; 3] = ["common", "organizations", "consumers"];

/// Where the tenant's OIDC endpoints live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tenant {
    /// `https://login.microsoftonline.com` (or the mock server standing in for it).
    origin: String,
    /// The tenant id, domain name, or `common`/`organizations`/`consumers`.
    tenant: String,
}

impl Tenant {
    /// Reads the tenant from the configured URL.
    ///
    /// # Errors
    /// [`IdpError::configuration`] naming the URL and the forms accepted when no tenant can be
    /// found.
    pub(crate) fn from_url(url: &str) -> Result<Tenant, IdpError> {
        let bad = |why: &str| {
            IdpError::configuration(format!(
                "the azure ad oidc url {} {why}: expected https://login.microsoftonline.com/<tenant>/oauth2/v2.0 (or …/<tenant>/v2.0, …/<tenant>, or a url with ?tenantId=<tenant>)",
                display_url(url)
            ))
        };
        let parsed = Url::parse(url.trim()).map_err(|_| bad("does not parse"))?;
        let origin = parsed.origin().ascii_serialization();
        if !matches!(parsed.scheme(), "http" | "https") || origin == "null" {
            return Err(bad("is not an http(s) url"));
        }
        let from_query = parsed
            .query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case("tenantId"))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let segments: Vec<&str> = parsed
            .path_segments()
            .map(|s| s.filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let known_tail = |tail: &[&str]| {
            matches!(
                tail,
                [] | ["v2.0"]
                    | ["v2.0", ".well-known", "openid-configuration"]
                    | ["oauth2", "v2.0"]
                    | ["oauth2", "v2.0", "authorize" | "token" | "devicecode"]
            )
        };
        if let Some((first, tail)) = segments.split_first()
            && known_tail(tail)
            && !matches!(*first, "oauth2" | "v2.0" | "signin")
        {
            return Ok(Tenant {
                origin,
                tenant: (*first).to_string(),
            });
        }
        match from_query {
            // An application link (myapps.microsoft.com/signin/…?tenantId=…): the endpoints are
            // on Azure AD's sign-in host; any other host is taken to serve them itself.
            Some(tenant) => {
                let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
                let origin = if host == "microsoft.com" || host.ends_with(".microsoft.com") {
                    "https://login.microsoftonline.com".to_string()
                } else {
                    origin
                };
                Ok(Tenant { origin, tenant })
            }
            None => Err(bad("names no tenant")),
        }
    }

    /// `<origin>/<tenant>/v2.0`, the issuer of a single tenant's tokens.
    pub(crate) fn issuer(&self) -> String {
        format!("{}/{}/v2.0", self.origin, self.tenant)
    }

    fn is_multi_tenant(&self) -> bool {
        MULTI_TENANT
            .iter()
            .any(|t| self.tenant.eq_ignore_ascii_case(t))
    }

    /// The endpoints Azure AD has when no discovery document answers.
    pub(crate) fn known_endpoints(&self) -> OidcEndpoints {
        let base = format!("{}/{}/oauth2/v2.0", self.origin, self.tenant);
        OidcEndpoints {
            issuer: (!self.is_multi_tenant()).then(|| self.issuer()),
            ..OidcEndpoints::new(format!("{base}/authorize"), format!("{base}/token"))
        }
    }

    /// The endpoints of the tenant's discovery document, else [`Tenant::known_endpoints`].
    ///
    /// The document's issuer may name the tenant by its id where the URL used its domain name
    /// (`contoso.onmicrosoft.com` → `<guid>`): an issuer on the same host in the same
    /// `<origin>/<tenant>/v2.0` shape is taken; another host is refused. The multi-tenant
    /// documents' template issuer (`{tenantid}`) is not checked.
    ///
    /// # Errors
    /// [`IdpError::unavailable`] for a network failure or an error status other than `404`/`410`;
    /// [`IdpError::unexpected_page`] for a document that is not JSON, lacks an endpoint, or names
    /// an issuer elsewhere.
    pub(crate) async fn endpoints(&self, http: &HttpClient) -> Result<OidcEndpoints, IdpError> {
        let url = OidcEndpoints::discovery_url(&self.issuer());
        let response = http
            .follow(
                HttpRequest::get(&url)
                    .header("Accept", "application/json")
                    .step(DISCOVERY),
            )
            .await?;
        if matches!(response.status(), 404 | 410) {
            log::debug!(
                "azuread: no openid configuration at {}, using the known endpoints",
                display_url(&url)
            );
            return Ok(self.known_endpoints());
        }
        response.require_success()?;
        let bad = |detail: String| {
            IdpError::unexpected_page(format!(
                "the azure ad openid configuration at {} {detail}",
                display_url(&url)
            ))
        };
        let doc: Discovery = serde_json::from_str(response.body())
            .map_err(|e| bad(format!("is not a usable json document: {e}")))?;
        let issuer = match doc.issuer.as_deref().map(str::trim) {
            None | Some("") => (!self.is_multi_tenant()).then(|| self.issuer()),
            Some(i) if i.contains('{') => None,
            Some(i) if self.same_shape(i) => Some(i.to_string()),
            Some(i) => {
                return Err(bad(format!(
                    "names the issuer {}, not one of {}",
                    display_url(i),
                    display_url(&self.origin)
                )));
            }
        };
        let required = |value: Option<String>, name: &str| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| bad(format!("has no {name}")))
        };
        Ok(OidcEndpoints {
            issuer,
            authorization_endpoint: required(doc.authorization_endpoint, "authorization_endpoint")?,
            token_endpoint: required(doc.token_endpoint, "token_endpoint")?,
            device_authorization_endpoint: doc
                .device_authorization_endpoint
                .filter(|v| !v.trim().is_empty()),
            jwks_uri: doc.jwks_uri.filter(|v| !v.trim().is_empty()),
        })
    }

    /// Whether `issuer` is `<origin>/<some tenant>/v2.0`.
    fn same_shape(&self, issuer: &str) -> bool {
        let issuer = issuer.trim_end_matches('/');
        issuer
            .strip_prefix(&self.origin)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.strip_suffix("/v2.0"))
            .is_some_and(|tenant| !tenant.is_empty() && !tenant.contains('/'))
    }
}

#[derive(serde::Deserialize)]
struct Discovery {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    jwks_uri: Option<String>,
}

/// Logs in and returns the ID token for `req`.
///
/// # Errors
/// [`IdpError::configuration`] for a URL without a tenant; as [`Tenant::endpoints`]; as
/// [`Login::walk`] for the sign-in; the support crate's errors for the authorization request, the
/// token exchange and the ID token's checks.
pub(crate) async fn id_token(
    login: &Login,
    deps: &IdpDeps,
    url: &str,
    req: &OidcRequest,
) -> Result<IdToken, IdpError> {
    let tenant = Tenant::from_url(url)?;
    let http = HttpClient::from_deps(deps);
    let endpoints = tenant.endpoints(&http).await?;
    let client = OidcClient::new(http, deps, endpoints);
    let session = client.session(req)?;
    let code = login
        .walk_from(&session.url(), AUTHORIZING, &OidcGoal { session: &session })
        .await?;
    client.exchange(&session, code).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn tenant(url: &str) -> Result<(String, String), IdpError> {
        Tenant::from_url(url).map(|t| (t.origin, t.tenant))
    }

    #[test]
    fn every_documented_url_form_names_the_tenant() {
        let want = Ok((
            "https://login.microsoftonline.com".to_string(),
            "fake-tenant-0001".to_string(),
        ));
        for url in [
            "https://login.microsoftonline.com/fake-tenant-0001/oauth2/v2.0",
            "https://login.microsoftonline.com/fake-tenant-0001/oauth2/v2.0/",
            "https://login.microsoftonline.com/fake-tenant-0001/v2.0",
            "https://login.microsoftonline.com/fake-tenant-0001",
            "https://login.microsoftonline.com/fake-tenant-0001/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/fake-tenant-0001/v2.0/.well-known/openid-configuration",
            "https://login.microsoftonline.com/fake-tenant-0001/oauth2/v2.0?tenantId=other",
            "https://myapps.microsoft.com/signin/AWS/fake-app-0001?tenantId=fake-tenant-0001",
            "https://login.microsoftonline.com/?tenantId=fake-tenant-0001",
        ] {
            assert_eq!(tenant(url), want, "{url}");
        }
        assert_eq!(
            tenant("http://127.0.0.1:4321/contoso.onmicrosoft.com/v2.0"),
            Ok((
                "http://127.0.0.1:4321".to_string(),
                "contoso.onmicrosoft.com".to_string()
            ))
        );
    }

    #[test]
    fn a_url_without_a_tenant_is_refused_with_the_forms_accepted() {
        for url in [
            "https://login.microsoftonline.com/",
            "https://login.microsoftonline.com/oauth2/v2.0",
            "https://myapps.microsoft.com/signin/AWS/fake-app-0001",
            "https://login.microsoftonline.com/t/saml2",
        ] {
            let e = Tenant::from_url(url).unwrap_err();
            assert_eq!(e.kind(), IdpErrorKind::Configuration, "{url}: {e:?}");
            assert!(e.to_string().contains("<tenant>/oauth2/v2.0"), "{e}");
        }
    }

    #[test]
    fn known_endpoints_are_the_v2_endpoints_of_the_tenant() {
        let t =
            Tenant::from_url("https://login.microsoftonline.com/fake-tenant-0001/v2.0").unwrap();
        let e = t.known_endpoints();
        assert_eq!(
            e.authorization_endpoint,
            "https://login.microsoftonline.com/fake-tenant-0001/oauth2/v2.0/authorize"
        );
        assert_eq!(
            e.token_endpoint,
            "https://login.microsoftonline.com/fake-tenant-0001/oauth2/v2.0/token"
        );
        assert_eq!(
            e.issuer.as_deref(),
            Some("https://login.microsoftonline.com/fake-tenant-0001/v2.0")
        );
        let common =
            Tenant::from_url("https://login.microsoftonline.com/common/oauth2/v2.0").unwrap();
        assert_eq!(common.known_endpoints().issuer, None);
    }

    #[test]
    fn issuers_of_another_tenant_id_on_the_same_host_are_the_same_shape() {
        let t =
            Tenant::from_url("https://login.microsoftonline.com/contoso.onmicrosoft.com").unwrap();
        assert!(t.same_shape("https://login.microsoftonline.com/fake-guid-0001/v2.0"));
        assert!(t.same_shape("https://login.microsoftonline.com/fake-guid-0001/v2.0/"));
        assert!(!t.same_shape("https://evil.example.test/fake-guid-0001/v2.0"));
        assert!(!t.same_shape("https://login.microsoftonline.com/a/b/v2.0"));
        assert!(!t.same_shape("https://sts.windows.net/fake-guid-0001/"));
    }
}
