//! Credentials for any profile, the command line's way: the configuration, environment and flags
//! read once ([`Service::load`]), then as many profiles planned and resolved as a caller needs —
//! one for a plain run, many for a server. Cached credentials cost a file read: no runtime, no
//! lock, no SDK client; STS, the prompter and identity-provider connectors are built on a miss.

use crate::cli::Cli;
use crate::env::ProcessEnv;
use crate::wire::{SystemClock, cache_dir};
use anyhow::{Context as _, Result};
use aws_runas_cache_file::FileCache;
use aws_runas_config_file::{ConfigFileStore, FileLocations, ParseMode, Platform};
use aws_runas_domain::chain::{Base, PlanInput, RoleChain, StsEndpoint, Target, plan};
use aws_runas_domain::credentials::DEFAULT_REFRESH_WINDOW_SECS;
use aws_runas_domain::ports::idp::{HttpSettings, IdpConnector};
use aws_runas_domain::ports::profile_store::ProfileStore;
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_domain::ports::secret::{PasswordKind, SecretStore};
use aws_runas_domain::resolve::{self, Ports, ResolveOptions};
use aws_runas_domain::settings::{Env, FlagValues};
use aws_runas_domain::{Credentials, ProfileSet, RoleArn, Secret};
use aws_runas_sts_sdk::AwsSettings;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long to wait for another aws-runas that is refreshing the same credentials.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(180);
/// How long one identity-provider request may take.
const IDP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one STS call may take.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// A profile (or role ARN) planned: its role chain and where its AWS calls go.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The flat plan of calls.
    pub chain: RoleChain,
    /// Region, endpoints, proxy and timeouts of its AWS calls.
    pub aws: AwsSettings,
}

/// Everything read before any credential work: files, environment, flags.
pub struct Service {
    penv: ProcessEnv,
    locations: FileLocations,
    profiles: ProfileSet,
    env: Env,
    flags: FlagValues,
    /// `-P` (else its variables): the identity-provider password given up front.
    password: Option<Secret>,
    /// `-o` (else `MFA_CODE`): an MFA code given up front, used by the first request that asks.
    mfa_code: Mutex<Option<Secret>>,
    /// `-S`: stop at the chain's GetSessionToken step.
    session_only: bool,
    /// Where questions go: the controlling terminal unless [`Service::with_prompter`] says else.
    prompter: Arc<dyn Prompter>,
    /// Whether [`Service::with_prompter`] chose the prompter (else the `prompt` setting does).
    prompter_given: bool,
    /// Where the cache files are, when not beside the config file ([`Service::with_cache_dir`]).
    cache_dir: Option<PathBuf>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are `Secret`s, whose `Debug` redacts; the profile files are not shown.
        f.debug_struct("Service")
            .field("penv", &self.penv)
            .field("locations", &self.locations)
            .field("password", &self.password)
            .field("session_only", &self.session_only)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Reads the config and credentials files, the environment and the flags.
    ///
    /// # Errors
    /// A file that cannot be read or parsed; a malformed boolean variable.
    pub fn load(cli: &Cli, penv: &ProcessEnv) -> Result<Self> {
        let locations =
            FileLocations::from_env(|k| penv.get(k).map(str::to_string), Platform::current())?;
        let profiles = ConfigFileStore::new(locations.clone(), ParseMode::AwsRunas).load()?;
        let env = penv.settings_env();
        let mut flags = FlagValues::new();
        flags.set("session_token_duration", cli.duration.clone());
        flags.set("credentials_duration", cli.role_duration.clone());
        flags.set("mfa_serial", cli.mfa_serial.clone());
        flags.set("external_id", cli.external_id.clone());
        flags.set("saml_auth_url", cli.saml_url.clone());
        flags.set("web_identity_auth_url", cli.web_url.clone());
        flags.set("web_identity_client_id", cli.web_client.clone());
        flags.set("web_identity_redirect_uri", cli.web_redirect.clone());
        flags.set("saml_username", cli.username.clone());
        flags.set("web_identity_username", cli.username.clone());
        flags.set("saml_provider", cli.provider.clone());
        flags.set("web_identity_provider", cli.provider.clone());
        flags.set("mfa_type", cli.mfa_type.clone());
        flags.set("jump_role_arn", cli.jump_role.clone());
        flags.set("prompt", cli.prompt.clone());
        let password = cli
            .password
            .clone()
            .or_else(|| {
                penv.first_secret(&["RUNAS_PASSWORD", "SAML_PASSWORD", "WEB_PASSWORD"])
                    .cloned()
            })
            .filter(|p| !p.is_empty());
        let mfa_code = cli
            .otp
            .clone()
            .or_else(|| penv.secret("MFA_CODE").cloned())
            .filter(|c| !c.is_empty());
        let session_only =
            cli.session || penv.go_bool("RUNAS_SESSION_CREDENTIALS")?.unwrap_or(false);
        Ok(Service {
            penv: penv.clone(),
            locations,
            profiles,
            env,
            flags,
            password,
            mfa_code: Mutex::new(mfa_code),
            session_only,
            prompter: Arc::new(aws_runas_prompt_term::TermPrompter::new(
                aws_runas_prompt_term::TermSettings::controlling_terminal(),
            )),
            prompter_given: false,
            cache_dir: None,
        })
    }

    /// Sends questions (MFA codes, passwords, choices) to `prompter` instead of the terminal.
    #[must_use]
    pub fn with_prompter(mut self, prompter: Arc<dyn Prompter>) -> Self {
        self.prompter = prompter;
        self.prompter_given = true;
        self
    }

    /// Keeps the cache files (and their locks) in `dir` instead of beside the config file.
    #[must_use]
    pub fn with_cache_dir(mut self, dir: PathBuf) -> Self {
        self.cache_dir = Some(dir);
        self
    }

    /// The prompter for a chain with these settings: the one given to
    /// [`Service::with_prompter`], else the driver the `prompt` setting names (the terminal,
    /// a dialog, a YubiKey; `auto` when unset).
    ///
    /// # Errors
    /// An unknown driver, or one that is not installed.
    pub fn prompter_for(
        &self,
        settings: &aws_runas_domain::settings::Settings,
    ) -> Result<Arc<dyn Prompter>> {
        if self.prompter_given {
            return Ok(Arc::clone(&self.prompter));
        }
        crate::prompt::choose(
            settings,
            &crate::prompt::Surroundings::of(&self.penv),
            Arc::clone(&self.prompter),
        )
    }

    /// Where the cache files and their locks are.
    fn cache_root(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| cache_dir(self.locations.config()))
    }

    /// The process environment this service was loaded with.
    pub fn penv(&self) -> &ProcessEnv {
        &self.penv
    }

    /// The profiles of the config and credentials files.
    pub fn profiles(&self) -> &ProfileSet {
        &self.profiles
    }

    /// Where the config and credentials files are.
    pub fn locations(&self) -> &FileLocations {
        &self.locations
    }

    /// The settings of a profile (or of no profile): files, environment and flags layered.
    pub fn settings(&self, profile: Option<&str>) -> aws_runas_domain::settings::Settings {
        aws_runas_domain::settings::resolve_settings(
            &self.profiles,
            profile,
            &self.env,
            &self.flags,
        )
    }

    /// Plans `name` (a profile name or a role ARN): its chain (cut at the session step with
    /// `-S`) and its AWS settings.
    ///
    /// # Errors
    /// An unknown profile, a loop, a missing key: the domain's planning errors.
    pub fn plan(&self, name: &str) -> Result<Planned> {
        let target = self.target(name)?;
        let aws = self.aws_settings(&target);
        let mut chain = self.chain(&target, &aws)?;
        if self.session_only {
            if let Some(session) = chain.session_only() {
                chain = session;
            } else {
                log::debug!(
                    "--session: the chain has no GetSessionToken step; using its credentials as they are"
                );
            }
        }
        Ok(Planned { chain, aws })
    }

    /// The cached credentials of a plan when they are fresh: a file read, no lock, no runtime.
    pub fn cached(&self, planned: &Planned) -> Option<Credentials> {
        resolve::cached(
            &planned.chain,
            &self.cache(),
            &SystemClock,
            DEFAULT_REFRESH_WINDOW_SECS,
        )
    }

    /// The credentials of a plan: cached when fresh, else fetched (one refresh across processes,
    /// under the cache lock).
    ///
    /// # Errors
    /// Whatever the refresh fails with (STS, the identity provider, the prompter, the lock).
    pub async fn credentials(&self, planned: &Planned) -> Result<Credentials> {
        match self.cached(planned) {
            Some(c) => Ok(c),
            None => self.fetch(planned).await,
        }
    }

    /// Drops the cached result of a plan (and the identity token of an OIDC login): `-r`.
    pub fn forget(&self, planned: &Planned) {
        let cache = self.cache();
        if let Err(e) = resolve::forget(&planned.chain, &cache) {
            log::warn!("failed to clear cache: {e}");
        }
        if matches!(planned.chain.base, Base::WebIdentity(_))
            && let Err(e) = aws_runas_domain::ports::cache::TokenCache::clear(&self.token_cache())
        {
            log::warn!("failed to clear the identity token cache: {e}");
        }
    }

    /// The miss path: builds STS and the identity-provider connector, then resolves the chain.
    ///
    /// # Errors
    /// Whatever the resolution fails with.
    pub async fn fetch(&self, planned: &Planned) -> Result<Credentials> {
        log::debug!("cache miss: building the STS client");
        let chain = &planned.chain;
        let cache = self.cache();
        // An unknown or uninstalled prompt driver is reported before anything is built.
        let prompter = self.prompter_for(&chain.settings)?;
        let sts = aws_runas_sts_sdk::SdkSts::new(planned.aws.clone());
        let connector = self.connector(chain, &planned.aws);
        let token_cache = self.token_cache();
        let process = self.process_runner(chain);
        let sso = crate::sso::ChainSso::for_chain(
            &self.penv,
            self.locations.config(),
            chain,
            &planned.aws,
            &self.prompter,
        );
        let mfa_code = self.mfa_code.lock().map_or(None, |mut c| c.take());
        let opts = ResolveOptions {
            refresh_window_secs: DEFAULT_REFRESH_WINDOW_SECS,
            lock_timeout: LOCK_TIMEOUT,
            mfa_code: Mutex::new(mfa_code),
            login_name: self
                .penv
                .get("USER")
                .or_else(|| self.penv.get("USERNAME"))
                .map(str::to_string),
            saml: Mutex::new(None),
        };
        let ports = Ports {
            sts: &sts,
            cache: &cache,
            prompter: prompter.as_ref(),
            clock: &SystemClock,
            process: &process,
            idp: connector.as_ref().map(|c| c as &dyn IdpConnector),
            token_cache: Some(&token_cache),
            token_file: Some(&aws_runas_cache_file::TokenFileReader),
            sso: sso.as_ref().map(crate::sso::ChainSso::ports),
        };
        Ok(resolve::resolve(chain, ports, &opts).await?)
    }

    /// The prompter questions go to.
    pub fn prompter(&self) -> &Arc<dyn Prompter> {
        &self.prompter
    }

    pub(crate) fn target(&self, name: &str) -> Result<Target> {
        if RoleArn::looks_like_arn(name) {
            return Ok(Target::Arn(RoleArn::parse(name).with_context(|| {
                format!("{name:?} given in place of a profile")
            })?));
        }
        Ok(Target::Profile(name.to_string()))
    }

    pub(crate) fn aws_settings(&self, target: &Target) -> AwsSettings {
        let profile = match target {
            Target::Profile(p) => Some(p.as_str()),
            Target::Arn(_) => None,
        };
        let s = aws_runas_domain::settings::resolve_settings(
            &self.profiles,
            profile,
            &self.env,
            &self.flags,
        );
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| self.penv.get(n))
                .map(str::to_string)
        };
        let endpoint_url = s.get("endpoint_url").map(str::to_string);
        AwsSettings {
            region: s.get("region").map(str::to_string),
            sts_endpoint: first(&["AWS_ENDPOINT_URL_STS"]).or_else(|| endpoint_url.clone()),
            iam_endpoint: first(&["AWS_ENDPOINT_URL_IAM"]).or(endpoint_url),
            https_proxy: first(&["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]),
            no_proxy: first(&["NO_PROXY", "no_proxy"]),
            ca_bundle: s.get("ca_bundle").map(PathBuf::from),
            operation_timeout: OPERATION_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            max_attempts: 3,
        }
    }

    fn resolving(&self) -> Vec<String> {
        self.penv
            .get(aws_runas_process::RESOLVING_ENV)
            .map(aws_runas_process::decode_resolving)
            .unwrap_or_default()
    }

    pub(crate) fn chain(&self, target: &Target, aws: &AwsSettings) -> Result<RoleChain> {
        let env_credentials = match (
            self.penv.get("AWS_ACCESS_KEY_ID"),
            self.penv.secret("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Some(Credentials::new(
                id,
                secret.clone(),
                self.penv.secret("AWS_SESSION_TOKEN").cloned(),
                None,
            )),
            _ => None,
        };
        // Where STS calls go is part of every cache fingerprint.
        let endpoint = StsEndpoint {
            region: aws.region.clone(),
            url: aws.sts_endpoint.clone(),
        };
        let resolving = self.resolving();
        let input = PlanInput {
            profiles: &self.profiles,
            env: &self.env,
            flags: &self.flags,
            env_credentials: env_credentials.as_ref(),
            resolving: &resolving,
            endpoint: &endpoint,
        };
        Ok(plan(&input, target)?)
    }

    pub(crate) fn process_runner(&self, chain: &RoleChain) -> aws_runas_process::ProcessRunner {
        let mut in_flight = self.resolving();
        in_flight.extend(chain.profile.clone());
        aws_runas_process::ProcessRunner::new(aws_runas_process::ProcessSettings::new(in_flight))
    }

    pub(crate) fn cache(&self) -> FileCache {
        FileCache::new(self.cache_root())
    }

    pub(crate) fn token_cache(&self) -> aws_runas_cache_file::FileTokenCache {
        aws_runas_cache_file::FileTokenCache::new(self.cache_root())
    }

    fn secret_store(&self, chain: &RoleChain) -> Box<dyn SecretStore> {
        self.secret_store_for(&chain.settings)
    }

    pub(crate) fn secret_store_for(
        &self,
        settings: &aws_runas_domain::settings::Settings,
    ) -> Box<dyn SecretStore> {
        match settings.get("password_store").map(str::trim) {
            Some(s) if s.eq_ignore_ascii_case("keyring") => Box::new(
                aws_runas_secret_keyring::KeyringSecretStore::new(Duration::from_secs(5)),
            ),
            Some(s) if !s.eq_ignore_ascii_case("file") => {
                log::warn!(
                    "password_store = {s} is not known (use file or keyring); using the credentials file"
                );
                Box::new(aws_runas_config_file::CredentialsFileSecretStore::new(
                    self.locations.credentials(),
                ))
            }
            _ => Box::new(aws_runas_config_file::CredentialsFileSecretStore::new(
                self.locations.credentials(),
            )),
        }
    }

    /// The password given with `-P`, else by its environment variables.
    pub(crate) fn password_flag(&self) -> Option<Secret> {
        self.password.clone()
    }

    fn http_settings(&self, aws: &AwsSettings) -> HttpSettings {
        HttpSettings {
            timeout: IDP_TIMEOUT,
            proxy: aws.https_proxy.clone(),
            no_proxy: aws.no_proxy.clone(),
            ca_bundle: aws.ca_bundle.clone(),
            cookie_jar: Some(self.cache_root().join(".aws_runas.cookies")),
        }
    }

    /// The identity-provider connector of a chain that starts with a login, else `None`.
    pub(crate) fn connector(
        &self,
        chain: &RoleChain,
        aws: &AwsSettings,
    ) -> Option<crate::idp::AppConnector> {
        let (url, oidc) = match &chain.base {
            Base::Saml(login) => (&login.url, false),
            Base::WebIdentity(login) => (&login.url, true),
            _ => return None,
        };
        let s = &chain.settings;
        let (url_key, provider_key, user_key) = if oidc {
            (
                "web_identity_auth_url",
                "web_identity_provider",
                "web_identity_username",
            )
        } else {
            ("saml_auth_url", "saml_provider", "saml_username")
        };
        // Only the adapters' own namespaces are copied; a registry that cannot be built is
        // reported by the connector.
        let adapters = aws_runas_domain::ports::idp::registry()
            .map(aws_runas_domain::ports::idp::Registry::names)
            .unwrap_or_default();
        Some(crate::idp::AppConnector {
            url: url.clone(),
            provider: s.get(provider_key).map(str::to_string),
            login: crate::idp::login_settings(s, url, url_key, user_key),
            profile_keys: crate::idp::layered_profile_keys(
                &self.profiles,
                chain.profile.as_deref(),
                &adapters,
            ),
            password_flag: self.password_flag(),
            store: self.secret_store(chain),
            kind: if oidc {
                PasswordKind::WebIdentity
            } else {
                PasswordKind::Saml
            },
            mfa_code: self.mfa_code.lock().ok().and_then(|c| c.clone()),
            prompter: self.prompter_for(s).unwrap_or_else(|e| {
                log::warn!("{e:#}; asking on the terminal");
                Arc::clone(&self.prompter)
            }),
            clock: Arc::new(SystemClock),
            http: self.http_settings(aws),
            browser: Some(Arc::new(
                aws_runas_browser_system::SystemBrowser::new(
                    self.penv.get("PATH").map(std::ffi::OsString::from),
                )
                .with_browser(self.penv.get("BROWSER").map(str::to_string)),
            )),
        })
    }
}
