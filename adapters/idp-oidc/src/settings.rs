//! The adapter's settings: the issuer URL plus its own `oidc_*` keys, deserialised with serde from
//! the `IdpSettings` key/value pairs.

use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use aws_runas_idp_support::display_url;
use serde::Deserialize;
use serde::de::value::{Error as ValueError, MapDeserializer};
use std::fmt;
use std::time::Duration;

/// The prefix of the adapter's own keys.
const PREFIX: &str = "oidc_";

/// How the login finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcFlow {
    /// In the user's browser, the provider redirecting to a loopback listener (the default).
    Browser,
    /// With the device authorization grant: a code entered at the provider's URL on any device.
    Device,
}

impl OidcFlow {
    /// The setting's value for this flow.
    pub fn as_str(self) -> &'static str {
        match self {
            OidcFlow::Browser => "browser",
            OidcFlow::Device => "device",
        }
    }
}

/// The raw keys, as the profile gives them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    url: String,
    #[serde(default)]
    oidc_flow: String,
    #[serde(default)]
    oidc_timeout: String,
    #[serde(default)]
    oidc_scopes: String,
}

/// The settings of one login through a generic OpenID provider.
///
/// Built from [`IdpSettings`] by [`OidcSettings::from_idp_settings`]: the common key
/// [`IdpSettings::URL`] (the issuer, `web_identity_auth_url`) and the adapter's own keys
/// `oidc_flow` (`browser`, the default, or `device`), `oidc_timeout` (a duration such as `3m`;
/// unset means the support crate's default) and `oidc_scopes` (extra scopes, separated by spaces
/// or commas). An unknown `oidc_*` key is an error naming it; keys of other namespaces and the
/// other common keys (the user name, the MFA type: the provider's own pages handle them) are
/// ignored.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcSettings {
    issuer: String,
    flow: OidcFlow,
    timeout: Option<Duration>,
    scopes: Vec<String>,
}

impl OidcSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`](aws_runas_domain::ports::idp::IdpErrorKind::Configuration) when the URL is missing or not `http`/`https`, for an
    /// unknown `oidc_*` key, an `oidc_flow` other than `browser` or `device`, or an `oidc_timeout`
    /// that is not a positive duration; each message names the key.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        if settings
            .get(IdpSettings::URL)
            .is_none_or(|u| u.trim().is_empty())
        {
            return Err(IdpError::configuration(
                "the oidc identity provider needs web_identity_auth_url: the issuer url of the provider (where /.well-known/openid-configuration is served)",
            ));
        }
        let pairs = settings
            .iter()
            .filter(|(k, _)| *k == IdpSettings::URL || k.starts_with(PREFIX))
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let raw = Raw::deserialize(MapDeserializer::<_, ValueError>::new(pairs))
            .map_err(|e| IdpError::configuration(format!("invalid oidc settings: {e}")))?;
        let issuer = raw.url.trim().to_string();
        AuthUrl::parse(&issuer)?;
        let flow = match raw.oidc_flow.trim().to_ascii_lowercase().as_str() {
            "" | "browser" => OidcFlow::Browser,
            "device" => OidcFlow::Device,
            _ => {
                return Err(IdpError::configuration(format!(
                    "invalid oidc_flow {:?}: expected browser or device",
                    raw.oidc_flow
                )));
            }
        };
        let timeout = match raw.oidc_timeout.trim() {
            "" => None,
            text => match aws_runas_domain::duration::parse_go_duration(text) {
                Ok(secs) if secs > 0 => Some(Duration::from_secs(secs.unsigned_abs())),
                _ => {
                    return Err(IdpError::configuration(format!(
                        "invalid oidc_timeout {text:?}: expected a positive duration such as 90s or 3m"
                    )));
                }
            },
        };
        let mut scopes: Vec<String> = Vec::new();
        for s in raw
            .oidc_scopes
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            if !scopes.iter().any(|k| k == s) {
                scopes.push(s.to_string());
            }
        }
        Ok(OidcSettings {
            issuer,
            flow,
            timeout,
            scopes,
        })
    }

    /// The issuer (`web_identity_auth_url`), trimmed.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How the login finishes (`oidc_flow`).
    pub fn flow(&self) -> OidcFlow {
        self.flow
    }

    /// The longest wait for the browser or the device approval (`oidc_timeout`), when set.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The extra scopes (`oidc_scopes`), without duplicates.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &display_url(&self.issuer))
            .field("flow", &self.flow)
            .field("timeout", &self.timeout)
            .field("scopes", &self.scopes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://login.example.test/tenant";

    fn parse(pairs: &[(&str, &str)]) -> Result<OidcSettings, IdpError> {
        OidcSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_are_explicit() {
        let s = parse(&[
            ("url", " https://login.example.test/tenant "),
            ("username", "ignored: the browser asks"),
            ("mfa_type", "push"),
            ("okta_whatever", "another adapter's namespace"),
        ])
        .unwrap();
        assert_eq!(s.issuer(), URL);
        assert_eq!(s.flow(), OidcFlow::Browser);
        assert_eq!(s.timeout(), None);
        assert!(s.scopes().is_empty());
    }

    #[test]
    fn own_keys_are_read() {
        let s = parse(&[
            ("url", URL),
            ("oidc_flow", " Device "),
            ("oidc_timeout", "2m"),
            ("oidc_scopes", "email, groups profile,email"),
        ])
        .unwrap();
        assert_eq!(s.flow(), OidcFlow::Device);
        assert_eq!(s.flow().as_str(), "device");
        assert_eq!(s.timeout(), Some(Duration::from_secs(120)));
        assert_eq!(s.scopes(), ["email", "groups", "profile"]);
        let plain = parse(&[
            ("url", URL),
            ("oidc_timeout", "45"),
            ("oidc_flow", "browser"),
        ])
        .unwrap();
        assert_eq!(plain.timeout(), Some(Duration::from_secs(45)));
        assert_eq!(plain.flow(), OidcFlow::Browser);
    }

    #[test]
    fn bad_settings_are_named() {
        let unknown = parse(&[("url", URL), ("oidc_scope", "email")])
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("`oidc_scope`") && unknown.contains("oidc_scopes"),
            "{unknown}"
        );
        let missing = parse(&[("oidc_flow", "device")]).unwrap_err();
        assert!(
            matches!(&missing, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("web_identity_auth_url")}),
            "{missing:?}"
        );
        assert!(matches!(
            parse(&[("url", "login.example.test")]),
            Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
        ));
        let flow = parse(&[("url", URL), ("oidc_flow", "popup")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            flow,
            "invalid oidc_flow \"popup\": expected browser or device"
        );
        for bad in ["soon", "0", "-5s"] {
            let e = parse(&[("url", URL), ("oidc_timeout", bad)])
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("invalid oidc_timeout"), "{bad}: {e}");
        }
    }

    #[test]
    fn debug_drops_the_query() {
        let s = parse(&[("url", &format!("{URL}?token=s3cr3t"))]).unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("s3cr3t") && shown.contains("/tenant"),
            "{shown}"
        );
    }
}
