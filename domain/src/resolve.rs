//! Executes a [`RoleChain`]: cached results first, then the base source, GetSessionToken and
//! the role hops through the ports, with single-flight locking around every STS refresh.

use crate::chain::{
    Base, Hop, RoleChain, SamlLogin, SessionTokenStep, TokenFileSource, WebIdentityLogin,
};
use crate::credentials::Credentials;
use crate::names::{RoleArn, SessionName};
use crate::ports::cache::{CacheEntry, CacheError, CacheKey, CacheLock, CredentialCache};
use crate::ports::clock::Clock;
use crate::ports::idp::{IdpConnector, IdpError};
use crate::ports::process::{CredentialProcess, ProcessError};
use crate::ports::prompter::{PromptError, Prompter};
use crate::ports::sts::{
    AssumeRoleRequest, MfaAnswer, SamlRoleRequest, SessionTokenRequest, Sts, StsError,
};
use crate::saml::{RoleGrant, RolePick, SamlError, SamlResponse};
use crate::secret::Secret;
use std::sync::Mutex;
use std::time::Duration;

/// The ports a resolution uses.
#[derive(Clone, Copy)]
pub struct Ports<'a> {
    /// STS.
    pub sts: &'a dyn Sts,
    /// The credential cache.
    pub cache: &'a dyn CredentialCache,
    /// The user.
    pub prompter: &'a dyn Prompter,
    /// The time.
    pub clock: &'a dyn Clock,
    /// `credential_process` runner.
    pub process: &'a dyn CredentialProcess,
    /// OIDC ID tokens kept between runs.
    pub token_cache: Option<&'a dyn crate::ports::cache::TokenCache>,
    /// Reads `web_identity_token_file`.
    pub token_file: Option<&'a dyn crate::ports::token_file::TokenFile>,
    /// Identity-provider logins, for chains that start with one.
    pub idp: Option<&'a dyn IdpConnector>,
    /// IAM Identity Center, for chains that start with an SSO profile.
    pub sso: Option<crate::ports::sso::SsoPorts<'a>>,
}

impl std::fmt::Debug for Ports<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports")
            .field("sts", &self.sts)
            .finish_non_exhaustive()
    }
}

/// How a resolution behaves.
#[derive(Debug)]
pub struct ResolveOptions {
    /// Cached credentials expiring within this many seconds are refreshed.
    pub refresh_window_secs: i64,
    /// The longest wait for another process's refresh.
    pub lock_timeout: Duration,
    /// An MFA code given up front (`-o` / `MFA_CODE`); used for the first MFA question only.
    pub mfa_code: Mutex<Option<Secret>>,
    /// The OS login name, the fallback session name.
    pub login_name: Option<String>,
    /// A SAML response already fetched in this process, reused while it is valid.
    pub saml: Mutex<Option<SamlResponse>>,
}

/// Why no credentials could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// STS refused or failed; `context` says which step.
    #[error("{context}: {source}")]
    Sts {
        /// The step, e.g. "assuming arn:… for profile `x`".
        context: String,
        /// The STS error.
        #[source]
        source: StsError,
    },
    /// The cache could not be used.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// MFA is needed but nobody can be asked.
    #[error("MFA code needed for {serial}{} but there is no terminal to ask on; pass it with -o <code> or MFA_CODE", profile_suffix(.profile))]
    MfaUnavailable {
        /// The device.
        serial: String,
        /// The profile asking.
        profile: Option<String>,
    },
    /// An empty MFA answer.
    #[error("no MFA code entered for {0}")]
    MfaEmpty(String),
    /// The prompt failed.
    #[error("MFA prompt for {serial} failed: {source}")]
    Prompt {
        /// The device.
        serial: String,
        /// The cause.
        #[source]
        source: PromptError,
    },
    /// The `credential_process` failed.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The identity provider failed or refused.
    #[error("identity provider login failed: {0}")]
    Idp(#[from] IdpError),
    /// The SAML response could not be used.
    #[error(transparent)]
    Saml(#[from] SamlError),
    /// A login is needed but no identity-provider connector was given.
    #[error("profile `{0}` needs an identity-provider login, which this command cannot do")]
    NoIdp(String),
    /// Several roles granted and nobody to choose.
    #[error("the identity provider grants several roles and there is no terminal to choose on; set role_arn to one of: {}", .0.join(", "))]
    RoleNotChosen(Vec<String>),
    /// The token file gave no token.
    #[error(transparent)]
    TokenFile(#[from] crate::ports::token_file::TokenFileError),
    /// An SSO profile without a usable login.
    #[error("profile `{profile}`: {reason}; run `aws-runas sso login {profile}`")]
    SsoLogin {
        /// The profile.
        profile: String,
        /// Why the cached login cannot be used.
        reason: String,
    },
    /// The IAM Identity Center portal failed or refused.
    #[error("{context}: {source}")]
    Sso {
        /// The step.
        context: String,
        /// The cause.
        #[source]
        source: crate::ports::sso::SsoError,
    },
    /// A source aws-runas does not support (yet).
    #[error("profile `{profile}` uses {what}, which aws-runas does not support yet")]
    Unsupported {
        /// The profile.
        profile: String,
        /// The key and what it means.
        what: String,
    },
}

fn profile_suffix(profile: &Option<String>) -> String {
    profile
        .as_ref()
        .map(|p| format!(" (profile `{p}`)"))
        .unwrap_or_default()
}

/// The final result if it is cached and fresh: no lock, no STS, no prompt.
pub fn cached(
    chain: &RoleChain,
    cache: &dyn CredentialCache,
    clock: &dyn Clock,
    window_secs: i64,
) -> Option<Credentials> {
    let (key, fp) = chain.final_cache()?;
    fresh(cache, key, fp, clock, window_secs)
}

/// Drops the final cached result (`-r`): the role credentials, or the session token of a
/// profile without roles. The session token of a role profile is kept, so no new MFA prompt.
///
/// # Errors
/// [`CacheError`] when the entry exists and cannot be removed.
pub fn forget(chain: &RoleChain, cache: &dyn CredentialCache) -> Result<(), CacheError> {
    match chain.final_cache() {
        Some((key, _)) => cache.remove(key),
        None => Ok(()),
    }
}

/// Resolves the chain: a fresh cached result, else a single-flight refresh.
///
/// # Errors
/// [`ResolveError`] naming the step that failed.
pub async fn resolve(
    chain: &RoleChain,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    let Some((key, fp)) = chain.final_cache() else {
        return compute(chain, ports, opts).await;
    };
    if let Some(c) = fresh(ports.cache, key, fp, ports.clock, opts.refresh_window_secs) {
        return Ok(c);
    }
    let _guard = acquire(ports, key, opts.lock_timeout)?;
    if let Some(c) = fresh(ports.cache, key, fp, ports.clock, opts.refresh_window_secs) {
        log::debug!(
            "another aws-runas refreshed {} while we waited",
            ports.cache.describe(key)
        );
        return Ok(c);
    }
    let label = match (&chain.base, chain.hops.is_empty()) {
        (_, false) => "assume role",
        (Base::Saml(_), true) => "saml role",
        (Base::Sso { .. }, true) => "sso role",
        (_, true) => "session token",
    };
    if !chain.base.is_login() {
        log::debug!("Detected expired or unset {label} credentials, refreshing");
    }
    let creds = compute(chain, ports, opts).await?;
    store(ports.cache, key, fp, &creds);
    Ok(creds)
}

async fn compute(
    chain: &RoleChain,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    let mut current = first_credentials(chain, ports, opts).await?;
    let mut satisfied: Option<String> = None;
    if let Some(step) = chain
        .session_token
        .as_ref()
        .filter(|_| current.is_long_term())
    {
        current = if chain.hops.is_empty() {
            // The final cache is this step's own: its lock is already held.
            get_session_token(chain, step, &current, ports, opts).await?
        } else {
            session_credentials(chain, step, &current, ports, opts).await?
        };
        satisfied.clone_from(&step.mfa_serial);
    }
    for hop in &chain.hops {
        current = assume_hop(chain, hop, &current, &mut satisfied, ports, opts).await?;
    }
    Ok(current)
}

/// Assumes one hop's role with `current`, asking for its MFA code unless the device was already
/// `satisfied` earlier in the chain.
async fn assume_hop(
    chain: &RoleChain,
    hop: &Hop,
    current: &Credentials,
    satisfied: &mut Option<String>,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    let mfa = match &hop.mfa_serial {
        Some(serial) if satisfied.as_deref() != Some(serial.as_str()) => {
            let code = ask_mfa(serial, hop.profile.as_deref(), ports, opts)?;
            *satisfied = Some(serial.clone());
            Some(MfaAnswer {
                serial: serial.clone(),
                code,
            })
        }
        _ => None,
    };
    let session_name = match &hop.session_name {
        Some(n) => n.clone(),
        None => derive_session_name(current, ports, opts).await,
    };
    if let Some(m) = hop.clamp.message() {
        log::debug!("{m}");
    }
    let req = AssumeRoleRequest {
        role_arn: hop.role_arn.clone(),
        session_name,
        duration_secs: hop.duration_secs,
        external_id: hop.external_id.clone(),
        mfa,
    };
    let creds = ports
        .sts
        .assume_role(current, &req)
        .await
        .map_err(|source| ResolveError::Sts {
            context: format!(
                "assuming {}{}",
                hop.role_arn,
                profile_suffix(&hop.profile.clone().or_else(|| chain.profile.clone()))
            ),
            source,
        })?;
    log::debug!("ASSUME ROLE CREDENTIALS: {creds:?}");
    Ok(creds)
}

async fn session_credentials(
    chain: &RoleChain,
    step: &SessionTokenStep,
    base: &Credentials,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    let window = opts.refresh_window_secs;
    if let Some(c) = fresh(
        ports.cache,
        &step.cache,
        &step.fingerprint,
        ports.clock,
        window,
    ) {
        return Ok(c);
    }
    let _guard = acquire(ports, &step.cache, opts.lock_timeout)?;
    if let Some(c) = fresh(
        ports.cache,
        &step.cache,
        &step.fingerprint,
        ports.clock,
        window,
    ) {
        return Ok(c);
    }
    log::debug!("Detected expired or unset session token credentials, refreshing");
    let creds = get_session_token(chain, step, base, ports, opts).await?;
    store(ports.cache, &step.cache, &step.fingerprint, &creds);
    Ok(creds)
}

async fn get_session_token(
    chain: &RoleChain,
    step: &SessionTokenStep,
    base: &Credentials,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    let mfa = match &step.mfa_serial {
        Some(serial) => Some(MfaAnswer {
            serial: serial.clone(),
            code: ask_mfa(serial, chain.profile.as_deref(), ports, opts)?,
        }),
        None => None,
    };
    if let Some(m) = step.clamp.message() {
        log::debug!("{m}");
    }
    let req = SessionTokenRequest {
        duration_secs: step.duration_secs,
        mfa,
    };
    let creds = ports
        .sts
        .get_session_token(base, &req)
        .await
        .map_err(|source| ResolveError::Sts {
            context: format!(
                "getting a session token{}",
                profile_suffix(&chain.base.profile().map(str::to_string))
            ),
            source,
        })?;
    log::debug!("SESSION TOKEN CREDENTIALS: {creds:?}");
    Ok(creds)
}

/// The base credentials of a chain (keys, environment keys or `credential_process`), without
/// GetSessionToken or any role: what `list mfa` and `list roles` sign IAM calls with, so that
/// they need no MFA code when IAM itself asks for none.
///
/// # Errors
/// [`ResolveError::Process`] when the `credential_process` fails, [`ResolveError::Unsupported`]
/// for sources aws-runas does not support.
pub fn base_credentials_of(
    chain: &RoleChain,
    process: &dyn CredentialProcess,
) -> Result<Credentials, ResolveError> {
    base_credentials_with(&chain.base, process)
}

fn base_credentials(base: &Base, ports: Ports<'_>) -> Result<Credentials, ResolveError> {
    base_credentials_with(base, ports.process)
}

fn base_credentials_with(
    base: &Base,
    process: &dyn CredentialProcess,
) -> Result<Credentials, ResolveError> {
    let unsupported = |profile: &str, what: String| ResolveError::Unsupported {
        profile: profile.to_string(),
        what,
    };
    match base {
        Base::AccessKey { credentials, .. } | Base::Environment { credentials } => {
            Ok(credentials.clone())
        }
        Base::Process { profile, command } => {
            let name = crate::names::ProfileName::new(profile).map_err(|e| ProcessError {
                profile: profile.clone(),
                message: e.to_string(),
            })?;
            Ok(process.run(&name, command)?)
        }
        Base::WebIdentityToken(source) => Err(ResolveError::NoIdp(source.profile.clone())),
        Base::WebIdentity(login) => Err(ResolveError::NoIdp(
            login.profile.clone().unwrap_or_default(),
        )),
        Base::Sso { profile, .. } => Err(ResolveError::NoIdp(profile.clone())),
        Base::NamedSource { profile, source } => Err(unsupported(
            profile,
            format!("credential_source = {source}"),
        )),
        Base::Saml(login) => Err(ResolveError::NoIdp(
            login.profile.clone().unwrap_or_default(),
        )),
    }
}

/// The first credentials of the chain: the base's own, or the result of its login (cached in
/// its own entry when roles follow).
async fn first_credentials(
    chain: &RoleChain,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    let Some((key, fp)) = chain.base_cache.as_ref() else {
        return fetch_base(chain, ports, opts).await;
    };
    if chain.hops.is_empty() {
        // The final cache is the login's entry: `resolve` holds its lock already.
        return fetch_base(chain, ports, opts).await;
    }
    let window = opts.refresh_window_secs;
    if let Some(c) = fresh(ports.cache, key, fp, ports.clock, window) {
        return Ok(c);
    }
    let _guard = acquire(ports, key, opts.lock_timeout)?;
    if let Some(c) = fresh(ports.cache, key, fp, ports.clock, window) {
        return Ok(c);
    }
    let creds = fetch_base(chain, ports, opts).await?;
    store(ports.cache, key, fp, &creds);
    Ok(creds)
}

async fn fetch_base(
    chain: &RoleChain,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    match &chain.base {
        Base::Saml(login) => fetch_saml(chain, login, ports, opts).await,
        Base::WebIdentity(login) => fetch_oidc(chain, login, ports).await,
        Base::WebIdentityToken(source) => fetch_token_file(chain, source, ports).await,
        Base::Sso { profile, fields } => fetch_sso(profile, fields, ports, opts).await,
        other => base_credentials(other, ports),
    }
}

/// GetRoleCredentials with the cached (or refreshed) access token of the profile's login.
async fn fetch_sso(
    profile: &str,
    fields: &std::collections::BTreeMap<String, String>,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    use crate::ports::sso::SsoErrorKind;
    use crate::sso::TokenError;
    log::debug!("Detected expired or unset IAM Identity Center role credentials, refreshing");
    let sso = ports
        .sso
        .ok_or_else(|| ResolveError::NoIdp(profile.to_string()))?;
    let role = crate::sso::sso_role(profile, fields).map_err(|e| ResolveError::SsoLogin {
        profile: profile.to_string(),
        reason: e.to_string(),
    })?;
    let token = crate::sso::token_or_login(
        &role.session,
        sso,
        ports.clock,
        opts.lock_timeout,
        ports.prompter,
    )
    .await
    .map_err(|e| match e {
        TokenError::LoginNeeded(reason) => ResolveError::SsoLogin {
            profile: profile.to_string(),
            reason,
        },
        TokenError::Cache(c) => ResolveError::Cache(c),
    })?;
    let creds = sso
        .portal
        .get_role_credentials(&token, &role.account_id, &role.role_name)
        .await
        .map_err(|source| match source.kind {
            SsoErrorKind::Unauthorized => ResolveError::SsoLogin {
                profile: profile.to_string(),
                reason: format!(
                    "IAM Identity Center refused the login of {} ({source})",
                    role.session.label()
                ),
            },
            _ => ResolveError::Sso {
                context: format!(
                    "getting credentials for role {} in account {} (profile `{profile}`)",
                    role.role_name, role.account_id
                ),
                source,
            },
        })?;
    log::debug!("SSO ROLE CREDENTIALS: {creds:?}");
    Ok(creds)
}

async fn fetch_token_file(
    chain: &RoleChain,
    source: &TokenFileSource,
    ports: Ports<'_>,
) -> Result<Credentials, ResolveError> {
    log::debug!("Detected expired or unset web identity role credentials, refreshing");
    let profile = &source.profile;
    let reader = ports
        .token_file
        .ok_or_else(|| ResolveError::NoIdp(profile.clone()))?;
    let token = reader.read(&source.token_file)?;
    let role_arn = &source.role_arn;
    let role = RoleArn::parse(role_arn.trim()).map_err(|_| ResolveError::Unsupported {
        profile: profile.clone(),
        what: format!("role_arn {role_arn:?}, which is not an IAM role ARN,"),
    })?;
    let name = source
        .session_name
        .as_deref()
        .and_then(SessionName::sanitize)
        .or_else(|| SessionName::sanitize(&format!("aws-runas-{}", ports.clock.now().unix())))
        .expect("a non-empty ASCII name is a valid session name");
    let (duration_secs, _) = crate::duration::ROLE_LIMITS.clamp(
        crate::chain::role_duration_request(&chain.settings)
            .ok()
            .flatten(),
    );
    web_identity_call(chain, ports, role, name, token, duration_secs).await
}

async fn fetch_oidc(
    chain: &RoleChain,
    login: &WebIdentityLogin,
    ports: Ports<'_>,
) -> Result<Credentials, ResolveError> {
    log::debug!("Detected expired or unset web identity role credentials, refreshing");
    let token = oidc_token(chain, login, ports).await?;
    if let Some(m) = login.clamp.message() {
        log::debug!("{m}");
    }
    let name = login
        .session_name
        .clone()
        .or_else(|| {
            crate::jwt::username(token.expose())
                .as_deref()
                .and_then(SessionName::sanitize)
        })
        .or_else(|| SessionName::sanitize(&format!("aws-runas-{}", ports.clock.now().unix())))
        .expect("a non-empty ASCII name is a valid session name");
    let role = login.role.clone();
    web_identity_call(chain, ports, role, name, token, login.duration_secs).await
}

/// A fresh ID token: the cached one while it has more than a minute left, else a new login.
async fn oidc_token(
    chain: &RoleChain,
    login: &WebIdentityLogin,
    ports: Ports<'_>,
) -> Result<Secret, ResolveError> {
    let url = login.url.as_str();
    if let Some(cached) = ports.token_cache.and_then(|c| c.load(url))
        && crate::jwt::is_fresh(cached.expose(), ports.clock.now(), 60)
    {
        log::debug!("using the cached identity token");
        return Ok(cached);
    }
    let connector = ports
        .idp
        .ok_or_else(|| ResolveError::NoIdp(chain.profile.clone().unwrap_or_default()))?;
    let idp = connector.connect().await?;
    let req = crate::ports::idp::OidcRequest {
        client_id: login.client_id.clone(),
        redirect_uri: login.redirect_uri.clone(),
        scopes: vec![],
    };
    let token = idp.oidc_token(&req).await?.0;
    if token.expose().trim().len() < 4 {
        return Err(ResolveError::Idp(IdpError::unexpected_page(
            "the identity provider answered without a usable ID token",
        )));
    }
    if let Some(cache) = ports.token_cache
        && let Err(e) = cache.store(url, &token)
    {
        log::debug!("could not cache the identity token: {e}");
    }
    Ok(token)
}

async fn web_identity_call(
    chain: &RoleChain,
    ports: Ports<'_>,
    role: RoleArn,
    session_name: SessionName,
    token: Secret,
    duration_secs: i64,
) -> Result<Credentials, ResolveError> {
    let context = format!(
        "assuming {role} with a web identity token{}",
        profile_suffix(&chain.profile)
    );
    let req = crate::ports::sts::WebIdentityRoleRequest {
        role_arn: role,
        session_name,
        token,
        duration_secs,
    };
    let creds = ports
        .sts
        .assume_role_with_web_identity(&req)
        .await
        .map_err(|source| ResolveError::Sts { context, source })?;
    log::debug!("WEB IDENTITY ROLE CREDENTIALS: {creds:?}");
    Ok(creds)
}

async fn fetch_saml(
    chain: &RoleChain,
    login: &SamlLogin,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Credentials, ResolveError> {
    let SamlLogin {
        role,
        duration_secs,
        clamp,
        ..
    } = login;
    log::debug!("Detected expired or unset saml role credentials, refreshing");
    let response = saml_response(chain, ports, opts).await?;
    let grant = match response.pick_role(role.as_ref())? {
        RolePick::Role(g) => g.clone(),
        RolePick::Choose(grants) => choose_role(grants, ports)?,
    };
    if let Some(m) = clamp.message() {
        log::debug!("{m}");
    }
    let req = SamlRoleRequest {
        role_arn: grant.role().clone(),
        principal_arn: grant.provider_arn().to_string(),
        assertion: response.assertion().clone(),
        duration_secs: capped_duration(*duration_secs, response.duration_cap()),
    };
    let creds = ports
        .sts
        .assume_role_with_saml(&req)
        .await
        .map_err(|source| ResolveError::Sts {
            context: format!(
                "assuming {} with SAML{}",
                grant.role(),
                profile_suffix(&chain.profile)
            ),
            source,
        })?;
    log::debug!("SAML ROLE CREDENTIALS: {creds:?}");
    Ok(creds)
}

/// The requested lifetime, lowered to the assertion's `SessionDuration` when that is shorter
/// (but never below STS's minimum).
fn capped_duration(requested: i64, cap: Option<i64>) -> i64 {
    match cap {
        Some(cap) if cap < requested => {
            log::debug!(
                "the identity provider's SessionDuration ({cap}s) caps the requested {requested}s"
            );
            cap.max(crate::duration::ROLE_LIMITS.min)
        }
        _ => requested,
    }
}

/// The SAML response for a chain's login: the one already held when still valid, else a new
/// login through the identity-provider connector.
///
/// # Errors
/// [`ResolveError::NoIdp`] without a connector; [`ResolveError::Idp`] when the login fails;
/// [`ResolveError::Saml`] when the response cannot be read.
pub async fn saml_response(
    chain: &RoleChain,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<SamlResponse, ResolveError> {
    let now = ports.clock.now();
    if let Some(held) = opts
        .saml
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .filter(|r| r.is_usable_at(now))
    {
        return Ok(held.clone());
    }
    let connector = ports
        .idp
        .ok_or_else(|| ResolveError::NoIdp(chain.profile.clone().unwrap_or_default()))?;
    let idp = connector.connect().await?;
    let assertion = idp.saml_assertion().await?;
    let response = SamlResponse::parse(assertion.0.expose())?;
    *opts
        .saml
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(response.clone());
    Ok(response)
}

fn choose_role(grants: &[RoleGrant], ports: Ports<'_>) -> Result<RoleGrant, ResolveError> {
    let listed: Vec<String> = grants.iter().map(|g| g.role().to_string()).collect();
    let mut menu = String::from("The identity provider grants these roles:");
    for (i, r) in listed.iter().enumerate() {
        menu.push_str(&format!("\n  {}) {r}", i + 1));
    }
    ports.prompter.notice(&menu);
    match ports
        .prompter
        .read_line(&format!("Role [1-{}]: ", grants.len()))
    {
        Ok(answer) => {
            let pick = answer
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=grants.len()).contains(n));
            pick.map(|n| grants[n - 1].clone())
                .ok_or(ResolveError::RoleNotChosen(listed))
        }
        Err(_) => Err(ResolveError::RoleNotChosen(listed)),
    }
}

fn ask_mfa(
    serial: &str,
    profile: Option<&str>,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> Result<Secret, ResolveError> {
    if let Some(code) = opts
        .mfa_code
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    {
        return Ok(code);
    }
    match ports
        .prompter
        .read_line(&crate::ports::prompter::mfa_question(serial))
    {
        Ok(code) if code.trim().is_empty() => Err(ResolveError::MfaEmpty(serial.to_string())),
        Ok(code) => Ok(Secret::new(code.trim())),
        Err(PromptError::NoTerminal) => Err(ResolveError::MfaUnavailable {
            serial: serial.to_string(),
            profile: profile.map(str::to_string),
        }),
        Err(source) => Err(ResolveError::Prompt {
            serial: serial.to_string(),
            source,
        }),
    }
}

async fn derive_session_name(
    current: &Credentials,
    ports: Ports<'_>,
    opts: &ResolveOptions,
) -> SessionName {
    match ports.sts.get_caller_identity(current).await {
        Ok(id) => {
            if let Some(n) = SessionName::sanitize(id.name()) {
                return n;
            }
        }
        Err(e) => log::debug!("no caller identity for the session name: {e}"),
    }
    opts.login_name
        .as_deref()
        .and_then(SessionName::sanitize)
        .or_else(|| SessionName::sanitize(&format!("aws-runas-{}", ports.clock.now().unix())))
        .expect("a non-empty ASCII name is a valid session name")
}

fn fresh(
    cache: &dyn CredentialCache,
    key: &CacheKey,
    fp: &str,
    clock: &dyn Clock,
    window: i64,
) -> Option<Credentials> {
    match cache.load(key) {
        Ok(Some(entry)) if entry.fingerprint != fp => {
            log::debug!(
                "{} was made from other settings; refreshing",
                cache.describe(key)
            );
            None
        }
        // An entry without an expiry did not come from STS (a hand-edited or foreign file): stale.
        Ok(Some(entry))
            if entry.credentials.expiration().is_some()
                && entry.credentials.is_fresh(clock.now(), window) =>
        {
            Some(entry.credentials)
        }
        Ok(_) => None,
        Err(e) => {
            log::warn!("ignoring the credential cache: {e}");
            None
        }
    }
}

fn store(cache: &dyn CredentialCache, key: &CacheKey, fp: &str, creds: &Credentials) {
    if creds.expiration().is_none() {
        return;
    }
    let entry = CacheEntry {
        credentials: creds.clone(),
        fingerprint: fp.to_string(),
    };
    if let Err(e) = cache.store(key, &entry) {
        log::warn!("could not cache credentials: {e}");
    }
}

fn acquire(
    ports: Ports<'_>,
    key: &CacheKey,
    timeout: Duration,
) -> Result<Box<dyn CacheLock>, ResolveError> {
    if let Some(guard) = ports.cache.try_lock(key)? {
        return Ok(guard);
    }
    ports.prompter.notice(&format!(
        "waiting up to {}s for another aws-runas to refresh {}",
        timeout.as_secs(),
        ports.cache.describe(key)
    ));
    Ok(ports.cache.lock(key, timeout)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{PlanInput, StsEndpoint, Target, plan};
    use crate::ports::clock::FixedClock;
    use crate::ports::process::MockCredentialProcess;
    use crate::ports::prompter::MockPrompter;
    use crate::ports::sts::{CallerIdentity, MockSts};
    use crate::profile::ProfileSet;
    use crate::settings::{Env, FlagValues};
    use crate::time::Timestamp;
    use std::collections::HashMap;

    const NOW: i64 = 1_700_000_000;

    #[derive(Debug)]
    struct Lock;
    impl CacheLock for Lock {}

    #[derive(Default)]
    struct MemCache {
        entries: Mutex<HashMap<String, CacheEntry>>,
        locks_taken: Mutex<usize>,
    }

    impl CredentialCache for MemCache {
        fn load(&self, key: &CacheKey) -> Result<Option<CacheEntry>, CacheError> {
            Ok(self
                .entries
                .lock()
                .unwrap()
                .get(&self.describe(key))
                .cloned())
        }
        fn store(&self, key: &CacheKey, entry: &CacheEntry) -> Result<(), CacheError> {
            self.entries
                .lock()
                .unwrap()
                .insert(self.describe(key), entry.clone());
            Ok(())
        }
        fn remove(&self, key: &CacheKey) -> Result<(), CacheError> {
            self.entries.lock().unwrap().remove(&self.describe(key));
            Ok(())
        }
        fn try_lock(&self, _: &CacheKey) -> Result<Option<Box<dyn CacheLock>>, CacheError> {
            *self.locks_taken.lock().unwrap() += 1;
            Ok(Some(Box::new(Lock)))
        }
        fn lock(&self, _: &CacheKey, _: Duration) -> Result<Box<dyn CacheLock>, CacheError> {
            Ok(Box::new(Lock))
        }
        fn describe(&self, key: &CacheKey) -> String {
            format!("{}{}", key.kind().file_prefix(), key.name())
        }
    }

    fn temp(id: &str, exp: i64) -> Credentials {
        Credentials::new(
            id,
            Secret::new(format!("{id}-secret")),
            Some(Secret::new(format!("{id}-token"))),
            Some(Timestamp::from_unix(exp)),
        )
    }

    fn profiles() -> ProfileSet {
        ProfileSet::from_triples([
            ("user", "aws_access_key_id", "AKIDUSER"),
            ("user", "aws_secret_access_key", "user-secret"),
            ("role", "source_profile", "user"),
            ("role", "role_arn", "arn:aws:iam::123456789012:role/admin"),
            ("role", "mfa_serial", "arn:aws:iam::123456789012:mfa/alice"),
            ("role", "external_id", "xid"),
            ("direct", "source_profile", "user"),
            ("direct", "role_arn", "arn:aws:iam::123456789012:role/admin"),
            (
                "direct",
                "mfa_serial",
                "arn:aws:iam::123456789012:mfa/alice",
            ),
            ("direct", "credentials_duration", "2h"),
            ("proc", "credential_process", "/bin/creds"),
        ])
    }

    fn chain_for(name: &str) -> RoleChain {
        let (env, flags, set) = (Env::default(), FlagValues::new(), profiles());
        let input = PlanInput {
            profiles: &set,
            env: &env,
            flags: &flags,
            env_credentials: None,
            resolving: &[],
            endpoint: &StsEndpoint::default(),
        };
        plan(&input, &Target::Profile(name.into())).unwrap()
    }

    fn opts(code: Option<&str>) -> ResolveOptions {
        ResolveOptions {
            refresh_window_secs: 300,
            lock_timeout: Duration::from_secs(1),
            mfa_code: Mutex::new(code.map(Secret::new)),
            login_name: Some("bob".into()),
            saml: Mutex::new(None),
        }
    }

    fn no_process() -> MockCredentialProcess {
        let mut p = MockCredentialProcess::new();
        p.expect_run().never();
        p
    }

    async fn run(
        chain: &RoleChain,
        sts: &MockSts,
        cache: &MemCache,
        prompter: &MockPrompter,
        o: &ResolveOptions,
    ) -> Result<Credentials, ResolveError> {
        let clock = FixedClock(Timestamp::from_unix(NOW));
        let process = no_process();
        resolve(
            chain,
            Ports {
                idp: None,
                sso: None,
                token_cache: None,
                token_file: None,
                sts,
                cache,
                prompter,
                clock: &clock,
                process: &process,
            },
            o,
        )
        .await
    }

    #[tokio::test]
    async fn session_token_then_assume_role_with_mfa_once() {
        let mut sts = MockSts::new();
        sts.expect_get_session_token()
            .withf(|c, r| {
                c.access_key_id() == "AKIDUSER"
                    && r.duration_secs == 43_200
                    && r.mfa.as_ref().is_some_and(|m| {
                        m.serial.ends_with("mfa/alice") && m.code.expose() == "123456"
                    })
            })
            .times(1)
            .returning(|_, _| Ok(temp("ASIASESSION", NOW + 43_200)));
        sts.expect_get_caller_identity()
            .withf(|c| c.access_key_id() == "ASIASESSION")
            .times(1)
            .returning(|_| {
                Ok(CallerIdentity {
                    account: "123456789012".into(),
                    arn: "arn:aws:iam::123456789012:user/alice".into(),
                    user_id: "AIDA".into(),
                })
            });
        sts.expect_assume_role()
            .withf(|c, r| {
                c.access_key_id() == "ASIASESSION"
                    && r.mfa.is_none()
                    && r.external_id.as_deref() == Some("xid")
                    && r.session_name.as_str() == "alice"
                    && r.duration_secs == 3600
            })
            .times(1)
            .returning(|_, _| Ok(temp("ASIAROLE", NOW + 3600)));
        let cache = MemCache::default();
        let mut prompter = MockPrompter::new();
        prompter.expect_read_line().never();
        let chain = chain_for("role");
        let creds = run(&chain, &sts, &cache, &prompter, &opts(Some("123456")))
            .await
            .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAROLE");
        assert!(
            cache
                .entries
                .lock()
                .unwrap()
                .contains_key(".aws_session_token_user")
        );
        assert!(
            cache
                .entries
                .lock()
                .unwrap()
                .contains_key(".aws_assume_role_role")
        );

        // A second run is a cache hit: the mock would fail on any further STS call.
        let again = cached(
            &chain,
            &cache,
            &FixedClock(Timestamp::from_unix(NOW + 60)),
            300,
        )
        .unwrap();
        assert_eq!(again, creds);
        // -r drops the role but keeps the MFA session: only AssumeRole runs again.
        forget(&chain, &cache).unwrap();
        assert!(cached(&chain, &cache, &FixedClock(Timestamp::from_unix(NOW)), 300).is_none());
        assert!(
            cache
                .entries
                .lock()
                .unwrap()
                .contains_key(".aws_session_token_user")
        );
    }

    #[tokio::test]
    async fn direct_path_sends_mfa_with_assume_role_and_prompts() {
        let mut sts = MockSts::new();
        sts.expect_get_session_token().never();
        sts.expect_get_caller_identity().returning(|_| {
            Ok(CallerIdentity {
                account: "1".into(),
                arn: "arn:aws:iam::1:user/alice".into(),
                user_id: "x".into(),
            })
        });
        sts.expect_assume_role()
            .withf(|c, r| {
                c.access_key_id() == "AKIDUSER"
                    && r.duration_secs == 7200
                    && r.mfa.as_ref().is_some_and(|m| m.code.expose() == "654321")
            })
            .times(1)
            .returning(|_, _| Ok(temp("ASIADIRECT", NOW + 7200)));
        let mut prompter = MockPrompter::new();
        prompter
            .expect_read_line()
            .withf(|l| l.contains("mfa/alice"))
            .times(1)
            .returning(|_| Ok(" 654321 \n".into()));
        let creds = run(
            &chain_for("direct"),
            &sts,
            &MemCache::default(),
            &prompter,
            &opts(None),
        )
        .await
        .unwrap();
        assert_eq!(creds.access_key_id(), "ASIADIRECT");
    }

    #[tokio::test]
    async fn mfa_without_terminal_or_code_fails_fast_naming_the_device() {
        let sts = MockSts::new();
        let mut prompter = MockPrompter::new();
        prompter
            .expect_read_line()
            .returning(|_| Err(PromptError::NoTerminal));
        let e = run(
            &chain_for("role"),
            &sts,
            &MemCache::default(),
            &prompter,
            &opts(None),
        )
        .await
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("arn:aws:iam::123456789012:mfa/alice")
                && text.contains("-o")
                && text.contains("`role`"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn sts_refusal_keeps_aws_message_and_context() {
        let mut sts = MockSts::new();
        sts.expect_get_session_token()
            .returning(|_, _| Ok(temp("ASIASESSION", NOW + 43_200)));
        sts.expect_get_caller_identity().returning(|_| {
            Ok(CallerIdentity {
                account: "1".into(),
                arn: "arn:aws:iam::1:user/alice".into(),
                user_id: "x".into(),
            })
        });
        sts.expect_assume_role().returning(|_, _| {
            Err(StsError::Rejected {
                operation: "sts:AssumeRole".into(),
                code: "AccessDenied".into(),
                message: "not authorized to perform sts:AssumeRole".into(),
            })
        });
        let prompter = MockPrompter::new();
        let e = run(
            &chain_for("role"),
            &sts,
            &MemCache::default(),
            &prompter,
            &opts(Some("1")),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("assuming arn:aws:iam::123456789012:role/admin (profile `role`)")
                && e.contains("AccessDenied: not authorized"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn stale_fingerprint_and_expiring_entries_are_refreshed() {
        let chain = chain_for("role");
        let cache = MemCache::default();
        let (key, fp) = chain.final_cache().unwrap();
        cache
            .store(
                key,
                &CacheEntry {
                    credentials: temp("ASIAOLD", NOW + 3600),
                    fingerprint: "edited".into(),
                },
            )
            .unwrap();
        assert!(cached(&chain, &cache, &FixedClock(Timestamp::from_unix(NOW)), 300).is_none());
        cache
            .store(
                key,
                &CacheEntry {
                    credentials: temp("ASIAOLD", NOW + 200),
                    fingerprint: fp.to_string(),
                },
            )
            .unwrap();
        assert!(
            cached(&chain, &cache, &FixedClock(Timestamp::from_unix(NOW)), 300).is_none(),
            "inside the refresh window"
        );
        cache
            .store(
                key,
                &CacheEntry {
                    credentials: temp("ASIAOLD", NOW + 400),
                    fingerprint: fp.to_string(),
                },
            )
            .unwrap();
        assert!(cached(&chain, &cache, &FixedClock(Timestamp::from_unix(NOW)), 300).is_some());
    }

    #[tokio::test]
    async fn a_cached_entry_without_expiry_is_stale() {
        let chain = chain_for("role");
        let cache = MemCache::default();
        let (key, fp) = chain.final_cache().unwrap();
        let forever = Credentials::new("ASIA", Secret::new("s"), Some(Secret::new("t")), None);
        cache
            .store(
                key,
                &CacheEntry {
                    credentials: forever,
                    fingerprint: fp.to_string(),
                },
            )
            .unwrap();
        assert!(cached(&chain, &cache, &FixedClock(Timestamp::from_unix(NOW)), 300).is_none());
    }

    #[tokio::test]
    async fn credential_process_base_with_temporary_keys_skips_session_token() {
        let chain = chain_for("proc");
        let mut process = MockCredentialProcess::new();
        process
            .expect_run()
            .times(1)
            .returning(|_, _| Ok(temp("ASIAPROC", NOW + 900)));
        let sts = MockSts::new();
        let prompter = MockPrompter::new();
        let cache = MemCache::default();
        let clock = FixedClock(Timestamp::from_unix(NOW));
        let creds = resolve(
            &chain,
            Ports {
                idp: None,
                sso: None,
                token_cache: None,
                token_file: None,
                sts: &sts,
                cache: &cache,
                prompter: &prompter,
                clock: &clock,
                process: &process,
            },
            &opts(None),
        )
        .await
        .unwrap();
        assert_eq!(creds.access_key_id(), "ASIAPROC");
    }

    #[tokio::test]
    async fn unsupported_sources_name_profile_and_key() {
        let set = ProfileSet::from_triples([
            ("cs", "role_arn", "arn:aws:iam::1:role/x"),
            ("cs", "credential_source", "Ec2InstanceMetadata"),
        ]);
        let (env, flags) = (Env::default(), FlagValues::new());
        let input = PlanInput {
            profiles: &set,
            env: &env,
            flags: &flags,
            env_credentials: None,
            resolving: &[],
            endpoint: &StsEndpoint::default(),
        };
        for (name, needle) in [("cs", "credential_source = Ec2InstanceMetadata")] {
            let chain = plan(&input, &Target::Profile(name.into())).unwrap();
            let e = run(
                &chain,
                &MockSts::new(),
                &MemCache::default(),
                &MockPrompter::new(),
                &opts(None),
            )
            .await
            .unwrap_err()
            .to_string();
            assert!(
                e.contains(&format!("profile `{name}`"))
                    && e.contains(needle)
                    && e.contains("not support"),
                "{e}"
            );
        }
    }

    mod saml {
        use super::*;
        use crate::ports::idp::{IdentityProvider, IdpConnector, SamlAssertion};
        use crate::ports::sts::SamlRoleRequest;
        use base64::Engine as _;
        use std::sync::atomic::{AtomicUsize, Ordering};

        fn response(roles: &[&str], duration: Option<i64>) -> String {
            let values: String = roles
                .iter()
                .map(|r| format!("<saml:AttributeValue>{r},arn:aws:iam::123456789012:saml-provider/corp</saml:AttributeValue>"))
                .collect();
            let duration = duration.map_or(String::new(), |d| {
                format!(r#"<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml:AttributeValue>{d}</saml:AttributeValue></saml:Attribute>"#)
            });
            let xml = format!(
                r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion IssueInstant="2023-11-14T22:13:20Z"><saml:Conditions NotOnOrAfter="2023-11-14T23:13:20Z"/><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">{values}</saml:Attribute><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute>{duration}</saml:AttributeStatement></saml:Assertion></samlp:Response>"#
            );
            base64::engine::general_purpose::STANDARD.encode(xml)
        }

        #[derive(Debug)]
        struct FakeIdp(String);

        #[async_trait::async_trait]
        impl IdentityProvider for FakeIdp {
            async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
                Ok(SamlAssertion(Secret::new(self.0.clone())))
            }
        }

        struct Connector(String, AtomicUsize);

        #[async_trait::async_trait]
        impl IdpConnector for Connector {
            async fn connect(&self) -> Result<Box<dyn IdentityProvider>, IdpError> {
                self.1.fetch_add(1, Ordering::SeqCst);
                Ok(Box::new(FakeIdp(self.0.clone())))
            }
        }

        fn chain(extra: &[(&'static str, &'static str, &'static str)]) -> RoleChain {
            let mut triples = vec![("corp", "saml_auth_url", "https://idp.example.org/saml")];
            triples.extend_from_slice(extra);
            let set = ProfileSet::from_triples(triples);
            let (env, flags) = (Env::default(), FlagValues::new());
            let input = PlanInput {
                profiles: &set,
                env: &env,
                flags: &flags,
                env_credentials: None,
                resolving: &[],
                endpoint: &StsEndpoint::default(),
            };
            plan(&input, &Target::Profile("corp".into())).unwrap()
        }

        async fn run_saml(
            chain: &RoleChain,
            sts: &MockSts,
            prompter: &MockPrompter,
            connector: &Connector,
        ) -> Result<Credentials, ResolveError> {
            let clock = FixedClock(Timestamp::from_unix(NOW));
            let (cache, process) = (MemCache::default(), no_process());
            let ports = Ports {
                sts,
                cache: &cache,
                prompter,
                clock: &clock,
                process: &process,
                idp: Some(connector),
                sso: None,
                token_cache: None,
                token_file: None,
            };
            resolve(chain, ports, &opts(None)).await
        }

        const ADMIN: &str = "arn:aws:iam::123456789012:role/admin";
        const READ: &str = "arn:aws:iam::123456789012:role/read";

        #[tokio::test]
        async fn configured_role_with_duration_capped_by_the_assertion() {
            let chain = chain(&[
                ("corp", "role_arn", ADMIN),
                ("corp", "credentials_duration", "8h"),
            ]);
            assert_eq!(
                chain.final_cache().unwrap().0,
                &CacheKey::new(crate::ports::cache::CacheKind::SamlRole, "corp")
            );
            let mut sts = MockSts::new();
            sts.expect_assume_role_with_saml()
                .withf(|r: &SamlRoleRequest| {
                    r.role_arn.as_str() == ADMIN
                        && r.principal_arn.ends_with("saml-provider/corp")
                        && r.duration_secs == 7200
                })
                .times(1)
                .returning(|_| Ok(temp("ASIASAML", NOW + 7200)));
            let connector = Connector(response(&[READ, ADMIN], Some(7200)), AtomicUsize::new(0));
            let creds = run_saml(&chain, &sts, &MockPrompter::new(), &connector)
                .await
                .unwrap();
            assert_eq!(creds.access_key_id(), "ASIASAML");
        }

        #[tokio::test]
        async fn a_role_not_granted_lists_the_granted_ones() {
            let chain = chain(&[("corp", "role_arn", "arn:aws:iam::123456789012:role/other")]);
            let connector = Connector(response(&[READ, ADMIN], None), AtomicUsize::new(0));
            let e = run_saml(&chain, &MockSts::new(), &MockPrompter::new(), &connector)
                .await
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("role/other") && e.contains(READ) && e.contains(ADMIN),
                "{e}"
            );
        }

        #[tokio::test]
        async fn several_roles_are_picked_on_the_terminal_or_listed_without_one() {
            let chain = chain(&[]);
            let connector = Connector(response(&[READ, ADMIN], None), AtomicUsize::new(0));
            let mut sts = MockSts::new();
            sts.expect_assume_role_with_saml()
                .withf(|r| r.role_arn.as_str() == ADMIN)
                .times(1)
                .returning(|_| Ok(temp("ASIAPICK", NOW + 3600)));
            let mut prompter = MockPrompter::new();
            prompter
                .expect_notice()
                .withf(|m| m.contains(READ) && m.contains(ADMIN))
                .times(1)
                .return_const(());
            prompter
                .expect_read_line()
                .times(1)
                .returning(|_| Ok("2".into()));
            assert_eq!(
                run_saml(&chain, &sts, &prompter, &connector)
                    .await
                    .unwrap()
                    .access_key_id(),
                "ASIAPICK"
            );

            let mut no_tty = MockPrompter::new();
            no_tty.expect_notice().return_const(());
            no_tty
                .expect_read_line()
                .returning(|_| Err(PromptError::NoTerminal));
            let e = run_saml(&chain, &MockSts::new(), &no_tty, &connector)
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("set role_arn") && e.contains(READ), "{e}");
        }

        #[tokio::test]
        async fn jump_role_then_target_for_an_hour() {
            let chain = chain(&[("corp", "role_arn", ADMIN), ("corp", "jump_role_arn", READ)]);
            assert_eq!(
                chain.base_cache.as_ref().unwrap().0,
                CacheKey::new(
                    crate::ports::cache::CacheKind::SamlRole,
                    "123456789012-read"
                )
            );
            assert_eq!(
                chain.role_cache.as_ref().unwrap().0,
                CacheKey::new(crate::ports::cache::CacheKind::AssumeRole, "corp")
            );
            let mut sts = MockSts::new();
            sts.expect_assume_role_with_saml()
                .withf(|r| r.role_arn.as_str() == READ)
                .times(1)
                .returning(|_| Ok(temp("ASIAJUMP", NOW + 3600)));
            sts.expect_get_caller_identity().returning(|_| {
                Ok(CallerIdentity {
                    account: "1".into(),
                    arn: "arn:aws:sts::1:assumed-role/read/alice@example.com".into(),
                    user_id: "x".into(),
                })
            });
            sts.expect_assume_role()
                .withf(|c, r| {
                    c.access_key_id() == "ASIAJUMP"
                        && r.role_arn.as_str() == ADMIN
                        && r.duration_secs == 3600
                        && r.session_name.as_str() == "alice@example.com"
                })
                .times(1)
                .returning(|_, _| Ok(temp("ASIATARGET", NOW + 3600)));
            let connector = Connector(response(&[READ, ADMIN], None), AtomicUsize::new(0));
            assert_eq!(
                run_saml(&chain, &sts, &MockPrompter::new(), &connector)
                    .await
                    .unwrap()
                    .access_key_id(),
                "ASIATARGET"
            );
            let session = chain.session_only().unwrap();
            assert!(
                session.hops.is_empty()
                    && session.final_cache().unwrap().0.name() == "123456789012-read",
                "-s gives the jump role"
            );
        }

        #[tokio::test]
        async fn an_assertion_is_reused_in_memory_while_valid() {
            let chain = chain(&[("corp", "role_arn", ADMIN)]);
            let connector = Connector(response(&[ADMIN], None), AtomicUsize::new(0));
            let clock = FixedClock(Timestamp::from_unix(1_700_000_000 + 60));
            let (cache, process, prompter, sts) = (
                MemCache::default(),
                no_process(),
                MockPrompter::new(),
                MockSts::new(),
            );
            let ports = Ports {
                sts: &sts,
                cache: &cache,
                prompter: &prompter,
                clock: &clock,
                process: &process,
                idp: Some(&connector),
                sso: None,
                token_cache: None,
                token_file: None,
            };
            let o = opts(None);
            saml_response(&chain, ports, &o).await.unwrap();
            saml_response(&chain, ports, &o).await.unwrap();
            assert_eq!(connector.1.load(Ordering::SeqCst), 1);
            let later = FixedClock(Timestamp::from_unix(1_700_000_000 + 300));
            saml_response(
                &chain,
                Ports {
                    clock: &later,
                    ..ports
                },
                &o,
            )
            .await
            .unwrap();
            assert_eq!(
                connector.1.load(Ordering::SeqCst),
                2,
                "IssueInstant + 4 min has passed"
            );
        }

        #[tokio::test]
        async fn bad_assertions_and_bad_configuration() {
            let chain = chain(&[("corp", "role_arn", ADMIN)]);
            let garbage = Connector("%%% not base64".into(), AtomicUsize::new(0));
            let e = run_saml(&chain, &MockSts::new(), &MockPrompter::new(), &garbage)
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("base64"), "{e}");
            let set = ProfileSet::from_triples([
                ("both", "saml_auth_url", "https://a"),
                ("both", "web_identity_auth_url", "https://b"),
                ("jump", "saml_auth_url", "https://a"),
                ("jump", "jump_role_arn", READ),
            ]);
            let (env, flags) = (Env::default(), FlagValues::new());
            let input = PlanInput {
                profiles: &set,
                env: &env,
                flags: &flags,
                env_credentials: None,
                resolving: &[],
                endpoint: &StsEndpoint::default(),
            };
            let e = plan(&input, &Target::Profile("both".into()))
                .unwrap_err()
                .to_string();
            assert!(e.contains("saml_auth_url and web_identity_auth_url"), "{e}");
            let e = plan(&input, &Target::Profile("jump".into()))
                .unwrap_err()
                .to_string();
            assert!(e.contains("jump_role_arn but no role_arn"), "{e}");
        }

        #[test]
        fn saml_settings_are_inherited_from_the_source_profile() {
            let set = ProfileSet::from_triples([
                ("saml", "saml_auth_url", "https://idp.example.org/saml"),
                ("saml", "saml_username", "alice"),
                ("app", "source_profile", "saml"),
                ("app", "role_arn", ADMIN),
            ]);
            let (env, flags) = (Env::default(), FlagValues::new());
            let input = PlanInput {
                profiles: &set,
                env: &env,
                flags: &flags,
                env_credentials: None,
                resolving: &[],
                endpoint: &StsEndpoint::default(),
            };
            let chain = plan(&input, &Target::Profile("app".into())).unwrap();
            assert!(
                matches!(&chain.base, Base::Saml(SamlLogin { role: Some(r), .. }) if r.as_str() == ADMIN)
            );
            assert_eq!(chain.settings.get("saml_username"), Some("alice"));
        }
    }

    mod web_identity {
        use super::*;
        use crate::ports::cache::TokenCache;
        use crate::ports::idp::{
            IdToken, IdentityProvider, IdpConnector, OidcRequest, SamlAssertion,
        };
        use crate::ports::sts::WebIdentityRoleRequest;
        use crate::ports::token_file::{MockTokenFile, TokenFileError};
        use base64::Engine as _;
        use std::sync::atomic::{AtomicUsize, Ordering};

        const ROLE: &str = "arn:aws:iam::123456789012:role/web";

        fn jwt(exp: i64, user: &str) -> String {
            let b = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            format!(
                "{}.{}.sig",
                b(r#"{"alg":"RS256"}"#.into()),
                b(format!(r#"{{"exp":{exp},"preferred_username":"{user}"}}"#))
            )
        }

        #[derive(Debug)]
        struct Idp(String);

        #[async_trait::async_trait]
        impl IdentityProvider for Idp {
            async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
                Err(IdpError::unsupported("no"))
            }
            async fn oidc_token(&self, req: &OidcRequest) -> Result<IdToken, IdpError> {
                assert_eq!(
                    (req.client_id.as_str(), req.redirect_uri.as_str()),
                    ("cli", "http://127.0.0.1:8400/cb")
                );
                Ok(IdToken(Secret::new(self.0.clone())))
            }
        }

        struct Connector(String, AtomicUsize);

        #[async_trait::async_trait]
        impl IdpConnector for Connector {
            async fn connect(&self) -> Result<Box<dyn IdentityProvider>, IdpError> {
                self.1.fetch_add(1, Ordering::SeqCst);
                Ok(Box::new(Idp(self.0.clone())))
            }
        }

        #[derive(Default)]
        struct Tokens(Mutex<HashMap<String, Secret>>);

        impl TokenCache for Tokens {
            fn load(&self, url: &str) -> Option<Secret> {
                self.0.lock().unwrap().get(url).cloned()
            }
            fn store(&self, url: &str, token: &Secret) -> Result<(), CacheError> {
                self.0.lock().unwrap().insert(url.into(), token.clone());
                Ok(())
            }
            fn clear(&self) -> Result<(), CacheError> {
                self.0.lock().unwrap().clear();
                Ok(())
            }
        }

        fn chain(
            extra: &[(&'static str, &'static str, &'static str)],
        ) -> Result<RoleChain, crate::chain::ChainError> {
            let mut triples = vec![
                (
                    "web",
                    "web_identity_auth_url",
                    "https://idp.example.org/oauth2",
                ),
                ("web", "web_identity_client_id", "cli"),
                (
                    "web",
                    "web_identity_redirect_uri",
                    "http://127.0.0.1:8400/cb",
                ),
                ("web", "role_arn", ROLE),
            ];
            triples.extend_from_slice(extra);
            let set = ProfileSet::from_triples(triples);
            let (env, flags) = (Env::default(), FlagValues::new());
            let input = PlanInput {
                profiles: &set,
                env: &env,
                flags: &flags,
                env_credentials: None,
                resolving: &[],
                endpoint: &StsEndpoint::default(),
            };
            plan(&input, &Target::Profile("web".into()))
        }

        async fn run(
            chain: &RoleChain,
            sts: &MockSts,
            connector: &Connector,
            tokens: &Tokens,
        ) -> Result<Credentials, ResolveError> {
            let clock = FixedClock(Timestamp::from_unix(NOW));
            let (cache, process, prompter) =
                (MemCache::default(), no_process(), MockPrompter::new());
            let ports = Ports {
                sts,
                cache: &cache,
                prompter: &prompter,
                clock: &clock,
                process: &process,
                idp: Some(connector),
                sso: None,
                token_cache: Some(tokens),
                token_file: None,
            };
            resolve(chain, ports, &opts(None)).await
        }

        #[tokio::test]
        async fn login_then_assume_role_with_web_identity_and_token_reuse() {
            let chain = chain(&[]).unwrap();
            assert_eq!(
                chain.final_cache().unwrap().0,
                &CacheKey::new(crate::ports::cache::CacheKind::WebRole, "web")
            );
            let token = jwt(NOW + 3600, "alice@example.com");
            let mut sts = MockSts::new();
            let expected = token.clone();
            sts.expect_assume_role_with_web_identity()
                .withf(move |r: &WebIdentityRoleRequest| {
                    r.role_arn.as_str() == ROLE
                        && r.token.expose() == expected
                        && r.session_name.as_str() == "alice@example.com"
                })
                .times(2)
                .returning(|_| Ok(temp("ASIAWEB", NOW + 3600)));
            let (connector, tokens) = (Connector(token, AtomicUsize::new(0)), Tokens::default());
            assert_eq!(
                run(&chain, &sts, &connector, &tokens)
                    .await
                    .unwrap()
                    .access_key_id(),
                "ASIAWEB"
            );
            // A second resolution (new credential cache) reuses the cached token: no login.
            run(&chain, &sts, &connector, &tokens).await.unwrap();
            assert_eq!(connector.1.load(Ordering::SeqCst), 1);
        }

        #[tokio::test]
        async fn an_expiring_token_is_replaced_and_role_session_name_wins() {
            let chain = chain(&[("web", "role_session_name", "ops-bot")]).unwrap();
            let tokens = Tokens::default();
            tokens
                .store(
                    "https://idp.example.org/oauth2",
                    &Secret::new(jwt(NOW + 30, "old")),
                )
                .unwrap();
            let fresh = jwt(NOW + 3600, "alice");
            let mut sts = MockSts::new();
            let expected = fresh.clone();
            sts.expect_assume_role_with_web_identity()
                .withf(move |r| {
                    r.token.expose() == expected && r.session_name.as_str() == "ops-bot"
                })
                .times(1)
                .returning(|_| Ok(temp("ASIAWEB2", NOW + 3600)));
            let connector = Connector(fresh.clone(), AtomicUsize::new(0));
            run(&chain, &sts, &connector, &tokens).await.unwrap();
            assert_eq!(
                connector.1.load(Ordering::SeqCst),
                1,
                "a token within a minute of expiry is not used"
            );
            assert_eq!(
                tokens
                    .load("https://idp.example.org/oauth2")
                    .unwrap()
                    .expose(),
                fresh
            );
        }

        #[tokio::test]
        async fn jump_role_after_the_web_identity_login() {
            let chain = chain(&[(
                "web",
                "jump_role_arn",
                "arn:aws:iam::123456789012:role/jump",
            )])
            .unwrap();
            assert_eq!(
                chain.base_cache.as_ref().unwrap().0,
                CacheKey::new(crate::ports::cache::CacheKind::WebRole, "123456789012-jump")
            );
            assert_eq!(
                chain.role_cache.as_ref().unwrap().0,
                CacheKey::new(crate::ports::cache::CacheKind::AssumeRole, "web")
            );
            let mut sts = MockSts::new();
            sts.expect_assume_role_with_web_identity()
                .withf(|r| r.role_arn.as_str() == "arn:aws:iam::123456789012:role/jump")
                .times(1)
                .returning(|_| Ok(temp("ASIAJUMPWEB", NOW + 3600)));
            sts.expect_get_caller_identity().returning(|_| {
                Ok(CallerIdentity {
                    account: "1".into(),
                    arn: "arn:aws:sts::1:assumed-role/jump/alice".into(),
                    user_id: "x".into(),
                })
            });
            sts.expect_assume_role()
                .withf(|c, r| {
                    c.access_key_id() == "ASIAJUMPWEB"
                        && r.role_arn.as_str() == ROLE
                        && r.duration_secs == 3600
                })
                .times(1)
                .returning(|_, _| Ok(temp("ASIATARGETWEB", NOW + 3600)));
            let connector = Connector(jwt(NOW + 3600, "alice"), AtomicUsize::new(0));
            assert_eq!(
                run(&chain, &sts, &connector, &Tokens::default())
                    .await
                    .unwrap()
                    .access_key_id(),
                "ASIATARGETWEB"
            );
        }

        #[tokio::test]
        async fn an_answer_without_a_token_is_an_error() {
            let chain = chain(&[]).unwrap();
            let e = run(
                &chain,
                &MockSts::new(),
                &Connector(String::new(), AtomicUsize::new(0)),
                &Tokens::default(),
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("without a usable ID token"), "{e}");
        }

        #[test]
        fn missing_client_id_or_redirect_names_the_key() {
            let set = ProfileSet::from_triples([
                ("w", "web_identity_auth_url", "https://x"),
                ("w", "role_arn", ROLE),
                ("w", "web_identity_client_id", "c"),
            ]);
            let (env, flags) = (Env::default(), FlagValues::new());
            let input = PlanInput {
                profiles: &set,
                env: &env,
                flags: &flags,
                env_credentials: None,
                resolving: &[],
                endpoint: &StsEndpoint::default(),
            };
            let e = plan(&input, &Target::Profile("w".into()))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("web_identity_redirect_uri") && e.contains("`w`"),
                "{e}"
            );
        }

        #[tokio::test]
        async fn token_files_are_read_fresh_and_sent_as_they_are() {
            let set = ProfileSet::from_triples([
                ("k8s", "role_arn", ROLE),
                ("k8s", "web_identity_token_file", "/var/run/token"),
                ("k8s", "role_session_name", "pod-1"),
            ]);
            let (env, flags) = (Env::default(), FlagValues::new());
            let input = PlanInput {
                profiles: &set,
                env: &env,
                flags: &flags,
                env_credentials: None,
                resolving: &[],
                endpoint: &StsEndpoint::default(),
            };
            let chain = plan(&input, &Target::Profile("k8s".into())).unwrap();
            let mut file = MockTokenFile::new();
            file.expect_read()
                .withf(|p| p == "/var/run/token")
                .times(1)
                .returning(|_| Ok(Secret::new("opaque-token-from-kubelet")));
            let mut sts = MockSts::new();
            sts.expect_assume_role_with_web_identity()
                .withf(|r| {
                    r.token.expose() == "opaque-token-from-kubelet"
                        && r.session_name.as_str() == "pod-1"
                })
                .times(1)
                .returning(|_| Ok(temp("ASIAPOD", NOW + 3600)));
            let (cache, process, prompter, clock) = (
                MemCache::default(),
                no_process(),
                MockPrompter::new(),
                FixedClock(Timestamp::from_unix(NOW)),
            );
            let ports = Ports {
                sts: &sts,
                cache: &cache,
                prompter: &prompter,
                clock: &clock,
                process: &process,
                idp: None,
                sso: None,
                token_cache: None,
                token_file: Some(&file),
            };
            assert_eq!(
                resolve(&chain, ports, &opts(None))
                    .await
                    .unwrap()
                    .access_key_id(),
                "ASIAPOD"
            );

            // The environment's AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, in role-ARN mode.
            let env = Env::from_pairs([
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
                ("AWS_ROLE_SESSION_NAME", "ci-job"),
            ]);
            let empty = ProfileSet::new();
            let input = PlanInput {
                profiles: &empty,
                env: &env,
                flags: &flags,
                env_credentials: None,
                resolving: &[],
                endpoint: &StsEndpoint::default(),
            };
            let chain = plan(&input, &Target::Arn(RoleArn::parse(ROLE).unwrap())).unwrap();
            assert!(
                matches!(&chain.base, Base::WebIdentityToken(TokenFileSource { token_file, session_name: Some(n), .. }) if token_file == "/t" && n == "ci-job")
            );
            assert_eq!(chain.final_cache().unwrap().0.name(), "123456789012-web");
            let mut missing = MockTokenFile::new();
            missing.expect_read().returning(|p| {
                Err(TokenFileError {
                    path: p.into(),
                    reason: "no such file".into(),
                })
            });
            let ports = Ports {
                token_file: Some(&missing),
                ..ports
            };
            let e = resolve(&chain, ports, &opts(None))
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains("/t") && e.contains("no such file"), "{e}");
        }
    }
}
