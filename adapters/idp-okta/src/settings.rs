//! The adapter's settings: the common login keys, read with the shared [`read_settings`]. The
//! adapter has no `okta_*` key of its own; any such key is an error naming it, so that a typo does
//! not go unnoticed.

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, MfaChoice, NoOwnSettings, SettingsSpec, read_settings};
use std::time::Duration;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "okta",
    "saml_auth_url (the embed link of the AWS app, https://<org>.okta.com/home/amazon_aws/<app id>/<n>) or web_identity_auth_url (an authorization server, https://<org>.okta.com/oauth2/default)",
);

/// The settings of one Okta login.
///
/// Built from [`IdpSettings`] by [`OktaSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`] (the SAML app's embed link, or an authorization server for OIDC),
/// [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`] and [`IdpSettings::MFA_WAIT`], and the
/// secrets given up front; an `okta_*` key is an error naming it (the adapter has none), and keys
/// of other namespaces are ignored.
///
/// `Debug` shows the URL without its query and whether secrets were given, never their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OktaSettings {
    login: LoginSettings,
}

impl OktaSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing or not
    /// `http`/`https`, when `mfa_type` is not `auto`, `none`, `code` or `push`, when
    /// `mfa_wait_timeout` is not a duration, or for any `okta_*` key, naming the key and where it
    /// came from.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, NoOwnSettings {}) =
            read_settings::<NoOwnSettings>(settings, &SPEC)?.into_parts();
        Ok(OktaSettings { login })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// Where the login starts: the embed link of the AWS SAML app (or, for OIDC, the
    /// authorization server).
    pub fn url(&self) -> &str {
        self.login.url()
    }

    /// The user name, when configured (otherwise the adapter asks).
    pub fn username(&self) -> Option<&str> {
        self.login.username()
    }

    /// `mfa_type`: which factor to use when Okta offers several. `none` is treated like `auto`,
    /// as the original tool does: Okta decides whether it asks.
    pub fn mfa_type(&self) -> MfaChoice {
        self.login.mfa()
    }

    /// The longest wait for a push or another device (`mfa_wait_timeout`, 2 minutes by default).
    pub fn mfa_wait(&self) -> Duration {
        self.login.mfa_wait()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;
    use aws_runas_domain::ports::idp::IdpErrorKind;
    use aws_runas_idp_support::DEFAULT_WAIT_BOUND;

    const URL: &str = "https://example.okta.com/home/amazon_aws/0oa1fake0001/272";

    fn parse(pairs: &[(&str, &str)]) -> Result<OktaSettings, IdpError> {
        OktaSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    /// The message of a configuration error; fails for any other kind.
    fn refused(pairs: &[(&str, &str)]) -> String {
        let e = parse(pairs).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
        e.to_string()
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
        assert_eq!(s.mfa_type(), MfaChoice::Push);
        assert_eq!(s.mfa_wait(), Duration::from_secs(90));

        let d = parse(&[("url", URL), ("username", ""), ("mfa_type", " ")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa_type(), MfaChoice::Auto);
        assert_eq!(d.mfa_wait(), DEFAULT_WAIT_BOUND);
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            refused(&[("url", URL), ("okta_factor", "push")]),
            "unknown okta setting `okta_factor` from the settings given: the okta identity provider has no okta_* settings"
        );
        let missing = refused(&[("username", "jane")]);
        assert!(
            missing.contains("saml_auth_url") && missing.contains("web_identity_auth_url"),
            "{missing}"
        );
        let scheme = refused(&[("url", "example.okta.com/home")]);
        assert!(scheme.contains("`url`"), "{scheme}");
        let mfa = refused(&[("url", URL), ("mfa_type", "sms")]);
        assert!(
            mfa.contains("`mfa_type` = \"sms\"") && mfa.contains("auto, none, code, push"),
            "{mfa}"
        );
        let wait = refused(&[("url", URL), ("mfa_wait_timeout", "soon")]);
        assert!(wait.contains("`mfa_wait_timeout` = \"soon\""), "{wait}");
    }

    #[test]
    fn debug_drops_the_query_and_hides_the_secrets() {
        let given = IdpSettings::from_pairs([("url", format!("{URL}?fromHome=t0ken"))])
            .with_secrets(Some(Secret::new("hunter2-pw")), Some(Secret::new("975310")));
        let s = OktaSettings::from_idp_settings(&given).unwrap();
        assert_eq!(s.login().password().map(Secret::expose), Some("hunter2-pw"));
        let shown = format!("{s:?}");
        for hidden in ["t0ken", "hunter2-pw", "975310"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(shown.contains("/272"), "{shown}");
        assert!(shown.contains("password_given: true"), "{shown}");
    }
}
