//! The adapter's settings: the common login keys and its own `forms_*` keys, read with the shared
//! [`read_settings`].

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, MfaChoice, SettingsSpec, display_url, read_settings};
use serde::Deserialize;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "forms",
    "the URL of the login page (saml_auth_url), or of the issuer for oidc (web_identity_auth_url)",
);

/// The adapter's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default)]
    forms_username_field: Option<String>,
    #[serde(default)]
    forms_password_field: Option<String>,
    #[serde(default)]
    forms_otp_field: Option<String>,
}

/// The settings of the `forms` identity provider.
///
/// Built by [`FormsSettings::from_idp_settings`] from the login's [`IdpSettings`]:
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `url` ([`IdpSettings::URL`]) | the page the login starts at (`saml_auth_url`), or the OIDC issuer (`web_identity_auth_url`) | required |
/// | `username` ([`IdpSettings::USERNAME`]) | the user name (`saml_username`) | asked when a form needs it |
/// | `mfa_type` ([`IdpSettings::MFA_TYPE`]) | `auto`, `code` or `none` (`push` is refused) | `auto` |
/// | `forms_username_field` | the `name` of the user-name input of the login form | detected |
/// | `forms_password_field` | the `name` of the password input of the login form | the first password input |
/// | `forms_otp_field` | the `name` of the input of the one-time-code form | the form's only text input |
///
/// Any other key starting with `forms_` is an error naming it; keys of other adapters are ignored.
/// Values are trimmed, and empty values count as not set.
/// `Debug` shows the URL without its query and whether a password or code was given, never its
/// value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormsSettings {
    login: LoginSettings,
    username_field: Option<String>,
    password_field: Option<String>,
    otp_field: Option<String>,
}

impl FormsSettings {
    /// Reads the settings of one login: the common keys, the `forms_*` keys, and the password and
    /// MFA code given up front.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing or not
    /// `http(s)`, a `forms_*` key is unknown, or `mfa_type` is not one of the choices, naming the
    /// key and where it came from; an unsupported error ([`IdpError::unsupported`]) for
    /// `mfa_type = push`.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        if login.mfa() == MfaChoice::Push {
            return Err(IdpError::unsupported(format!(
                "the forms identity provider at {} answers one-time codes only; mfa_type = push is not supported",
                display_url(login.url())
            )));
        }
        Ok(FormsSettings {
            login,
            username_field: own.forms_username_field,
            password_field: own.forms_password_field,
            otp_field: own.forms_otp_field,
        })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// The URL the login starts at.
    pub fn url(&self) -> &str {
        self.login.url()
    }

    /// The configured user name, if any.
    pub fn username(&self) -> Option<&str> {
        self.login.username()
    }

    /// `forms_username_field`, if set.
    pub fn username_field(&self) -> Option<&str> {
        self.username_field.as_deref()
    }

    /// `forms_password_field`, if set.
    pub fn password_field(&self) -> Option<&str> {
        self.password_field.as_deref()
    }

    /// `forms_otp_field`, if set.
    pub fn otp_field(&self) -> Option<&str> {
        self.otp_field.as_deref()
    }

    /// Whether one-time-code pages are answered (`mfa_type` other than `none`).
    pub fn answers_codes(&self) -> bool {
        self.login.mfa() != MfaChoice::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn settings(pairs: &[(&str, &str)]) -> Result<FormsSettings, IdpError> {
        FormsSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn common_and_namespaced_keys_are_read_and_others_ignored() {
        let s = settings(&[
            ("url", "https://idp.example.test/login?x=1"),
            ("username", "jane"),
            ("mfa_type", "CODE"),
            ("forms_username_field", "ident"),
            ("forms_password_field", "secret"),
            ("forms_otp_field", " token "),
            ("keycloak_realm", "ignored"),
            ("region", "eu-west-1"),
        ])
        .unwrap();
        assert_eq!(s.url(), "https://idp.example.test/login?x=1");
        assert_eq!(s.username(), Some("jane"));
        assert_eq!(s.username_field(), Some("ident"));
        assert_eq!(s.password_field(), Some("secret"));
        assert_eq!(s.otp_field(), Some("token"));
        assert!(s.answers_codes());
    }

    #[test]
    fn defaults_are_explicit_and_empty_values_are_unset() {
        let s = settings(&[
            ("url", "http://127.0.0.1:9/sso"),
            ("username", ""),
            ("forms_otp_field", " "),
        ])
        .unwrap();
        assert_eq!(s.username(), None);
        assert_eq!(s.username_field(), None);
        assert_eq!(s.otp_field(), None);
        assert_eq!(s.login().mfa(), MfaChoice::Auto);
        assert!(s.answers_codes());
        let none = settings(&[("url", "http://127.0.0.1:9/sso"), ("mfa_type", "none")]).unwrap();
        assert!(!none.answers_codes());
    }

    #[test]
    fn bad_settings_are_errors_naming_the_key() {
        let unknown = settings(&[
            ("url", "https://idp.example.test/"),
            ("forms_usrname_field", "u"),
        ])
        .unwrap_err();
        assert_eq!(unknown.kind(), IdpErrorKind::Configuration);
        let m = unknown.to_string();
        assert!(
            m.contains("`forms_usrname_field`") && m.contains("forms_username_field"),
            "{m}"
        );

        let missing = settings(&[("username", "jane")]).unwrap_err();
        assert_eq!(missing.kind(), IdpErrorKind::Configuration);
        assert!(missing.to_string().contains("saml_auth_url"), "{missing}");

        let scheme = settings(&[("url", "ftp://idp.example.test/")]).unwrap_err();
        assert_eq!(scheme.kind(), IdpErrorKind::Configuration);

        let mfa =
            settings(&[("url", "https://idp.example.test/"), ("mfa_type", "sms")]).unwrap_err();
        assert_eq!(mfa.kind(), IdpErrorKind::Configuration);
        let m = mfa.to_string();
        assert!(m.contains("mfa_type") && m.contains("\"sms\""), "{m}");

        let push =
            settings(&[("url", "https://idp.example.test/"), ("mfa_type", "push")]).unwrap_err();
        assert_eq!(push.kind(), IdpErrorKind::Unsupported);
        assert!(push.to_string().contains("mfa_type = push"), "{push}");
    }

    #[test]
    fn debug_never_shows_the_secrets() {
        let given =
            IdpSettings::from_pairs([("url", "https://idp.example.test/sso?SAMLRequest=abc")])
                .with_secrets(Some(Secret::new("hunter2")), Some(Secret::new("424242")));
        let s = FormsSettings::from_idp_settings(&given).unwrap();
        assert_eq!(s.login().password().unwrap().expose(), "hunter2");
        assert_eq!(s.login().mfa_code().unwrap().expose(), "424242");
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2")
                && !shown.contains("424242")
                && !shown.contains("SAMLRequest"),
            "{shown}"
        );
        assert!(shown.contains("password_given: true"), "{shown}");
    }
}
