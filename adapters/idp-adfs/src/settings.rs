//! The adapter's settings: the common login keys and its own `adfs_*` keys, read with the shared
//! [`read_settings`], and the IdP-initiated sign-on URL built from them.

use aws_runas_domain::ports::idp::{IdpError, IdpSettings};
use aws_runas_idp_support::{LoginSettings, MfaChoice, SettingsSpec, display_url, read_settings};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;
use url::Url;

/// The adapter's name in its keys and messages, and what its URL is.
const SPEC: SettingsSpec = SettingsSpec::new(
    "adfs",
    "saml_auth_url: the AD FS host (https://sts.example.com) or its IdP-initiated sign-on URL, <host>/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
);

/// The adapter's own keys.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnKeys {
    #[serde(default)]
    adfs_relying_party: Option<String>,
}

/// The relying party of AWS in an AD FS farm, as AWS documents it.
pub(crate) const DEFAULT_RELYING_PARTY: &str = "urn:amazon:webservices";

/// The IdP-initiated sign-on page of AD FS.
const SIGN_ON_PATH: &str = "/adfs/ls/IdpInitiatedSignOn.aspx";

/// Paths (lower-case, without a trailing `/`) that stand for "the AD FS sign-on page" when the URL
/// names no relying party: the bare host, `/adfs`, `/adfs/ls` and the sign-on page itself.
const SIGN_ON_PATHS: [&str; 5] = [
    "",
    "/adfs",
    "/adfs/ls",
    "/adfs/ls/idpinitiatedsignon.aspx",
    "/adfs/ls/idpinitiatedsignon",
];

/// Query parameters that say which relying party or protocol message a URL is for; a URL with one
/// of them is used as configured.
const TARGET_PARAMS: [&str; 5] = ["logintorp", "relaystate", "wa", "samlrequest", "wtrealm"];

/// The settings of one AD FS login.
///
/// Built from [`IdpSettings`] by [`AdfsSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`] and
/// [`IdpSettings::MFA_WAIT`], the secrets given up front, and the adapter's own `adfs_*` keys; an
/// unknown `adfs_*` key is an error naming it, and keys of other namespaces are ignored.
///
/// `Debug` shows the URLs without their query and whether secrets were given, never their values.
#[derive(Clone, PartialEq, Eq)]
pub struct AdfsSettings {
    login: LoginSettings,
    /// Where the login starts.
    login_url: String,
    /// `adfs_relying_party`, else the `loginToRp` of the URL, else the default.
    relying_party: String,
}

impl AdfsSettings {
    /// Reads and checks the settings, and works out where the login starts.
    ///
    /// # Errors
    /// A configuration error ([`IdpError::configuration`]) when the URL is missing or not
    /// `http`/`https`, when `mfa_type` is not `auto`, `none`, `code` or `push`, when
    /// `mfa_wait_timeout` is not a duration, when the URL names a relying party other than
    /// `adfs_relying_party`, or for an unknown `adfs_*` key, naming the key and where it came from.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        let (login, own) = read_settings::<OwnKeys>(settings, &SPEC)?.into_parts();
        let configured_rp = own.adfs_relying_party;
        let login_url = sign_on_url(login.url(), configured_rp.as_deref())?;
        let relying_party = configured_rp
            .or_else(|| {
                Url::parse(&login_url).ok().and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k.eq_ignore_ascii_case("loginToRp"))
                        .map(|(_, v)| v.into_owned())
                })
            })
            .unwrap_or_else(|| DEFAULT_RELYING_PARTY.to_string());
        Ok(AdfsSettings {
            login,
            login_url,
            relying_party,
        })
    }

    /// The login keys and the secrets given up front.
    pub fn login(&self) -> &LoginSettings {
        &self.login
    }

    /// The URL as configured (`saml_auth_url`).
    pub fn url(&self) -> &str {
        self.login.url()
    }

    /// Where the login starts: the configured URL, or the IdP-initiated sign-on URL built from it
    /// when it is only the AD FS host or its `/adfs/ls/` endpoint without a relying party.
    pub fn login_url(&self) -> &str {
        &self.login_url
    }

    /// The user name, when configured (otherwise the adapter asks).
    pub fn username(&self) -> Option<&str> {
        self.login.username()
    }

    /// `mfa_type`: which second-factor requests the adapter answers.
    pub fn mfa_type(&self) -> MfaChoice {
        self.login.mfa()
    }

    /// The relying party the login is for: `adfs_relying_party`, else the `loginToRp` of the
    /// configured URL, else `urn:amazon:webservices`.
    pub fn relying_party(&self) -> &str {
        &self.relying_party
    }

    /// The longest wait for a push approval (`mfa_wait_timeout`, by default two minutes).
    pub fn mfa_wait_bound(&self) -> Duration {
        self.login.mfa_wait()
    }
}

impl fmt::Debug for AdfsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The sign-on URL keeps the configured query, which may carry a WS-Federation context or
        // a SAML request.
        f.debug_struct("AdfsSettings")
            .field("login", &self.login)
            .field("login_url", &display_url(&self.login_url))
            .field("relying_party", &self.relying_party)
            .finish()
    }
}

/// The URL the login starts at.
///
/// A URL that is only the AD FS host, `/adfs`, `/adfs/ls/` or the sign-on page, with no query
/// parameter naming a relying party or a protocol message, becomes
/// `<host>/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=<relying party>` (other query parameters are
/// kept); any other URL is used as configured.
fn sign_on_url(raw: &str, relying_party: Option<&str>) -> Result<String, IdpError> {
    let mut url = Url::parse(raw).map_err(|e| {
        IdpError::configuration(format!("invalid saml_auth_url {}: {e}", display_url(raw)))
    })?;
    let named_rp = url
        .query_pairs()
        .find(|(k, _)| k.eq_ignore_ascii_case("loginToRp"))
        .map(|(_, v)| v.into_owned());
    if let (Some(named), Some(wanted)) = (&named_rp, relying_party)
        && named != wanted
    {
        return Err(IdpError::configuration(format!(
            "saml_auth_url {} names the relying party {named:?} but adfs_relying_party is {wanted:?}; set only one of them",
            display_url(raw)
        )));
    }
    let has_target = url
        .query_pairs()
        .any(|(k, _)| TARGET_PARAMS.iter().any(|t| k.eq_ignore_ascii_case(t)));
    let path = url.path().trim_end_matches('/').to_ascii_lowercase();
    if has_target || !SIGN_ON_PATHS.contains(&path.as_str()) {
        return Ok(raw.to_string());
    }
    url.set_path(SIGN_ON_PATH);
    url.set_fragment(None);
    url.query_pairs_mut()
        .append_pair("loginToRp", relying_party.unwrap_or(DEFAULT_RELYING_PARTY));
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn parse(pairs: &[(&str, &str)]) -> Result<AdfsSettings, IdpError> {
        AdfsSettings::from_idp_settings(&IdpSettings::from_pairs(pairs.iter().copied()))
    }

    const HOST: &str = "https://sts.example.test";

    #[test]
    fn common_and_own_keys_are_read_and_defaults_are_explicit() {
        let s = parse(&[
            ("url", HOST),
            ("username", " jane.doe@example.test "),
            ("mfa_type", "PUSH"),
            ("mfa_wait_timeout", "90s"),
            ("adfs_relying_party", "urn:amazon:webservices:cn"),
            (
                "keycloak_otp_device",
                "ignored: another adapter's namespace",
            ),
            ("role_arn", "ignored too"),
        ])
        .unwrap();
        assert_eq!(s.url(), HOST);
        assert_eq!(s.username(), Some("jane.doe@example.test"));
        assert_eq!(s.mfa_type(), MfaChoice::Push);
        assert_eq!(s.mfa_wait_bound(), Duration::from_secs(90));
        assert_eq!(s.relying_party(), "urn:amazon:webservices:cn");
        assert_eq!(
            s.login_url(),
            "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn%3Aamazon%3Awebservices%3Acn"
        );

        let d = parse(&[("url", HOST), ("username", ""), ("adfs_relying_party", " ")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa_type(), MfaChoice::Auto);
        assert_eq!(d.relying_party(), DEFAULT_RELYING_PARTY);
        let named = parse(&[(
            "url",
            "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:example:app",
        )])
        .unwrap();
        assert_eq!(named.relying_party(), "urn:example:app");
        assert_eq!(d.mfa_wait_bound(), Duration::from_secs(120));
    }

    #[test]
    fn the_sign_on_url_is_built_only_when_the_url_names_no_target() {
        let built = |url: &str| sign_on_url(url, None).unwrap();
        let want = "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn%3Aamazon%3Awebservices";
        for url in [
            "https://sts.example.test",
            "https://sts.example.test/",
            "https://sts.example.test/adfs",
            "https://sts.example.test/adfs/ls/",
            "https://STS.example.test/ADFS/LS",
            "https://sts.example.test/adfs/ls/idpinitiatedsignon.aspx",
            "https://sts.example.test/adfs/ls/IdpInitiatedSignOn",
        ] {
            assert_eq!(built(url), want, "{url}");
        }
        assert_eq!(
            built("https://sts.example.test:8443/adfs/ls/?client-request-id=abc#x"),
            "https://sts.example.test:8443/adfs/ls/IdpInitiatedSignOn.aspx?client-request-id=abc&loginToRp=urn%3Aamazon%3Awebservices"
        );
        for kept in [
            "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
            "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?RelayState=RPID%3Durn%253Aamazon",
            "https://sts.example.test/adfs/ls/?client-request-id=x&wa=wsignin1.0&wtrealm=urn%3afederation%3aMicrosoftOnline",
            "https://sts.example.test/adfs/ls/?SAMLRequest=fZJNb9sw",
            "https://sso.example.test/custom/start",
        ] {
            assert_eq!(built(kept), kept);
        }
    }

    #[test]
    fn bad_settings_are_named() {
        let unknown = parse(&[("url", HOST), ("adfs_relying_partie", "x")]).unwrap_err();
        assert_eq!(unknown.kind(), IdpErrorKind::Configuration);
        assert_eq!(
            unknown.to_string(),
            "unknown adfs setting `adfs_relying_partie` from the settings given; known: adfs_relying_party"
        );

        let missing = parse(&[("username", "jane")]).unwrap_err();
        assert_eq!(missing.kind(), IdpErrorKind::Configuration);
        let m = missing.to_string();
        assert!(
            m.contains("saml_auth_url") && m.contains("IdpInitiatedSignOn.aspx"),
            "{m}"
        );

        let scheme = parse(&[("url", "ftp://sts.example.test/adfs/ls/")]).unwrap_err();
        assert_eq!(scheme.kind(), IdpErrorKind::Configuration);
        assert!(
            scheme.to_string().contains("ftp://sts.example.test"),
            "{scheme}"
        );

        let mfa = parse(&[("url", HOST), ("mfa_type", "sms")]).unwrap_err();
        assert_eq!(mfa.kind(), IdpErrorKind::Configuration);
        let m = mfa.to_string();
        assert!(
            m.contains("`mfa_type` = \"sms\"") && m.contains("auto, none, code, push"),
            "{m}"
        );

        let wait = parse(&[("url", HOST), ("mfa_wait_timeout", "soon")]).unwrap_err();
        assert_eq!(wait.kind(), IdpErrorKind::Configuration);
        assert!(wait.to_string().contains("`mfa_wait_timeout`"), "{wait}");

        let clash = parse(&[
            (
                "url",
                "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
            ),
            ("adfs_relying_party", "urn:amazon:webservices:cn"),
        ])
        .unwrap_err();
        assert_eq!(clash.kind(), IdpErrorKind::Configuration);
        let m = clash.to_string();
        assert!(
            m.contains("urn:amazon:webservices:cn") && m.contains("set only one"),
            "{m}"
        );
    }

    #[test]
    fn debug_drops_the_query() {
        let s = parse(&[(
            "url",
            "https://sts.example.test/adfs/ls/?wa=wsignin1.0&wctx=s3cr3t-context",
        )])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("s3cr3t") && shown.contains("/adfs/ls/"),
            "{shown}"
        );
    }
}
