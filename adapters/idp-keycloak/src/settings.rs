//! The adapter's settings: the common login keys plus its own `keycloak_*` keys, deserialised with
//! serde from the `IdpSettings` key/value pairs.

use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use aws_runas_idp_support::display_url;
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// The prefix of the adapter's own keys.
const PREFIX: &str = "keycloak_";

/// The values `mfa_type` may take (all accepted, none acted on: Keycloak decides whether it asks
/// for a code, as in the original tool).
const MFA_TYPES: [&str; 4] = ["auto", "none", "code", "push"];

/// The settings of one Keycloak login.
///
/// Built from [`IdpSettings`] by [`KeycloakSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`], [`IdpSettings::USERNAME`] and [`IdpSettings::MFA_TYPE`], and the
/// adapter's own `keycloak_*` keys; an unknown `keycloak_*` key is an error naming it, and keys of
/// other namespaces are ignored.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeycloakSettings {
    url: String,
    #[serde(default, deserialize_with = "non_empty")]
    username: Option<String>,
    #[serde(default = "default_mfa_type")]
    mfa_type: String,
    #[serde(
        default,
        rename = "keycloak_otp_device",
        deserialize_with = "non_empty"
    )]
    otp_device: Option<String>,
}

fn default_mfa_type() -> String {
    "auto".to_string()
}

/// A string setting, trimmed; empty means unset.
fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    let s = s.trim();
    Ok((!s.is_empty()).then(|| s.to_string()))
}

impl KeycloakSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// [`IdpError::configuration`] when the URL is missing or not `http`/`https`, when
    /// `mfa_type` is not `auto`, `none`, `code` or `push`, or for an unknown `keycloak_*` key.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        if settings
            .get(IdpSettings::URL)
            .is_none_or(|u| u.trim().is_empty())
        {
            return Err(IdpError::configuration(
                "the keycloak identity provider needs saml_auth_url (its IdP-initiated SSO URL, <base>/realms/<realm>/protocol/saml/clients/<client>) or web_identity_auth_url (the realm, <base>/realms/<realm>)",
            ));
        }
        let pairs = settings
            .iter()
            .filter(|(k, _)| {
                [
                    IdpSettings::URL,
                    IdpSettings::USERNAME,
                    IdpSettings::MFA_TYPE,
                ]
                .contains(k)
                    || k.starts_with(PREFIX)
            })
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let mut parsed =
            KeycloakSettings::deserialize(MapDeserializer::<_, ValueError>::new(pairs))
                .map_err(|e| IdpError::configuration(format!("invalid keycloak settings: {e}")))?;
        parsed.url = parsed.url.trim().to_string();
        AuthUrl::parse(&parsed.url)?;
        let mfa = parsed.mfa_type.trim().to_ascii_lowercase();
        if !MFA_TYPES.contains(&mfa.as_str()) {
            return Err(IdpError::configuration(format!(
                "invalid mfa_type {:?} for the keycloak identity provider: expected one of {}",
                parsed.mfa_type,
                MFA_TYPES.join(", ")
            )));
        }
        parsed.mfa_type = mfa;
        Ok(parsed)
    }

    /// Where the login starts: the client's IdP-initiated SSO URL (SAML), or the realm (OIDC).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The user name, when configured (otherwise the adapter asks).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// `mfa_type`, lower-case; accepted and ignored, because Keycloak decides whether it asks
    /// for a one-time code.
    pub fn mfa_type(&self) -> &str {
        &self.mfa_type
    }

    /// `keycloak_otp_device`: the label or credential id of the one-time-code device to use when
    /// the user has several.
    pub fn otp_device(&self) -> Option<&str> {
        self.otp_device.as_deref()
    }
}

impl fmt::Debug for KeycloakSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's query may carry state tokens; it is never needed to tell logins apart.
        f.debug_struct("KeycloakSettings")
            .field("url", &display_url(&self.url))
            .field("username", &self.username)
            .field("mfa_type", &self.mfa_type)
            .field("otp_device", &self.otp_device)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<KeycloakSettings, IdpError> {
        KeycloakSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    const URL: &str = "https://idp.example.test/realms/corp/protocol/saml/clients/aws";

    #[test]
    fn common_and_own_keys_are_read_and_defaults_are_explicit() {
        let s = parse(&[
            ("url", URL),
            ("username", " jane.doe "),
            ("mfa_type", "CODE"),
            ("keycloak_otp_device", "Work phone"),
            (
                "forms_username_field",
                "ignored: another adapter's namespace",
            ),
            ("role_arn", "ignored too"),
        ])
        .unwrap();
        assert_eq!(s.url(), URL);
        assert_eq!(s.username(), Some("jane.doe"));
        assert_eq!(s.mfa_type(), "code");
        assert_eq!(s.otp_device(), Some("Work phone"));

        let d = parse(&[("url", URL), ("username", ""), ("keycloak_otp_device", " ")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa_type(), "auto");
        assert_eq!(d.otp_device(), None);
    }

    #[test]
    fn bad_settings_are_named() {
        let unknown = parse(&[("url", URL), ("keycloak_otp_devise", "x")])
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("`keycloak_otp_devise`"), "{unknown}");
        assert!(unknown.contains("keycloak_otp_device"), "{unknown}");

        let missing = parse(&[("username", "jane")]).unwrap_err();
        assert!(
            matches!(&missing, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("saml_auth_url")}),
            "{missing:?}"
        );
        let scheme = parse(&[("url", "ftp://idp.example.test/realms/x")]).unwrap_err();
        assert!(
            matches!(&scheme, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration)
        );
        let mfa = parse(&[("url", URL), ("mfa_type", "sms")])
            .unwrap_err()
            .to_string();
        assert!(
            mfa.contains("\"sms\"") && mfa.contains("auto, none, code, push"),
            "{mfa}"
        );
    }

    #[test]
    fn debug_drops_the_query() {
        let s = parse(&[("url", &format!("{URL}?RelayState=s3cr3t-state"))]).unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("s3cr3t") && shown.contains("/clients/aws"),
            "{shown}"
        );
    }
}
