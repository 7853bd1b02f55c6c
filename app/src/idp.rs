//! Identity-provider logins for the app: picks the adapter (by name, by URL, by one probe
//! request, or, for a page with a login form, the generic `forms`), gathers its settings with
//! where each came from, and builds it — only on a cache miss. The same detection serves the
//! sign-ins one adapter asks of another ([`AppFederation`]).

use aws_runas_domain::ports::browser::BrowserOpener;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::idp::{
    AuthUrl, Federation, FederationRequest, HttpSettings, IdentityProvider, IdpConnector, IdpDeps,
    IdpError, IdpRegistration, IdpSettings, Registry, registry,
};
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_domain::ports::secret::{PasswordKind, SecretStore};
use aws_runas_domain::profile::Section;
use aws_runas_domain::settings::{SettingSource, Settings};
use aws_runas_domain::{ProfileSet, Secret};
use aws_runas_idp_support::{HttpClient, HttpRequest, display_url};
use std::sync::Arc;

/// The generic adapter a page with a login form falls back to.
const FORMS: &str = "forms";

/// The origin of `mfa_type` when no layer sets it.
const DEFAULT_ORIGIN: &str = "the default";

/// Everything a login needs, gathered before any network traffic.
pub struct AppConnector {
    /// The identity provider's URL.
    pub url: String,
    /// `saml_provider` / `web_identity_provider` / `-R`, when set.
    pub provider: Option<String>,
    /// The login's common settings ([`IdpSettings::URL`], [`IdpSettings::USERNAME`],
    /// [`IdpSettings::MFA_TYPE`], [`IdpSettings::MFA_WAIT`]), each with where it came from;
    /// see [`login_settings`].
    pub login: IdpSettings,
    /// The adapters' own `<name>_*` keys of the profile layers, with file and line; see
    /// [`layered_profile_keys`].
    pub profile_keys: IdpSettings,
    /// `-P` or its environment variables.
    pub password_flag: Option<Secret>,
    /// Where `aws-runas password` keeps passwords.
    pub store: Box<dyn SecretStore>,
    /// Which password of the store (and which `*_provider` key names the adapter).
    pub kind: PasswordKind,
    /// `-o` / `MFA_CODE`.
    pub mfa_code: Option<Secret>,
    /// The user.
    pub prompter: Arc<dyn Prompter>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// HTTP settings for the adapter.
    pub http: HttpSettings,
    /// The user's browser, for OIDC logins that finish there.
    pub browser: Option<Arc<dyn BrowserOpener>>,
}

impl std::fmt::Debug for AppConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConnector")
            .field("url", &display_url(&self.url))
            .field("provider", &self.provider)
            .field("login", &self.login)
            .field("profile_keys", &self.profile_keys)
            .field("password_flag", &self.password_flag)
            .finish_non_exhaustive()
    }
}

impl AppConnector {
    fn password(&self) -> Option<Secret> {
        if let Some(p) = &self.password_flag {
            return Some(p.clone());
        }
        match self.store.get(&self.url, self.kind) {
            Ok(p) => p,
            Err(e) => {
                log::warn!("{e}; asking for the password instead");
                None
            }
        }
    }

    /// The settings `reg` is built with: the login's, its own profile keys, the secrets.
    fn settings_for(&self, reg: &IdpRegistration) -> IdpSettings {
        let prefix = namespace(reg.name());
        let mut settings = self.login.clone();
        for (key, value, origin) in self.profile_keys.entries() {
            if key.starts_with(&prefix) {
                settings.insert(key, value, origin);
            }
        }
        settings.with_secrets(self.password(), self.mfa_code.clone())
    }
}

#[async_trait::async_trait]
impl IdpConnector for AppConnector {
    async fn connect(&self) -> Result<Box<dyn IdentityProvider>, IdpError> {
        let registry = registry().map_err(IdpError::configuration)?;
        let federation: Arc<dyn Federation> = Arc::new(AppFederation::new(registry));
        let deps = IdpDeps::new(
            Arc::clone(&self.prompter),
            Arc::clone(&self.clock),
            self.http.clone(),
        )
        .with_browser(self.browser.clone())
        .with_federation(Some(federation));
        let provider_key = match self.kind {
            PasswordKind::Saml => "saml_provider",
            PasswordKind::WebIdentity => "web_identity_provider",
        };
        let reg = Detection::login(self.provider.as_deref(), provider_key)
            .choose(registry, &self.url, &deps)
            .await?;
        log::debug!(
            "identity provider {} for {}",
            reg.name(),
            display_url(&self.url)
        );
        reg.build(&self.settings_for(reg), deps)
    }
}

/// How an adapter is chosen for a URL: the one named, else the first whose URL matcher accepts
/// the URL, else the first whose probe matcher accepts one probe of it, else (for a profile's
/// own login) `forms` when the page is a login form. One code path for [`AppConnector`] and
/// [`AppFederation`].
#[derive(Debug, Clone, Copy)]
struct Detection<'a> {
    /// The adapter named by the user, when one is.
    named: Option<&'a str>,
    /// For a profile's own login, the key that names the adapter (`saml_provider`); for a
    /// federated sign-in, the adapter asking, which is never chosen.
    purpose: Purpose<'a>,
}

/// What an adapter is chosen for.
#[derive(Debug, Clone, Copy)]
enum Purpose<'a> {
    /// A profile's own login; the key that names the adapter.
    Login(&'a str),
    /// A sign-in the named adapter asks for. A page with a login form does not fall back to
    /// `forms` here: `forms` can hand back an assertion, not a session for another adapter.
    Federation(&'static str),
}

impl<'a> Detection<'a> {
    /// A profile's own login; `key` is the setting that names the adapter.
    fn login(named: Option<&'a str>, key: &'a str) -> Self {
        Detection {
            named,
            purpose: Purpose::Login(key),
        }
    }

    /// A sign-in that adapter `from` asks for.
    fn federation(from: &'static str, named: Option<&'a str>) -> Self {
        Detection {
            named,
            purpose: Purpose::Federation(from),
        }
    }

    /// Whether `reg` may serve.
    fn allows(&self, reg: &IdpRegistration) -> bool {
        match self.purpose {
            Purpose::Login(_) => true,
            Purpose::Federation(from) => reg.name() != from,
        }
    }

    /// The adapter for `url`. The probe and the login-form check go through `deps`' session,
    /// so the cookies they get are the ones the adapter then sends.
    ///
    /// # Errors
    /// [`IdpError::configuration`] for an unknown name, the asking adapter's own name, a URL
    /// that is not `http(s)`, or a URL no adapter claims (naming it and the known providers);
    /// the network error of the probe or the page request.
    async fn choose(
        &self,
        registry: &'static Registry,
        url: &str,
        deps: &IdpDeps,
    ) -> Result<&'static IdpRegistration, IdpError> {
        if let Some(name) = self.named {
            let reg = registry.get(name).map_err(IdpError::configuration)?;
            if let Purpose::Federation(from) = self.purpose
                && !self.allows(reg)
            {
                return Err(IdpError::configuration(format!(
                    "{from} cannot hand a federated user to itself: name the identity provider it federates with, one of: {}",
                    self.known(registry)
                )));
            }
            return Ok(reg);
        }
        let parsed = AuthUrl::parse(url)?;
        let allowed = || registry.iter().filter(|r| self.allows(r));
        if let Some(reg) = allowed().find(|r| r.matches_url(&parsed)) {
            return Ok(reg);
        }
        let client = HttpClient::from_deps(deps);
        let probe = client.probe(url).await.map_err(IdpError::from)?;
        if let Some(reg) = allowed().find(|r| r.matches_probe(&probe)) {
            return Ok(reg);
        }
        let shown = display_url(url);
        match self.purpose {
            Purpose::Login(key) => {
                if let Ok(forms) = registry.get(FORMS)
                    && serves_login_form(&client, url).await?
                {
                    log::debug!(
                        "no adapter claims {shown}; it serves a login form, using {}",
                        forms.name()
                    );
                    return Ok(forms);
                }
                Err(IdpError::configuration(format!(
                    "cannot tell which identity provider serves {shown}: neither its address nor its answer matches an adapter, and it shows no login form; set {key} to one of: {}",
                    self.known(registry)
                )))
            }
            Purpose::Federation(from) => Err(IdpError::configuration(format!(
                "cannot tell which identity provider serves {shown}, where {from} sends the user: neither its address nor its answer matches an adapter; name one of: {}",
                self.known(registry)
            ))),
        }
    }

    /// The adapters that may serve, comma-separated (`none` when no such adapter is linked).
    fn known(&self, registry: &Registry) -> String {
        let names: Vec<&str> = registry
            .iter()
            .filter(|r| self.allows(r))
            .map(IdpRegistration::name)
            .collect();
        if names.is_empty() {
            "none (no such adapter is linked)".to_string()
        } else {
            names.join(", ")
        }
    }
}

/// Whether the page at `url` (after redirects) has a form with a password input.
///
/// # Errors
/// The network error of the request.
async fn serves_login_form(client: &HttpClient, url: &str) -> Result<bool, IdpError> {
    let page = client
        .follow(HttpRequest::get(url).step("looking for a login form"))
        .await
        .map_err(IdpError::from)?;
    Ok(page.html().form_with_password().is_some())
}

/// Sign-ins that one adapter asks of another (Azure AD handing a federated user to AD FS):
/// the adapter is chosen as for a profile's own login (by name, by URL, by one probe, never the
/// asking adapter), built with the request's settings and the caller's dependencies (so that it
/// shares the caller's session), and asked to [`IdentityProvider::authenticate`].
pub struct AppFederation {
    registry: &'static Registry,
}

impl AppFederation {
    /// Sign-ins through the adapters of `registry`.
    pub fn new(registry: &'static Registry) -> Self {
        AppFederation { registry }
    }
}

impl std::fmt::Debug for AppFederation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppFederation")
            .field("adapters", &self.registry.names())
            .finish()
    }
}

#[async_trait::async_trait]
impl Federation for AppFederation {
    async fn authenticate(
        &self,
        request: FederationRequest,
        deps: IdpDeps,
    ) -> Result<(), IdpError> {
        let FederationRequest {
            from,
            provider,
            settings,
        } = request;
        let url = settings.get(IdpSettings::URL).ok_or_else(|| {
            IdpError::configuration(format!(
                "{from} asked for a federated sign-in without the URL of the server"
            ))
        })?;
        let reg = Detection::federation(from, provider.as_deref())
            .choose(self.registry, url, &deps)
            .await?;
        log::debug!(
            "federated sign-in for {from} at {} through {}",
            display_url(url),
            reg.name()
        );
        reg.build(&settings, deps)?.authenticate().await
    }
}

/// The prefix of an adapter's own keys: `forms_` for `forms` (a `-` in the name becomes `_`).
fn namespace(adapter: &str) -> String {
    format!("{}_", adapter.replace('-', "_"))
}

/// The login's common settings out of the profile's resolved `settings`, each with where it
/// came from (`profile `corp` at ~/.aws/config:3`, `environment variable SAML_USERNAME`,
/// `flag --mfa-type`): the URL (the value the chain planned, `url`, under `url_key`'s origin),
/// the user name (`user_key`), `mfa_type` (`auto` when no layer sets it) and
/// `mfa_wait_timeout`.
pub fn login_settings(
    settings: &Settings,
    url: &str,
    url_key: &str,
    user_key: &str,
) -> IdpSettings {
    let origin = |key: &str| {
        settings
            .setting(key)
            .map_or_else(|| DEFAULT_ORIGIN.to_string(), |s| s.source().to_string())
    };
    let mut out = IdpSettings::new().with(IdpSettings::URL, url, origin(url_key));
    for (key, ours) in [
        (user_key, IdpSettings::USERNAME),
        ("mfa_type", IdpSettings::MFA_TYPE),
        ("mfa_wait_timeout", IdpSettings::MFA_WAIT),
    ] {
        if let Some(value) = settings.get(key) {
            out.insert(ours, value, origin(key));
        }
    }
    if out.get(IdpSettings::MFA_TYPE).is_none() {
        out.insert(IdpSettings::MFA_TYPE, "auto", DEFAULT_ORIGIN);
    }
    out
}

/// The keys of `profile`'s own section, its source profile's and `[default]`'s (the profile
/// winning) that an identity-provider adapter may receive: those in the namespace of one of
/// `adapters` (`forms_*`), and not keys of aws-runas's own table. Each keeps its origin
/// (`profile `corp` at ~/.aws/config:7`, `source profile `base` at …`, `profile `default` at …`).
///
/// Nothing else is copied: no AWS key, no secret of the key table. A namespaced key whose
/// name reads as secret (`forms_password_field`) is the adapter's own and is handed over.
pub fn layered_profile_keys(
    set: &ProfileSet,
    profile: Option<&str>,
    adapters: &[&str],
) -> IdpSettings {
    let prefixes: Vec<String> = adapters.iter().map(|a| namespace(a)).collect();
    let own = profile.and_then(|p| set.profile(p));
    let source = own
        .and_then(|s| s.get("source_profile"))
        .map(str::trim)
        .filter(|s| Some(*s) != profile)
        .and_then(|s| set.profile(s));
    let mut out = IdpSettings::new();
    let mut layer = |section: &Section, origin: &dyn Fn(&Section, &str) -> SettingSource| {
        for (key, property) in section.properties() {
            let ours = prefixes.iter().any(|p| key.starts_with(p.as_str()));
            if ours && aws_runas_domain::keys::lookup(key).is_none() {
                out.insert(key, property.value(), origin(section, key).to_string());
            }
        }
    };
    let at = |section: &Section, key: &str| section.property(key).and_then(|p| p.origin()).cloned();
    if profile != Some("default")
        && let Some(default) = set.profile("default")
    {
        layer(default, &|s, k| SettingSource::Default(at(s, k)));
    }
    if let Some(source) = source {
        layer(source, &|s, k| {
            SettingSource::SourceProfile(s.name().to_string(), at(s, k))
        });
    }
    if let (Some(own), Some(name)) = (own, profile) {
        layer(own, &|s, k| {
            SettingSource::Profile(name.to_string(), at(s, k))
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::clock::FixedClock;
    use aws_runas_domain::ports::idp::IdpErrorKind;
    use aws_runas_domain::settings::{Env, FlagValues, resolve_settings};
    use aws_runas_domain::{Origin, Property, Timestamp};
    use aws_runas_idp_testkit::{MockResponse, MockServer, Replay, ScriptedPrompter, idle_http};
    use std::path::PathBuf;

    const CONFIG: &str = "/home/u/.aws/config";

    fn at(line: usize) -> Option<Origin> {
        Some(Origin {
            file: PathBuf::from(CONFIG),
            line,
        })
    }

    fn entries(settings: &IdpSettings) -> Vec<(String, String, String)> {
        settings
            .entries()
            .map(|(k, v, o)| (k.to_string(), v.to_string(), o.to_string()))
            .collect()
    }

    fn row(key: &str, value: &str, origin: &str) -> (String, String, String) {
        (key.to_string(), value.to_string(), origin.to_string())
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn deps() -> IdpDeps {
        IdpDeps::new(
            Arc::new(ScriptedPrompter::new()),
            Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
            idle_http(),
        )
    }

    fn linked() -> &'static Registry {
        let registry = registry().unwrap();
        assert!(
            registry.get("adfs").is_ok() && registry.get(FORMS).is_ok(),
            "the app's adapters are linked into its tests: {:?}",
            registry.names()
        );
        registry
    }

    const LOGIN_PAGE: &str = r#"<html><body><form method="post" action="/login">
<input type="text" name="username"><input type="password" name="password"></form></body></html>"#;

    #[test]
    fn only_adapter_keys_leave_the_profile_layers_with_their_origins() {
        let mut set = ProfileSet::new();
        let mut put = |profile: &str, key: &str, value: &str, line: usize| {
            set.profile_mut(profile)
                .set(key, Property::new(value, at(line)));
        };
        put("default", "forms_otp_field", "otp-default", 1);
        put(
            "default",
            "mock_roles",
            "arn:aws:iam::123456789012:role/d",
            2,
        );
        put("base", "forms_username_field", "user-base", 5);
        put("base", "forms_otp_field", "otp-base", 6);
        put("corp", "source_profile", "base", 8);
        put("corp", "forms_otp_field", "otp-corp", 9);
        put("corp", "forms_password_field", "pass", 10);
        put("corp", "aws_secret_access_key", "SECRETKEYVALUE", 11);
        put("corp", "region", "eu-west-1", 12);
        put("corp", "okta_not_linked", "x", 13);
        put("corp", "saml_extra", "y", 14);
        put("corp", "saml_username", "alice", 15);
        let got = layered_profile_keys(&set, Some("corp"), &["forms", "mock", "saml"]);
        assert_eq!(
            entries(&got),
            vec![
                row(
                    "forms_otp_field",
                    "otp-corp",
                    &format!("profile `corp` at {CONFIG}:9")
                ),
                row(
                    "forms_password_field",
                    "pass",
                    &format!("profile `corp` at {CONFIG}:10")
                ),
                row(
                    "forms_username_field",
                    "user-base",
                    &format!("source profile `base` at {CONFIG}:5")
                ),
                row(
                    "mock_roles",
                    "arn:aws:iam::123456789012:role/d",
                    &format!("profile `default` at {CONFIG}:2")
                ),
                // `saml_username` is a key of aws-runas's own table, not an adapter's.
                row("saml_extra", "y", &format!("profile `corp` at {CONFIG}:14")),
            ]
        );
        assert!(!format!("{got:?}").contains("SECRETKEYVALUE"));

        // `[default]` named itself, and no profile at all (a role ARN): `[default]` only.
        let default = layered_profile_keys(&set, Some("default"), &["forms"]);
        assert_eq!(
            entries(&default),
            vec![row(
                "forms_otp_field",
                "otp-default",
                &format!("profile `default` at {CONFIG}:1")
            )]
        );
        let none = layered_profile_keys(&set, None, &["mock"]);
        assert_eq!(entries(&none).len(), 1);
        assert_eq!(
            none.origin("mock_roles"),
            Some(&*format!("profile `default` at {CONFIG}:2"))
        );
    }

    #[test]
    fn login_settings_say_where_each_value_came_from() {
        let mut set = ProfileSet::new();
        set.profile_mut("corp").set(
            "saml_auth_url",
            Property::new("https://idp.example.test/sso", at(3)),
        );
        set.profile_mut("corp")
            .set("saml_username", Property::new("alice", at(4)));
        let env = Env::from_pairs([("RUNAS_MFA_WAIT_TIMEOUT", "90s")]);
        let mut flags = FlagValues::new();
        flags.set("mfa_type", Some("push".to_string()));
        let settings = resolve_settings(&set, Some("corp"), &env, &flags);
        let got = login_settings(
            &settings,
            "https://idp.example.test/sso",
            "saml_auth_url",
            "saml_username",
        );
        assert_eq!(
            entries(&got),
            vec![
                row("mfa_type", "push", "flag --mfa-type"),
                row(
                    "mfa_wait_timeout",
                    "90s",
                    "environment variable RUNAS_MFA_WAIT_TIMEOUT"
                ),
                row(
                    "url",
                    "https://idp.example.test/sso",
                    &format!("profile `corp` at {CONFIG}:3")
                ),
                row(
                    "username",
                    "alice",
                    &format!("profile `corp` at {CONFIG}:4")
                ),
            ]
        );

        // Unset: no user name, no wait, and `mfa_type` is `auto` by default.
        let bare = resolve_settings(&set, Some("other"), &Env::default(), &FlagValues::new());
        let got = login_settings(
            &bare,
            "https://idp.example.test/x",
            "saml_auth_url",
            "saml_username",
        );
        assert_eq!(
            entries(&got),
            vec![
                row("mfa_type", "auto", DEFAULT_ORIGIN),
                row("url", "https://idp.example.test/x", DEFAULT_ORIGIN),
            ]
        );
    }

    #[test]
    fn a_login_form_nobody_claims_falls_back_to_forms() {
        let registry = linked();
        let server = MockServer::start();
        server.route("GET", "/login", |_| MockResponse::html(LOGIN_PAGE));
        server.route("GET", "/plain", |_| {
            MockResponse::html("<html><body><form><input name=q></form></body></html>")
        });
        let login = Detection::login(None, "saml_provider");
        let chosen = block_on(login.choose(registry, &server.url("/login"), &deps())).unwrap();
        assert_eq!(chosen.name(), FORMS);

        let e = block_on(login.choose(registry, &server.url("/plain"), &deps())).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
        let message = e.to_string();
        for needle in [
            "/plain",
            "no login form",
            "set saml_provider to one of: adfs, azuread",
            "forms",
        ] {
            assert!(message.contains(needle), "{needle:?} missing: {message}");
        }

        // A federated sign-in never falls back to `forms`, which has no session to hand over.
        let federation = Detection::federation("azuread", None);
        let e = block_on(federation.choose(registry, &server.url("/login"), &deps())).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
        assert!(
            e.to_string()
                .contains("name one of: adfs, browser, browser-sp, forgerock, forms, keycloak"),
            "{e}"
        );
    }

    #[test]
    fn a_federation_server_is_found_by_its_cookies_but_never_the_asking_adapter() {
        let registry = linked();
        let server = MockServer::start();
        for method in ["HEAD", "GET"] {
            server.route(method, "/*", |_| {
                MockResponse::html("<html></html>").cookie("MSISContext", "fake-context")
            });
        }
        let url = server.url("/sts/start");
        let chosen =
            block_on(Detection::federation("azuread", None).choose(registry, &url, &deps()));
        assert_eq!(chosen.unwrap().name(), "adfs");
        let e = block_on(Detection::federation("adfs", None).choose(registry, &url, &deps()))
            .unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
        let message = e.to_string();
        assert!(
            message.contains("/sts/start") && message.contains("azuread"),
            "{message}"
        );
        assert!(
            !message.contains("adfs,") && !message.ends_with("adfs"),
            "{message}"
        );
    }

    fn request(from: &'static str, provider: Option<&str>, url: &str) -> FederationRequest {
        FederationRequest {
            from,
            provider: provider.map(str::to_string),
            settings: IdpSettings::new().with(IdpSettings::URL, url, "the federation redirect"),
        }
    }

    #[test]
    fn federation_signs_in_through_the_detected_adapter_in_the_callers_session() {
        let registry = linked();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/idp/adfs");
        let served = Replay::new(dir)
            .host("https://adfs.example.test")
            .serve("authenticate-federated", None);
        let mut req = request("azuread", None, served.url());
        req.settings.insert(
            IdpSettings::USERNAME,
            served.username().unwrap(),
            "azure ad",
        );
        req.settings = req
            .settings
            .with_secrets(Some(Secret::new(served.password().unwrap())), None);
        let deps = IdpDeps::new(
            Arc::new(served.prompter()),
            Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
            idle_http(),
        );
        let federation = AppFederation::new(registry);
        block_on(federation.authenticate(req, deps.clone())).unwrap();
        served.assert_finished();
        // The session AD FS left is the caller's: a client of the caller's deps sends it.
        let cookies = HttpClient::from_deps(&deps).cookie_names(served.url());
        assert!(
            cookies.iter().any(|c| c == "MSISAuthenticated"),
            "{cookies:?}"
        );
        assert!(format!("{federation:?}").contains("adfs"));
    }

    #[test]
    fn federation_refuses_the_asking_adapter_an_unknown_name_and_an_unknown_server() {
        let federation = AppFederation::new(linked());
        let server = MockServer::start();
        server.route("*", "/*", |_| {
            MockResponse::html("<html><body>hello</body></html>")
        });
        let url = server.url("/federation");
        let cases = [
            (
                request("azuread", Some("entra"), &url),
                "azuread cannot hand",
            ),
            (
                request("azuread", Some("nope"), &url),
                "unknown identity provider `nope`",
            ),
            (
                request("azuread", None, &url),
                "where azuread sends the user",
            ),
            (
                FederationRequest {
                    settings: IdpSettings::new(),
                    ..request("azuread", None, &url)
                },
                "without the URL",
            ),
        ];
        for (req, needle) in cases {
            let e = block_on(federation.authenticate(req, deps())).unwrap_err();
            assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
            let message = e.to_string();
            assert!(message.contains(needle), "{needle:?} missing: {message}");
        }
        let e = block_on(federation.authenticate(request("azuread", None, &url), deps()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/federation")
                && e.contains("adfs, browser, browser-sp, forgerock, forms, keycloak"),
            "the URL and the other providers: {e}"
        );
    }
}
