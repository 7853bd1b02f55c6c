//! aws-runas as a Rust library: credentials for a profile (or a role ARN), the aws-runas way —
//! the same config files, role chains, identity-provider logins, cache files, locks and
//! single-flight refreshes as the command line — with no subprocess.
//!
//! [`CredentialProvider`] is built with [`CredentialProvider::builder`]; its
//! [`credentials`](CredentialProvider::credentials) returns our [`Credentials`], and it
//! implements the AWS SDK's `ProvideCredentials`, so it plugs into
//! `aws_config::defaults(..).credentials_provider(..)` or any SDK client's config builder.
//!
//! ```no_run
//! # async fn demo() -> Result<(), aws_runas::Error> {
//! use aws_runas::CredentialProvider;
//!
//! let provider = CredentialProvider::builder("admin")
//!     .region("eu-west-1")
//!     .build()?;
//! let credentials = provider.credentials().await?;
//! println!("{}", credentials.access_key_id());
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

use crate::cli::Cli;
use crate::env::ProcessEnv;
use crate::service::{LOCK_TIMEOUT, Service};
use anyhow::anyhow;
use aws_credential_types::provider::{self, ProvideCredentials, error::CredentialsError};
use aws_runas_domain::chain::ChainError;
use aws_runas_domain::ports::cache::CacheError;
use aws_runas_domain::ports::idp::IdpErrorKind;
use aws_runas_domain::ports::prompter::{PromptError, Prompter, mfa_device};
use aws_runas_domain::ports::sts::StsError;
use aws_runas_domain::resolve::ResolveError;
use aws_runas_domain::settings::SettingsError;
use aws_runas_domain::{Credentials, Secret};
use clap::Parser as _;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// How long one STS call may take; the timeout reported for an STS call that timed out.
const STS_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials for one profile (or role ARN), resolved the aws-runas way.
///
/// Cheap to clone; clones share the files read at [`Builder::build`] and the MFA code given up
/// front. Cached credentials cost a file read; a refresh runs on a thread of its own, under the
/// same lock the command line takes, so a library user and the CLI share one refresh.
#[derive(Clone)]
pub struct CredentialProvider {
    service: Arc<Service>,
    name: String,
}

impl fmt::Debug for CredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialProvider")
            .field("name", &self.name)
            .field("service", &self.service)
            .finish()
    }
}

/// Options of a [`CredentialProvider`]; made by [`CredentialProvider::builder`].
///
/// Every option is optional: without any, the provider behaves as `aws-runas <profile>` would
/// in this process's environment.
pub struct Builder {
    name: String,
    environment: Option<Vec<(String, String)>>,
    variables: Vec<(&'static str, String)>,
    session_duration: Option<Duration>,
    role_duration: Option<Duration>,
    mfa_code: Option<Secret>,
    prompt: Option<String>,
    prompter: Option<Arc<dyn Prompter>>,
    cache_dir: Option<PathBuf>,
    bad_path: Option<PathBuf>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The environment may hold secrets: only its names are shown.
        f.debug_struct("Builder")
            .field("name", &self.name)
            .field(
                "environment",
                &self
                    .environment
                    .as_ref()
                    .map(|e| e.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()),
            )
            .field("variables", &self.variables)
            .field("session_duration", &self.session_duration)
            .field("role_duration", &self.role_duration)
            .field("mfa_code", &self.mfa_code)
            .field("prompt", &self.prompt)
            .field("prompter", &self.prompter.as_ref().map(|_| "custom"))
            .field("cache_dir", &self.cache_dir)
            .finish()
    }
}

impl CredentialProvider {
    /// Starts building a provider for `profile`: a profile name, or a role ARN (assumed with
    /// the environment's keys, else the `[default]` profile's, as the command line does).
    pub fn builder(profile: impl Into<String>) -> Builder {
        Builder {
            name: profile.into(),
            environment: None,
            variables: Vec::new(),
            session_duration: None,
            role_duration: None,
            mfa_code: None,
            prompt: None,
            prompter: None,
            cache_dir: None,
            bad_path: None,
        }
    }

    /// The profile name or role ARN this provider serves.
    pub fn profile(&self) -> &str {
        &self.name
    }

    /// The credentials: from the cache when fresh, else refreshed (one refresh across every
    /// process and thread that asks at the same time, under the cache lock).
    ///
    /// A refresh runs on a thread of its own with its own single-threaded runtime, so this
    /// future works on any executor and never blocks it (questions to the user, lock waits).
    ///
    /// # Errors
    /// [`ErrorKind::NotLoaded`] when the profile does not exist (or uses a source aws-runas does
    /// not serve); [`ErrorKind::InvalidConfiguration`] for a profile that cannot be planned;
    /// [`ErrorKind::Provider`] when STS, the identity provider or the user refused or failed;
    /// [`ErrorKind::TimedOut`] when a wait ran out.
    pub async fn credentials(&self) -> Result<Credentials, Error> {
        let planned = self
            .service
            .plan(&self.name)
            .map_err(|e| Error::classify(e, ErrorKind::InvalidConfiguration))?;
        if let Some(fresh) = self.service.cached(&planned) {
            return Ok(fresh);
        }
        let service = Arc::clone(&self.service);
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("aws-runas-refresh".to_string())
            .spawn(move || {
                let result =
                    crate::wire::new_runtime().and_then(|rt| rt.block_on(service.fetch(&planned)));
                let _ = tx.send(result);
            })
            .map_err(|e| Error::new(ErrorKind::Provider, anyhow!("cannot start a thread: {e}")))?;
        let result = rx.await.map_err(|_| {
            Error::new(
                ErrorKind::Provider,
                anyhow!("the refresh of `{}` ended without an answer", self.name),
            )
        })?;
        result.map_err(|e| Error::classify(e, ErrorKind::Provider))
    }

    /// Forgets the cached credentials of the profile (as `aws-runas -r` does): the next call
    /// refreshes them. The MFA session of a chain is kept.
    ///
    /// # Errors
    /// As [`CredentialProvider::credentials`], for a profile that cannot be planned.
    pub fn forget(&self) -> Result<(), Error> {
        let planned = self
            .service
            .plan(&self.name)
            .map_err(|e| Error::classify(e, ErrorKind::InvalidConfiguration))?;
        self.service.forget(&planned);
        Ok(())
    }
}

impl Builder {
    /// How long role credentials last (`credentials_duration`, the CLI's `-a`): 15 minutes to
    /// 12 hours; over one hour the role is assumed directly, without a session token.
    #[must_use]
    pub fn duration(mut self, duration: Duration) -> Self {
        self.role_duration = Some(duration);
        self
    }

    /// How long the MFA session (GetSessionToken) lasts (`session_token_duration`, the CLI's
    /// `-d`): 15 minutes to 36 hours.
    #[must_use]
    pub fn session_duration(mut self, duration: Duration) -> Self {
        self.session_duration = Some(duration);
        self
    }

    /// An MFA code to answer the first MFA question with (the CLI's `-o`); later questions go
    /// to the prompter.
    #[must_use]
    pub fn mfa_code(mut self, code: Secret) -> Self {
        self.mfa_code = Some(code);
        self
    }

    /// The prompt driver questions go to, as `--prompt` names it: `terminal`, `zenity`,
    /// `kdialog`, `osascript`, `wincred`, `ykman` or `auto`. Ignored when
    /// [`Builder::prompter`] is given.
    #[must_use]
    pub fn prompt_driver(mut self, driver: impl Into<String>) -> Self {
        self.prompt = Some(driver.into());
        self
    }

    /// Sends every question (MFA codes, IdP user names and passwords, role choices) and notice
    /// to `prompter`, for example a [`CallbackPrompter`] asking in the application's window.
    #[must_use]
    pub fn prompter(mut self, prompter: Arc<dyn Prompter>) -> Self {
        self.prompter = Some(prompter);
        self
    }

    /// The AWS region of STS calls and of the credentials (as `AWS_REGION` would set it: above
    /// the profile's `region`).
    #[must_use]
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.variables.push(("AWS_REGION", region.into()));
        self
    }

    /// Where STS and IAM calls go (as `AWS_ENDPOINT_URL` would set it), e.g. a local emulator.
    #[must_use]
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.variables.push(("AWS_ENDPOINT_URL", url.into()));
        self
    }

    /// The shared config file (as `AWS_CONFIG_FILE` would set it).
    #[must_use]
    pub fn config_file(self, path: impl AsRef<Path>) -> Self {
        self.path_variable("AWS_CONFIG_FILE", path.as_ref())
    }

    /// The shared credentials file (as `AWS_SHARED_CREDENTIALS_FILE` would set it).
    #[must_use]
    pub fn credentials_file(self, path: impl AsRef<Path>) -> Self {
        self.path_variable("AWS_SHARED_CREDENTIALS_FILE", path.as_ref())
    }

    /// Keeps the cache files and their locks in `dir` instead of beside the config file. Only
    /// processes using the same directory share refreshes.
    #[must_use]
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Reads these variables instead of the process's environment (which is read otherwise,
    /// through the same allow-list as the command line). For tests and for embedding in a
    /// program whose own environment must not count.
    #[must_use]
    pub fn environment<K, V>(mut self, variables: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.environment = Some(
            variables
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    fn path_variable(mut self, name: &'static str, path: &Path) -> Self {
        match path.to_str() {
            Some(p) => self.variables.push((name, p.to_string())),
            None => self.bad_path = Some(path.to_path_buf()),
        }
        self
    }

    /// Reads the config and credentials files and the environment, once.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfiguration`] for a file that cannot be read or parsed, a path that
    /// is not UTF-8, or a malformed variable.
    pub fn build(self) -> Result<CredentialProvider, Error> {
        let invalid = |e: anyhow::Error| Error::new(ErrorKind::InvalidConfiguration, e);
        if let Some(p) = &self.bad_path {
            return Err(invalid(anyhow!(
                "the path {} is not valid UTF-8",
                p.display()
            )));
        }
        let mut penv = match &self.environment {
            Some(vars) => {
                ProcessEnv::from_pairs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            }
            None => ProcessEnv::capture(),
        };
        for (name, value) in &self.variables {
            penv = penv.with_var(name, value);
        }
        // Explicit values for the flags clap could read from the environment.
        let mut cli = Cli::try_parse_from(["aws-runas", "--output", "env", "--shell", "sh"])
            .map_err(|e| invalid(anyhow!("{e}")))?;
        cli.duration = self.session_duration.map(|d| format!("{}s", d.as_secs()));
        cli.role_duration = self.role_duration.map(|d| format!("{}s", d.as_secs()));
        cli.otp = self.mfa_code;
        cli.prompt = self.prompt;
        let mut service = Service::load(&cli, &penv).map_err(invalid)?;
        if let Some(p) = self.prompter {
            service = service.with_prompter(p);
        }
        if let Some(dir) = self.cache_dir {
            service = service.with_cache_dir(dir);
        }
        Ok(CredentialProvider {
            service: Arc::new(service),
            name: self.name,
        })
    }
}

impl ProvideCredentials for CredentialProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            let ours = self.credentials().await.map_err(CredentialsError::from)?;
            Ok(sdk_credentials(&ours))
        })
    }
}

/// Our credentials as the SDK's, with `aws-runas` as their provider name.
pub fn sdk_credentials(c: &Credentials) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        c.access_key_id(),
        c.secret_access_key().expose(),
        c.session_token().map(|t| t.expose().to_string()),
        c.expiration()
            .and_then(|t| u64::try_from(t.unix()).ok())
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs)),
        "aws-runas",
    )
}

/// What kind of failure an [`Error`] is, in the AWS SDK's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The profile is not ours to serve: it does not exist, or it uses a credential source
    /// aws-runas does not support. An SDK provider chain goes on to its next provider.
    NotLoaded,
    /// The profile (or a file, a variable, an option) is wrong.
    InvalidConfiguration,
    /// STS, the identity provider, a `credential_process`, the cache or the user refused or
    /// failed.
    Provider,
    /// A wait ran out: the cache lock held by another process, an STS call, a push approval.
    TimedOut,
}

/// Why a [`CredentialProvider`] gave no credentials: its kind and aws-runas's one-line message
/// (the same text the command line prints).
pub struct Error {
    kind: ErrorKind,
    source: anyhow::Error,
    timeout: Option<Duration>,
}

impl Error {
    fn new(kind: ErrorKind, source: anyhow::Error) -> Self {
        Error {
            kind,
            source,
            timeout: None,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Classifies an error of the app by the domain errors in its chain; `otherwise` when none
    /// says more.
    fn classify(source: anyhow::Error, otherwise: ErrorKind) -> Self {
        let mut kind = otherwise;
        let mut timeout = None;
        for cause in source.chain() {
            if let Some(c) = cause.downcast_ref::<ChainError>() {
                kind = match c {
                    ChainError::ProfileNotFound(_)
                    | ChainError::NoProfiles
                    | ChainError::Unsupported { .. } => ErrorKind::NotLoaded,
                    _ => ErrorKind::InvalidConfiguration,
                };
                break;
            }
            if cause.downcast_ref::<SettingsError>().is_some() {
                kind = ErrorKind::InvalidConfiguration;
                break;
            }
            // `ResolveError::Cache` is transparent: its cache error is not a link of the chain.
            let lock = match cause.downcast_ref::<ResolveError>() {
                Some(ResolveError::Cache(c)) => Some(c),
                _ => cause.downcast_ref::<CacheError>(),
            };
            if let Some(CacheError::LockTimeout { waited_secs, .. }) = lock {
                kind = ErrorKind::TimedOut;
                timeout = Some(Duration::from_secs(*waited_secs));
                break;
            }
            if let Some(StsError::Network { message, .. }) = cause.downcast_ref() {
                let m = message.to_ascii_lowercase();
                if m.contains("timeout") || m.contains("timed out") {
                    kind = ErrorKind::TimedOut;
                    timeout = Some(STS_TIMEOUT);
                    break;
                }
            }
            if let Some(r) = cause.downcast_ref::<ResolveError>() {
                match r {
                    ResolveError::Unsupported { .. } => {
                        kind = ErrorKind::NotLoaded;
                        break;
                    }
                    ResolveError::NoIdp(_) => {
                        kind = ErrorKind::InvalidConfiguration;
                        break;
                    }
                    ResolveError::Idp(i) if i.kind() == IdpErrorKind::Configuration => {
                        kind = ErrorKind::InvalidConfiguration;
                        break;
                    }
                    ResolveError::Idp(i) if i.kind() == IdpErrorKind::MfaTimeout => {
                        kind = ErrorKind::TimedOut;
                        break;
                    }
                    _ => {}
                }
            }
        }
        Error {
            kind,
            source,
            timeout,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::one_line(&crate::error_text(&self.source)))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.to_string())
            .finish()
    }
}

impl std::error::Error for Error {}

impl From<Error> for CredentialsError {
    /// The SDK's error of the same kind, with ours as its source. The SDK's timeout error has
    /// no source: it gets the bound that ran out, and our message is logged (at warn).
    fn from(e: Error) -> Self {
        match e.kind {
            ErrorKind::NotLoaded => CredentialsError::not_loaded(e),
            ErrorKind::InvalidConfiguration => CredentialsError::invalid_configuration(e),
            ErrorKind::Provider => CredentialsError::provider_error(e),
            ErrorKind::TimedOut => {
                log::warn!("{e}");
                CredentialsError::provider_timed_out(e.timeout.unwrap_or(LOCK_TIMEOUT))
            }
        }
    }
}

/// A question for a [`CallbackPrompter`]'s function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Question<'a> {
    /// A question whose answer may be shown: a user name, a role choice, an identity
    /// provider's one-time code.
    Text {
        /// The question as the terminal would show it (`Username: `).
        label: &'a str,
    },
    /// A question whose answer must not be shown: a password.
    Secret {
        /// The question as the terminal would show it (`Password: `).
        label: &'a str,
    },
    /// The one-time code of an AWS MFA device.
    MfaCode {
        /// The device's serial number or ARN.
        serial: &'a str,
        /// The question as the terminal would show it.
        label: &'a str,
    },
}

type Ask = dyn Fn(Question<'_>) -> Option<Secret> + Send + Sync;
type Tell = dyn Fn(&str) + Send + Sync;

/// A [`Prompter`] that hands every question to a function of the application (a GUI asking in
/// its own window, a service reading codes from elsewhere).
///
/// The function answers `Some(text)`, or `None` when the user cancelled. Notices (a push to
/// approve, a device code to enter) go to the notice function, by default the log (at info).
///
/// ```
/// use std::sync::Arc;
/// use aws_runas::{CallbackPrompter, Prompter, Question, Secret};
///
/// let prompter = CallbackPrompter::new(|q| match q {
///     Question::MfaCode { serial, .. } if serial.ends_with("/ana") => Some(Secret::new("123456")),
///     _ => None,
/// });
/// let code = prompter.read_line("MFA code for arn:aws:iam::123456789012:mfa/ana: ").unwrap();
/// assert_eq!(code, "123456");
/// assert!(prompter.read_secret("Password: ").is_err());
/// let _: Arc<dyn Prompter> = Arc::new(prompter);
/// ```
pub struct CallbackPrompter {
    ask: Box<Ask>,
    tell: Box<Tell>,
}

impl fmt::Debug for CallbackPrompter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackPrompter").finish_non_exhaustive()
    }
}

impl CallbackPrompter {
    /// A prompter asking `ask`; notices are logged.
    pub fn new(ask: impl Fn(Question<'_>) -> Option<Secret> + Send + Sync + 'static) -> Self {
        CallbackPrompter {
            ask: Box::new(ask),
            tell: Box::new(|m| log::info!("{m}")),
        }
    }

    /// Shows notices with `tell` instead of logging them.
    #[must_use]
    pub fn with_notices(mut self, tell: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.tell = Box::new(tell);
        self
    }
}

impl Prompter for CallbackPrompter {
    fn read_line(&self, label: &str) -> Result<String, PromptError> {
        let question = match mfa_device(label) {
            Some(serial) => Question::MfaCode { serial, label },
            None => Question::Text { label },
        };
        (self.ask)(question)
            .map(|s| s.expose().trim().to_string())
            .ok_or(PromptError::Cancelled)
    }

    fn read_secret(&self, label: &str) -> Result<Secret, PromptError> {
        (self.ask)(Question::Secret { label }).ok_or(PromptError::Cancelled)
    }

    fn notice(&self, message: &str) {
        (self.tell)(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_profile_is_not_loaded_and_named() {
        let e = Error::classify(
            anyhow::Error::new(ChainError::ProfileNotFound("ghost".into())),
            ErrorKind::InvalidConfiguration,
        );
        assert_eq!(e.kind(), ErrorKind::NotLoaded);
        assert!(e.to_string().contains("`ghost`"), "{e}");
        let sdk = CredentialsError::from(e);
        assert!(
            matches!(sdk, CredentialsError::CredentialsNotLoaded(_)),
            "{sdk:?}"
        );
        let source = std::error::Error::source(&sdk).unwrap().to_string();
        assert!(source.contains("profile `ghost` not found"), "{source}");
    }

    #[test]
    fn kinds_follow_the_domain_errors_in_the_chain() {
        let e = Error::classify(
            anyhow::Error::new(ResolveError::Cache(CacheError::LockTimeout {
                path: "/h/.aws/.aws_assume_role_x.lock".into(),
                waited_secs: 180,
            }))
            .context("refreshing `x`"),
            ErrorKind::Provider,
        );
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        let sdk = CredentialsError::from(e);
        assert!(
            matches!(sdk, CredentialsError::ProviderTimedOut(ref t) if t.timeout_duration() == Duration::from_secs(180)),
            "{sdk:?}"
        );
        let e = Error::classify(
            anyhow::Error::new(ChainError::NoSource("admin".into())),
            ErrorKind::Provider,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidConfiguration);
        assert!(matches!(
            CredentialsError::from(e),
            CredentialsError::InvalidConfiguration(_)
        ));
        let e = Error::classify(
            anyhow::Error::new(ResolveError::Sts {
                context: "assuming role".into(),
                source: StsError::Rejected {
                    operation: "sts:AssumeRole".into(),
                    code: "AccessDenied".into(),
                    message: "no".into(),
                },
            }),
            ErrorKind::Provider,
        );
        assert_eq!(e.kind(), ErrorKind::Provider);
        assert!(e.to_string().contains("AccessDenied"), "{e}");
        assert!(matches!(
            CredentialsError::from(e),
            CredentialsError::ProviderError(_)
        ));
    }

    #[test]
    fn debug_strings_show_no_secret() {
        let builder = CredentialProvider::builder("admin")
            .environment([
                ("AWS_SECRET_ACCESS_KEY", "fake-env-secret"),
                ("HOME", "/nonexistent-home"),
            ])
            .mfa_code(Secret::new("fake-code-123456"));
        let text = format!("{builder:?}");
        assert!(text.contains("AWS_SECRET_ACCESS_KEY"), "{text}");
        assert!(
            !text.contains("fake-env-secret") && !text.contains("fake-code-123456"),
            "{text}"
        );
        let provider = builder.build().unwrap();
        let text = format!("{provider:?}");
        assert!(text.contains("admin"), "{text}");
        assert!(
            !text.contains("fake-env-secret") && !text.contains("fake-code-123456"),
            "{text}"
        );
    }

    #[test]
    fn the_callback_prompter_tells_mfa_codes_from_other_questions() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let p = CallbackPrompter::new(move |q| {
            log.lock().unwrap().push(format!("{q:?}"));
            Some(Secret::new(" 42 "))
        })
        .with_notices({
            let log = Arc::clone(&seen);
            move |m| log.lock().unwrap().push(format!("notice {m}"))
        });
        assert_eq!(
            p.read_line(&aws_runas_domain::ports::prompter::mfa_question("SN1"))
                .unwrap(),
            "42"
        );
        assert_eq!(p.read_line("Username: ").unwrap(), "42");
        assert_eq!(p.read_secret("Password: ").unwrap().expose(), " 42 ");
        p.notice("approve");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "MfaCode { serial: \"SN1\", label: \"MFA code for SN1: \" }",
                "Text { label: \"Username: \" }",
                "Secret { label: \"Password: \" }",
                "notice approve"
            ]
        );
    }
}
