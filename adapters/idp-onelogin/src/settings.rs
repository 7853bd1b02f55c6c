//! The adapter's settings: the common login keys, read with the shared [`read_settings`], and
//! what the configured URL carries in its query — the API credentials (`token`), the SAML app
//! (`app_id`) and the API region (`region`). The adapter has no `onelogin_*` key of its own; any
//! such key is an error naming it.

use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{
    LoginSettings, MfaChoice, NoOwnSettings, SettingsSpec, display_url, read_settings,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use std::fmt;
use std::time::Duration;
use url::Url;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "onelogin",
    "saml_auth_url (https://<subdomain>.onelogin.com/trust/saml2/launch/<portal id>?app_id=<app id>&token=<base64 of client_id:client_secret>) or web_identity_auth_url (https://<subdomain>.onelogin.com/oidc/2?token=<…>)",
);

/// The API regions OneLogin serves.
const REGIONS: [&str; 2] = ["us", "eu"];

/// The settings of one OneLogin login.
///
/// Built from [`IdpSettings`] by [`OneLoginSettings::from_idp_settings`]: the common keys
/// ([`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`],
/// [`IdpSettings::MFA_WAIT`]) and, from the URL's query:
///
/// | parameter | meaning |
/// |---|---|
/// | `token` | required: standard base64 of `client_id:client_secret`, OneLogin API credentials (the *Authentication Only* scope is enough) |
/// | `app_id` | the OneLogin app whose SAML assertion is asked for (required for SAML) |
/// | `region` | the API region, `us` (default) or `eu` |
///
/// `Debug` shows the URL without its query and whether secrets were given, never their values or
/// the API credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct OneLoginSettings {
    login: LoginSettings,
    base: String,
    origin: String,
    api: String,
    subdomain: String,
    app_id: Option<String>,
    region: String,
    client_id: Secret,
    client_secret: Secret,
}

impl fmt::Debug for OneLoginSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneLoginSettings")
            .field("login", &self.login)
            .field("api", &self.api)
            .field("subdomain", &self.subdomain)
            .field("app_id", &self.app_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl OneLoginSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing, not
    /// `http`/`https`, has no `token` parameter or one that is not base64 of
    /// `client_id:client_secret`, names a region other than `us` or `eu`; when `mfa_type` or
    /// `mfa_wait_timeout` is invalid; or for any `onelogin_*` key.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, NoOwnSettings {}) =
            read_settings::<NoOwnSettings>(settings, &SPEC)?.into_parts();
        let shown = display_url(login.url());
        let bad =
            |what: String| IdpError::configuration(format!("the onelogin url {shown} {what}"));
        let url = Url::parse(login.url()).map_err(|e| bad(format!("does not parse: {e}")))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("has no host".into()))?
            .to_ascii_lowercase();
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = param("token").ok_or_else(|| {
            bad("has no `token` parameter: add token=<base64 of client_id:client_secret> (OneLogin API credentials) to its query".into())
        })?;
        let (client_id, client_secret) = decode_token(&token).ok_or_else(|| {
            bad("has a malformed `token` parameter: it must be the base64 of client_id:client_secret (OneLogin API credentials)".into())
        })?;
        let region = param("region")
            .unwrap_or_else(|| "us".into())
            .to_ascii_lowercase();
        if !REGIONS.contains(&region.as_str()) {
            return Err(bad(format!(
                "names the region {region:?}; OneLogin's API regions are us and eu"
            )));
        }
        let origin = url.origin().ascii_serialization();
        // OneLogin's own hosts talk to the regional API; any other host (a test server) serves
        // the API itself.
        let api = if host == "onelogin.com" || host.ends_with(".onelogin.com") {
            format!("https://api.{region}.onelogin.com")
        } else {
            origin.clone()
        };
        let subdomain = host.split('.').next().unwrap_or_default().to_string();
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let base = base.as_str().trim_end_matches('/').to_string();
        Ok(OneLoginSettings {
            login,
            base,
            origin,
            api,
            subdomain,
            app_id: param("app_id"),
            region,
            client_id: Secret::new(client_id),
            client_secret: Secret::new(client_secret),
        })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// The configured URL without its query (for OIDC, the base of `/auth` and `/token`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `scheme://host[:port]` of the configured URL (where `session_via_api_token` lives).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The API's base URL: `https://api.<region>.onelogin.com`, or the URL's origin for a host
    /// that is not OneLogin's.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// The OneLogin subdomain: the first label of the URL's host.
    pub fn subdomain(&self) -> &str {
        &self.subdomain
    }

    /// The `app_id` parameter, when given.
    pub fn app_id(&self) -> Option<&str> {
        self.app_id.as_deref()
    }

    /// The API region, `us` or `eu`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The `Authorization` value of the token request: `Basic` with the API credentials.
    pub(crate) fn basic_auth(&self) -> Secret {
        let pair = format!(
            "{}:{}",
            self.client_id.expose(),
            self.client_secret.expose()
        );
        Secret::new(format!("Basic {}", STANDARD.encode(pair)))
    }

    /// `mfa_type`.
    pub fn mfa_type(&self) -> MfaChoice {
        self.login.mfa()
    }

    /// The longest wait for a push (`mfa_wait_timeout`).
    pub fn mfa_wait(&self) -> Duration {
        self.login.mfa_wait()
    }
}

/// `client_id:client_secret` from the `token` parameter: base64 (standard or URL-safe, padded
/// or not; a `+` that a query decoded to a space is taken back), of UTF-8 text holding a `:`
/// with something on both sides.
fn decode_token(token: &str) -> Option<(String, String)> {
    let token = token.replace(' ', "+");
    let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(token.as_bytes()).ok())?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, secret) = text.split_once(':')?;
    let (id, secret) = (id.trim(), secret.trim());
    (!id.is_empty() && !secret.is_empty()).then(|| (id.to_string(), secret.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    // base64("fake-client-0001:fake-secret-0001")
    const TOKEN: &str = "ZmFrZS1jbGllbnQtMDAwMTpmYWtlLXNlY3JldC0wMDAx";

    fn parse(url: &str) -> Result<OneLoginSettings, IdpError> {
        OneLoginSettings::from_idp_settings(&IdpSettings::from_pairs([("url", url)]))
    }

    fn refused(url: &str) -> String {
        let e = parse(url).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
        let m = e.to_string();
        assert!(!m.contains("fake-secret-0001") && !m.contains(TOKEN), "{m}");
        m
    }

    #[test]
    fn the_url_gives_the_api_the_subdomain_and_the_app() {
        let s = parse(&format!(
            "https://Example.onelogin.com/trust/saml2/launch/fake-portal-0001?app_id=1234567&token={TOKEN}"
        ))
        .unwrap();
        assert_eq!(s.api(), "https://api.us.onelogin.com");
        assert_eq!(s.subdomain(), "example");
        assert_eq!(s.app_id(), Some("1234567"));
        assert_eq!(s.region(), "us");
        assert_eq!(
            s.base(),
            "https://example.onelogin.com/trust/saml2/launch/fake-portal-0001"
        );
        assert_eq!(s.origin(), "https://example.onelogin.com");
        assert_eq!(s.basic_auth().expose(), format!("Basic {TOKEN}"));

        let eu = parse(&format!(
            "https://example.onelogin.com/oidc/2/?token={TOKEN}&region=EU"
        ))
        .unwrap();
        assert_eq!(eu.api(), "https://api.eu.onelogin.com");
        assert_eq!(eu.base(), "https://example.onelogin.com/oidc/2");
        assert_eq!(eu.app_id(), None);

        let local = parse(&format!("http://127.0.0.1:8080/oidc/2?token={TOKEN}")).unwrap();
        assert_eq!(local.api(), "http://127.0.0.1:8080");
    }

    #[test]
    fn tokens_are_read_in_every_base64_spelling() {
        assert_eq!(
            decode_token(TOKEN),
            Some(("fake-client-0001".into(), "fake-secret-0001".into()))
        );
        // "a?>:b" encodes with a `+`, which a query decodes to a space.
        let plus = STANDARD.encode("ab>>:c?");
        assert!(plus.contains('+') || plus.contains('/'), "{plus}");
        assert_eq!(
            decode_token(&plus.replace('+', " ")),
            Some(("ab>>".into(), "c?".into()))
        );
        assert_eq!(
            decode_token(&URL_SAFE_NO_PAD.encode("id:s")),
            Some(("id".into(), "s".into()))
        );
        assert_eq!(decode_token(&STANDARD.encode("no-colon")), None);
        assert_eq!(decode_token(&STANDARD.encode(":secret")), None);
        assert_eq!(decode_token("%%%not base64"), None);
    }

    #[test]
    fn bad_urls_are_named() {
        let m = refused("https://example.onelogin.com/trust/saml2/launch/1?app_id=1");
        assert!(m.contains("no `token` parameter"), "{m}");
        assert!(m.contains("example.onelogin.com"), "{m}");
        let m = refused("https://example.onelogin.com/oidc/2?token=bm8gY29sb24");
        assert!(m.contains("malformed `token`"), "{m}");
        let m = refused(&format!(
            "https://example.onelogin.com/oidc/2?token={TOKEN}&region=ap"
        ));
        assert!(m.contains("\"ap\"") && m.contains("us and eu"), "{m}");
        let e = OneLoginSettings::from_idp_settings(&IdpSettings::from_pairs([
            (
                "url".to_string(),
                format!("https://example.onelogin.com/oidc/2?token={TOKEN}"),
            ),
            ("onelogin_app".to_string(), "1".to_string()),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("`onelogin_app`"), "{e}");
    }

    #[test]
    fn debug_hides_the_credentials() {
        let s = parse(&format!(
            "https://example.onelogin.com/trust/saml2/launch/1?app_id=7&token={TOKEN}"
        ))
        .unwrap();
        let shown = format!("{s:?}");
        for hidden in [TOKEN, "fake-secret-0001", "fake-client-0001"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(shown.contains("api.us.onelogin.com"), "{shown}");
    }
}
