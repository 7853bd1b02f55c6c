//! The adapter's settings: the common IdP keys and the `forms_*` keys, deserialised with serde
//! from the profile's [`IdpSettings`], plus the secrets the user gave up front.

use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use aws_runas_idp_support::display_url;
use serde::Deserialize;
use std::fmt;

/// The prefix of this adapter's own profile keys.
const NAMESPACE: &str = "forms_";

/// What to do with a one-time-code page (`mfa_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MfaMode {
    /// `auto` (the default) or `code`: answer a one-time-code page when the IdP shows one.
    Code,
    /// `none`: the login has no second factor; a one-time-code page is an error.
    None,
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
/// Empty values count as not set.
/// `Debug` shows whether a password or code was given, never its value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormsSettings {
    url: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, rename = "mfa_type")]
    mfa_type: Option<String>,
    #[serde(default)]
    forms_username_field: Option<String>,
    #[serde(default)]
    forms_password_field: Option<String>,
    #[serde(default)]
    forms_otp_field: Option<String>,
    #[serde(skip)]
    mfa: Option<MfaMode>,
    #[serde(skip)]
    password: Option<Secret>,
    #[serde(skip)]
    mfa_code: Option<Secret>,
}

impl FormsSettings {
    /// Reads the settings of one login: the common keys, the `forms_*` keys, and the password and
    /// MFA code given up front.
    ///
    /// # Errors
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`](aws_runas_domain::ports::idp::IdpErrorKind::Configuration) when the URL is missing or not `http(s)`, a `forms_*` key
    /// is unknown (the message names it), or `mfa_type` is not `auto`, `code` or `none`;
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Unsupported`](aws_runas_domain::ports::idp::IdpErrorKind::Unsupported) for `mfa_type = push`.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let map: serde_json::Map<String, serde_json::Value> = settings
            .iter()
            .filter(|(k, v)| {
                !v.trim().is_empty()
                    && (k.starts_with(NAMESPACE)
                        || [
                            IdpSettings::URL,
                            IdpSettings::USERNAME,
                            IdpSettings::MFA_TYPE,
                        ]
                        .contains(k))
            })
            .map(|(k, v)| {
                (
                    k.to_string(),
                    serde_json::Value::String(v.trim().to_string()),
                )
            })
            .collect();
        if !map.contains_key(IdpSettings::URL) {
            return Err(IdpError::configuration(
                "the forms identity provider needs the URL of the login page (saml_auth_url), or of the issuer for oidc (web_identity_auth_url)",
            ));
        }
        let mut parsed: FormsSettings = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| {
                IdpError::configuration(format!(
                    "invalid settings for the forms identity provider: {e}"
                ))
            })?;
        AuthUrl::parse(&parsed.url)?;
        parsed.mfa = Some(
            match parsed.mfa_type.as_deref().map(str::to_ascii_lowercase) {
                None => MfaMode::Code,
                Some(m) if m == "auto" || m == "code" => MfaMode::Code,
                Some(m) if m == "none" => MfaMode::None,
                Some(m) if m == "push" => {
                    return Err(IdpError::unsupported(format!(
                        "the forms identity provider at {} answers one-time codes only; mfa_type = push is not supported",
                        display_url(&parsed.url)
                    )));
                }
                Some(m) => {
                    return Err(IdpError::configuration(format!(
                        "invalid mfa_type {m:?} for the forms identity provider: expected auto, code or none"
                    )));
                }
            },
        );
        parsed.password = settings.password().cloned();
        parsed.mfa_code = settings.mfa_code().cloned();
        Ok(parsed)
    }

    /// The URL the login starts at.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The configured user name, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// `forms_username_field`, if set.
    pub fn username_field(&self) -> Option<&str> {
        self.forms_username_field.as_deref()
    }

    /// `forms_password_field`, if set.
    pub fn password_field(&self) -> Option<&str> {
        self.forms_password_field.as_deref()
    }

    /// `forms_otp_field`, if set.
    pub fn otp_field(&self) -> Option<&str> {
        self.forms_otp_field.as_deref()
    }

    /// Whether one-time-code pages are answered (`mfa_type` other than `none`).
    pub fn answers_codes(&self) -> bool {
        self.mfa_mode() == MfaMode::Code
    }

    pub(crate) fn mfa_mode(&self) -> MfaMode {
        self.mfa.unwrap_or(MfaMode::Code)
    }

    pub(crate) fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    pub(crate) fn mfa_code(&self) -> Option<&Secret> {
        self.mfa_code.as_ref()
    }
}

impl fmt::Debug for FormsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormsSettings")
            .field("url", &display_url(&self.url))
            .field("username", &self.username)
            .field("mfa", &self.mfa_mode())
            .field("username_field", &self.forms_username_field)
            .field("password_field", &self.forms_password_field)
            .field("otp_field", &self.forms_otp_field)
            .field("password_given", &self.password.is_some())
            .field("mfa_code_given", &self.mfa_code.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(s.mfa_mode(), MfaMode::Code);
        let none = settings(&[("url", "http://127.0.0.1:9/sso"), ("mfa_type", "none")]).unwrap();
        assert!(!none.answers_codes());
    }

    #[test]
    fn bad_settings_are_errors_naming_the_key() {
        let e = settings(&[
            ("url", "https://idp.example.test/"),
            ("forms_usrname_field", "u"),
        ])
        .unwrap_err();
        assert!(
            matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("`forms_usrname_field`")}),
            "{e:?}"
        );
        let e = settings(&[("username", "jane")]).unwrap_err();
        assert!(e.to_string().contains("saml_auth_url"), "{e}");
        let e = settings(&[("url", "ftp://idp.example.test/")]).unwrap_err();
        assert!(
            matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration),
            "{e:?}"
        );
        let e = settings(&[("url", "https://idp.example.test/"), ("mfa_type", "sms")]).unwrap_err();
        assert!(
            matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("mfa_type") && m.contains("\"sms\"")}),
            "{e:?}"
        );
        let e =
            settings(&[("url", "https://idp.example.test/"), ("mfa_type", "push")]).unwrap_err();
        assert!(
            matches!(&e, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Unsupported),
            "{e:?}"
        );
    }

    #[test]
    fn debug_never_shows_the_secrets() {
        let given =
            IdpSettings::from_pairs([("url", "https://idp.example.test/sso?SAMLRequest=abc")])
                .with_secrets(Some(Secret::new("hunter2")), Some(Secret::new("424242")));
        let s = FormsSettings::from_idp_settings(&given).unwrap();
        assert_eq!(s.password().unwrap().expose(), "hunter2");
        assert_eq!(s.mfa_code().unwrap().expose(), "424242");
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
