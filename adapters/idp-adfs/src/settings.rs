//! The adapter's settings: the common login keys plus its own `adfs_*` keys, deserialised with
//! serde from the `IdpSettings` key/value pairs, and the IdP-initiated sign-on URL built from them.

use aws_runas_domain::ports::idp::{AuthUrl, IdpError, IdpSettings};
use aws_runas_idp_support::{display_url, parse_wait_bound};
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::time::Duration;
use url::Url;

/// The prefix of the adapter's own keys.
const PREFIX: &str = "adfs_";

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

/// The second-factor choice of `mfa_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum MfaChoice {
    /// Answer whatever AD FS asks for.
    #[default]
    Auto,
    /// No second factor: a second-factor page is an error.
    None,
    /// One-time codes only.
    Code,
    /// Push approvals (and phone calls) only.
    Push,
}

impl MfaChoice {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "auto" => Some(MfaChoice::Auto),
            "none" => Some(MfaChoice::None),
            "code" => Some(MfaChoice::Code),
            "push" => Some(MfaChoice::Push),
            _ => None,
        }
    }

    /// The `mfa_type` value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MfaChoice::Auto => "auto",
            MfaChoice::None => "none",
            MfaChoice::Code => "code",
            MfaChoice::Push => "push",
        }
    }
}

/// The settings of one AD FS login.
///
/// Built from [`IdpSettings`] by [`AdfsSettings::from_idp_settings`]: the common keys
/// [`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`] and
/// [`IdpSettings::MFA_WAIT`], and the adapter's own `adfs_*` keys; an unknown `adfs_*` key is an
/// error naming it, and keys of other namespaces are ignored.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdfsSettings {
    url: String,
    #[serde(default, deserialize_with = "non_empty")]
    username: Option<String>,
    #[serde(default = "default_mfa_type")]
    mfa_type: String,
    #[serde(default, deserialize_with = "non_empty")]
    mfa_wait_timeout: Option<String>,
    #[serde(default, rename = "adfs_relying_party", deserialize_with = "non_empty")]
    relying_party: Option<String>,
    #[serde(skip)]
    login_url: String,
    #[serde(skip)]
    mfa: MfaChoice,
    #[serde(skip)]
    wait_bound: Duration,
    #[serde(skip)]
    effective_rp: String,
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

impl AdfsSettings {
    /// Reads and checks the settings, and works out where the login starts.
    ///
    /// # Errors
    /// [`aws_runas_domain::ports::idp::IdpErrorKind::Configuration`](aws_runas_domain::ports::idp::IdpErrorKind::Configuration) when the URL is missing or not `http`/`https`, when
    /// `mfa_type` is not `auto`, `none`, `code` or `push`, when `mfa_wait_timeout` is not a
    /// duration, when the URL names a relying party other than `adfs_relying_party`, or for an
    /// unknown `adfs_*` key.
    pub fn from_idp_settings(settings: &IdpSettings) -> Result<Self, IdpError> {
        if settings
            .get(IdpSettings::URL)
            .is_none_or(|u| u.trim().is_empty())
        {
            return Err(IdpError::configuration(
                "the adfs identity provider needs saml_auth_url: the AD FS host (https://sts.example.com) or its IdP-initiated sign-on URL, <host>/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
            ));
        }
        let pairs = settings
            .iter()
            .filter(|(k, _)| {
                [
                    IdpSettings::URL,
                    IdpSettings::USERNAME,
                    IdpSettings::MFA_TYPE,
                    IdpSettings::MFA_WAIT,
                ]
                .contains(k)
                    || k.starts_with(PREFIX)
            })
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let mut parsed = AdfsSettings::deserialize(MapDeserializer::<_, ValueError>::new(pairs))
            .map_err(|e| IdpError::configuration(format!("invalid adfs settings: {e}")))?;
        parsed.url = parsed.url.trim().to_string();
        AuthUrl::parse(&parsed.url)?;
        let mfa = parsed.mfa_type.trim().to_ascii_lowercase();
        parsed.mfa = MfaChoice::parse(&mfa).ok_or_else(|| {
            IdpError::configuration(format!(
                "invalid mfa_type {:?} for the adfs identity provider: expected one of auto, none, code, push",
                parsed.mfa_type
            ))
        })?;
        parsed.mfa_type = mfa;
        parsed.wait_bound = parse_wait_bound(parsed.mfa_wait_timeout.as_deref())?;
        parsed.login_url = sign_on_url(&parsed.url, parsed.relying_party.as_deref())?;
        parsed.effective_rp = match &parsed.relying_party {
            Some(rp) => rp.clone(),
            None => Url::parse(&parsed.login_url)
                .ok()
                .and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k.eq_ignore_ascii_case("loginToRp"))
                        .map(|(_, v)| v.into_owned())
                })
                .unwrap_or_else(|| DEFAULT_RELYING_PARTY.to_string()),
        };
        Ok(parsed)
    }

    /// The URL as configured (`saml_auth_url`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the login starts: the configured URL, or the IdP-initiated sign-on URL built from it
    /// when it is only the AD FS host or its `/adfs/ls/` endpoint without a relying party.
    pub fn login_url(&self) -> &str {
        &self.login_url
    }

    /// The user name, when configured (otherwise the adapter asks).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// `mfa_type`, lower-case: `auto`, `none`, `code` or `push`.
    pub fn mfa_type(&self) -> &str {
        self.mfa.as_str()
    }

    /// The relying party the login is for: `adfs_relying_party`, else the `loginToRp` of the
    /// configured URL, else `urn:amazon:webservices`.
    pub fn relying_party(&self) -> &str {
        &self.effective_rp
    }

    /// The longest wait for a push approval (`mfa_wait_timeout`, by default two minutes).
    pub fn mfa_wait_bound(&self) -> Duration {
        self.wait_bound
    }

    pub(crate) fn mfa(&self) -> MfaChoice {
        self.mfa
    }
}

impl fmt::Debug for AdfsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL's query may carry a WS-Federation context or a SAML request.
        f.debug_struct("AdfsSettings")
            .field("url", &display_url(&self.url))
            .field("login_url", &display_url(&self.login_url))
            .field("username", &self.username)
            .field("mfa_type", &self.mfa_type)
            .field("mfa_wait_bound", &self.wait_bound)
            .field("relying_party", &self.relying_party())
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
        assert_eq!(s.mfa_type(), "push");
        assert_eq!(s.mfa(), MfaChoice::Push);
        assert_eq!(s.mfa_wait_bound(), Duration::from_secs(90));
        assert_eq!(s.relying_party(), "urn:amazon:webservices:cn");
        assert_eq!(
            s.login_url(),
            "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn%3Aamazon%3Awebservices%3Acn"
        );

        let d = parse(&[("url", HOST), ("username", ""), ("adfs_relying_party", " ")]).unwrap();
        assert_eq!(d.username(), None);
        assert_eq!(d.mfa_type(), "auto");
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
        let unknown = parse(&[("url", HOST), ("adfs_relying_partie", "x")])
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("`adfs_relying_partie`"), "{unknown}");
        assert!(unknown.contains("adfs_relying_party"), "{unknown}");

        let missing = parse(&[("username", "jane")]).unwrap_err();
        assert!(
            matches!(&missing, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("saml_auth_url")}),
            "{missing:?}"
        );
        assert!(matches!(
            parse(&[("url", "ftp://sts.example.test/adfs/ls/")]),
            Err(err_) if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
        ));
        let mfa = parse(&[("url", HOST), ("mfa_type", "sms")])
            .unwrap_err()
            .to_string();
        assert!(
            mfa.contains("\"sms\"") && mfa.contains("auto, none, code, push"),
            "{mfa}"
        );
        let wait = parse(&[("url", HOST), ("mfa_wait_timeout", "soon")]).unwrap_err();
        assert!(
            matches!(&wait, err_ if err_.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration && {let m = err_.to_string(); m.contains("mfa_wait_timeout")})
        );
        let clash = parse(&[
            (
                "url",
                "https://sts.example.test/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices",
            ),
            ("adfs_relying_party", "urn:amazon:webservices:cn"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            clash.contains("urn:amazon:webservices:cn") && clash.contains("set only one"),
            "{clash}"
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
