//! The adapter's settings: the common login keys, read with the shared [`read_settings`], the
//! base and realm found in the configured URL, and the adapter's own `forgerock_*` keys.

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, MfaChoice, SettingsSpec, display_url, read_settings};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "forgerock",
    "saml_auth_url (a URL under the realm, <base>/json/realms/root/realms/<realm>/authenticate) or web_identity_auth_url (<base>/oauth2/realms/root/realms/<realm>)",
);

/// Where the base of the deployment ends in a URL of ForgeRock AM.
const BASE_ENDS: [&str; 6] = [
    "/json/",
    "/oauth2/",
    "/WSFederationServlet/",
    "/idpssoinit",
    "/SSORedirect/",
    "/SSOPOST/",
];

fn default_push_service() -> String {
    "mfa_push_authentication".into()
}

fn default_code_service() -> String {
    "mfa_oath_authentication".into()
}

fn default_sp_entity_id() -> String {
    "urn:amazon:webservices".into()
}

fn default_idp_name() -> String {
    "saml-idp".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default = "default_push_service")]
    forgerock_push_service: String,
    #[serde(default = "default_code_service")]
    forgerock_code_service: String,
    #[serde(default = "default_sp_entity_id")]
    forgerock_sp_entity_id: String,
    #[serde(default = "default_idp_name")]
    forgerock_idp_name: String,
}

/// The settings of one ForgeRock login.
///
/// Built from [`IdpSettings`] by [`ForgeRockSettings::from_idp_settings`]: the common keys
/// ([`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`],
/// [`IdpSettings::MFA_WAIT`]) and the adapter's own keys:
///
/// | key | default | meaning |
/// |---|---|---|
/// | `forgerock_push_service` | `mfa_push_authentication` | the authentication service (chain or tree) used with `mfa_type = push` |
/// | `forgerock_code_service` | `mfa_oath_authentication` | the service used with `mfa_type = code` |
/// | `forgerock_sp_entity_id` | `urn:amazon:webservices` | the service provider of the IdP-initiated SAML login |
/// | `forgerock_idp_name` | `saml-idp` | the hosted IdP's name in its meta alias (`/<realm>/<name>`) |
///
/// `Debug` shows the URL without its query and whether secrets were given, never their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeRockSettings {
    login: LoginSettings,
    base: String,
    realms: Vec<String>,
    push_service: String,
    code_service: String,
    sp_entity_id: String,
    idp_name: String,
}

impl ForgeRockSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing, not
    /// `http`/`https`, has no realm (`/realms/<realm>` or `/metaAlias/<realm>/<idp>`) or no base
    /// (nothing before `/json/`, `/oauth2/`, …); when `mfa_type` or `mfa_wait_timeout` is
    /// invalid; or for an unknown `forgerock_*` key.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        let (base, realms) = split_url(login.url())?;
        Ok(ForgeRockSettings {
            login,
            base,
            realms,
            push_service: own.forgerock_push_service,
            code_service: own.forgerock_code_service,
            sp_entity_id: own.forgerock_sp_entity_id,
            idp_name: own.forgerock_idp_name,
        })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// The deployment's base URL (`https://am.example.com/am`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The realm hierarchy, as the URL names it (`["root", "alpha"]`).
    pub fn realms(&self) -> &[String] {
        &self.realms
    }

    /// `<base>/json/realms/<r1>/realms/<r2>/authenticate`.
    pub fn authenticate_url(&self) -> String {
        let path: Vec<String> = self.realms.iter().map(|r| format!("realms/{r}")).collect();
        format!("{}/json/{}/authenticate", self.base, path.join("/"))
    }

    /// The hosted IdP's meta alias: `/<realm path without root>/<idp name>`.
    pub fn meta_alias(&self) -> String {
        let realms: Vec<&str> = self
            .realms
            .iter()
            .map(String::as_str)
            .skip_while(|r| *r == "root")
            .collect();
        if realms.is_empty() {
            format!("/{}", self.idp_name)
        } else {
            format!("/{}/{}", realms.join("/"), self.idp_name)
        }
    }

    /// The service provider of the IdP-initiated login (`forgerock_sp_entity_id`).
    pub fn sso_sp(&self) -> &str {
        &self.sp_entity_id
    }

    /// `<base>/idpssoinit?metaAlias=…&spEntityID=…`.
    pub fn sso_url(&self) -> String {
        let mut url = format!("{}/idpssoinit", self.base);
        url.push('?');
        url.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .append_pair("metaAlias", &self.meta_alias())
                .append_pair("spEntityID", &self.sp_entity_id)
                .finish(),
        );
        url
    }

    /// The authentication service for `mfa_type`: the push or code service, none otherwise
    /// (the realm's default).
    pub fn service(&self) -> Option<&str> {
        match self.login.mfa() {
            MfaChoice::Push => Some(&self.push_service),
            MfaChoice::Code => Some(&self.code_service),
            MfaChoice::Auto | MfaChoice::None => None,
        }
    }

    /// The configured URL without its query (for OIDC, the base of `/authorize` and
    /// `/access_token`).
    pub fn oidc_base(&self) -> String {
        let url = self.login.url();
        let end = url.find(['?', '#']).unwrap_or(url.len());
        url[..end].trim_end_matches('/').to_string()
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

/// The base (everything before `/json/`, `/oauth2/`, …) and the realm hierarchy of `raw`.
fn split_url(raw: &str) -> Result<(String, Vec<String>), IdpError> {
    let shown = display_url(raw);
    let url = Url::parse(raw).map_err(|e| {
        IdpError::configuration(format!("the forgerock url {shown} does not parse: {e}"))
    })?;
    let path = url.path();
    let cut = BASE_ENDS.iter().filter_map(|m| path.find(m)).min();
    let Some(cut) = cut else {
        return Err(IdpError::configuration(format!(
            "the forgerock url {shown} has no base: expected a path with /json/ or /oauth2/ after the base of the deployment, such as https://am.example.com/am/json/realms/root/realms/alpha/authenticate"
        )));
    };
    let base = format!("{}{}", url.origin().ascii_serialization(), &path[..cut]);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut realms: Vec<String> = segments
        .windows(2)
        .filter(|w| w[0] == "realms")
        .map(|w| w[1].to_string())
        .collect();
    if realms.is_empty() {
        // `…/metaAlias/<realm>/<idp>`, in the path or in the query.
        let alias = segments
            .iter()
            .position(|s| *s == "metaAlias")
            .map(|i| segments[i + 1..].join("/"))
            .or_else(|| {
                url.query_pairs()
                    .find(|(k, _)| k == "metaAlias")
                    .map(|(_, v)| v.trim_matches('/').to_string())
            })
            .unwrap_or_default();
        let parts: Vec<&str> = alias.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() > 1 {
            realms = parts[..parts.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect();
        }
    }
    if realms.is_empty() {
        return Err(IdpError::configuration(format!(
            "the forgerock url {shown} names no realm: expected /realms/<realm> in its path (for example /json/realms/root/realms/alpha/authenticate)"
        )));
    }
    Ok((base, realms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn parse(pairs: &[(&str, &str)]) -> Result<ForgeRockSettings, IdpError> {
        ForgeRockSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn base_and_realms_come_from_the_url() {
        let s = parse(&[(
            "url",
            "https://am.example.com/am/json/realms/root/realms/alpha/authenticate",
        )])
        .unwrap();
        assert_eq!(s.base(), "https://am.example.com/am");
        assert_eq!(s.realms(), ["root", "alpha"]);
        assert_eq!(
            s.authenticate_url(),
            "https://am.example.com/am/json/realms/root/realms/alpha/authenticate"
        );
        assert_eq!(s.meta_alias(), "/alpha/saml-idp");
        assert_eq!(
            s.sso_url(),
            "https://am.example.com/am/idpssoinit?metaAlias=%2Falpha%2Fsaml-idp&spEntityID=urn%3Aamazon%3Awebservices"
        );
        assert_eq!(s.service(), None);

        let oidc = parse(&[
            (
                "url",
                "https://am.example.com:8443/openam/oauth2/realms/corp/?x=1",
            ),
            ("mfa_type", "push"),
            ("forgerock_push_service", "PushTree"),
        ])
        .unwrap();
        assert_eq!(oidc.base(), "https://am.example.com:8443/openam");
        assert_eq!(oidc.realms(), ["corp"]);
        assert_eq!(oidc.meta_alias(), "/corp/saml-idp");
        assert_eq!(
            oidc.oidc_base(),
            "https://am.example.com:8443/openam/oauth2/realms/corp"
        );
        assert_eq!(oidc.service(), Some("PushTree"));

        let alias = parse(&[(
            "url",
            "https://am.example.com/openam/SSORedirect/metaAlias/corp/idp",
        )])
        .unwrap();
        assert_eq!(alias.realms(), ["corp"]);
        let root = parse(&[(
            "url",
            "https://am.example.com/am/json/realms/root/authenticate",
        )])
        .unwrap();
        assert_eq!(root.meta_alias(), "/saml-idp");
    }

    #[test]
    fn urls_without_a_realm_or_a_base_are_refused() {
        let e = parse(&[(
            "url",
            "https://am.example.com/am/json/authenticate?token=s3cret",
        )])
        .unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration);
        assert!(e.to_string().contains("names no realm"), "{e}");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let e = parse(&[("url", "https://am.example.com/am/realms/alpha")]).unwrap_err();
        assert!(e.to_string().contains("has no base"), "{e}");
        let e = parse(&[
            (
                "url",
                "https://am.example.com/am/json/realms/alpha/authenticate",
            ),
            ("forgerock_tree", "x"),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("`forgerock_tree`"), "{e}");
    }
}
