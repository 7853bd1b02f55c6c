//! The composition root: builds the concrete adapters from the command line and the environment,
//! and hands them to the domain.

use crate::cli::{Cli, Command, EcrWhat, ListWhat, OutputFormat};
use crate::env::ProcessEnv;
use crate::output;
use crate::service::{LOCK_TIMEOUT, Planned, Service};
use anyhow::{Context as _, Result, anyhow, bail};
use aws_runas_config_file::SectionEdit;
use aws_runas_domain::chain::{Base, RoleChain, Target};
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::iam::Iam;
use aws_runas_domain::ports::prompter::Prompter;
use aws_runas_domain::ports::secret::PasswordKind;
use aws_runas_domain::ports::sts::Sts;
use aws_runas_domain::resolve::{self, Ports, ResolveOptions};
use aws_runas_domain::{Credentials, ProfileSet, RoleArn, Timestamp};
use aws_runas_sts_sdk::AwsSettings;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;

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
        Command::Sso { action } => return crate::sso::run(cli, penv, action),
        Command::Password { profile } => return password(cli, penv, profile.as_deref()),
        Command::Serve { what } => return crate::serve::serve(cli, penv, what),
        Command::Console {
            print,
            destination,
            region,
            duration,
            profile,
        } => {
            let args = crate::console::ConsoleArgs {
                print: *print,
                destination: destination.clone(),
                region: region.clone(),
                duration: duration.clone(),
                profile: profile.clone(),
            };
            return crate::console::run(cli, penv, &args);
        }
        Command::Ecr {
            what: EcrWhat::Login { words },
        } => return crate::ecr::login(cli, penv, words),
        Command::Update => return crate::update::run(penv),
        Command::ManPages { dir } => return crate::manpages::write(dir),
        Command::Diagnose { profile } => {
            return crate::diagnose::run(cli, penv, profile.as_deref());
        }
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
    service: Service,
    /// The profile word (a profile name or a role ARN).
    name: String,
    /// The command to run with the credentials; empty to print them.
    command: Vec<String>,
    /// `-E`: the command gets static keys in its environment instead of a credential endpoint.
    env_credentials: bool,
    planned: Planned,
    clock: SystemClock,
    /// Built only when needed: on a cache miss, or for `-w`.
    runtime: Option<tokio::runtime::Runtime>,
}

impl<'a> CredentialRun<'a> {
    fn prepare(cli: &'a Cli, penv: &ProcessEnv, words: &[String]) -> Result<Self> {
        let service = Service::load(cli, penv)?;
        let (name, command) = choose_profile(words, service.profiles(), penv).ok_or(NothingToDo)?;
        let planned = service.plan(&name)?;
        let env_credentials =
            cli.env_credentials || penv.go_bool("RUNAS_ENV_CREDENTIALS")?.unwrap_or(false);
        Ok(CredentialRun {
            cli,
            service,
            name,
            command,
            env_credentials,
            planned,
            clock: SystemClock,
            runtime: None,
        })
    }

    fn finish(mut self) -> Result<ExitCode> {
        let creds = self.credentials()?;
        let (cli, penv) = (self.cli, self.service.penv());
        if cli.write_credentials || penv.go_bool("RUNAS_WRITE_CREDENTIALS")?.unwrap_or(false) {
            write_credentials(self.service.locations().credentials(), &self.name, &creds);
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
        if self.cli.refresh {
            self.service.forget(&self.planned);
        }
        if let Some(c) = self.service.cached(&self.planned) {
            return Ok(c);
        }
        log::debug!("cache miss: starting the async runtime");
        let rt = self.runtime.insert(new_runtime()?);
        rt.block_on(self.service.fetch(&self.planned))
    }

    /// `-w`: the caller identity of the credentials, on stderr.
    fn whoami(&mut self, creds: &Credentials) -> Result<()> {
        let rt = match self.runtime.as_mut() {
            Some(rt) => rt,
            None => self.runtime.insert(new_runtime()?),
        };
        let sts = aws_runas_sts_sdk::SdkSts::new(self.planned.aws.clone());
        let id = rt.block_on(sts.get_caller_identity(creds))?;
        eprintln!(
            "{{UserId:{} Arn:{} Account:{}}}",
            id.user_id, id.arn, id.account
        );
        Ok(())
    }

    /// Runs the command with the credentials, or prints them as shell lines.
    fn deliver(mut self, creds: &Credentials) -> Result<ExitCode> {
        let region = self.planned.chain.settings.get("region");
        let profile = self.planned.chain.profile.as_deref();
        let penv = self.service.penv();
        if !self.command.is_empty() && !self.env_credentials {
            drop(self.runtime.take());
            return crate::serve::run_with_endpoint(
                self.service,
                self.planned,
                &self.name,
                creds.clone(),
                &self.command,
            );
        }
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
pub(crate) fn subcommand_profile(profile: Option<&str>, penv: &ProcessEnv) -> Result<String> {
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
    let ctx = Service::load(cli, penv)?;
    if which == List::Roles && crate::sso::is_sso_profile(ctx.profiles(), &name) {
        return crate::sso::list_roles(&ctx, &name);
    }
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
        (Base::Saml(_), List::Roles) => list_saml_roles(&ctx, &chain, &aws),
        _ => list_iam(&ctx, &chain, aws, &name, which),
    }
}

/// `list mfa` and `list roles` of an IAM user's profile, signed with its base keys.
fn list_iam(
    ctx: &Service,
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

fn list_saml_roles(ctx: &Service, chain: &RoleChain, aws: &AwsSettings) -> Result<ExitCode> {
    let prompter = Arc::clone(ctx.prompter());
    let connector = ctx
        .connector(chain, aws)
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
        sso: None,
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
    let ctx = Service::load(cli, penv)?;
    let settings = ctx.settings(Some(&name));
    if ctx.profiles().profile(&name).is_none() && cli.saml_url.is_none() && cli.web_url.is_none() {
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
    let secret = match ctx.password_flag() {
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
            ctx.locations().credentials().display()
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

pub(crate) fn new_runtime() -> Result<tokio::runtime::Runtime> {
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

pub(crate) fn cache_dir(config: &Path) -> PathBuf {
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
