//! The adapter's settings: the common IdP keys and the `example_*` keys, deserialised with serde
//! from the login's [`IdpSettings`], plus the secrets the user gave up front.

use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use aws_runas_idp_support::display_url;
use serde::Deserialize;
use std::fmt;

/// The prefix of this adapter's own profile keys.
const NAMESPACE: &str = "example_";

fn default_mfa_type() -> String {
    "auto".to_string()
}

fn default_otp_field() -> String {
    "otp".to_string()
}

/// The settings of the `example` identity provider.
///
/// | key | meaning | default |
/// | --- | --- | --- |
/// | `url` ([`IdpSettings::URL`]) | where the login starts (`saml_auth_url`) | required |
/// | `username` ([`IdpSettings::USERNAME`]) | the user name (`saml_username`) | asked |
/// | `mfa_type` ([`IdpSettings::MFA_TYPE`]) | `auto`, `code` or `none` (`push` is refused) | `auto` |
/// | `example_otp_field` | the `name` of the one-time-code input | `otp` |
///
/// `Debug` shows whether a password or code was given, never its value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSettings {
    url: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default = "default_mfa_type")]
    mfa_type: String,
    #[serde(default = "default_otp_field")]
    example_otp_field: String,
    #[serde(skip)]
    password: Option<Secret>,
    #[serde(skip)]
    mfa_code: Option<Secret>,
}

impl ExampleSettings {
    /// Reads the common keys, the `example_*` keys, and the password and code given up front.
    /// Keys of other adapters are ignored; empty values count as not set.
    ///
    /// # Errors
    /// [`IdpError::configuration`] when the URL is missing or not `http(s)`, an
    /// `example_*` key is unknown (the message names it), or `mfa_type` is not `auto`, `code` or
    /// `none`; [`IdpError::unsupported`] for `mfa_type = push`.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let common = [
            IdpSettings::URL,
            IdpSettings::USERNAME,
            IdpSettings::MFA_TYPE,
        ];
        let map: serde_json::Map<String, serde_json::Value> = settings
            .iter()
            .filter(|(k, v)| {
                !v.trim().is_empty() && (common.contains(k) || k.starts_with(NAMESPACE))
            })
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(v.trim())))
            .collect();
        if !map.contains_key(IdpSettings::URL) {
            return Err(IdpError::configuration(
                "the example identity provider needs the URL its login starts at (saml_auth_url)",
            ));
        }
        let mut parsed: ExampleSettings = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| {
                IdpError::configuration(format!(
                    "invalid settings for the example identity provider: {e}"
                ))
            })?;
        AuthUrl::parse(&parsed.url)?;
        parsed.mfa_type = parsed.mfa_type.to_ascii_lowercase();
        match parsed.mfa_type.as_str() {
            "auto" | "code" | "none" => {}
            "push" => {
                return Err(IdpError::unsupported(format!(
                    "the example identity provider at {} answers one-time codes only; mfa_type = push is not supported",
                    display_url(&parsed.url)
                )));
            }
            other => {
                return Err(IdpError::configuration(format!(
                    "invalid mfa_type {other:?} for the example identity provider: expected auto, code or none"
                )));
            }
        }
        parsed.password = settings.password().cloned();
        parsed.mfa_code = settings.mfa_code().cloned();
        Ok(parsed)
    }

    /// Where the login starts.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The configured user name, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether one-time-code pages are answered (`mfa_type` other than `none`).
    pub fn answers_codes(&self) -> bool {
        self.mfa_type != "none"
    }

    /// The `name` of the one-time-code input.
    pub fn otp_field(&self) -> &str {
        &self.example_otp_field
    }

    pub(crate) fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    pub(crate) fn mfa_code(&self) -> Option<&Secret> {
        self.mfa_code.as_ref()
    }
}

impl fmt::Debug for ExampleSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExampleSettings")
            .field("url", &display_url(&self.url))
            .field("username", &self.username)
            .field("mfa_type", &self.mfa_type)
            .field("otp_field", &self.example_otp_field)
            .field("password_given", &self.password.is_some())
            .field("mfa_code_given", &self.mfa_code.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<ExampleSettings, IdpError> {
        ExampleSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_and_overrides() {
        let s = settings(&[("url", "https://sso.example.test/start")]).unwrap();
        assert_eq!(s.username(), None);
        assert!(s.answers_codes());
        assert_eq!(s.otp_field(), "otp");
        let s = settings(&[
            ("url", "https://sso.example.test/start"),
            ("username", " jane "),
            ("mfa_type", "NONE"),
            ("example_otp_field", "verification_code"),
            ("forms_username_field", "another adapter's key"),
        ])
        .unwrap();
        assert_eq!(s.username(), Some("jane"));
        assert!(!s.answers_codes());
        assert_eq!(s.otp_field(), "verification_code");
    }

    #[test]
    fn bad_settings_are_named() {
        let e = settings(&[]).unwrap_err().to_string();
        assert!(e.contains("saml_auth_url"), "{e}");
        let e = settings(&[("url", "https://sso.example.test"), ("example_otp", "x")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`example_otp`"), "{e}");
        let e = settings(&[("url", "ftp://sso.example.test")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ftp://sso.example.test"), "{e}");
        let e = settings(&[("url", "https://sso.example.test"), ("mfa_type", "sms")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"sms\""), "{e}");
        assert!(matches!(
            settings(&[("url", "https://sso.example.test"), ("mfa_type", "push")]),
            Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Unsupported
        ));
    }

    #[test]
    fn debug_never_shows_the_secrets() {
        let s = ExampleSettings::from_idp_settings(
            &IdpSettings::from_pairs([("url", "https://sso.example.test/start?token=abc")])
                .with_secrets(Some(Secret::new("hunter2")), Some(Secret::new("123456"))),
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("123456"),
            "{shown}"
        );
        assert!(!shown.contains("token=abc"), "{shown}");
        assert!(shown.contains("password_given: true"), "{shown}");
    }
}
