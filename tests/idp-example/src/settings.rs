//! The adapter's settings: the common login keys and the `example_*` keys, read with the shared
//! [`read_settings`] from the login's [`IdpSettings`], plus the secrets the user gave up front.

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, MfaChoice, SettingsSpec, display_url, read_settings};
use serde::Deserialize;

/// The adapter's name in its keys (`example_*`) and messages, and what its URL is.
const SPEC: SettingsSpec =
    SettingsSpec::new("example", "the URL its login starts at (saml_auth_url)");

/// The adapter's own keys, under their full names so that errors name them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default = "default_otp_field")]
    example_otp_field: String,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleSettings {
    login: LoginSettings,
    otp_field: String,
}

impl ExampleSettings {
    /// Reads the common keys, the `example_*` keys, and the password and code given up front.
    /// Keys of other adapters are ignored; empty values count as not set.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing or not
    /// `http(s)`, an `example_*` key is unknown, or `mfa_type` is not one of the choices (each
    /// naming the key and where it came from); [`IdpError::unsupported`] for `mfa_type = push`.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        if login.mfa() == MfaChoice::Push {
            return Err(IdpError::unsupported(format!(
                "the example identity provider at {} answers one-time codes only; mfa_type = push is not supported",
                display_url(login.url())
            )));
        }
        Ok(ExampleSettings {
            login,
            otp_field: own.example_otp_field,
        })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// Where the login starts.
    pub fn url(&self) -> &str {
        self.login.url()
    }

    /// Whether one-time-code pages are answered (`mfa_type` other than `none`).
    pub fn answers_codes(&self) -> bool {
        self.login.mfa() != MfaChoice::None
    }

    /// The `name` of the one-time-code input.
    pub fn otp_field(&self) -> &str {
        &self.otp_field
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn settings(pairs: &[(&str, &str)]) -> Result<ExampleSettings, IdpError> {
        ExampleSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_and_overrides() {
        let s = settings(&[("url", "https://sso.example.test/start")]).unwrap();
        assert_eq!(s.login().username(), None);
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
        assert_eq!(s.login().username(), Some("jane"));
        assert!(!s.answers_codes());
        assert_eq!(s.otp_field(), "verification_code");
    }

    #[test]
    fn bad_settings_are_named() {
        let e = settings(&[]).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration);
        assert!(e.to_string().contains("saml_auth_url"), "{e}");
        let e = settings(&[("url", "https://sso.example.test"), ("example_otp", "x")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`example_otp`"), "{e}");
        assert!(e.contains("example_otp_field"), "{e}");
        let e = settings(&[("url", "ftp://sso.example.test")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("ftp://sso.example.test"), "{e}");
        let e = settings(&[("url", "https://sso.example.test"), ("mfa_type", "sms")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"sms\""), "{e}");
        let push = settings(&[("url", "https://sso.example.test"), ("mfa_type", "push")]);
        assert_eq!(push.unwrap_err().kind(), IdpErrorKind::Unsupported);
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
