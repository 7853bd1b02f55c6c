//! The adapter's settings: the common login keys and its own `keycloak_*` keys, read with the
//! shared [`read_settings`].

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, MfaChoice, SettingsSpec, read_settings};
use serde::Deserialize;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "keycloak",
    "saml_auth_url (its IdP-initiated SSO URL, <base>/realms/<realm>/protocol/saml/clients/<client>) or web_identity_auth_url (the realm, <base>/realms/<realm>)",
);

/// The adapter's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default)]
    keycloak_otp_device: Option<String>,
}

/// The settings of one Keycloak login.
///
/// Built from [`IdpSettings`] by [`KeycloakSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`], [`IdpSettings::USERNAME`] and [`IdpSettings::MFA_TYPE`] (accepted, none
/// acted on: Keycloak decides whether it asks for a code, as in the original tool), the secrets
/// given up front, and the adapter's own `keycloak_*` keys; an unknown `keycloak_*` key is an
/// error naming it, and keys of other namespaces are ignored.
///
/// `Debug` shows the URL without its query and whether secrets were given, never their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeycloakSettings {
    login: LoginSettings,
    otp_device: Option<String>,
}

impl KeycloakSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing or not
    /// `http`/`https`, when `mfa_type` is not `auto`, `none`, `code` or `push`, or for an unknown
    /// `keycloak_*` key, naming the key and where it came from.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        Ok(KeycloakSettings {
            login,
            otp_device: own.keycloak_otp_device,
        })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// Where the login starts: the client's IdP-initiated SSO URL (SAML), or the realm (OIDC).
    pub fn url(&self) -> &str {
        self.login.url()
    }

    /// The user name, when configured (otherwise the adapter asks).
    pub fn username(&self) -> Option<&str> {
        self.login.username()
    }

    /// `mfa_type`; accepted and ignored, because Keycloak decides whether it asks for a
    /// one-time code.
    pub fn mfa_type(&self) -> MfaChoice {
        self.login.mfa()
    }

    /// `keycloak_otp_device`: the label or credential id of the one-time-code device to use when
    /// the user has several.
    pub fn otp_device(&self) -> Option<&str> {
        self.otp_device.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

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
        assert_eq!(s.mfa_type(), MfaChoice::Code);
        assert_eq!(s.otp_device(), Some("Work phone"));

        let d = parse(&[("url", URL), ("username", ""), ("keycloak_otp_device", " ")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa_type(), MfaChoice::Auto);
        assert_eq!(d.otp_device(), None);
    }

    #[test]
    fn bad_settings_are_named() {
        let unknown = parse(&[("url", URL), ("keycloak_otp_devise", "x")]).unwrap_err();
        assert_eq!(unknown.kind(), IdpErrorKind::Configuration);
        assert_eq!(
            unknown.to_string(),
            "unknown keycloak setting `keycloak_otp_devise` from the settings given; known: keycloak_otp_device"
        );

        let missing = parse(&[("username", "jane")]).unwrap_err();
        assert_eq!(missing.kind(), IdpErrorKind::Configuration);
        let m = missing.to_string();
        assert!(
            m.contains("saml_auth_url") && m.contains("web_identity_auth_url"),
            "{m}"
        );

        let scheme = parse(&[("url", "ftp://idp.example.test/realms/x")]).unwrap_err();
        assert_eq!(scheme.kind(), IdpErrorKind::Configuration);
        assert!(
            scheme.to_string().contains("ftp://idp.example.test"),
            "{scheme}"
        );

        let mfa = parse(&[("url", URL), ("mfa_type", "sms")]).unwrap_err();
        assert_eq!(mfa.kind(), IdpErrorKind::Configuration);
        let m = mfa.to_string();
        assert!(
            m.contains("`mfa_type` = \"sms\"") && m.contains("auto, none, code, push"),
            "{m}"
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
