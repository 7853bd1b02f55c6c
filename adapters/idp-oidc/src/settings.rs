//! The adapter's settings: the issuer URL plus its own `oidc_*` keys, read with the shared
//! [`read_settings`].

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{SettingsSpec, display_url, read_settings};
use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::time::Duration;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "oidc",
    "web_identity_auth_url: the issuer url of the provider (where /.well-known/openid-configuration is served)",
);

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

/// The adapter's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default, deserialize_with = "flow")]
    oidc_flow: Option<OidcFlow>,
    #[serde(default, deserialize_with = "timeout")]
    oidc_timeout: Option<Duration>,
    #[serde(default)]
    oidc_scopes: Option<String>,
}

/// The settings of one login through a generic OpenID provider.
///
/// Built from [`IdpSettings`] by [`OidcSettings::from_idp_settings`]: the common key
/// [`IdpSettings::URL`] (the issuer, `web_identity_auth_url`) and the adapter's own keys
/// `oidc_flow` (`browser`, the default, or `device`), `oidc_timeout` (a duration such as `3m`;
/// unset means the support crate's default) and `oidc_scopes` (extra scopes, separated by spaces
/// or commas). An unknown `oidc_*` key is an error naming it; keys of other namespaces are
/// ignored, and the other common keys (the user name, the MFA type: the provider's own pages
/// handle them) are checked but not used.
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
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing or not
    /// `http`/`https`, for an unknown `oidc_*` key, an `oidc_flow` other than `browser` or
    /// `device`, or an `oidc_timeout` that is not a positive duration; each message names the
    /// key and where it came from.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        let mut scopes: Vec<String> = Vec::new();
        for s in own
            .oidc_scopes
            .as_deref()
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            if !scopes.iter().any(|k| k == s) {
                scopes.push(s.to_string());
            }
        }
        Ok(OidcSettings {
            issuer: login.url().to_string(),
            flow: own.oidc_flow.unwrap_or(OidcFlow::Browser),
            timeout: own.oidc_timeout,
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

/// `oidc_flow`: `browser` or `device`, in any case.
fn flow<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OidcFlow>, D::Error> {
    let text = String::deserialize(d)?;
    [OidcFlow::Browser, OidcFlow::Device]
        .into_iter()
        .find(|f| f.as_str().eq_ignore_ascii_case(text.trim()))
        .map(Some)
        .ok_or_else(|| D::Error::invalid_value(Unexpected::Str(&text), &"browser or device"))
}

/// `oidc_timeout`: a positive Go-style duration (`90s`, `3m`) or a number of seconds.
fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    match aws_runas_domain::duration::parse_go_duration(text.trim()) {
        Ok(secs) if secs > 0 => Ok(Some(Duration::from_secs(secs.unsigned_abs()))),
        _ => Err(D::Error::invalid_value(
            Unexpected::Str(&text),
            &"a positive duration such as 90s or 3m",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    const URL: &str = "https://login.example.test/tenant";

    fn parse(pairs: &[(&str, &str)]) -> Result<OidcSettings, IdpError> {
        OidcSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    /// The message of the configuration error `pairs` make.
    fn refused(pairs: &[(&str, &str)]) -> String {
        let e = parse(pairs).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
        e.to_string()
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
        let unknown = refused(&[("url", URL), ("oidc_scope", "email")]);
        assert!(
            unknown.contains("`oidc_scope`") && unknown.contains("oidc_scopes"),
            "{unknown}"
        );
        let missing = refused(&[("oidc_flow", "device")]);
        assert!(missing.contains("web_identity_auth_url"), "{missing}");
        let scheme = refused(&[("url", "login.example.test")]);
        assert!(scheme.contains("`url`"), "{scheme}");
        let flow = refused(&[("url", URL), ("oidc_flow", "popup")]);
        assert_eq!(
            flow,
            "invalid oidc setting `oidc_flow` = \"popup\" from the settings given: expected browser or device"
        );
        for bad in ["soon", "0", "-5s"] {
            let e = refused(&[("url", URL), ("oidc_timeout", bad)]);
            assert!(
                e.contains("`oidc_timeout`") && e.contains("positive duration"),
                "{bad}: {e}"
            );
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
