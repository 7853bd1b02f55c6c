//! The adapter's settings: the common login keys and its own `azuread_*` keys, read with the
//! shared [`read_settings`].

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, MfaChoice, SettingsSpec, read_settings};
use serde::Deserialize;
use std::time::Duration;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "azuread",
    "saml_auth_url (the application's user access URL, https://myapps.microsoft.com/signin/<app-id>?tenantId=<tenant-id>) or web_identity_auth_url (https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0)",
);

/// The adapter's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default)]
    azuread_federated_username: Option<String>,
    #[serde(default)]
    azuread_federation_provider: Option<String>,
}

/// The settings of one Azure AD login.
///
/// Built from [`IdpSettings`] by [`AzureAdSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`] and
/// [`IdpSettings::MFA_WAIT`], the secrets given up front, and the adapter's own keys
/// `azuread_federated_username` and `azuread_federation_provider`; an unknown `azuread_*` key is
/// an error naming it, and keys of other namespaces are ignored.
///
/// `Debug` shows the URL without its query and whether secrets were given, never their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureAdSettings {
    login: LoginSettings,
    federated_username: Option<String>,
    federation_provider: Option<String>,
}

impl AzureAdSettings {
    /// Reads and checks the settings.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing or not
    /// `http`/`https`, when `mfa_type` is not `auto`, `none`, `code` or `push`, when
    /// `mfa_wait_timeout` is not a duration, when `azuread_federation_provider` names azuread
    /// itself, or for an unknown `azuread_*` key, naming the key and where it came from.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        let federation_provider = own
            .azuread_federation_provider
            .map(|p| p.to_ascii_lowercase());
        if federation_provider.as_deref() == Some(crate::NAME) {
            return Err(IdpError::configuration(
                "azuread_federation_provider names azuread itself: name the identity provider Azure AD federates with (adfs, for example)",
            ));
        }
        Ok(AzureAdSettings {
            login,
            federated_username: own.azuread_federated_username,
            federation_provider,
        })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// Where the login starts: the application's user access URL.
    pub fn url(&self) -> &str {
        self.login.url()
    }

    /// The user name, when configured (otherwise the adapter asks, when Azure AD wants it).
    pub fn username(&self) -> Option<&str> {
        self.login.username()
    }

    /// `mfa_type`: which second factor to use when Azure AD offers several.
    pub fn mfa_type(&self) -> MfaChoice {
        self.login.mfa()
    }

    /// The longest wait for a push approval (`mfa_wait_timeout`, two minutes by default).
    pub fn mfa_wait(&self) -> Duration {
        self.login.mfa_wait()
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;
    use aws_runas_idp_support::DEFAULT_WAIT_BOUND;

    fn parse(pairs: &[(&str, &str)]) -> Result<AzureAdSettings, IdpError> {
        AzureAdSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    /// The message of a configuration error; fails for any other kind.
    fn refusal(pairs: &[(&str, &str)]) -> String {
        let e = parse(pairs).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
        e.to_string()
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
        assert_eq!(s.mfa_type(), MfaChoice::Push);
        assert_eq!(s.mfa_wait(), Duration::from_secs(90));
        assert_eq!(s.federated_username(), Some("CORP\\jane"));
        assert_eq!(s.federation_provider(), Some("adfs"));

        let d = parse(&[("url", URL), ("username", " "), ("mfa_type", "")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa_type(), MfaChoice::Auto);
        assert_eq!(d.mfa_wait(), DEFAULT_WAIT_BOUND);
        assert_eq!(d.federated_username(), None);
        assert_eq!(d.federation_provider(), None);
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            refusal(&[("url", URL), ("azuread_federated_user", "x")]),
            "unknown azuread setting `azuread_federated_user` from the settings given; known: azuread_federated_username, azuread_federation_provider"
        );
        let missing = refusal(&[("username", "jane")]);
        assert!(
            missing.contains("saml_auth_url") && missing.contains("web_identity_auth_url"),
            "{missing}"
        );
        let scheme = refusal(&[("url", "myapps.microsoft.com/signin/x")]);
        assert!(scheme.contains("`url`"), "{scheme}");
        let mfa = refusal(&[("url", URL), ("mfa_type", "sms")]);
        assert!(
            mfa.contains("`mfa_type` = \"sms\"") && mfa.contains("auto, none, code, push"),
            "{mfa}"
        );
        let wait = refusal(&[("url", URL), ("mfa_wait_timeout", "soon")]);
        assert!(wait.contains("`mfa_wait_timeout` = \"soon\""), "{wait}");
        let itself = refusal(&[("url", URL), ("azuread_federation_provider", "AzureAD")]);
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
