//! The composition root: builds the concrete adapters from the command line and the environment,
//! and hands them to the domain.

use crate::cli::{Cli, Command, ListWhat, OutputFormat};
use crate::env::ProcessEnv;
use crate::output;
use anyhow::{Context as _, Result, anyhow, bail};
use aws_runas_cache_file::FileCache;
use aws_runas_config_file::{ConfigFileStore, FileLocations, ParseMode, Platform, SectionEdit};
use aws_runas_domain::chain::{Base, PlanInput, RoleChain, StsEndpoint, Target, plan};
use aws_runas_domain::credentials::DEFAULT_REFRESH_WINDOW_SECS;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::iam::Iam;
use aws_runas_domain::ports::idp::{HttpSettings, IdpConnector};
use aws_runas_domain::ports::profile_store::ProfileStore;
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_domain::ports::secret::{PasswordKind, SecretStore};
use aws_runas_domain::ports::sts::Sts;
use aws_runas_domain::resolve::{self, Ports, ResolveOptions};
use aws_runas_domain::settings::{Env, FlagValues};
use aws_runas_domain::{Credentials, ProfileSet, RoleArn, Secret, Timestamp};
use aws_runas_sts_sdk::AwsSettings;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

/// How long to wait for another aws-runas that is refreshing the same credentials.
const LOCK_TIMEOUT: Duration = Duration::from_secs(180);
/// How long one identity-provider request may take.
const IDP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one STS call may take.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The system clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the composition root is where time comes from
    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp::from_unix(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// No profile was named and none is set in the environment.
#[derive(Debug, thiserror::Error)]
#[error("nothing to do: name a profile (or set AWS_PROFILE)")]
pub struct NothingToDo;

/// Everything read before any credential work: files, environment, flags.
struct Context<'a> {
    penv: &'a ProcessEnv,
    locations: FileLocations,
    profiles: ProfileSet,
    env: Env,
    flags: FlagValues,
}

impl<'a> Context<'a> {
    fn load(cli: &'a Cli, penv: &'a ProcessEnv) -> Result<Self> {
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
        Ok(Context {
            penv,
            locations,
            profiles,
            env,
            flags,
        })
    }

    fn target(&self, name: &str) -> Result<Target> {
        if RoleArn::looks_like_arn(name) {
            return Ok(Target::Arn(RoleArn::parse(name).with_context(|| {
                format!("{name:?} given in place of a profile")
            })?));
        }
        Ok(Target::Profile(name.to_string()))
    }

    fn aws_settings(&self, target: &Target) -> AwsSettings {
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

    fn chain(&self, target: &Target, aws: &AwsSettings) -> Result<RoleChain> {
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

    fn process_runner(&self, chain: &RoleChain) -> aws_runas_process::ProcessRunner {
        let mut in_flight = self.resolving();
        in_flight.extend(chain.profile.clone());
        aws_runas_process::ProcessRunner::new(aws_runas_process::ProcessSettings::new(in_flight))
    }

    fn cache(&self) -> FileCache {
        FileCache::new(cache_dir(self.locations.config()))
    }

    fn token_cache(&self) -> aws_runas_cache_file::FileTokenCache {
        aws_runas_cache_file::FileTokenCache::new(cache_dir(self.locations.config()))
    }

    fn secret_store(&self, chain: &RoleChain) -> Box<dyn SecretStore> {
        self.secret_store_for(&chain.settings)
    }

    fn secret_store_for(
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
    fn password_flag(&self, cli: &Cli) -> Option<Secret> {
        cli.password
            .clone()
            .or_else(|| {
                self.penv
                    .first_secret(&["RUNAS_PASSWORD", "SAML_PASSWORD", "WEB_PASSWORD"])
                    .cloned()
            })
            .filter(|p| !p.is_empty())
    }

    /// The MFA code given with `-o`, else by `MFA_CODE`.
    fn mfa_code(&self, cli: &Cli) -> Option<Secret> {
        cli.otp
            .clone()
            .or_else(|| self.penv.secret("MFA_CODE").cloned())
            .filter(|c| !c.is_empty())
    }

    fn http_settings(&self, aws: &AwsSettings) -> HttpSettings {
        HttpSettings {
            timeout: IDP_TIMEOUT,
            proxy: aws.https_proxy.clone(),
            no_proxy: aws.no_proxy.clone(),
            ca_bundle: aws.ca_bundle.clone(),
            cookie_jar: Some(cache_dir(self.locations.config()).join(".aws_runas.cookies")),
        }
    }

    /// The identity-provider connector of a chain that starts with a login, else `None`.
    fn connector(
        &self,
        cli: &Cli,
        chain: &RoleChain,
        aws: &AwsSettings,
        prompter: &Arc<aws_runas_prompt_term::TermPrompter>,
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
            password_flag: self.password_flag(cli),
            store: self.secret_store(chain),
            kind: if oidc {
                PasswordKind::WebIdentity
            } else {
                PasswordKind::Saml
            },
            mfa_code: self.mfa_code(cli),
            prompter: Arc::clone(prompter) as Arc<dyn Prompter>,
            clock: Arc::new(SystemClock),
            http: self.http_settings(aws),
            browser: Some(Arc::new(aws_runas_browser_system::SystemBrowser::new(
                self.penv.get("PATH").map(std::ffi::OsString::from),
            ))),
        })
    }
}

/// Runs the command line; returns the exit code.
///
/// # Errors
/// Any failure, to be printed as one line.
pub fn run(cli: &Cli, positionals: &[OsString], penv: &ProcessEnv) -> Result<ExitCode> {
    if let Some(command) = &cli.subcommand {
        return subcommand(cli, penv, command);
    }
    let words: Vec<String> = positionals
        .iter()
        .map(|w| {
            w.clone()
                .into_string()
                .map_err(|w| anyhow!("argument {w:?} is not valid UTF-8"))
        })
        .collect::<Result<_>>()?;
    if cli.list_mfa || cli.list_roles {
        let which = if cli.list_mfa { List::Mfa } else { List::Roles };
        return list(cli, penv, words.first().map(String::as_str), which);
    }
    CredentialRun::prepare(cli, penv, &words)?.finish()
}

fn subcommand(cli: &Cli, penv: &ProcessEnv, command: &Command) -> Result<ExitCode> {
    match command {
        Command::Providers => print_stdout(&crate::providers::providers_table(
            aws_runas_domain::ports::idp::registry()?,
        ))?,
        Command::Completion { shell } => print_stdout(&crate::completion::script(*shell))?,
        Command::Password { profile } => return password(cli, penv, profile.as_deref()),
        Command::List {
            what: ListWhat::Mfa { profile },
        } => return list(cli, penv, profile.as_deref(), List::Mfa),
        Command::List {
            what: ListWhat::Roles { profile },
        } => return list(cli, penv, profile.as_deref(), List::Roles),
    }
    Ok(ExitCode::SUCCESS)
}

/// One run for credentials: the chosen profile's chain, its credentials (cached, else fetched),
/// and where they go (a command, shell lines or JSON).
struct CredentialRun<'a> {
    cli: &'a Cli,
    ctx: Context<'a>,
    /// The profile word (a profile name or a role ARN).
    name: String,
    /// The command to run with the credentials; empty to print them.
    command: Vec<String>,
    aws: AwsSettings,
    chain: RoleChain,
    clock: SystemClock,
    /// Built only when needed: on a cache miss, or for `-w`.
    runtime: Option<tokio::runtime::Runtime>,
}

impl<'a> CredentialRun<'a> {
    fn prepare(cli: &'a Cli, penv: &'a ProcessEnv, words: &[String]) -> Result<Self> {
        let ctx = Context::load(cli, penv)?;
        let (name, command) = choose_profile(words, &ctx.profiles, penv).ok_or(NothingToDo)?;
        let target = ctx.target(&name)?;
        let aws = ctx.aws_settings(&target);
        let mut chain = ctx.chain(&target, &aws)?;
        if cli.session || penv.go_bool("RUNAS_SESSION_CREDENTIALS")?.unwrap_or(false) {
            if let Some(session) = chain.session_only() {
                chain = session;
            } else {
                log::debug!(
                    "--session: the chain has no GetSessionToken step; using its credentials as they are"
                );
            }
        }
        // -E is accepted (environment credentials are what a command gets until a local
        // credential endpoint exists); its variable is still checked so a typo is reported.
        let _ = cli.env_credentials || penv.go_bool("RUNAS_ENV_CREDENTIALS")?.unwrap_or(false);
        Ok(CredentialRun {
            cli,
            ctx,
            name,
            command,
            aws,
            chain,
            clock: SystemClock,
            runtime: None,
        })
    }

    fn finish(mut self) -> Result<ExitCode> {
        let creds = self.credentials()?;
        let (cli, penv) = (self.cli, self.ctx.penv);
        if cli.write_credentials || penv.go_bool("RUNAS_WRITE_CREDENTIALS")?.unwrap_or(false) {
            write_credentials(self.ctx.locations.credentials(), &self.name, &creds);
        }
        if cli.output == OutputFormat::Json {
            print_stdout(&format!("{}\n", output::credential_process_json(&creds)))?;
            return Ok(ExitCode::SUCCESS);
        }
        if cli.expiration {
            eprintln!(
                "{}",
                output::expiration_line(creds.expiration(), self.clock.now())
            );
        }
        if cli.whoami {
            self.whoami(&creds)?;
        }
        self.deliver(&creds)
    }

    /// The cached credentials when fresh (no lock, no runtime), else a refresh.
    fn credentials(&mut self) -> Result<Credentials> {
        let cache = self.ctx.cache();
        if self.cli.refresh {
            self.forget(&cache);
        }
        match resolve::cached(
            &self.chain,
            &cache,
            &self.clock,
            DEFAULT_REFRESH_WINDOW_SECS,
        ) {
            Some(c) => Ok(c),
            None => self.refresh(&cache),
        }
    }

    /// `-r`: drops the cached result (and the identity token of an OIDC login).
    fn forget(&self, cache: &FileCache) {
        if let Err(e) = resolve::forget(&self.chain, cache) {
            log::warn!("failed to clear cache: {e}");
        }
        if matches!(self.chain.base, Base::WebIdentity(_))
            && let Err(e) =
                aws_runas_domain::ports::cache::TokenCache::clear(&self.ctx.token_cache())
        {
            log::warn!("failed to clear the identity token cache: {e}");
        }
    }

    /// The miss path: builds STS, the prompter, the identity-provider connector and the runtime.
    fn refresh(&mut self, cache: &FileCache) -> Result<Credentials> {
        log::debug!("cache miss: building the STS client and the async runtime");
        let (cli, ctx, chain, penv) = (self.cli, &self.ctx, &self.chain, self.ctx.penv);
        let sts = aws_runas_sts_sdk::SdkSts::new(self.aws.clone());
        let prompter = Arc::new(aws_runas_prompt_term::TermPrompter::new(
            aws_runas_prompt_term::TermSettings::controlling_terminal(),
        ));
        let connector = ctx.connector(cli, chain, &self.aws, &prompter);
        let token_cache = ctx.token_cache();
        let process = ctx.process_runner(chain);
        let opts = ResolveOptions {
            refresh_window_secs: DEFAULT_REFRESH_WINDOW_SECS,
            lock_timeout: LOCK_TIMEOUT,
            mfa_code: Mutex::new(ctx.mfa_code(cli)),
            login_name: penv
                .get("USER")
                .or_else(|| penv.get("USERNAME"))
                .map(str::to_string),
            saml: Mutex::new(None),
        };
        let rt = self.runtime.insert(new_runtime()?);
        let ports = Ports {
            sts: &sts,
            cache,
            prompter: prompter.as_ref(),
            clock: &self.clock,
            process: &process,
            idp: connector.as_ref().map(|c| c as &dyn IdpConnector),
            token_cache: Some(&token_cache),
            token_file: Some(&aws_runas_cache_file::TokenFileReader),
        };
        Ok(rt.block_on(resolve::resolve(chain, ports, &opts))?)
    }

    /// `-w`: the caller identity of the credentials, on stderr.
    fn whoami(&mut self, creds: &Credentials) -> Result<()> {
        let rt = match self.runtime.as_mut() {
            Some(rt) => rt,
            None => self.runtime.insert(new_runtime()?),
        };
        let sts = aws_runas_sts_sdk::SdkSts::new(self.aws.clone());
        let id = rt.block_on(sts.get_caller_identity(creds))?;
        eprintln!(
            "{{UserId:{} Arn:{} Account:{}}}",
            id.user_id, id.arn, id.account
        );
        Ok(())
    }

    /// Runs the command with the credentials, or prints them as shell lines.
    fn deliver(mut self, creds: &Credentials) -> Result<ExitCode> {
        let region = self.chain.settings.get("region");
        let profile = self.chain.profile.as_deref();
        let penv = self.ctx.penv;
        if !self.command.is_empty() {
            drop(self.runtime.take());
            let pairs = output::env_pairs(creds, region);
            return crate::exec::run(&self.command, &pairs, profile, penv);
        }
        let shell = self
            .cli
            .shell
            .unwrap_or_else(|| output::default_shell(penv.get("SHELL"), cfg!(windows)));
        let (pairs, unset) = output::env_assignments(creds, region, profile);
        print_stdout(&output::shell_lines(shell, &pairs, &unset).map_err(|e| anyhow!(e))?)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// Decides which word is the profile: the first word when it names a profile or a role ARN (even
/// with `AWS_PROFILE` set); else `AWS_PROFILE` / `AWS_DEFAULT_PROFILE`, and every word is the
/// command; else the first word (which then fails as an unknown profile). A leading `--` of the
/// command is dropped. `None`: no profile anywhere.
pub fn choose_profile(
    words: &[String],
    profiles: &ProfileSet,
    penv: &ProcessEnv,
) -> Option<(String, Vec<String>)> {
    let from_env = penv.named_profile().or_else(|| {
        // Kubernetes and CI systems set these two and no profile.
        penv.get("AWS_WEB_IDENTITY_TOKEN_FILE")
            .and(penv.get("AWS_ROLE_ARN"))
    });
    let drop_dashes = |rest: &[String]| -> Vec<String> {
        match rest.split_first() {
            Some((first, tail)) if first == "--" => tail.to_vec(),
            _ => rest.to_vec(),
        }
    };
    match (words.split_first(), from_env) {
        (Some((first, rest)), _)
            if profiles.profile(first).is_some() || RoleArn::looks_like_arn(first) =>
        {
            Some((first.clone(), drop_dashes(rest)))
        }
        (_, Some(env)) => Some((env.to_string(), drop_dashes(words))),
        (Some((first, rest)), None) => Some((first.clone(), drop_dashes(rest))),
        (None, None) => None,
    }
}

/// The profile of a subcommand: its argument, else `AWS_PROFILE` / `AWS_DEFAULT_PROFILE`.
fn subcommand_profile(profile: Option<&str>, penv: &ProcessEnv) -> Result<String> {
    Ok(profile
        .or_else(|| penv.named_profile())
        .ok_or(NothingToDo)?
        .to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Mfa,
    Roles,
}

fn list(cli: &Cli, penv: &ProcessEnv, profile: Option<&str>, which: List) -> Result<ExitCode> {
    let name = subcommand_profile(profile, penv)?;
    if RoleArn::looks_like_arn(&name) {
        bail!("profile looks like an ARN, check command parameters and environment variables");
    }
    let ctx = Context::load(cli, penv)?;
    let target = Target::Profile(name.clone());
    let aws = ctx.aws_settings(&target);
    let chain = ctx.chain(&target, &aws)?;
    match (&chain.base, which) {
        (Base::WebIdentity(_) | Base::WebIdentityToken(_), _) => bail!(
            "detected Web Identity profile `{name}`, only IAM and SAML profiles support role enumeration"
        ),
        (Base::Saml(_), List::Mfa) => bail!(
            "detected SAML or Web Identity profile `{name}`, only IAM profiles support MFA device retrieval"
        ),
        (Base::Saml(_), List::Roles) => list_saml_roles(cli, &ctx, &chain, &aws),
        _ => list_iam(&ctx, &chain, aws, &name, which),
    }
}

/// `list mfa` and `list roles` of an IAM user's profile, signed with its base keys.
fn list_iam(
    ctx: &Context<'_>,
    chain: &RoleChain,
    aws: AwsSettings,
    name: &str,
    which: List,
) -> Result<ExitCode> {
    let process = ctx.process_runner(chain);
    let base = resolve::base_credentials_of(chain, &process)?;
    let rt = new_runtime()?;
    let sts = aws_runas_sts_sdk::SdkSts::new(aws.clone());
    let iam = aws_runas_sts_sdk::SdkIam::new(aws);
    let id = rt
        .block_on(sts.get_caller_identity(&base))
        .with_context(|| format!("identifying the keys of profile `{name}`"))?;
    if !id.arn.contains(":user/") {
        bail!(
            "profile `{name}` gets its base credentials from {}, not an IAM user; only IAM users have MFA devices and user policies",
            id.arn
        );
    }
    let user = id.name().to_string();
    let mut out = String::new();
    match which {
        List::Mfa => {
            for d in rt.block_on(iam.list_mfa_devices(&base, &user))? {
                out.push_str(&format!("{}\n", d.serial));
            }
        }
        List::Roles => {
            let docs = rt.block_on(iam.user_policy_documents(&base, &user))?;
            let (roles, unreadable) =
                aws_runas_domain::policy::assumable_roles(docs.iter().map(String::as_str));
            if unreadable > 0 {
                log::warn!("skipped {unreadable} policy documents that are not JSON");
            }
            out.push_str(&format!("Available role ARNs for {user}\n"));
            for r in roles {
                out.push_str(&format!("  {r}\n"));
            }
        }
    }
    print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn list_saml_roles(
    cli: &Cli,
    ctx: &Context<'_>,
    chain: &RoleChain,
    aws: &AwsSettings,
) -> Result<ExitCode> {
    let prompter = Arc::new(aws_runas_prompt_term::TermPrompter::new(
        aws_runas_prompt_term::TermSettings::controlling_terminal(),
    ));
    let connector = ctx
        .connector(cli, chain, aws, &prompter)
        .expect("a SAML chain has a connector");
    let (cache, clock) = (ctx.cache(), SystemClock);
    let process = ctx.process_runner(chain);
    let sts = aws_runas_sts_sdk::SdkSts::new(aws.clone());
    let opts = ResolveOptions {
        refresh_window_secs: aws_runas_domain::credentials::DEFAULT_REFRESH_WINDOW_SECS,
        lock_timeout: LOCK_TIMEOUT,
        mfa_code: Mutex::new(None),
        login_name: None,
        saml: Mutex::new(None),
    };
    let ports = Ports {
        sts: &sts,
        cache: &cache,
        prompter: prompter.as_ref(),
        clock: &clock,
        process: &process,
        idp: Some(&connector),
        token_cache: None,
        token_file: None,
    };
    let response = new_runtime()?.block_on(resolve::saml_response(chain, ports, &opts))?;
    let who = response
        .session_name()
        .map(str::to_string)
        .or_else(|| chain.settings.get("saml_username").map(str::to_string))
        .unwrap_or_default();
    let mut roles: Vec<String> = response
        .roles()
        .iter()
        .map(|g| g.role().to_string())
        .filter(|r| !r.contains('*'))
        .collect();
    roles.sort();
    roles.dedup();
    let mut out = format!("Available role ARNs for {who}\n");
    for r in roles {
        out.push_str(&format!("  {r}\n"));
    }
    print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// `aws-runas password <profile>`: stores the identity-provider password of the profile's URL.
fn password(cli: &Cli, penv: &ProcessEnv, profile: Option<&str>) -> Result<ExitCode> {
    let name = subcommand_profile(profile, penv)?;
    let ctx = Context::load(cli, penv)?;
    let settings = aws_runas_domain::settings::resolve_settings(
        &ctx.profiles,
        Some(&name),
        &ctx.env,
        &ctx.flags,
    );
    if ctx.profiles.profile(&name).is_none() && cli.saml_url.is_none() && cli.web_url.is_none() {
        bail!("profile `{name}` not found in the config or credentials file");
    }
    let (url, kind) = match (
        settings.get("saml_auth_url"),
        settings.get("web_identity_auth_url"),
    ) {
        (Some(_), Some(_)) => bail!(
            "profile `{name}` sets both saml_auth_url and web_identity_auth_url, only 1 allowed"
        ),
        (None, None) => bail!(
            "profile `{name}` has no identity provider: set saml_auth_url or web_identity_auth_url"
        ),
        (Some(u), None) => (u.to_string(), PasswordKind::Saml),
        (None, Some(u)) => (u.to_string(), PasswordKind::WebIdentity),
    };
    let secret = match ctx.password_flag(cli) {
        Some(p) => p,
        None => {
            let prompter = aws_runas_prompt_term::TermPrompter::new(
                aws_runas_prompt_term::TermSettings::controlling_terminal(),
            );
            let p = prompter.read_secret("Password: ").map_err(|e| {
                anyhow!("cannot ask for the password of {url}: {e}; pass it with -P")
            })?;
            if p.is_empty() {
                bail!("no password entered for {url}");
            }
            p
        }
    };
    ctx.secret_store_for(&settings).set(&url, kind, &secret)?;
    let where_ = match settings.get("password_store") {
        Some(s) if s.trim().eq_ignore_ascii_case("keyring") => "the OS keyring".to_string(),
        _ => format!(
            "{} (obfuscated, not encrypted)",
            ctx.locations.credentials().display()
        ),
    };
    log::info!(
        "password for {} stored in {where_}",
        aws_runas_idp_support::display_url(&url)
    );
    Ok(ExitCode::SUCCESS)
}

fn write_credentials(file: &Path, profile: &str, creds: &Credentials) {
    let section = format!("{profile}-awsrunas");
    let mut pairs = vec![
        ("aws_access_key_id", creds.access_key_id()),
        ("aws_secret_access_key", creds.secret_access_key().expose()),
    ];
    if let Some(t) = creds.session_token() {
        pairs.push(("aws_session_token", t.expose()));
    }
    match aws_runas_config_file::write_section_atomically(
        file,
        &section,
        &pairs,
        SectionEdit::Replace,
    ) {
        Ok(()) => log::info!(
            "Credentials written to {} under profile: {section}",
            file.display()
        ),
        Err(e) => log::warn!("error writing credentials to file: {e}"),
    }
}

fn new_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Writes to stdout; a closed pipe (`aws-runas p | head -1`) is not an error.
///
/// # Errors
/// Other write failures.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn cache_dir(config: &Path) -> PathBuf {
    match config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn which_word_is_the_profile() {
        let profiles = ProfileSet::from_triples([("dev", "region", "x"), ("other", "region", "y")]);
        let none = ProcessEnv::from_pairs([]);
        let env = ProcessEnv::from_pairs([("AWS_PROFILE", "dev")]);
        let arn = "arn:aws:iam::123456789012:role/x";
        type Case<'a> = (&'a str, &'a ProcessEnv, Option<(&'a str, &'a str)>);
        let cases: Vec<Case<'_>> = vec![
            ("dev", &none, Some(("dev", ""))),
            ("dev aws s3 ls -r", &none, Some(("dev", "aws s3 ls -r"))),
            ("dev -- aws s3 ls", &none, Some(("dev", "aws s3 ls"))),
            ("other", &env, Some(("other", ""))),
            ("aws s3 ls", &env, Some(("dev", "aws s3 ls"))),
            ("-- ls", &env, Some(("dev", "ls"))),
            ("", &env, Some(("dev", ""))),
            ("typo", &none, Some(("typo", ""))),
            (arn, &env, Some((arn, ""))),
            ("", &none, None),
        ];
        for (line, penv, want) in cases {
            let got = choose_profile(&words(line), &profiles, penv);
            let want = want.map(|(p, c)| (p.to_string(), words(c)));
            assert_eq!(got, want, "{line:?}");
        }
    }
}
