//! The adapter's settings: the common login keys, deserialised with serde from the `IdpSettings`
//! key/value pairs. The adapter has no `okta_*` key of its own yet; any such key is an error
//! naming it, so that a typo does not go unnoticed.

use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use aws_runas_idp_support::{display_url, parse_wait_bound};
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::time::Duration;

/// The prefix of the adapter's own keys.
const PREFIX: &str = "okta_";

/// Which second factor to use when Okta offers several (`mfa_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MfaChoice {
    /// Okta Verify push first, then codes (codes first when one was given up front).
    Auto,
    /// Treated like `auto`, as the original tool does: Okta decides whether it asks.
    None,
    /// One-time codes only (TOTP, HOTP, hardware tokens, SMS, voice call, e-mail, Duo passcode).
    Code,
    /// Push only (Okta Verify, Duo Push).
    Push,
}

impl MfaChoice {
    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Some(MfaChoice::Auto),
            "none" => Some(MfaChoice::None),
            "code" => Some(MfaChoice::Code),
            "push" => Some(MfaChoice::Push),
            _ => None,
        }
    }

    /// The configured word, for messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MfaChoice::Auto => "auto",
            MfaChoice::None => "none",
            MfaChoice::Code => "code",
            MfaChoice::Push => "push",
        }
    }
}

/// The raw keys, as serde sees them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    url: String,
    #[serde(default, deserialize_with = "non_empty")]
    username: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    mfa_type: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    mfa_wait_timeout: Option<String>,
}

/// A string setting, trimmed; empty means unset.
fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    let s = s.trim();
    Ok((!s.is_empty()).then(|| s.to_string()))
}

/// The settings of one Okta login.
///
/// Built from [`IdpSettings`] by [`OktaSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`] (the SAML app's embed link), [`IdpSettings::USERNAME`],
/// [`IdpSettings::MFA_TYPE`] and [`IdpSettings::MFA_WAIT`]; an `okta_*` key is an error naming it
/// (the adapter has none), and keys of other namespaces are ignored.
#[derive(Clone, PartialEq, Eq)]
pub struct OktaSettings {
    url: String,
    username: Option<String>,
    mfa: MfaChoice,
    mfa_wait: Duration,
}

impl OktaSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`](aws_runas_domain::ports::idp::IdpErrorKind::Configuration) when the URL is missing or not `http`/`https`, when
    /// `mfa_type` is not `auto`, `none`, `code` or `push`, when `mfa_wait_timeout` is not a
    /// duration, or for any `okta_*` key.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        if settings
            .get(IdpSettings::URL)
            .is_none_or(|u| u.trim().is_empty())
        {
            return Err(IdpError::configuration(
                "the okta identity provider needs saml_auth_url (the embed link of the AWS app, https://<org>.okta.com/home/amazon_aws/<app id>/<n>) or web_identity_auth_url (an authorization server, https://<org>.okta.com/oauth2/default)",
            ));
        }
        let common = [
            IdpSettings::URL,
            IdpSettings::USERNAME,
            IdpSettings::MFA_TYPE,
            IdpSettings::MFA_WAIT,
        ];
        let pairs = settings
            .iter()
            .filter(|(k, _)| common.contains(k) || k.starts_with(PREFIX))
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let raw = Raw::deserialize(MapDeserializer::<_, ValueError>::new(pairs))
            .map_err(|e| IdpError::configuration(format!("invalid okta settings: {e}")))?;
        let url = raw.url.trim().to_string();
        AuthUrl::parse(&url)?;
        let mfa = match raw.mfa_type.as_deref() {
            None => MfaChoice::Auto,
            Some(text) => MfaChoice::parse(text).ok_or_else(|| {
                IdpError::configuration(format!(
                    "invalid mfa_type {text:?} for the okta identity provider: expected one of auto, none, code, push"
                ))
            })?,
        };
        let mfa_wait = parse_wait_bound(raw.mfa_wait_timeout.as_deref())?;
        Ok(OktaSettings {
            url,
            username: raw.username,
            mfa,
            mfa_wait,
        })
    }

    /// Where the login starts: the embed link of the AWS SAML app.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The user name, when configured (otherwise the adapter asks).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// `mfa_type`: `auto`, `none`, `code` or `push`.
    pub fn mfa_type(&self) -> &'static str {
        self.mfa.as_str()
    }

    /// The longest wait for a push or another device (`mfa_wait_timeout`, 2 minutes by default).
    pub fn mfa_wait(&self) -> Duration {
        self.mfa_wait
    }

    pub(crate) fn mfa(&self) -> MfaChoice {
        self.mfa
    }
}

impl fmt::Debug for OktaSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The embed link's query is not needed to tell logins apart and may carry state.
        f.debug_struct("OktaSettings")
            .field("url", &display_url(&self.url))
            .field("username", &self.username)
            .field("mfa_type", &self.mfa.as_str())
            .field("mfa_wait", &self.mfa_wait)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://example.okta.com/home/amazon_aws/0oa1fake0001/272";

    fn parse(pairs: &[(&str, &str)]) -> Result<OktaSettings, IdpError> {
        OktaSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn common_keys_are_read_and_defaults_are_explicit() {
        let s = parse(&[
            ("url", URL),
            ("username", " jane.doe@example.test "),
            ("mfa_type", "PUSH"),
            ("mfa_wait_timeout", "90s"),
            (
                "keycloak_otp_device",
                "ignored: another adapter's namespace",
            ),
        ])
        .unwrap();
        assert_eq!(s.url(), URL);
        assert_eq!(s.username(), Some("jane.doe@example.test"));
        assert_eq!(s.mfa_type(), "push");
        assert_eq!(s.mfa_wait(), Duration::from_secs(90));

        let d = parse(&[("url", URL), ("username", "")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa(), MfaChoice::Auto);
        assert_eq!(d.mfa_wait(), aws_runas_idp_support::DEFAULT_WAIT_BOUND);
    }

    #[test]
    fn bad_settings_are_named() {
        let unknown = parse(&[("url", URL), ("okta_factor", "push")])
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("`okta_factor`"), "{unknown}");
        let missing = parse(&[("username", "jane")]).unwrap_err().to_string();
        assert!(missing.contains("saml_auth_url"), "{missing}");
        assert!(matches!(
            parse(&[("url", "example.okta.com/home")]),
            Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
        ));
        let mfa = parse(&[("url", URL), ("mfa_type", "sms")])
            .unwrap_err()
            .to_string();
        assert!(mfa.contains("\"sms\"") && mfa.contains("auto, none, code, push"));
        let wait = parse(&[("url", URL), ("mfa_wait_timeout", "soon")])
            .unwrap_err()
            .to_string();
        assert!(wait.contains("mfa_wait_timeout"), "{wait}");
    }

    #[test]
    fn debug_drops_the_query() {
        let s = parse(&[("url", &format!("{URL}?fromHome=t0ken"))]).unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("t0ken") && shown.contains("/272"),
            "{shown}"
        );
    }
}
