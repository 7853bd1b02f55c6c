//! The composition root: builds the concrete adapters from the command line and the environment,
//! and hands them to the domain.

use crate::cli::{Cli, Command, OutputFormat};
use crate::output;
use anyhow::{Context, Result, bail};
use aws_runas_cache_file::FileCache;
use aws_runas_config_file::{ConfigFileStore, FileLocations, ParseMode, Platform};
use aws_runas_domain::chain::{PlanInput, RoleChain, Target, plan};
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::profile_store::ProfileStore;
use aws_runas_domain::resolve::{self, Ports, ResolveOptions};
use aws_runas_domain::settings::{Env, FlagValues};
use aws_runas_domain::{Credentials, RoleArn, Secret, Timestamp};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

/// How long to wait for another aws-runas that is refreshing the same credentials.
const LOCK_TIMEOUT: Duration = Duration::from_secs(180);
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

/// The process environment, read once.
#[derive(Debug, Clone)]
pub struct ProcessEnv(BTreeMap<String, String>);

impl ProcessEnv {
    /// Reads the environment (variables that are not UTF-8 are skipped).
    pub fn capture() -> Self {
        ProcessEnv(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// A non-empty variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Runs the command line; returns the exit code.
///
/// # Errors
/// Any failure, to be printed as one line.
pub fn run(cli: Cli, penv: &ProcessEnv) -> Result<ExitCode> {
    if let Some(Command::Providers) = cli.subcommand {
        let registry = aws_runas_domain::ports::idp::registry()?;
        print_stdout(&crate::providers::providers_table(registry))?;
        return Ok(ExitCode::SUCCESS);
    }
    let target_name = cli
        .profile
        .clone()
        .or_else(|| penv.get("AWS_PROFILE").map(str::to_string))
        .or_else(|| penv.get("AWS_DEFAULT_PROFILE").map(str::to_string));
    let Some(target_name) = target_name else {
        bail!(NothingToDo);
    };
    let target = if RoleArn::looks_like_arn(&target_name) {
        Target::Arn(
            RoleArn::parse(&target_name)
                .with_context(|| format!("{target_name:?} given in place of a profile"))?,
        )
    } else {
        Target::Profile(target_name.clone())
    };

    let locations =
        FileLocations::from_env(|k| penv.get(k).map(str::to_string), Platform::current())?;
    let store = ConfigFileStore::new(locations.clone(), ParseMode::AwsRunas);
    let profiles = store.load()?;
    let env = Env::from_pairs(penv.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut flags = FlagValues::new();
    flags.set("session_token_duration", cli.duration.clone());
    flags.set("credentials_duration", cli.role_duration.clone());
    flags.set("mfa_serial", cli.mfa_serial.clone());
    flags.set("external_id", cli.external_id.clone());
    let env_credentials = match (
        penv.get("AWS_ACCESS_KEY_ID"),
        penv.get("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(id), Some(secret)) => Some(Credentials::new(
            id,
            Secret::new(secret),
            penv.get("AWS_SESSION_TOKEN").map(Secret::new),
            None,
        )),
        _ => None,
    };
    let resolving = penv
        .get(aws_runas_process::RESOLVING_ENV)
        .map(aws_runas_process::decode_resolving)
        .unwrap_or_default();

    // The settings STS depends on are part of every cache fingerprint.
    let pre = aws_runas_domain::settings::resolve_settings(
        &profiles,
        target_profile(&target),
        &env,
        &flags,
    );
    let aws = aws_settings(
        penv,
        pre.get("region"),
        pre.get("endpoint_url"),
        pre.get("ca_bundle"),
    );
    let endpoint = format!(
        "{}|{}",
        aws.region.as_deref().unwrap_or(""),
        aws.sts_endpoint.as_deref().unwrap_or("")
    );
    let input = PlanInput {
        profiles: &profiles,
        env: &env,
        flags: &flags,
        env_credentials: env_credentials.as_ref(),
        resolving: &resolving,
        endpoint: &endpoint,
    };
    let chain = plan(&input, &target)?;
    let cache = FileCache::new(cache_dir(locations.config()));
    if cli.refresh
        && let Err(e) = resolve::forget(&chain, &cache)
    {
        log::warn!("failed to clear cache: {e}");
    }

    let clock = SystemClock;
    let creds = match resolve::cached(
        &chain,
        &cache,
        &clock,
        aws_runas_domain::credentials::DEFAULT_REFRESH_WINDOW_SECS,
    ) {
        Some(c) => c,
        None => fetch(&chain, &cache, &clock, aws, &cli, &resolving, penv)?,
    };
    emit(&cli, &chain, &creds, &clock)
}

fn target_profile(target: &Target) -> Option<&str> {
    match target {
        Target::Profile(p) => Some(p),
        Target::Arn(_) => None,
    }
}

fn fetch(
    chain: &RoleChain,
    cache: &FileCache,
    clock: &SystemClock,
    aws: aws_runas_sts_sdk::AwsSettings,
    cli: &Cli,
    resolving: &[String],
    penv: &ProcessEnv,
) -> Result<Credentials> {
    log::debug!("cache miss: building the STS client and the async runtime");
    let sts = aws_runas_sts_sdk::SdkSts::new(aws);
    let prompter = aws_runas_prompt_term::TermPrompter::new(
        aws_runas_prompt_term::TermSettings::controlling_terminal(),
    );
    let mut in_flight = resolving.to_vec();
    in_flight.extend(chain.profile.clone());
    let process =
        aws_runas_process::ProcessRunner::new(aws_runas_process::ProcessSettings::new(in_flight));
    let opts = ResolveOptions {
        refresh_window_secs: aws_runas_domain::credentials::DEFAULT_REFRESH_WINDOW_SECS,
        lock_timeout: LOCK_TIMEOUT,
        mfa_code: Mutex::new(cli.otp.clone().filter(|c| !c.is_empty()).map(Secret::new)),
        login_name: penv
            .get("USER")
            .or_else(|| penv.get("USERNAME"))
            .map(str::to_string),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let ports = Ports {
        sts: &sts,
        cache,
        prompter: &prompter,
        clock,
        process: &process,
    };
    Ok(runtime.block_on(resolve::resolve(chain, ports, &opts))?)
}

fn emit(
    cli: &Cli,
    chain: &RoleChain,
    creds: &Credentials,
    clock: &SystemClock,
) -> Result<ExitCode> {
    let region = chain.settings.get("region");
    if cli.output == OutputFormat::Json {
        print_stdout(&format!("{}\n", output::credential_process_json(creds)))?;
        return Ok(ExitCode::SUCCESS);
    }
    if cli.expiration {
        eprintln!(
            "{}",
            output::expiration_line(creds.expiration(), clock.now())
        );
    }
    if !cli.command.is_empty() {
        return exec(&cli.command, creds, region, chain.profile.as_deref());
    }
    print_stdout(&output::posix_exports(
        creds,
        region,
        chain.profile.as_deref(),
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn exec(
    command: &[String],
    creds: &Credentials,
    region: Option<&str>,
    profile: Option<&str>,
) -> Result<ExitCode> {
    let args: Vec<&String> = command.iter().skip_while(|a| *a == "--").collect();
    let Some((program, rest)) = args.split_first() else {
        bail!("no command given after the profile")
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE");
    if creds.session_token().is_none() {
        cmd.env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_SECURITY_TOKEN");
    }
    for (k, v) in output::env_pairs(creds, region) {
        cmd.env(k, v);
    }
    if let Some(p) = profile {
        cmd.env("AWSRUNAS_PROFILE", p);
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                ExitCode::from(
                    128u8.saturating_add(u8::try_from(status.signal().unwrap_or(0)).unwrap_or(0)),
                )
            }
            #[cfg(not(unix))]
            ExitCode::FAILURE
        }
    })
}

fn print_stdout(text: &str) -> Result<()> {
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

fn aws_settings(
    penv: &ProcessEnv,
    region: Option<&str>,
    endpoint_url: Option<&str>,
    ca_bundle: Option<&str>,
) -> aws_runas_sts_sdk::AwsSettings {
    let first = |names: &[&str]| names.iter().find_map(|n| penv.get(n)).map(str::to_string);
    aws_runas_sts_sdk::AwsSettings {
        region: region.map(str::to_string),
        sts_endpoint: first(&["AWS_ENDPOINT_URL_STS"]).or_else(|| endpoint_url.map(str::to_string)),
        iam_endpoint: first(&["AWS_ENDPOINT_URL_IAM"]).or_else(|| endpoint_url.map(str::to_string)),
        https_proxy: first(&["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]),
        no_proxy: first(&["NO_PROXY", "no_proxy"]),
        ca_bundle: ca_bundle.map(PathBuf::from),
        operation_timeout: OPERATION_TIMEOUT,
        connect_timeout: Duration::from_secs(10),
        max_attempts: 3,
    }
}

/// No profile was named and none is set in the environment.
#[derive(Debug, thiserror::Error)]
#[error("nothing to do: name a profile (or set AWS_PROFILE); see aws-runas --help")]
pub struct NothingToDo;
