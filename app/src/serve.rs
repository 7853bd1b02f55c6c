//! Credential servers: `serve ecs`, `serve ec2`, and the endpoint a wrapped command gets its
//! credentials from.
//!
//! The HTTP side is the `serve-http` adapter; this module implements the `CredentialSource` port
//! it serves with [`Service`], keeping the last credentials of each profile in memory so that a
//! cached answer touches neither the disk nor a lock, and refreshing a profile once (under the
//! cache's single-flight lock) when it comes within the refresh-ahead window.

use crate::cli::{Cli, ServeWhat};
use crate::env::ProcessEnv;
use crate::exec::CommandFailed;
use crate::service::{Planned, Service};
use crate::wire::{SystemClock, new_runtime, print_stdout};
use anyhow::{Context as _, Result, anyhow, bail};
use async_trait::async_trait;
use aws_runas_domain::credentials::DEFAULT_REFRESH_WINDOW_SECS;
use aws_runas_domain::ports::clock::Clock;
use aws_runas_domain::ports::credential_source::{CredentialSource, CredentialSourceError};
use aws_runas_domain::ports::prompter::{PromptError, Prompter};
use aws_runas_domain::resolve::ResolveError;
use aws_runas_domain::{Credentials, RoleArn, Secret};
use aws_runas_serve_http::{Mode, ServeSettings, Server, random_token};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};

/// The ECS endpoint's port when neither `-p` nor `AWS_CONTAINER_CREDENTIALS_FULL_URI` says one.
pub const DEFAULT_ECS_PORT: u16 = 12319;
/// The IMDS endpoint's port when neither `-p` nor `AWS_EC2_METADATA_SERVICE_ENDPOINT` says one.
pub const DEFAULT_EC2_PORT: u16 = 12320;
/// The ECS credentials path.
const ECS_PATH: &str = "/credentials";

/// The credentials of the profiles a server is asked for, kept in memory between refreshes.
pub struct AppSource {
    service: Arc<Service>,
    active: RwLock<Option<String>>,
    mfa: Option<Arc<PagePrompter>>,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

/// One profile: its plan, its last credentials, and the gate its refreshes queue at.
struct Entry {
    planned: Planned,
    creds: RwLock<Option<Credentials>>,
    refresh: tokio::sync::Mutex<()>,
}

impl Entry {
    fn fresh(&self) -> Option<Credentials> {
        let now = SystemClock.now();
        self.creds
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|c| c.is_fresh(now, DEFAULT_REFRESH_WINDOW_SECS))
            .cloned()
    }
}

impl std::fmt::Debug for AppSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSource")
            .field("active", &self.active_profile())
            .finish_non_exhaustive()
    }
}

impl AppSource {
    /// A source over `service`, serving `active` when a request names no profile.
    pub fn new(service: Arc<Service>, active: Option<String>) -> Self {
        AppSource {
            service,
            active: RwLock::new(active),
            mfa: None,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Takes MFA codes from the web page through `prompter` (which `service` must ask).
    #[must_use]
    pub fn with_page_prompter(mut self, prompter: Arc<PagePrompter>) -> Self {
        self.mfa = Some(prompter);
        self
    }

    /// Remembers credentials already in hand for `name`.
    pub fn seed(&self, name: &str, planned: Planned, creds: Credentials) {
        let entry = Arc::new(Entry {
            planned,
            creds: RwLock::new(Some(creds)),
            refresh: tokio::sync::Mutex::new(()),
        });
        self.lock().insert(name.to_string(), entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Entry>>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn entry(&self, name: &str) -> Result<Arc<Entry>, CredentialSourceError> {
        if let Some(e) = self.lock().get(name) {
            return Ok(Arc::clone(e));
        }
        if !RoleArn::looks_like_arn(name) && self.service.profiles().profile(name).is_none() {
            return Err(CredentialSourceError::NotFound(Some(name.to_string())));
        }
        let planned = self
            .service
            .plan(name)
            .map_err(|e| classify(name, None, None, &e))?;
        let entry = Arc::new(Entry {
            planned,
            creds: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
        });
        Ok(Arc::clone(
            self.lock().entry(name.to_string()).or_insert(entry),
        ))
    }
}

#[async_trait]
impl CredentialSource for AppSource {
    fn active_profile(&self) -> Option<String> {
        self.active
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn profiles(&self) -> Vec<String> {
        self.service
            .profiles()
            .profile_names()
            .map(str::to_string)
            .collect()
    }

    fn role_arn(&self, profile: &str) -> Option<String> {
        let entry = self.lock().get(profile).cloned()?;
        entry
            .planned
            .chain
            .hops
            .last()
            .map(|h| h.role_arn.to_string())
            // A SAML or web-identity profile assumes its role in the login itself.
            .or_else(|| {
                entry
                    .planned
                    .chain
                    .settings
                    .get("role_arn")
                    .map(str::to_string)
            })
    }

    fn set_active(&self, profile: &str) -> Result<(), CredentialSourceError> {
        if RoleArn::looks_like_arn(profile) || self.service.profiles().profile(profile).is_none() {
            return Err(CredentialSourceError::NotFound(Some(profile.to_string())));
        }
        self.entry(profile)?;
        log::info!("now serving profile `{profile}`");
        *self
            .active
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(profile.to_string());
        Ok(())
    }

    fn forget(&self, profile: Option<&str>) {
        let Some(name) = profile
            .map(str::to_string)
            .or_else(|| self.active_profile())
        else {
            return;
        };
        let Some(entry) = self.lock().get(&name).cloned() else {
            return;
        };
        *entry
            .creds
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.service.forget(&entry.planned);
    }

    fn give_mfa_code(&self, code: Secret) -> bool {
        match &self.mfa {
            Some(p) => {
                p.give(code);
                true
            }
            None => false,
        }
    }

    fn give_login(&self, username: Option<String>, password: Secret) -> bool {
        match &self.mfa {
            Some(p) => {
                p.give_login(username, password);
                true
            }
            None => false,
        }
    }

    async fn credentials(
        &self,
        profile: Option<&str>,
    ) -> Result<Credentials, CredentialSourceError> {
        let active = self.active_profile();
        let name = profile
            .or(active.as_deref())
            .ok_or(CredentialSourceError::NotFound(None))?;
        let entry = self.entry(name)?;
        if let Some(c) = entry.fresh() {
            return Ok(c);
        }
        let _gate = entry.refresh.lock().await;
        if let Some(c) = entry.fresh() {
            return Ok(c);
        }
        log::debug!("refreshing the credentials of `{name}` for the endpoint");
        let service = Arc::clone(&self.service);
        let planned = entry.planned.clone();
        if let Some(p) = &self.mfa {
            p.begin();
        }
        // The refresh runs on a thread of its own with its own runtime: it may block on the
        // cache lock or a terminal prompt, and its futures need not be `Send`.
        let fetched = tokio::task::spawn_blocking(move || {
            new_runtime()?.block_on(service.credentials(&planned))
        })
        .await
        .map_err(|e| anyhow!("the refresh stopped: {e}"))
        .and_then(|r| r);
        let refused = self.mfa.as_ref().and_then(|p| p.end());
        match fetched {
            Ok(c) => {
                *entry
                    .creds
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                let e = classify(name, Some(&entry.planned), refused, &e);
                log::warn!("{e}");
                Err(e)
            }
        }
    }
}

/// The prompter of `serve`: a question is answered with what was last typed in the web page
/// (once) — an MFA code for an MFA question, the user name and password of an identity-provider
/// login for `Username: ` and `Password: ` — else refused as if there were no terminal, and the
/// refusal remembered, so the request that needed it gets a 401 with
/// `X-AwsRunas-Authentication-Type: MFA` or `AUTH` and the page asks.
#[derive(Default)]
pub struct PagePrompter {
    answers: Mutex<PageAnswers>,
}

/// What the page gave and what was refused since the last [`PagePrompter::begin`].
#[derive(Default)]
struct PageAnswers {
    code: Option<Secret>,
    username: Option<String>,
    password: Option<Secret>,
    refused: Option<Question>,
}

/// The kinds of question the page answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    Mfa,
    Username,
    Password,
}

impl Question {
    fn of(label: &str) -> Option<Question> {
        let l = label.trim().to_ascii_lowercase();
        if aws_runas_domain::ports::prompter::mfa_device(label).is_some()
            || l.starts_with("mfa code")
        {
            Some(Question::Mfa)
        } else if l.starts_with("username") || l.starts_with("user name") {
            Some(Question::Username)
        } else if l.starts_with("password") {
            Some(Question::Password)
        } else {
            None
        }
    }
}

impl std::fmt::Debug for PagePrompter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PagePrompter")
    }
}

impl PagePrompter {
    fn lock(&self) -> std::sync::MutexGuard<'_, PageAnswers> {
        self.answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps `code` for the next MFA question.
    pub fn give(&self, code: Secret) {
        self.lock().code = Some(code);
    }

    /// Keeps a login for the next `Username: ` (when `username` is given) and `Password: `
    /// questions.
    pub fn give_login(&self, username: Option<String>, password: Secret) {
        let mut a = self.lock();
        a.username = username;
        a.password = Some(password);
    }

    /// A refresh starts: nothing refused yet.
    fn begin(&self) {
        self.lock().refused = None;
    }

    /// A refresh ended: the login typed for it is not kept for another, and what it was refused.
    fn end(&self) -> Option<Question> {
        let mut a = self.lock();
        a.username = None;
        a.password = None;
        a.refused.take()
    }

    fn take(&self, label: &str) -> Result<Secret, PromptError> {
        let Some(question) = Question::of(label) else {
            return Err(PromptError::NoTerminal);
        };
        let mut a = self.lock();
        let answer = match question {
            Question::Mfa => a.code.take(),
            Question::Username => a.username.take().map(Secret::new),
            Question::Password => a.password.take(),
        };
        if answer.is_none() {
            a.refused = Some(question);
        }
        answer.ok_or(PromptError::NoTerminal)
    }
}

impl Prompter for PagePrompter {
    fn read_line(&self, label: &str) -> Result<String, PromptError> {
        self.take(label).map(|s| s.expose().to_string())
    }

    fn read_secret(&self, label: &str) -> Result<Secret, PromptError> {
        self.take(label)
    }

    fn notice(&self, message: &str) {
        log::info!("{message}");
    }
}

/// The port's error for an app failure: an MFA code or a login nobody could give (`refused`:
/// the question the page prompter could not answer during the refresh), else a failure.
fn classify(
    profile: &str,
    planned: Option<&Planned>,
    refused: Option<Question>,
    e: &anyhow::Error,
) -> CredentialSourceError {
    let message = crate::one_line(&crate::error_text(e));
    let needs_mfa = e.chain().any(|c| {
        matches!(
            c.downcast_ref::<ResolveError>(),
            Some(ResolveError::MfaUnavailable { .. })
        )
    });
    match refused {
        _ if needs_mfa => CredentialSourceError::NeedsMfa {
            profile: profile.to_string(),
            message,
        },
        Some(Question::Mfa) => CredentialSourceError::NeedsMfa {
            profile: profile.to_string(),
            message,
        },
        Some(Question::Username | Question::Password) => CredentialSourceError::NeedsLogin {
            profile: profile.to_string(),
            username: ["saml_username", "web_identity_username"]
                .iter()
                .find_map(|k| planned?.chain.settings.get(k))
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            message,
        },
        None => CredentialSourceError::Failed {
            profile: profile.to_string(),
            message,
        },
    }
}

/// Where a server listens, from `-p`, else the variable an SDK would read, else the default.
fn listen_addr(
    port: Option<u16>,
    var: Option<&str>,
    var_name: &str,
    default_port: u16,
) -> Result<(SocketAddr, Option<String>)> {
    let loopback = |p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p);
    if let Some(p) = port {
        return Ok((loopback(p), None));
    }
    let Some(uri) = var.filter(|v| !v.trim().is_empty()) else {
        return Ok((loopback(default_port), None));
    };
    let url = url::Url::parse(uri.trim()).with_context(|| format!("{var_name}={uri:?}"))?;
    if url.scheme() != "http" {
        bail!("{var_name}={uri:?}: only http:// is served");
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        _ => bail!("{var_name}={uri:?}: the host must be an IP address or localhost"),
    };
    let path = match url.path() {
        "" | "/" => None,
        p => Some(p.trim_end_matches('/').to_string()),
    };
    Ok((
        SocketAddr::new(ip, url.port().unwrap_or(default_port)),
        path,
    ))
}

/// `serve ecs` and `serve ec2`: serves until SIGINT or SIGTERM.
///
/// # Errors
/// An unknown profile, a bad address variable, an address that cannot be listened on.
pub fn serve(cli: &Cli, penv: &ProcessEnv, what: &ServeWhat) -> Result<ExitCode> {
    let page_prompter = Arc::new(PagePrompter::default());
    let service = Service::load(cli, penv)?.with_prompter(page_prompter.clone());
    let (port, profile) = match what {
        ServeWhat::Ecs { port, profile } | ServeWhat::Ec2 { port, profile, .. } => {
            (*port, profile.as_deref().or_else(|| penv.named_profile()))
        }
    };
    if let Some(p) = profile {
        if !RoleArn::looks_like_arn(p) && service.profiles().profile(p).is_none() {
            bail!("profile `{p}` not found in the config or credentials file");
        }
        service.plan(p)?;
    }
    let shell = cli
        .shell
        .unwrap_or_else(|| crate::output::default_shell(penv.get("SHELL"), cfg!(windows)));
    let settings = |mode, page: &Secret| ServeSettings {
        mode,
        clock: Arc::new(SystemClock),
        log_requests: true,
        header_timeout: aws_runas_serve_http::HEADER_TIMEOUT,
        page_token: Some(page.clone()),
    };
    let page_token: Secret;
    let (server, exports) = match what {
        ServeWhat::Ecs { .. } => {
            let (addr, path) = listen_addr(
                port,
                penv.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                DEFAULT_ECS_PORT,
            )?;
            let path = path.unwrap_or_else(|| ECS_PATH.to_string());
            let given = penv.secret("AWS_CONTAINER_AUTHORIZATION_TOKEN").cloned();
            let token = given.clone().unwrap_or_else(random_token);
            page_token = token.clone();
            let server = Server::bind(
                addr,
                settings(
                    Mode::Ecs {
                        path: path.clone(),
                        token: token.clone(),
                    },
                    &token,
                ),
            )?;
            let uri = format!("http://{}{path}", server.local_addr());
            log::info!("ECS credential endpoint set to {uri}");
            let mut exports = vec![("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)];
            if given.is_none() {
                exports.push((
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                    token.expose().to_string(),
                ));
            }
            (server, exports)
        }
        ServeWhat::Ec2 { imdsv1, .. } => {
            page_token = random_token();
            let (addr, _) = listen_addr(
                port,
                penv.get("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                DEFAULT_EC2_PORT,
            )?;
            let server = Server::bind(addr, settings(Mode::Ec2 { imdsv1: *imdsv1 }, &page_token))?;
            let uri = format!("http://{}/", server.local_addr());
            log::info!("EC2 metadata endpoint set to {uri}");
            (server, vec![("AWS_EC2_METADATA_SERVICE_ENDPOINT", uri)])
        }
    };
    // The page's address carries its token: it goes to stdout with the other secrets printed
    // there, never to the log.
    let mut exports = exports;
    exports.push((
        "AWS_RUNAS_PAGE_URL",
        format!(
            "http://{}/?token={}",
            server.local_addr(),
            page_token.expose()
        ),
    ));
    print_stdout(&crate::output::shell_lines(shell, &exports, &[]).map_err(|e| anyhow!(e))?)?;
    log::info!(
        "web page: open the address in AWS_RUNAS_PAGE_URL (http://{}/?token=…)",
        server.local_addr()
    );
    match profile {
        Some(p) => log::info!("serving profile `{p}`; press Ctrl-C to stop"),
        None => log::info!("no profile given: requests must name one; press Ctrl-C to stop"),
    }
    let source = Arc::new(
        AppSource::new(Arc::new(service), profile.map(str::to_string))
            .with_page_prompter(page_prompter),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        if profile.is_some() {
            // Fetch the active profile's credentials now, so an MFA code is asked at startup.
            let warm: Arc<dyn CredentialSource> = source.clone();
            tokio::spawn(async move {
                let _ = warm.credentials(None).await;
            });
        }
        let stop = stop_signal()?;
        server.run(source, stop).await?;
        log::info!("stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    Ok(ExitCode::SUCCESS)
}

/// Completes on SIGINT or SIGTERM (Ctrl-C elsewhere).
fn stop_signal() -> Result<impl std::future::Future<Output = ()> + Send> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Runs `command` with its credentials served by a private ECS endpoint on `127.0.0.1:0`, with
/// a fresh token: the command's SDKs refresh on their own for as long as it runs. Returns its
/// exit status (128 + n when a signal killed it).
///
/// # Errors
/// The endpoint cannot listen; the command cannot be started (exit 127 or 126).
pub fn run_with_endpoint(
    service: Service,
    planned: Planned,
    name: &str,
    creds: Credentials,
    command: &[String],
) -> Result<ExitCode> {
    let region = planned.chain.settings.get("region").map(str::to_string);
    let profile = planned.chain.profile.clone();
    let token = random_token();
    let server = Server::bind(
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        ServeSettings {
            mode: Mode::Ecs {
                path: ECS_PATH.to_string(),
                token: token.clone(),
            },
            clock: Arc::new(SystemClock),
            log_requests: false,
            header_timeout: aws_runas_serve_http::HEADER_TIMEOUT,
            page_token: None,
        },
    )?;
    let uri = format!("http://{}{ECS_PATH}", server.local_addr());
    log::debug!("ECS credential endpoint set to {uri}");
    let mut pairs: Vec<(&'static str, String)> = vec![];
    if let Some(r) = region.filter(|r| !r.is_empty()) {
        pairs.push(("AWS_REGION", r.clone()));
        pairs.push(("AWS_DEFAULT_REGION", r));
    }
    pairs.push(("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri));
    pairs.push(("AWS_CONTAINER_AUTHORIZATION_TOKEN", secret_text(&token)));
    let penv = service.penv().clone();
    let mut cmd = crate::exec::build(command, &pairs, profile.as_deref(), &penv)?;
    // The endpoint must be what the command's SDKs find first: no keys in the environment, no
    // web identity or relative container URI ahead of it, no keys in a credentials file.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ] {
        cmd.env_remove(var);
    }
    let null = if cfg!(windows) { "NUL" } else { "/dev/null" };
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", null)
        .env("AWS_CREDENTIAL_PROFILES_FILE", null);

    let source = Arc::new(AppSource::new(Arc::new(service), Some(name.to_string())));
    source.seed(name, planned, creds);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let rt = new_runtime()?;
    let endpoint = std::thread::Builder::new()
        .name("credential-endpoint".into())
        .spawn(move || {
            let stop = async {
                let _ = stop_rx.await;
            };
            if let Err(e) = rt.block_on(server.run(source, stop)) {
                log::warn!("{e}");
            }
        })
        .context("cannot start the credential endpoint")?;
    log::debug!("ECS endpoint ready");

    let status = supervise(&mut cmd, &command[0]);
    let _ = stop_tx.send(());
    let _ = endpoint.join();
    status
}

fn secret_text(s: &Secret) -> String {
    s.expose().to_string()
}

/// Starts the command and waits for it, forwarding the signals other processes send us.
#[cfg(unix)]
fn supervise(cmd: &mut std::process::Command, program: &str) -> Result<ExitCode> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    use std::os::unix::process::ExitStatusExt;
    // Registered before the child starts, so that no signal meant for it kills us first.
    let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGWINCH])
        .context("cannot watch signals")?;
    let handle = signals.handle();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            handle.close();
            return Err(start_failure(program, &e).into());
        }
    };
    let pid = child.id();
    let forwarder = std::thread::spawn(move || {
        for origin in signals.forever() {
            // The terminal sends Ctrl-C and window changes to the whole foreground group: the
            // command has them already. Signals a process sent to us alone are passed on.
            if matches!(origin.cause, signal_hook::low_level::siginfo::Cause::Kernel) {
                continue;
            }
            forward(pid, origin.signal);
        }
    });
    let status = child.wait().context("waiting for the command")?;
    handle.close();
    let _ = forwarder.join();
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (None, Some(sig)) => {
            log::debug!("the command was killed by signal {sig}");
            ExitCode::from(u8::try_from(128 + sig).unwrap_or(255))
        }
        _ => ExitCode::FAILURE,
    })
}

#[cfg(unix)]
fn forward(pid: u32, signal: i32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    let Some(sig) = rustix::process::Signal::from_named_raw(signal) else {
        return;
    };
    if let Err(e) = rustix::process::kill_process(pid, sig) {
        log::debug!("cannot pass signal {signal} on to the command: {e}");
    }
}

#[cfg(not(unix))]
fn supervise(cmd: &mut std::process::Command, program: &str) -> Result<ExitCode> {
    // The console delivers Ctrl-C to the command too; aws-runas ignores it.
    let _ = ctrlc::set_handler(|| {});
    let status = cmd.status().map_err(|e| start_failure(program, &e))?;
    Ok(ExitCode::from(
        status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1)),
    ))
}

/// A command that could not be started: 127 when it does not exist, 126 otherwise.
fn start_failure(program: &str, e: &std::io::Error) -> CommandFailed {
    let code = if e.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    CommandFailed {
        code,
        message: format!("cannot run {program}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_come_from_the_flag_then_the_variable_then_the_default() {
        let l = |p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p);
        let var = Some("http://127.0.0.2:4000/creds/");
        assert_eq!(listen_addr(Some(9), var, "V", 1).unwrap(), (l(9), None));
        assert_eq!(
            listen_addr(None, var, "V", 1).unwrap(),
            (
                "127.0.0.2:4000".parse().unwrap(),
                Some("/creds".to_string())
            )
        );
        assert_eq!(
            listen_addr(None, Some("http://localhost/"), "V", 7).unwrap(),
            (l(7), None)
        );
        assert_eq!(listen_addr(None, None, "V", 7).unwrap(), (l(7), None));
        for bad in ["https://127.0.0.1/", "http://example.com/", "not a url"] {
            let e = listen_addr(None, Some(bad), "V", 7).unwrap_err();
            assert!(format!("{e:#}").contains("V="), "{e:#}");
        }
    }
}
