//! The `IdentityProvider` port and the link-time registry of identity-provider adapters.
//!
//! Each adapter crate submits one [`IdpRegistration`] with [`register_idp!`](crate::register_idp);
//! [`registry`] collects them (through `inventory`) into a sorted map, once.
//! A binary must name each adapter crate (`use aws_runas_idp_x as _;`) or the linker drops it.

use crate::ports::clock::Clock;
use crate::ports::prompter::Prompter;
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The protocols an identity provider can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// A SAML assertion for AssumeRoleWithSAML.
    Saml,
    /// An OIDC ID token for AssumeRoleWithWebIdentity.
    Oidc,
}

impl Protocol {
    /// Lower-case name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Saml => "saml",
            Protocol::Oidc => "oidc",
        }
    }
}

/// Kinds of second factor an adapter can handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MfaKind {
    /// A one-time code typed by the user (TOTP, HOTP, SMS, e-mail).
    Code,
    /// A push notification approved on a phone.
    Push,
}

impl MfaKind {
    /// Lower-case name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            MfaKind::Code => "code",
            MfaKind::Push => "push",
        }
    }
}

/// The parts of an IdP URL that matchers look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUrl {
    scheme: String,
    host: String,
    path: String,
    raw: String,
}

impl AuthUrl {
    /// Splits an `http` or `https` URL; the host is lower-cased.
    ///
    /// # Errors
    /// [`IdpError::InvalidConfiguration`] for any other text.
    pub fn parse(raw: &str) -> Result<Self, IdpError> {
        let bad = || {
            IdpError::InvalidConfiguration(format!(
                "invalid identity-provider URL {raw:?}: expected http:// or https://"
            ))
        };
        let (scheme, rest) = raw.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(bad());
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        let host_port = authority.rsplit('@').next().unwrap_or(authority);
        let host = if host_port.starts_with('[') {
            host_port.split_inclusive(']').next().unwrap_or(host_port)
        } else {
            host_port.split(':').next().unwrap_or(host_port)
        };
        if host.is_empty() {
            return Err(bad());
        }
        let tail = &rest[end..];
        let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
        let path = if tail[..path_end].is_empty() {
            "/"
        } else {
            &tail[..path_end]
        };
        Ok(AuthUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            path: path.to_string(),
            raw: raw.to_string(),
        })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, lower-case, without port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The path (`/` when empty).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The URL as configured.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the host is `suffix` or ends in `.suffix`.
    pub fn host_ends_with(&self, suffix: &str) -> bool {
        let suffix = suffix.trim_start_matches('.');
        self.host == suffix || self.host.ends_with(&format!(".{suffix}"))
    }
}

/// The answer to one probe request, for provider detection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Names of the cookies set.
    pub cookies: Vec<String>,
}

impl ProbeResponse {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a cookie of that name (case-insensitive) was set.
    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|c| c.eq_ignore_ascii_case(name))
    }
}

/// An adapter's settings: the login's common values under well-known keys
/// ([`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`]), the adapter's own
/// profile keys (namespaced `<name>_*`), and the secrets the user gave up front.
///
/// Adapters deserialise what they need from it. `Debug` never shows the secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdpSettings {
    values: BTreeMap<String, String>,
    password: Option<Secret>,
    mfa_code: Option<Secret>,
}

impl IdpSettings {
    /// Key of the identity provider's URL (`saml_auth_url` or `web_identity_auth_url`).
    pub const URL: &'static str = "url";
    /// Key of the user name, when configured (otherwise the adapter asks).
    pub const USERNAME: &'static str = "username";
    /// Key of the second-factor choice: `auto`, `none`, `code` or `push`.
    pub const MFA_TYPE: &'static str = "mfa_type";
    /// Key of the longest wait for a push or an SMS (a duration such as `90s`), when configured.
    pub const MFA_WAIT: &'static str = "mfa_wait_timeout";

    /// Adds the password and MFA code given up front (`-P`, the password store, `-o`).
    #[must_use]
    pub fn with_secrets(mut self, password: Option<Secret>, mfa_code: Option<Secret>) -> Self {
        self.password = password;
        self.mfa_code = mfa_code;
        self
    }

    /// The password, when given up front; otherwise the adapter asks through the prompter.
    pub fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }

    /// The MFA code, when given up front (`-o` / `MFA_CODE`); used for the first question only.
    pub fn mfa_code(&self) -> Option<&Secret> {
        self.mfa_code.as_ref()
    }

    /// Builds settings from key/value pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        IdpSettings {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            password: None,
            mfa_code: None,
        }
    }

    /// One value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every value, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// How adapters must talk HTTP: handed in, never made up by the adapter.
/// `Debug` drops any `user:password@` of the proxy.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Per-request timeout.
    pub timeout: Duration,
    /// `HTTPS_PROXY` / `HTTP_PROXY`.
    pub proxy: Option<String>,
    /// `NO_PROXY`.
    pub no_proxy: Option<String>,
    /// `AWS_CA_BUNDLE`: extra trusted roots (PEM file).
    pub ca_bundle: Option<std::path::PathBuf>,
    /// Where the IdP cookie jar is kept.
    pub cookie_jar: Option<std::path::PathBuf>,
}

impl fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = self
            .proxy
            .as_deref()
            .map(|p| match (p.find("://"), p.rfind('@')) {
                (Some(i), Some(at)) if at > i => {
                    format!("{}** redacted **@{}", &p[..i + 3], &p[at + 1..])
                }
                (None, Some(at)) => format!("** redacted **@{}", &p[at + 1..]),
                _ => p.to_string(),
            });
        f.debug_struct("HttpSettings")
            .field("timeout", &self.timeout)
            .field("proxy", &proxy)
            .field("no_proxy", &self.no_proxy)
            .field("ca_bundle", &self.ca_bundle)
            .field("cookie_jar", &self.cookie_jar)
            .finish()
    }
}

/// What an adapter receives instead of making it itself.
#[derive(Clone)]
pub struct IdpDeps {
    /// Questions and notices for the user.
    pub prompter: Arc<dyn Prompter>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// HTTP client settings.
    pub http: HttpSettings,
    /// The user's browser, for OIDC logins that finish there (`None`: not available).
    pub browser: Option<Arc<dyn crate::ports::browser::BrowserOpener>>,
}

impl fmt::Debug for IdpDeps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpDeps")
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// A SAML response as the IdP sent it (base64), kept secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlAssertion(pub Secret);

/// An identity provider: logs the user in and hands back proof for STS.
#[async_trait::async_trait]
pub trait IdentityProvider: Send + Sync + fmt::Debug {
    /// Logs in (prompting through the injected prompter as needed) and returns a SAML response.
    ///
    /// # Errors
    /// [`IdpError::Authentication`] for a wrong password or rejected MFA, [`IdpError::Provider`]
    /// for network or IdP failures, [`IdpError::Unsupported`] when the adapter has no SAML.
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError>;

    /// Logs in and leaves the IdP session in the shared cookie jar, without asking for an AWS
    /// assertion: what another adapter needs when it hands a federated user over (Azure AD to
    /// ADFS), then continues with the session cookies.
    ///
    /// # Errors
    /// As [`IdentityProvider::saml_assertion`]; [`IdpError::Unsupported`] by default.
    async fn authenticate(&self) -> Result<(), IdpError> {
        Err(IdpError::Unsupported(
            "this identity provider cannot log in for another one".into(),
        ))
    }
    /// Logs in with OpenID Connect and returns an ID token for `req`'s client.
    ///
    /// # Errors
    /// As [`IdentityProvider::saml_assertion`]; [`IdpError::Unsupported`] by default.
    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        let _ = req;
        Err(IdpError::Unsupported(
            "this identity provider has no OIDC login".into(),
        ))
    }
}

/// What an OIDC login is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcRequest {
    /// `web_identity_client_id`.
    pub client_id: String,
    /// `web_identity_redirect_uri`.
    pub redirect_uri: String,
    /// Scopes besides `openid`.
    pub scopes: Vec<String>,
}

/// An OIDC ID token (a JWT), kept secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdToken(pub Secret);

/// An identity-provider failure. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdpError {
    /// The profile's settings are wrong or incomplete.
    #[error("{0}")]
    InvalidConfiguration(String),
    /// The IdP refused the user (bad password, MFA rejected).
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// The IdP could not be reached or answered something unusable.
    #[error("{0}")]
    Provider(String),
    /// The adapter does not do this.
    #[error("{0}")]
    Unsupported(String),
    /// A question to the user got no answer (no terminal, Ctrl-D).
    #[error("{0}")]
    Prompt(#[from] crate::ports::prompter::PromptError),
}

/// Picks and builds the identity-provider adapter for one login, only when it is needed (a
/// credential-cache hit never calls it).
#[async_trait::async_trait]
pub trait IdpConnector: Send + Sync {
    /// The adapter named by `saml_provider` / `-R`, else the one whose URL matcher accepts the
    /// URL, else the one whose probe matcher accepts one probe response; built with its settings.
    ///
    /// # Errors
    /// [`IdpError::InvalidConfiguration`] for an unknown name or an undetectable provider,
    /// naming the URL and the known providers.
    async fn connect(&self) -> Result<Box<dyn IdentityProvider>, IdpError>;
}

/// The constructor an adapter registers.
pub type IdpBuilder = fn(&IdpSettings, IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError>;

/// One adapter's registration record, built in a `const` context.
#[derive(Clone, Copy)]
pub struct IdpRegistration {
    name: &'static str,
    aliases: &'static [&'static str],
    crate_name: &'static str,
    protocols: &'static [Protocol],
    mfa: &'static [MfaKind],
    matches_url: fn(&AuthUrl) -> bool,
    matches_probe: fn(&ProbeResponse) -> bool,
    build: IdpBuilder,
}

/// Everything [`IdpRegistration::new`] needs, as named fields.
#[derive(Clone, Copy)]
#[allow(missing_debug_implementations)] // function pointers; `IdpRegistration` has the useful `Debug`
pub struct IdpRegistrationSpec {
    /// The provider name (`saml_provider = <name>`), lower-case.
    pub name: &'static str,
    /// Other names accepted for it.
    pub aliases: &'static [&'static str],
    /// The protocols it supports.
    pub protocols: &'static [Protocol],
    /// The second factors it handles.
    pub mfa: &'static [MfaKind],
    /// Pure URL matcher (no network).
    pub matches_url: fn(&AuthUrl) -> bool,
    /// Matcher over one probe response.
    pub matches_probe: fn(&ProbeResponse) -> bool,
    /// The constructor.
    pub build: IdpBuilder,
}

impl IdpRegistration {
    /// Builds a record; use [`register_idp!`](crate::register_idp), which fills in the crate name.
    pub const fn new(crate_name: &'static str, spec: IdpRegistrationSpec) -> Self {
        IdpRegistration {
            name: spec.name,
            aliases: spec.aliases,
            crate_name,
            protocols: spec.protocols,
            mfa: spec.mfa,
            matches_url: spec.matches_url,
            matches_probe: spec.matches_probe,
            build: spec.build,
        }
    }

    /// The provider name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Other accepted names.
    pub fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    /// The crate that registered it.
    pub fn crate_name(&self) -> &'static str {
        self.crate_name
    }

    /// Supported protocols.
    pub fn protocols(&self) -> &'static [Protocol] {
        self.protocols
    }

    /// Supported second factors.
    pub fn mfa(&self) -> &'static [MfaKind] {
        self.mfa
    }

    /// Whether the URL alone says this is the provider.
    pub fn matches_url(&self, url: &AuthUrl) -> bool {
        (self.matches_url)(url)
    }

    /// Whether a probe response says this is the provider.
    pub fn matches_probe(&self, probe: &ProbeResponse) -> bool {
        (self.matches_probe)(probe)
    }

    /// Builds the adapter.
    ///
    /// # Errors
    /// What the adapter's constructor returns.
    pub fn build(
        &self,
        settings: &IdpSettings,
        deps: IdpDeps,
    ) -> Result<Box<dyn IdentityProvider>, IdpError> {
        (self.build)(settings, deps)
    }
}

impl fmt::Debug for IdpRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpRegistration")
            .field("name", &self.name)
            .field("aliases", &self.aliases)
            .field("crate_name", &self.crate_name)
            .field("protocols", &self.protocols)
            .field("mfa", &self.mfa)
            .finish_non_exhaustive()
    }
}

inventory::collect!(IdpRegistration);

/// Registers an identity-provider adapter; call once, at the bottom of the adapter's `lib.rs`.
///
/// ```text
/// aws_runas_domain::register_idp!(IdpRegistrationSpec { name: "okta", .. });
/// ```
#[macro_export]
macro_rules! register_idp {
    ($spec:expr) => {
        $crate::inventory::submit! {
            $crate::ports::idp::IdpRegistration::new(env!("CARGO_PKG_NAME"), $spec)
        }
    };
}

/// The registered adapters, sorted by name.
#[derive(Debug)]
pub struct Registry {
    by_name: BTreeMap<&'static str, &'static IdpRegistration>,
    names_and_aliases: BTreeMap<String, &'static IdpRegistration>,
}

/// A registry that cannot be built or a name it does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two adapters claim one name or alias.
    #[error("identity provider name `{name}` is registered by both {first} and {second}")]
    Duplicate {
        /// The contested name.
        name: String,
        /// One crate.
        first: &'static str,
        /// The other crate.
        second: &'static str,
    },
    /// No adapter has that name.
    #[error("unknown identity provider `{name}`; known providers: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The registered names, comma-separated (or `none`).
        known: String,
    },
}

impl Registry {
    /// Builds a registry from records, checking for duplicate names and aliases.
    ///
    /// # Errors
    /// [`RegistryError::Duplicate`] naming both crates.
    pub fn build<'a>(
        records: impl IntoIterator<Item = &'static IdpRegistration>,
    ) -> Result<Self, RegistryError>
    where
        'a: 'static,
    {
        let mut by_name = BTreeMap::new();
        let mut names_and_aliases: BTreeMap<String, &'static IdpRegistration> = BTreeMap::new();
        for reg in records {
            for n in std::iter::once(&reg.name).chain(reg.aliases.iter()) {
                let key = n.to_ascii_lowercase();
                if let Some(prev) = names_and_aliases.get(&key) {
                    return Err(RegistryError::Duplicate {
                        name: key,
                        first: prev.crate_name,
                        second: reg.crate_name,
                    });
                }
                names_and_aliases.insert(key, reg);
            }
            by_name.insert(reg.name, reg);
        }
        Ok(Registry {
            by_name,
            names_and_aliases,
        })
    }

    /// The provider names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.by_name.keys().copied().collect()
    }

    /// Every record, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &'static IdpRegistration> + '_ {
        self.by_name.values().copied()
    }

    /// Looks a provider up by name or alias, case-insensitively.
    ///
    /// # Errors
    /// [`RegistryError::Unknown`] listing the known names.
    pub fn get(&self, name: &str) -> Result<&'static IdpRegistration, RegistryError> {
        self.names_and_aliases
            .get(&name.to_ascii_lowercase())
            .copied()
            .ok_or_else(|| {
                let known = self.names();
                RegistryError::Unknown {
                    name: name.to_string(),
                    known: if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    },
                }
            })
    }

    /// The first provider whose URL matcher accepts `url`.
    pub fn detect_by_url(&self, url: &AuthUrl) -> Option<&'static IdpRegistration> {
        self.iter().find(|r| r.matches_url(url))
    }

    /// The first provider whose probe matcher accepts `probe`.
    pub fn detect_by_probe(&self, probe: &ProbeResponse) -> Option<&'static IdpRegistration> {
        self.iter().find(|r| r.matches_probe(probe))
    }
}

/// The registry of every adapter linked into this binary, built once.
///
/// # Errors
/// [`RegistryError::Duplicate`] when two linked adapters claim one name.
pub fn registry() -> Result<&'static Registry, RegistryError> {
    static REGISTRY: OnceLock<Result<Registry, RegistryError>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Registry::build(inventory::iter::<IdpRegistration>))
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: &AuthUrl) -> bool {
        false
    }
    fn never_probe(_: &ProbeResponse) -> bool {
        false
    }
    fn build(_: &IdpSettings, _: IdpDeps) -> Result<Box<dyn IdentityProvider>, IdpError> {
        Err(IdpError::Unsupported("test".into()))
    }
    const fn rec(
        crate_name: &'static str,
        name: &'static str,
        aliases: &'static [&'static str],
    ) -> IdpRegistration {
        IdpRegistration::new(
            crate_name,
            IdpRegistrationSpec {
                name,
                aliases,
                protocols: &[Protocol::Saml],
                mfa: &[],
                matches_url: never,
                matches_probe: never_probe,
                build,
            },
        )
    }
    static A: IdpRegistration = rec("crate-a", "alpha", &["first"]);
    static B: IdpRegistration = rec("crate-b", "beta", &[]);
    static C: IdpRegistration = rec("crate-c", "FIRST", &[]);

    #[test]
    fn lookups_are_case_insensitive_and_unknown_lists_known() {
        let r = Registry::build([&A, &B]).unwrap();
        assert_eq!(r.names(), vec!["alpha", "beta"]);
        assert_eq!(r.get("First").unwrap().name(), "alpha");
        let e = r.get("gamma").unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown identity provider `gamma`; known providers: alpha, beta"
        );
    }

    #[test]
    fn duplicates_name_both_crates() {
        let e = Registry::build([&A, &C]).unwrap_err().to_string();
        assert!(
            e.contains("crate-a") && e.contains("crate-c") && e.contains("`first`"),
            "{e}"
        );
    }

    #[test]
    fn http_settings_debug_hides_the_proxy_password() {
        let h = HttpSettings {
            timeout: Duration::from_secs(1),
            proxy: Some("http://bob:hunter2@proxy:3128".into()),
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: None,
        };
        let shown = format!("{h:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("proxy:3128"),
            "{shown}"
        );
    }

    #[test]
    fn auth_url_parts() {
        let u = AuthUrl::parse("https://Example.Okta.com:8443/home/amazon_aws/x?y=1").unwrap();
        assert_eq!(u.host(), "example.okta.com");
        assert_eq!(u.path(), "/home/amazon_aws/x");
        assert!(u.host_ends_with("okta.com"));
        assert!(!u.host_ends_with("ta.com"));
        assert_eq!(AuthUrl::parse("http://[::1]:80").unwrap().host(), "[::1]");
        assert!(AuthUrl::parse("ftp://x").is_err());
        assert!(AuthUrl::parse("nope").is_err());
    }
}
