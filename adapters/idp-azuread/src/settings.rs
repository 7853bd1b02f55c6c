//! The adapter's settings: the common login keys plus its own `azuread_*` keys, deserialised with
//! serde from the `IdpSettings` key/value pairs.

use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use aws_runas_idp_support::{display_url, parse_wait_bound};
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::time::Duration;

/// The prefix of the adapter's own keys.
const PREFIX: &str = "azuread_";

/// Which second factor the user wants (`mfa_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MfaChoice {
    /// The factor Azure AD marks as the default, else the first one aws-runas supports.
    Auto,
    /// No second factor: an error when Azure AD asks for one.
    None,
    /// A one-time code: the authenticator app's code (`PhoneAppOTP`) or a text message (`OneWaySMS`).
    Code,
    /// A push notification to the Microsoft Authenticator app (`PhoneAppNotification`).
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

    /// The value as written in the profile.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MfaChoice::Auto => "auto",
            MfaChoice::None => "none",
            MfaChoice::Code => "code",
            MfaChoice::Push => "push",
        }
    }
}

/// The keys as they come from the profile, before they are checked.
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
    #[serde(default, deserialize_with = "non_empty")]
    azuread_federated_username: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    azuread_federation_provider: Option<String>,
}

/// A string setting, trimmed; empty means unset.
fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    let s = s.trim();
    Ok((!s.is_empty()).then(|| s.to_string()))
}

/// The settings of one Azure AD login.
///
/// Built from [`IdpSettings`] by [`AzureAdSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`] and
/// [`IdpSettings::MFA_WAIT`], and the adapter's own keys `azuread_federated_username` and
/// `azuread_federation_provider`; an unknown `azuread_*` key is an error naming it, and keys of
/// other namespaces are ignored.
#[derive(Clone, PartialEq, Eq)]
pub struct AzureAdSettings {
    url: String,
    username: Option<String>,
    mfa: MfaChoice,
    mfa_wait: Duration,
    federated_username: Option<String>,
    federation_provider: Option<String>,
}

impl AzureAdSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`](aws_runas_domain::ports::idp::IdpErrorKind::Configuration) when the URL is missing or not `http`/`https`, when
    /// `mfa_type` is not `auto`, `none`, `code` or `push`, when `mfa_wait_timeout` is not a
    /// duration, or for an unknown `azuread_*` key.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        if settings
            .get(IdpSettings::URL)
            .is_none_or(|u| u.trim().is_empty())
        {
            return Err(IdpError::configuration(
                "the azuread identity provider needs saml_auth_url (the application's user access URL, https://myapps.microsoft.com/signin/<app-id>?tenantId=<tenant-id>) or web_identity_auth_url (https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0)",
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
            .map_err(|e| IdpError::configuration(format!("invalid azuread settings: {e}")))?;
        let url = raw.url.trim().to_string();
        AuthUrl::parse(&url)?;
        let mfa_text = raw.mfa_type.unwrap_or_default();
        let mfa = MfaChoice::parse(&mfa_text).ok_or_else(|| {
            IdpError::configuration(format!(
                "invalid mfa_type {mfa_text:?} for the azuread identity provider: expected one of auto, none, code, push"
            ))
        })?;
        let federation_provider = raw
            .azuread_federation_provider
            .map(|p| p.to_ascii_lowercase());
        if federation_provider.as_deref() == Some(crate::NAME) {
            return Err(IdpError::configuration(
                "azuread_federation_provider names azuread itself: name the identity provider Azure AD federates with (adfs, for example)",
            ));
        }
        Ok(AzureAdSettings {
            url,
            username: raw.username,
            mfa,
            mfa_wait: parse_wait_bound(raw.mfa_wait_timeout.as_deref())?,
            federated_username: raw.azuread_federated_username,
            federation_provider,
        })
    }

    /// Where the login starts: the application's user access URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The user name, when configured (otherwise the adapter asks, when Azure AD wants it).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// `mfa_type`, lower-case: `auto`, `none`, `code` or `push`.
    pub fn mfa_type(&self) -> &str {
        self.mfa.as_str()
    }

    /// The longest wait for a push approval (`mfa_wait_timeout`, two minutes by default).
    pub fn mfa_wait(&self) -> Duration {
        self.mfa_wait
    }

    /// `azuread_federated_username`: the user name at the identity provider Azure AD federates
    /// with, when it differs from the Azure AD one (guest users, `DOMAIN\user` logins).
    pub fn federated_username(&self) -> Option<&str> {
        self.federated_username.as_deref()
    }

    /// `azuread_federation_provider`: the adapter that signs federated users in, when it cannot
    /// be told from the federation URL; lower-case.
    pub fn federation_provider(&self) -> Option<&str> {
        self.federation_provider.as_deref()
    }

    pub(crate) fn mfa(&self) -> MfaChoice {
        self.mfa
    }
}

impl fmt::Debug for AzureAdSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's query may carry state tokens; it is never needed to tell logins apart.
        f.debug_struct("AzureAdSettings")
            .field("url", &display_url(&self.url))
            .field("username", &self.username)
            .field("mfa_type", &self.mfa.as_str())
            .field("mfa_wait", &self.mfa_wait)
            .field("federated_username", &self.federated_username)
            .field("federation_provider", &self.federation_provider)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<AzureAdSettings, IdpError> {
        AzureAdSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    const URL: &str = "https://myapps.microsoft.com/signin/fake-app-0001?tenantId=fake-tenant-0001";

    #[test]
    fn common_and_own_keys_are_read_and_defaults_are_explicit() {
        let s = parse(&[
            ("url", URL),
            ("username", " jane.doe@example.test "),
            ("mfa_type", "PUSH"),
            ("mfa_wait_timeout", "90s"),
            ("azuread_federated_username", "CORP\\jane"),
            ("azuread_federation_provider", "ADFS"),
            (
                "keycloak_otp_device",
                "ignored: another adapter's namespace",
            ),
            ("role_arn", "ignored too"),
        ])
        .unwrap();
        assert_eq!(s.url(), URL);
        assert_eq!(s.username(), Some("jane.doe@example.test"));
        assert_eq!(s.mfa_type(), "push");
        assert_eq!(s.mfa(), MfaChoice::Push);
        assert_eq!(s.mfa_wait(), Duration::from_secs(90));
        assert_eq!(s.federated_username(), Some("CORP\\jane"));
        assert_eq!(s.federation_provider(), Some("adfs"));

        let d = parse(&[("url", URL), ("username", " "), ("mfa_type", "")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa_type(), "auto");
        assert_eq!(d.mfa_wait(), aws_runas_idp_support::DEFAULT_WAIT_BOUND);
        assert_eq!(d.federated_username(), None);
        assert_eq!(d.federation_provider(), None);
    }

    #[test]
    fn bad_settings_are_named() {
        let unknown = parse(&[("url", URL), ("azuread_federated_user", "x")])
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("`azuread_federated_user`"), "{unknown}");
        assert!(unknown.contains("azuread_federated_username"), "{unknown}");

        let missing = parse(&[("username", "jane")]).unwrap_err();
        assert!(
            matches!(&missing, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("saml_auth_url")}),
            "{missing:?}"
        );
        assert!(matches!(
            parse(&[("url", "myapps.microsoft.com/signin/x")]),
            Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
        ));
        let mfa = parse(&[("url", URL), ("mfa_type", "sms")])
            .unwrap_err()
            .to_string();
        assert!(
            mfa.contains("\"sms\"") && mfa.contains("auto, none, code, push"),
            "{mfa}"
        );
        let wait = parse(&[("url", URL), ("mfa_wait_timeout", "soon")])
            .unwrap_err()
            .to_string();
        assert!(wait.contains("mfa_wait_timeout"), "{wait}");
        let itself = parse(&[("url", URL), ("azuread_federation_provider", "AzureAD")])
            .unwrap_err()
            .to_string();
        assert!(itself.contains("azuread itself"), "{itself}");
    }

    #[test]
    fn debug_drops_the_query() {
        let s = parse(&[("url", &format!("{URL}&state=s3cr3t-state"))]).unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("s3cr3t")
                && !shown.contains("fake-tenant")
                && shown.contains("/signin/fake-app-0001"),
            "{shown}"
        );
    }
}
