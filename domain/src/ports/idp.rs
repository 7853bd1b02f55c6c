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
    /// [`IdpErrorKind::Configuration`] for any other text.
    pub fn parse(raw: &str) -> Result<Self, IdpError> {
        let bad = || {
            IdpError::configuration(format!(
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

/// One value of [`IdpSettings`] and where it came from.
#[derive(Clone, PartialEq, Eq)]
struct IdpValue {
    value: String,
    origin: String,
}

/// An adapter's settings: the login's common values under well-known keys
/// ([`IdpSettings::URL`], [`IdpSettings::USERNAME`], [`IdpSettings::MFA_TYPE`]), the adapter's own
/// profile keys (namespaced `<name>_*`), each with where it came from (file and line, environment
/// variable or flag), and the secrets the user gave up front.
///
/// Adapters deserialise what they need from it. `Debug` never shows the secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdpSettings {
    values: BTreeMap<String, IdpValue>,
    password: Option<Secret>,
    mfa_code: Option<Secret>,
}

impl fmt::Debug for IdpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be URLs whose query carries state; keys and origins tell settings apart.
        let keys: BTreeMap<&str, &str> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.origin.as_str()))
            .collect();
        f.debug_struct("IdpSettings")
            .field("keys", &keys)
            .field("password_given", &self.password.is_some())
            .field("mfa_code_given", &self.mfa_code.is_some())
            .finish()
    }
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
    /// The origin [`IdpSettings::from_pairs`] gives its values.
    pub const GIVEN: &'static str = "the settings given";

    /// No settings.
    pub fn new() -> Self {
        IdpSettings::default()
    }

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

    /// Builds settings from key/value pairs, each with the origin [`IdpSettings::GIVEN`].
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut settings = IdpSettings::new();
        for (k, v) in pairs {
            settings.insert(k, v, IdpSettings::GIVEN);
        }
        settings
    }

    /// Sets `key` to `value`, which came from `origin` (`profile `x` at ~/.aws/config:12`,
    /// `environment variable SAML_USERNAME`, `flag --username`); replaces an earlier value.
    pub fn insert(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        origin: impl Into<String>,
    ) {
        self.values.insert(
            key.into(),
            IdpValue {
                value: value.into(),
                origin: origin.into(),
            },
        );
    }

    /// [`IdpSettings::insert`], by value.
    #[must_use]
    pub fn with(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        origin: impl Into<String>,
    ) -> Self {
        self.insert(key, value, origin);
        self
    }

    /// One value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|v| v.value.as_str())
    }

    /// Where a value came from.
    pub fn origin(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|v| v.origin.as_str())
    }

    /// Every value, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
    }

    /// Every value with its origin, sorted by key: `(key, value, origin)`.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.values
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str(), v.origin.as_str()))
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

/// State that the adapters taking part in one login share in memory: the IdP session (cookies)
/// that a federated sign-in leaves for the adapter that handed the user over (Azure AD to ADFS).
///
/// The domain does not know what is kept: the support crate keeps its cookie store here. Clones
/// share the state; [`IdpSession::new`] starts an empty one.
#[derive(Clone, Default)]
pub struct IdpSession(Arc<OnceLock<Arc<dyn std::any::Any + Send + Sync>>>);

impl IdpSession {
    /// An empty session.
    pub fn new() -> Self {
        IdpSession::default()
    }

    /// The state kept in the session, made by `init` when there is none yet; `None` when the
    /// session holds state of another type.
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> Arc<T>,
    ) -> Option<Arc<T>> {
        let any = self.0.get_or_init(|| {
            let made: Arc<dyn std::any::Any + Send + Sync> = init();
            made
        });
        Arc::clone(any).downcast::<T>().ok()
    }

    /// Whether two handles share one session.
    pub fn same_as(&self, other: &IdpSession) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for IdpSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpSession")
            .field("started", &self.0.get().is_some())
            .finish()
    }
}

/// A sign-in at another identity provider, for an adapter that federates with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederationRequest {
    /// The adapter asking (never chosen to serve the request).
    pub from: &'static str,
    /// The adapter to use, by name (`azuread_federation_provider`); else it is detected from the
    /// URL, then from one probe of it, as for a profile's own login.
    pub provider: Option<String>,
    /// The settings for the federated adapter: the federation server's URL under
    /// [`IdpSettings::URL`], the user name, `mfa_type`, `mfa_wait_timeout`, the secrets.
    pub settings: IdpSettings,
}

/// Signs a user in at another identity provider and leaves the session in [`IdpDeps::session`].
///
/// Built by the app from the registry and handed to adapters in [`IdpDeps`], so that no adapter
/// looks the registry up or depends on another adapter's crate.
#[async_trait::async_trait]
pub trait Federation: Send + Sync + fmt::Debug {
    /// Picks the adapter for `request` and calls its [`IdentityProvider::authenticate`] with
    /// `deps` (the same session, prompter, clock and HTTP settings as the caller's).
    ///
    /// # Errors
    /// [`IdpErrorKind::Configuration`] when no adapter is found, naming the URL and the known
    /// providers; otherwise what the federated adapter returns.
    async fn authenticate(&self, request: FederationRequest, deps: IdpDeps)
    -> Result<(), IdpError>;
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
    /// Sign-ins at other identity providers, for federated users (`None`: not available).
    pub federation: Option<Arc<dyn Federation>>,
    /// State shared with the adapters a login hands the user to.
    pub session: IdpSession,
}

impl IdpDeps {
    /// Dependencies with no browser, no federation and a new session.
    pub fn new(prompter: Arc<dyn Prompter>, clock: Arc<dyn Clock>, http: HttpSettings) -> Self {
        IdpDeps {
            prompter,
            clock,
            http,
            browser: None,
            federation: None,
            session: IdpSession::new(),
        }
    }

    /// With the user's browser.
    #[must_use]
    pub fn with_browser(
        mut self,
        browser: Option<Arc<dyn crate::ports::browser::BrowserOpener>>,
    ) -> Self {
        self.browser = browser;
        self
    }

    /// With sign-ins at other identity providers.
    #[must_use]
    pub fn with_federation(mut self, federation: Option<Arc<dyn Federation>>) -> Self {
        self.federation = federation;
        self
    }
}

impl fmt::Debug for IdpDeps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpDeps")
            .field("http", &self.http)
            .field("browser", &self.browser.is_some())
            .field("federation", &self.federation.is_some())
            .field("session", &self.session)
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
    /// An [`IdpError`] whose kind says what failed: [`IdpErrorKind::BadCredentials`] for a wrong
    /// password, [`IdpErrorKind::MfaRejected`] or [`IdpErrorKind::MfaTimeout`] for a second factor,
    /// [`IdpErrorKind::Unavailable`] or [`IdpErrorKind::UnexpectedPage`] for network or IdP
    /// failures, [`IdpErrorKind::Unsupported`] when the adapter has no SAML.
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError>;

    /// Logs in and leaves the IdP session in [`IdpDeps::session`], without asking for an AWS
    /// assertion: what another adapter needs when it hands a federated user over (Azure AD to
    /// ADFS, through [`Federation`]), then continues with the session cookies.
    ///
    /// # Errors
    /// As [`IdentityProvider::saml_assertion`]; [`IdpErrorKind::Unsupported`] by default.
    async fn authenticate(&self) -> Result<(), IdpError> {
        Err(IdpError::unsupported(
            "this identity provider cannot log in for another one",
        ))
    }
    /// Logs in with OpenID Connect and returns an ID token for `req`'s client.
    ///
    /// # Errors
    /// As [`IdentityProvider::saml_assertion`]; [`IdpErrorKind::Unsupported`] by default.
    async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
        let _ = req;
        Err(IdpError::unsupported(
            "this identity provider has no OIDC login",
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

/// What kind of failure an identity-provider login met, which says what the caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdpErrorKind {
    /// The IdP refused the user: a wrong user name or password, a locked or disabled account, a
    /// login the user denied.
    BadCredentials,
    /// The IdP refused the second factor: a wrong one-time code, a push the user denied.
    MfaRejected,
    /// A push or an SMS got no answer within `mfa_wait_timeout`.
    MfaTimeout,
    /// The IdP answered a page or document the adapter does not know how to go on from.
    UnexpectedPage,
    /// The IdP could not be reached, did not answer in time, or answered an error status.
    Unavailable,
    /// The profile's settings are wrong or incomplete.
    Configuration,
    /// The adapter cannot do what this login needs (a factor, a flow, a protocol).
    Unsupported,
    /// A question to the user got no answer (no terminal, Ctrl-C, Ctrl-D).
    Prompt,
}

impl IdpErrorKind {
    /// Lower-case name, as fixtures and tests write it (`bad_credentials`, `mfa_timeout`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            IdpErrorKind::BadCredentials => "bad_credentials",
            IdpErrorKind::MfaRejected => "mfa_rejected",
            IdpErrorKind::MfaTimeout => "mfa_timeout",
            IdpErrorKind::UnexpectedPage => "unexpected_page",
            IdpErrorKind::Unavailable => "unavailable",
            IdpErrorKind::Configuration => "configuration",
            IdpErrorKind::Unsupported => "unsupported",
            IdpErrorKind::Prompt => "prompt",
        }
    }

    /// The kind named by [`IdpErrorKind::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [
            IdpErrorKind::BadCredentials,
            IdpErrorKind::MfaRejected,
            IdpErrorKind::MfaTimeout,
            IdpErrorKind::UnexpectedPage,
            IdpErrorKind::Unavailable,
            IdpErrorKind::Configuration,
            IdpErrorKind::Unsupported,
            IdpErrorKind::Prompt,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    /// Whether the IdP refused the user or a factor (the login can be tried again with other
    /// answers; nothing is wrong with the set-up).
    pub fn is_authentication(self) -> bool {
        matches!(
            self,
            IdpErrorKind::BadCredentials | IdpErrorKind::MfaRejected | IdpErrorKind::MfaTimeout
        )
    }
}

impl fmt::Display for IdpErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An identity-provider failure: a [kind](IdpErrorKind), what happened, the step of the login and
/// the host it happened at (when known), and the underlying error.
///
/// The message is built from those parts: `authentication failed: ` for the kinds that are
/// refusals, then `<host>: `, what happened, and ` during <step>`.
/// The underlying error is not repeated in the message; it is [`std::error::Error::source`].
/// Messages never contain secrets: hosts are host names, never URLs with their query.
///
/// Two errors are equal when kind, message, step and host are (the source is not compared).
#[derive(Clone)]
pub struct IdpError {
    kind: IdpErrorKind,
    message: String,
    step: Option<String>,
    host: Option<String>,
    prompt: Option<crate::ports::prompter::PromptError>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl IdpError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: IdpErrorKind, message: impl fmt::Display) -> Self {
        IdpError {
            kind,
            message: message.to_string(),
            step: None,
            host: None,
            prompt: None,
            source: None,
        }
    }

    /// [`IdpErrorKind::Configuration`].
    pub fn configuration(message: impl fmt::Display) -> Self {
        IdpError::new(IdpErrorKind::Configuration, message)
    }

    /// [`IdpErrorKind::BadCredentials`].
    pub fn bad_credentials(message: impl fmt::Display) -> Self {
        IdpError::new(IdpErrorKind::BadCredentials, message)
    }

    /// [`IdpErrorKind::MfaRejected`].
    pub fn mfa_rejected(message: impl fmt::Display) -> Self {
        IdpError::new(IdpErrorKind::MfaRejected, message)
    }

    /// [`IdpErrorKind::MfaTimeout`].
    pub fn mfa_timeout(message: impl fmt::Display) -> Self {
        IdpError::new(IdpErrorKind::MfaTimeout, message)
    }

    /// [`IdpErrorKind::UnexpectedPage`].
    pub fn unexpected_page(message: impl fmt::Display) -> Self {
        IdpError::new(IdpErrorKind::UnexpectedPage, message)
    }

    /// [`IdpErrorKind::Unavailable`].
    pub fn unavailable(message: impl fmt::Display) -> Self {
        IdpError::new(IdpErrorKind::Unavailable, message)
    }

    /// [`IdpErrorKind::Unsupported`].
    pub fn unsupported(message: impl fmt::Display) -> Self {
        IdpError::new(IdpErrorKind::Unsupported, message)
    }

    /// Records the step of the login that failed (`posting the password`).
    #[must_use]
    pub fn at_step(mut self, step: impl Into<String>) -> Self {
        self.step = Some(step.into());
        self
    }

    /// Records the host that failed or refused (`idp.example.com` or `host:port`).
    #[must_use]
    pub fn at_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Keeps the underlying error as the [`source`](std::error::Error::source).
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Adds `context` to the message (`... (the federated sign-in through adfs)`), keeping the
    /// kind, step, host and source.
    #[must_use]
    pub fn in_context(mut self, context: &str) -> Self {
        self.message = format!("{} {context}", self.message);
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> IdpErrorKind {
        self.kind
    }

    /// What happened, without the step and the host.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The step of the login, when known.
    pub fn step(&self) -> Option<&str> {
        self.step.as_deref()
    }

    /// The host, when known.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The prompt failure behind an [`IdpErrorKind::Prompt`] error.
    pub fn prompt_error(&self) -> Option<&crate::ports::prompter::PromptError> {
        self.prompt.as_ref()
    }

    /// Whether the IdP refused the user or a factor ([`IdpErrorKind::is_authentication`]).
    pub fn is_authentication(&self) -> bool {
        self.kind.is_authentication()
    }
}

impl fmt::Display for IdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(
            self.kind,
            IdpErrorKind::BadCredentials | IdpErrorKind::MfaRejected
        ) {
            f.write_str("authentication failed: ")?;
        }
        if let Some(host) = &self.host {
            write!(f, "{host}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(step) = &self.step {
            write!(f, " during {step}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for IdpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("IdpError");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(step) = &self.step {
            d.field("step", step);
        }
        if let Some(host) = &self.host {
            d.field("host", host);
        }
        if let Some(source) = &self.source {
            d.field("source", &source.to_string());
        }
        d.finish()
    }
}

impl PartialEq for IdpError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.message == other.message
            && self.step == other.step
            && self.host == other.host
            && self.prompt == other.prompt
    }
}

impl Eq for IdpError {}

impl std::error::Error for IdpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<crate::ports::prompter::PromptError> for IdpError {
    fn from(e: crate::ports::prompter::PromptError) -> Self {
        let mut err = IdpError::new(IdpErrorKind::Prompt, e.to_string());
        err.prompt = Some(e);
        err
    }
}

/// Picks and builds the identity-provider adapter for one login, only when it is needed (a
/// credential-cache hit never calls it).
#[async_trait::async_trait]
pub trait IdpConnector: Send + Sync {
    /// The adapter named by `saml_provider` / `-R`, else the one whose URL matcher accepts the
    /// URL, else the one whose probe matcher accepts one probe response; built with its settings.
    ///
    /// # Errors
    /// [`IdpErrorKind::Configuration`] for an unknown name or an undetectable provider,
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
        Err(IdpError::unsupported("test"))
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
