//! IAM Identity Center (AWS SSO): the validated settings of an SSO profile or sso-session, and a
//! usable access token from the AWS CLI's cache, refreshed with the `refresh_token` grant under
//! the token's lock when it is (nearly) expired.
//!
//! The key rules follow the AWS SDKs and the AWS CLI: a profile names an `[sso-session NAME]`
//! section (`sso_start_url`, `sso_region`, `sso_registration_scopes`) with `sso_session`, or carries
//! `sso_start_url` and `sso_region` itself (the legacy form); `sso_account_id` and `sso_role_name`
//! pick the role. The token cache is keyed by the session name (legacy: by the start URL).

use crate::chain::ChainError;
use crate::ports::browser::BrowserOpener;
use crate::ports::cache::CacheError;
use crate::ports::clock::Clock;
use crate::ports::prompter::Prompter;
use crate::ports::sso::{
    ClientRegistration, RegisterRequest, SsoError, SsoErrorKind, SsoOidc, SsoPorts, SsoToken,
    TokenGrant, TokenResponse,
};
use crate::profile::{ProfileSet, Section};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::time::Duration;

/// A cached access token expiring within this many seconds is refreshed first (the AWS SDKs'
/// refresh window).
pub const TOKEN_REFRESH_WINDOW_SECS: i64 = 15 * 60;

/// The scope an sso-session registers for when `sso_registration_scopes` is not set (the AWS
/// CLI's default).
pub const DEFAULT_SCOPE: &str = "sso:account:access";

/// What a login is for: an sso-session, or a legacy profile's start URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// The `[sso-session NAME]`, `None` for the legacy form.
    pub name: Option<String>,
    /// `sso_start_url`.
    pub start_url: String,
    /// `sso_region`.
    pub region: String,
    /// `sso_registration_scopes` (sessions only; default [`DEFAULT_SCOPE`]).
    pub scopes: Vec<String>,
}

impl SsoSession {
    /// The token-cache key: the session name, else the start URL.
    pub fn token_key(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.start_url)
    }

    /// How messages name it: "sso-session `corp`" or "start URL https://…".
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("sso-session `{n}`"),
            None => format!("start URL {}", self.start_url),
        }
    }
}

/// An SSO profile's role: the session it logs in with, the account and the permission set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoRole {
    /// The profile.
    pub profile: String,
    /// Its login.
    pub session: SsoSession,
    /// `sso_account_id`.
    pub account_id: String,
    /// `sso_role_name`.
    pub role_name: String,
}

const WHY: &str = "IAM Identity Center credentials";

fn scopes_of(text: Option<&str>, session: bool) -> Vec<String> {
    match text {
        Some(t) => t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None if session => vec![DEFAULT_SCOPE.to_string()],
        None => vec![],
    }
}

/// The session part of the `sso_*` fields of a chain's SSO base (see
/// [`crate::chain::Base::Sso`]).
///
/// # Errors
/// [`ChainError`] naming the profile and the missing key.
fn session_of_fields(
    profile: &str,
    fields: &BTreeMap<String, String>,
) -> Result<SsoSession, ChainError> {
    let name = fields.get("sso_session").cloned();
    let need = |key: &'static str| -> Result<String, ChainError> {
        match (fields.get(key).map(|v| v.trim()), &name) {
            (Some(v), _) if !v.is_empty() => Ok(v.to_string()),
            (_, Some(session)) => Err(ChainError::Sso {
                profile: profile.to_string(),
                message: format!("sso-session `{session}` needs {key} for {WHY}"),
            }),
            (_, None) => Err(ChainError::MissingKey {
                profile: profile.to_string(),
                key,
                why: WHY,
            }),
        }
    };
    Ok(SsoSession {
        start_url: need("sso_start_url")?,
        region: need("sso_region")?,
        scopes: scopes_of(
            fields.get("sso_registration_scopes").map(String::as_str),
            name.is_some(),
        ),
        name,
    })
}

/// The validated SSO role of a chain's SSO base.
///
/// # Errors
/// [`ChainError`] naming the profile and the missing key (a profile with only `sso_session`
/// can log in but has no role to get credentials for).
pub fn sso_role(profile: &str, fields: &BTreeMap<String, String>) -> Result<SsoRole, ChainError> {
    let session = session_of_fields(profile, fields)?;
    let need = |key: &'static str| -> Result<String, ChainError> {
        fields
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or(ChainError::MissingKey {
                profile: profile.to_string(),
                key,
                why: WHY,
            })
    };
    Ok(SsoRole {
        profile: profile.to_string(),
        account_id: need("sso_account_id")?,
        role_name: need("sso_role_name")?,
        session,
    })
}

/// The login of a profile (`aws-runas sso login <profile>`): its sso-session, or its legacy
/// start URL and region. Account and role are not needed.
///
/// # Errors
/// [`ChainError`] for a missing profile, a missing sso-session section, a missing key, or a
/// profile with no `sso_*` settings.
pub fn session_of_profile(set: &ProfileSet, profile: &str) -> Result<SsoSession, ChainError> {
    let section = set
        .profile(profile)
        .ok_or_else(|| ChainError::ProfileNotFound(profile.to_string()))?;
    let mut fields = BTreeMap::new();
    if let Some(name) = section.get("sso_session") {
        let session = set.sso_session(name).ok_or_else(|| ChainError::Sso {
            profile: profile.to_string(),
            message: format!(
                "sso-session named `{name}` (referenced by profile `{profile}`) was not found"
            ),
        })?;
        fields.insert("sso_session".to_string(), name.to_string());
        copy_sso_keys(session, &mut fields);
    } else if section.get("sso_start_url").is_none() {
        return Err(ChainError::Sso {
            profile: profile.to_string(),
            message: "is not an IAM Identity Center profile: set sso_session (or sso_start_url and sso_region)".to_string(),
        });
    }
    copy_sso_keys(section, &mut fields);
    session_of_fields(profile, &fields)
}

/// An `[sso-session NAME]` section's login (`aws-runas sso login --sso-session NAME`).
///
/// # Errors
/// [`ChainError::Sso`] for a missing section or key.
pub fn named_session(set: &ProfileSet, name: &str) -> Result<SsoSession, ChainError> {
    let err = |message: String| ChainError::SsoSession {
        session: name.to_string(),
        message,
    };
    let section = set
        .sso_session(name)
        .ok_or_else(|| err("not found in the config file".to_string()))?;
    let need = |key: &str| {
        section
            .get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| err(format!("needs {key}")))
    };
    Ok(SsoSession {
        name: Some(name.to_string()),
        start_url: need("sso_start_url")?,
        region: need("sso_region")?,
        scopes: scopes_of(section.get("sso_registration_scopes"), true),
    })
}

fn copy_sso_keys(section: &Section, fields: &mut BTreeMap<String, String>) {
    for (k, p) in section.properties() {
        if k.starts_with("sso_") {
            fields
                .entry(k.to_string())
                .or_insert_with(|| p.value().to_string());
        }
    }
}

/// Why no usable access token could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// A new login is needed; the text says why.
    #[error("{0}")]
    LoginNeeded(String),
    /// The token cache failed (a lock timeout, a file that cannot be written).
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// The cached token of `session` if it belongs to it (same start URL); else why there is none.
/// A token for another start URL is not used (a login overwrites it, as the AWS CLI's does).
///
/// # Errors
/// The reason, for the login-needed message.
pub fn cached_token(session: &SsoSession, sso: SsoPorts<'_>) -> Result<SsoToken, String> {
    let key = session.token_key();
    let token = sso
        .tokens
        .load(key)
        .ok_or_else(|| format!("no cached login for {}", session.label()))?;
    if token.start_url.trim_end_matches('/') != session.start_url.trim_end_matches('/') {
        return Err(format!(
            "the cached login {} is for start URL {}, not {}",
            sso.tokens.describe(key),
            token.start_url,
            session.start_url
        ));
    }
    Ok(token)
}

/// A usable access token for `session`: the cached one while it has more than
/// [`TOKEN_REFRESH_WINDOW_SECS`] left; else refreshed with the `refresh_token` grant, once across
/// processes (under the token's lock, looking again once the lock is held); else the cached one
/// while it is still valid at all.
///
/// # Errors
/// [`TokenError::LoginNeeded`] when there is no token, it expired and cannot be refreshed, or the
/// refresh was refused; [`TokenError::Cache`] when the lock or the file failed.
pub async fn access_token(
    session: &SsoSession,
    sso: SsoPorts<'_>,
    clock: &dyn Clock,
    lock_timeout: Duration,
) -> Result<Secret, TokenError> {
    let now = clock.now();
    let token = cached_token(session, sso).map_err(TokenError::LoginNeeded)?;
    if token.expires_at.secs_since(now) > TOKEN_REFRESH_WINDOW_SECS {
        return Ok(token.access_token);
    }
    if token.refresh_token.is_none() || token.live_client(now).is_none() {
        return usable_or(&token, clock, || {
            if token.refresh_token.is_none() {
                format!(
                    "the login for {} expired at {} and has no refresh token",
                    session.label(),
                    token.expires_at
                )
            } else {
                format!(
                    "the login for {} expired at {} and its client registration expired too",
                    session.label(),
                    token.expires_at
                )
            }
        });
    }
    let key = session.token_key();
    let _guard = sso.tokens.lock(key, lock_timeout)?;
    // Another process may have refreshed it while we waited.
    let token = cached_token(session, sso).map_err(TokenError::LoginNeeded)?;
    let now = clock.now();
    if token.expires_at.secs_since(now) > TOKEN_REFRESH_WINDOW_SECS {
        log::debug!("another process refreshed the IAM Identity Center token while we waited");
        return Ok(token.access_token);
    }
    match refresh(&token, sso, clock).await {
        Ok(new) => {
            if let Err(e) = sso.tokens.store(key, &new) {
                log::warn!("could not save the refreshed IAM Identity Center token: {e}");
            }
            Ok(new.access_token)
        }
        Err(e) => usable_or(&token, clock, || {
            format!(
                "refreshing the login for {} failed: {}",
                session.label(),
                describe(&e)
            )
        }),
    }
}

/// [`access_token`], else (when a login flow is offered: there is a user at a terminal) a new
/// login, cached under the token's lock.
///
/// # Errors
/// As [`access_token`]; a failed login is [`TokenError::LoginNeeded`] with both reasons.
pub async fn token_or_login(
    session: &SsoSession,
    sso: SsoPorts<'_>,
    clock: &dyn Clock,
    lock_timeout: Duration,
    prompter: &dyn Prompter,
) -> Result<Secret, TokenError> {
    let reason = match access_token(session, sso, clock, lock_timeout).await {
        Err(TokenError::LoginNeeded(reason)) => reason,
        other => return other,
    };
    let Some(flow) = sso.login else {
        return Err(TokenError::LoginNeeded(reason));
    };
    prompter.notice(&format!("{reason}; logging in"));
    let token = flow
        .login(session)
        .await
        .map_err(|e| TokenError::LoginNeeded(format!("{reason}, and the login failed: {e}")))?;
    let key = session.token_key();
    let _guard = sso.tokens.lock(key, lock_timeout)?;
    sso.tokens.store(key, &token)?;
    Ok(token.access_token)
}

/// The token while it is valid at all; else a login-needed error with `why`.
fn usable_or(
    token: &SsoToken,
    clock: &dyn Clock,
    why: impl FnOnce() -> String,
) -> Result<Secret, TokenError> {
    if token.expires_at > clock.now() {
        log::debug!(
            "using an IAM Identity Center token that expires soon, at {}",
            token.expires_at
        );
        return Ok(token.access_token.clone());
    }
    Err(TokenError::LoginNeeded(why()))
}

fn describe(e: &SsoError) -> String {
    match e.kind {
        SsoErrorKind::InvalidGrant => format!("the refresh token was refused (invalid_grant: {e})"),
        SsoErrorKind::InvalidClient => format!("the client registration was refused ({e})"),
        _ => e.to_string(),
    }
}

/// The token after a `refresh_token` grant: new access token and expiry, the new refresh token
/// when one is issued (else the old one), the registration unchanged.
async fn refresh(
    token: &SsoToken,
    sso: SsoPorts<'_>,
    clock: &dyn Clock,
) -> Result<SsoToken, SsoError> {
    let client = token
        .live_client(clock.now())
        .ok_or_else(|| SsoError::new(SsoErrorKind::InvalidClient, "no live client registration"))?;
    let refresh_token = token
        .refresh_token
        .clone()
        .ok_or_else(|| SsoError::new(SsoErrorKind::InvalidGrant, "no refresh token"))?;
    log::debug!("refreshing the IAM Identity Center access token");
    let answer = sso
        .oidc
        .create_token(&client, &TokenGrant::RefreshToken { refresh_token })
        .await?;
    Ok(SsoToken {
        access_token: answer.access_token,
        expires_at: clock.now().plus_secs(answer.expires_in_secs),
        refresh_token: answer.refresh_token.or_else(|| token.refresh_token.clone()),
        ..token.clone()
    })
}

/// The OAuth grant type of the device flow.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The OAuth grant type of refreshes.
pub const REFRESH_GRANT: &str = "refresh_token";
/// The OAuth grant type of the PKCE flow.
pub const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";
/// How much longer to wait between polls after a `slow_down` (RFC 8628, section 3.5).
pub const SLOW_DOWN_SECS: i64 = 5;

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The user denied the request.
    #[error("the login for {0} was denied")]
    Denied(String),
    /// The device code (or the wait for it) expired before the user approved the request.
    #[error("the login for {0} expired before it was approved; run the login again")]
    Expired(String),
    /// A call failed.
    #[error("the login for {label} failed: {source}")]
    Sso {
        /// The session's label.
        label: String,
        /// The cause.
        #[source]
        source: SsoError,
    },
    /// The redirect of a browser login was not the one expected.
    #[error("the login for {label} was refused: {reason}")]
    Refused {
        /// The session's label.
        label: String,
        /// Why.
        reason: String,
    },
}

/// The client a login registers: the device grant (with refreshes, for sso-sessions) or the
/// authorization-code grant with its loopback redirect URI.
pub fn register_request(
    session: &SsoSession,
    redirect_uri: Option<&str>,
    now: crate::time::Timestamp,
) -> RegisterRequest {
    let client_name = format!("aws-runas-{}", now.unix());
    match redirect_uri {
        Some(uri) => RegisterRequest {
            client_name,
            scopes: session.scopes.clone(),
            grant_types: vec![AUTHORIZATION_CODE_GRANT.into(), REFRESH_GRANT.into()],
            redirect_uris: vec![uri.to_string()],
            issuer_url: Some(session.start_url.clone()),
        },
        None => RegisterRequest {
            client_name,
            scopes: session.scopes.clone(),
            grant_types: if session.name.is_some() {
                vec![DEVICE_GRANT.into(), REFRESH_GRANT.into()]
            } else {
                vec![]
            },
            redirect_uris: vec![],
            issuer_url: None,
        },
    }
}

/// The token to cache after a login.
pub fn token_after_login(
    session: &SsoSession,
    client: &ClientRegistration,
    answer: TokenResponse,
    now: crate::time::Timestamp,
) -> SsoToken {
    SsoToken {
        start_url: session.start_url.clone(),
        region: session.region.clone(),
        access_token: answer.access_token,
        expires_at: now.plus_secs(answer.expires_in_secs),
        client_id: Some(client.client_id.clone()),
        client_secret: Some(client.client_secret.clone()),
        registration_expires_at: Some(client.expires_at),
        refresh_token: answer.refresh_token,
    }
}

/// The device login (`--use-device-code`): registers a client, starts the device authorization,
/// shows the verification URL and user code (and opens the browser when one is given), then
/// polls CreateToken at the server's interval, slowing down when told to, until the user approves,
/// denies, or the code expires (`expiresIn`).
///
/// `sleep` waits between polls (the app passes the runtime's timer; tests a fake one).
///
/// # Errors
/// [`LoginError`] naming the session.
pub async fn device_login<S, F>(
    session: &SsoSession,
    oidc: &dyn SsoOidc,
    prompter: &dyn Prompter,
    browser: Option<&dyn BrowserOpener>,
    clock: &dyn Clock,
    sleep: S,
) -> Result<SsoToken, LoginError>
where
    S: Fn(Duration) -> F,
    F: std::future::Future<Output = ()>,
{
    let label = session.label();
    let fail = |source| LoginError::Sso {
        label: label.clone(),
        source,
    };
    let client = oidc
        .register_client(&register_request(session, None, clock.now()))
        .await
        .map_err(fail)?;
    let auth = oidc
        .start_device_authorization(&client, &session.start_url)
        .await
        .map_err(fail)?;
    let url = auth
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| auth.verification_uri.clone());
    prompter.notice(&format!(
        "To sign in to {label}, open this page in a browser:\n\n  {}\n\nand enter the code: {}",
        auth.verification_uri, auth.user_code
    ));
    if let Some(b) = browser
        && let Err(e) = b.open(&url)
    {
        prompter.notice(&format!("(could not open a browser: {e})"));
    }
    let deadline = clock.now().plus_secs(auth.expires_in_secs.max(1));
    let mut interval = auth.interval_secs.max(1);
    let grant = TokenGrant::DeviceCode {
        device_code: auth.device_code.clone(),
    };
    loop {
        if clock.now() >= deadline {
            return Err(LoginError::Expired(label));
        }
        sleep(Duration::from_secs(interval.unsigned_abs())).await;
        match oidc.create_token(&client, &grant).await {
            Ok(answer) => return Ok(token_after_login(session, &client, answer, clock.now())),
            Err(e) => match e.kind {
                SsoErrorKind::AuthorizationPending => {}
                SsoErrorKind::SlowDown => interval += SLOW_DOWN_SECS,
                SsoErrorKind::ExpiredToken => return Err(LoginError::Expired(label)),
                SsoErrorKind::AccessDenied => return Err(LoginError::Denied(label)),
                _ => return Err(fail(e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;
    use crate::chain::{Base, aws_chain};
    use crate::ports::cache::CacheLock;
    use crate::ports::clock::FixedClock;
    use crate::ports::sso::{
        ClientRegistration, DeviceAuthorization, RegisterRequest, SsoOidc, SsoPortal,
        SsoTokenCache, TokenResponse,
    };
    use crate::profile::Property;
    use crate::time::Timestamp;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn set() -> ProfileSet {
        let mut set = ProfileSet::from_triples([
            ("dev", "sso_session", "corp"),
            ("dev", "sso_account_id", "111122223333"),
            ("dev", "sso_role_name", "Admin"),
            (
                "legacy",
                "sso_start_url",
                "https://legacy.awsapps.com/start",
            ),
            ("legacy", "sso_region", "eu-west-1"),
            ("legacy", "sso_account_id", "111122223333"),
            ("legacy", "sso_role_name", "Read"),
            ("norole", "sso_session", "corp"),
            ("norole", "sso_account_id", "111122223333"),
            ("tokenonly", "sso_session", "corp"),
            ("halfsession", "sso_session", "half"),
            ("halfsession", "sso_account_id", "111122223333"),
            ("halfsession", "sso_role_name", "Admin"),
            (
                "legacynoregion",
                "sso_start_url",
                "https://x.awsapps.com/start",
            ),
            ("legacynoregion", "sso_account_id", "1"),
            ("legacynoregion", "sso_role_name", "r"),
            ("missing", "sso_session", "nowhere"),
            ("clash", "sso_session", "corp"),
            ("clash", "sso_start_url", "https://other.awsapps.com/start"),
            ("clash", "sso_account_id", "1"),
            ("clash", "sso_role_name", "r"),
            ("chained", "source_profile", "dev"),
            (
                "chained",
                "role_arn",
                "arn:aws:iam::444455556666:role/deploy",
            ),
        ]);
        for (k, v) in [
            ("sso_start_url", "https://corp.awsapps.com/start"),
            ("sso_region", "us-east-2"),
            (
                "sso_registration_scopes",
                "sso:account:access, codewhisperer:completions",
            ),
        ] {
            set.sso_session_mut("corp").set(k, Property::new(v, None));
        }
        set.sso_session_mut("half")
            .set("sso_start_url", Property::new("https://h", None));
        set
    }

    fn role_of(set: &ProfileSet, name: &str) -> Result<SsoRole, ChainError> {
        match aws_chain(set, name)?.base {
            Base::Sso { profile, fields } => sso_role(&profile, &fields),
            other => panic!("not an sso base: {other:?}"),
        }
    }

    #[test]
    fn session_and_legacy_profiles() {
        let set = set();
        let dev = role_of(&set, "dev").unwrap();
        assert_eq!(dev.session.name.as_deref(), Some("corp"));
        assert_eq!(dev.session.token_key(), "corp");
        assert_eq!(dev.session.region, "us-east-2");
        assert_eq!(
            dev.session.scopes,
            ["sso:account:access", "codewhisperer:completions"]
        );
        assert_eq!(
            (dev.account_id.as_str(), dev.role_name.as_str()),
            ("111122223333", "Admin")
        );
        let legacy = role_of(&set, "legacy").unwrap();
        assert_eq!(legacy.session.name, None);
        assert_eq!(
            legacy.session.token_key(),
            "https://legacy.awsapps.com/start"
        );
        assert!(
            legacy.session.scopes.is_empty(),
            "legacy logins register without scopes"
        );
        let chained = aws_chain(&set, "chained").unwrap();
        assert!(matches!(chained.base, Base::Sso { ref profile, .. } if profile == "dev"));
        assert_eq!(chained.roles.len(), 1);
    }

    #[test]
    fn missing_keys_name_the_profile_and_key() {
        let set = set();
        let e = role_of(&set, "norole").unwrap_err().to_string();
        assert!(e.contains("`norole`") && e.contains("sso_role_name"), "{e}");
        let e = role_of(&set, "tokenonly").unwrap_err().to_string();
        assert!(
            e.contains("`tokenonly`") && e.contains("sso_account_id"),
            "{e}"
        );
        let e = role_of(&set, "halfsession").unwrap_err().to_string();
        assert!(
            e.contains("`halfsession`")
                && e.contains("sso-session `half`")
                && e.contains("sso_region"),
            "{e}"
        );
        let e = role_of(&set, "legacynoregion").unwrap_err().to_string();
        assert!(
            e.contains("`legacynoregion`") && e.contains("sso_region"),
            "{e}"
        );
        let e = aws_chain(&set, "missing").unwrap_err().to_string();
        assert!(e.contains("`nowhere`") && e.contains("`missing`"), "{e}");
        let e = aws_chain(&set, "clash").unwrap_err().to_string();
        assert!(e.contains("`clash`") && e.contains("sso_start_url"), "{e}");
    }

    #[test]
    fn login_targets() {
        let set = set();
        let s = session_of_profile(&set, "tokenonly").unwrap();
        assert_eq!(s.token_key(), "corp");
        let s = session_of_profile(&set, "legacy").unwrap();
        assert_eq!(s.token_key(), "https://legacy.awsapps.com/start");
        let e = session_of_profile(&set, "chained").unwrap_err().to_string();
        assert!(e.contains("`chained`") && e.contains("sso_session"), "{e}");
        assert!(
            session_of_profile(&set, "missing")
                .unwrap_err()
                .to_string()
                .contains("nowhere")
        );
        assert_eq!(named_session(&set, "corp").unwrap().region, "us-east-2");
        let e = named_session(&set, "half").unwrap_err().to_string();
        assert!(e.contains("`half`") && e.contains("sso_region"), "{e}");
        let e = named_session(&set, "nope").unwrap_err().to_string();
        assert!(e.contains("`nope`") && e.contains("not found"), "{e}");
    }

    #[test]
    fn plans_cache_sso_credentials_under_the_profile() {
        use crate::chain::{PlanInput, StsEndpoint, Target, plan};
        use crate::ports::cache::{CacheKey, CacheKind};
        use crate::settings::{Env, FlagValues};
        let set = set();
        let (env, flags) = (Env::default(), FlagValues::new());
        let input = PlanInput {
            profiles: &set,
            env: &env,
            flags: &flags,
            env_credentials: None,
            resolving: &[],
            endpoint: &StsEndpoint::default(),
        };
        let dev = plan(&input, &Target::Profile("dev".into())).unwrap();
        assert_eq!(
            dev.final_cache().unwrap().0,
            &CacheKey::new(CacheKind::SsoRole, "dev")
        );
        assert!(dev.session_token.is_none() && dev.hops.is_empty());
        let chained = plan(&input, &Target::Profile("chained".into())).unwrap();
        assert_eq!(
            chained.base_cache.as_ref().unwrap().0,
            CacheKey::new(CacheKind::SsoRole, "dev")
        );
        assert_eq!(
            chained.final_cache().unwrap().0,
            &CacheKey::new(CacheKind::AssumeRole, "chained")
        );
        assert!(
            chained.session_token.is_none(),
            "SSO credentials are already temporary"
        );
        let legacy = plan(&input, &Target::Profile("legacy".into())).unwrap();
        assert_ne!(
            legacy.final_cache().unwrap().1,
            dev.final_cache().unwrap().1
        );
        let e = plan(&input, &Target::Profile("tokenonly".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`tokenonly`") && e.contains("sso_account_id"),
            "{e}"
        );
    }

    // --- access tokens ---

    const NOW: i64 = 1_700_000_000;

    #[derive(Default)]
    struct MemTokens {
        tokens: Mutex<BTreeMap<String, SsoToken>>,
        locks: AtomicUsize,
    }

    #[derive(Debug)]
    struct NoLock;
    impl CacheLock for NoLock {}

    impl SsoTokenCache for MemTokens {
        fn load(&self, key: &str) -> Option<SsoToken> {
            self.tokens.lock().unwrap().get(key).cloned()
        }
        fn store(&self, key: &str, token: &SsoToken) -> Result<(), CacheError> {
            self.tokens
                .lock()
                .unwrap()
                .insert(key.to_string(), token.clone());
            Ok(())
        }
        fn remove(&self, key: &str) -> Result<(), CacheError> {
            self.tokens.lock().unwrap().remove(key);
            Ok(())
        }
        fn lock(&self, _key: &str, _t: Duration) -> Result<Box<dyn CacheLock>, CacheError> {
            self.locks.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(NoLock))
        }
        fn describe(&self, key: &str) -> String {
            format!("mem:{key}")
        }
    }

    #[derive(Debug, Default)]
    struct Oidc {
        calls: AtomicUsize,
        refuse: bool,
    }

    #[async_trait::async_trait]
    impl SsoOidc for Oidc {
        async fn register_client(
            &self,
            _req: &RegisterRequest,
        ) -> Result<ClientRegistration, SsoError> {
            unreachable!("no registration on refresh")
        }
        async fn start_device_authorization(
            &self,
            _client: &ClientRegistration,
            _start_url: &str,
        ) -> Result<DeviceAuthorization, SsoError> {
            unreachable!("no device login on refresh")
        }
        async fn create_token(
            &self,
            client: &ClientRegistration,
            grant: &TokenGrant,
        ) -> Result<TokenResponse, SsoError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            assert_eq!(client.client_id, "cid");
            assert!(
                matches!(grant, TokenGrant::RefreshToken { refresh_token } if refresh_token.expose() == "rt-1")
            );
            if self.refuse {
                return Err(SsoError::new(SsoErrorKind::InvalidGrant, "revoked"));
            }
            Ok(TokenResponse {
                access_token: Secret::new("at-2"),
                expires_in_secs: 3600,
                refresh_token: Some(Secret::new("rt-2")),
            })
        }
    }

    #[derive(Debug)]
    struct Portal;

    #[async_trait::async_trait]
    impl SsoPortal for Portal {
        async fn get_role_credentials(
            &self,
            _t: &Secret,
            _a: &str,
            _r: &str,
        ) -> Result<Credentials, SsoError> {
            unreachable!()
        }
        async fn list_accounts(
            &self,
            _t: &Secret,
        ) -> Result<Vec<crate::ports::sso::SsoAccount>, SsoError> {
            unreachable!()
        }
        async fn list_account_roles(&self, _t: &Secret, _a: &str) -> Result<Vec<String>, SsoError> {
            unreachable!()
        }
        async fn logout(&self, _t: &Secret) -> Result<(), SsoError> {
            unreachable!()
        }
    }

    fn token(expires_in: i64) -> SsoToken {
        SsoToken {
            start_url: "https://corp.awsapps.com/start".into(),
            region: "us-east-2".into(),
            access_token: Secret::new("at-1"),
            expires_at: Timestamp::from_unix(NOW + expires_in),
            client_id: Some("cid".into()),
            client_secret: Some(Secret::new("csecret")),
            registration_expires_at: Some(Timestamp::from_unix(NOW + 86_400)),
            refresh_token: Some(Secret::new("rt-1")),
        }
    }

    async fn get(tokens: &MemTokens, oidc: &Oidc) -> Result<Secret, TokenError> {
        let session = named_session(&set(), "corp").unwrap();
        let ports = SsoPorts {
            tokens,
            oidc,
            portal: &Portal,
            login: None,
        };
        access_token(
            &session,
            ports,
            &FixedClock(Timestamp::from_unix(NOW)),
            Duration::ZERO,
        )
        .await
    }

    #[tokio::test]
    async fn fresh_token_is_used_without_lock_or_call() {
        let tokens = MemTokens::default();
        tokens.store("corp", &token(3600)).unwrap();
        let oidc = Oidc::default();
        assert_eq!(get(&tokens, &oidc).await.unwrap().expose(), "at-1");
        assert_eq!(oidc.calls.load(Ordering::SeqCst), 0);
        assert_eq!(tokens.locks.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn expired_token_is_refreshed_under_the_lock_and_rewritten() {
        let tokens = MemTokens::default();
        tokens.store("corp", &token(-10)).unwrap();
        let oidc = Oidc::default();
        assert_eq!(get(&tokens, &oidc).await.unwrap().expose(), "at-2");
        assert_eq!(oidc.calls.load(Ordering::SeqCst), 1);
        assert_eq!(tokens.locks.load(Ordering::SeqCst), 1);
        let stored = tokens.load("corp").unwrap();
        assert_eq!(stored.access_token.expose(), "at-2");
        assert_eq!(stored.refresh_token.unwrap().expose(), "rt-2");
        assert_eq!(stored.expires_at, Timestamp::from_unix(NOW + 3600));
        assert_eq!(
            stored.client_id.as_deref(),
            Some("cid"),
            "registration kept"
        );
        // Now fresh: no second refresh.
        assert_eq!(get(&tokens, &oidc).await.unwrap().expose(), "at-2");
        assert_eq!(oidc.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refused_refresh_falls_back_to_a_still_valid_token_else_asks_for_login() {
        let tokens = MemTokens::default();
        let oidc = Oidc {
            refuse: true,
            ..Oidc::default()
        };
        tokens.store("corp", &token(60)).unwrap();
        assert_eq!(get(&tokens, &oidc).await.unwrap().expose(), "at-1");
        tokens.store("corp", &token(-1)).unwrap();
        let e = get(&tokens, &oidc).await.unwrap_err().to_string();
        assert!(
            e.contains("invalid_grant") && e.contains("sso-session `corp`"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn missing_mismatched_and_unrefreshable_tokens_need_a_login() {
        let tokens = MemTokens::default();
        let oidc = Oidc::default();
        let e = get(&tokens, &oidc).await.unwrap_err();
        assert!(
            matches!(e, TokenError::LoginNeeded(ref m) if m.contains("no cached login")),
            "{e}"
        );
        let mut other = token(3600);
        other.start_url = "https://other.awsapps.com/start".into();
        tokens.store("corp", &other).unwrap();
        assert!(matches!(
            get(&tokens, &oidc).await,
            Err(TokenError::LoginNeeded(_))
        ));
        let mut old_client = token(-5);
        old_client.registration_expires_at = Some(Timestamp::from_unix(NOW - 1));
        tokens.store("corp", &old_client).unwrap();
        let e = get(&tokens, &oidc).await.unwrap_err().to_string();
        assert!(e.contains("registration expired"), "{e}");
        let mut no_refresh = token(-5);
        no_refresh.refresh_token = None;
        tokens.store("corp", &no_refresh).unwrap();
        let e = get(&tokens, &oidc).await.unwrap_err().to_string();
        assert!(e.contains("no refresh token"), "{e}");
        assert_eq!(oidc.calls.load(Ordering::SeqCst), 0);
    }

    // --- device login ---

    /// A clock that sleeping advances.
    #[derive(Debug)]
    struct StepClock(std::sync::atomic::AtomicI64);

    impl Clock for StepClock {
        fn now(&self) -> Timestamp {
            Timestamp::from_unix(self.0.load(Ordering::SeqCst))
        }
    }

    /// SSO OIDC answering the device flow from a script of CreateToken outcomes.
    #[derive(Debug)]
    struct DeviceOidc {
        script: Mutex<Vec<Result<(), SsoErrorKind>>>,
        registered: Mutex<Option<RegisterRequest>>,
        expires_in: i64,
    }

    impl DeviceOidc {
        fn new(script: Vec<Result<(), SsoErrorKind>>) -> Self {
            DeviceOidc {
                script: Mutex::new(script),
                registered: Mutex::new(None),
                expires_in: 600,
            }
        }
    }

    #[async_trait::async_trait]
    impl SsoOidc for DeviceOidc {
        async fn register_client(
            &self,
            req: &RegisterRequest,
        ) -> Result<ClientRegistration, SsoError> {
            *self.registered.lock().unwrap() = Some(req.clone());
            Ok(ClientRegistration {
                client_id: "cid".into(),
                client_secret: Secret::new("csecret"),
                expires_at: Timestamp::from_unix(NOW + 90 * 86_400),
            })
        }
        async fn start_device_authorization(
            &self,
            client: &ClientRegistration,
            start_url: &str,
        ) -> Result<DeviceAuthorization, SsoError> {
            assert_eq!(
                (client.client_id.as_str(), start_url),
                ("cid", "https://corp.awsapps.com/start")
            );
            Ok(DeviceAuthorization {
                device_code: Secret::new("dc"),
                user_code: "ABCD-EFGH".into(),
                verification_uri: "https://device.sso.example/".into(),
                verification_uri_complete: Some(
                    "https://device.sso.example/?user_code=ABCD-EFGH".into(),
                ),
                expires_in_secs: self.expires_in,
                interval_secs: 1,
            })
        }
        async fn create_token(
            &self,
            _client: &ClientRegistration,
            grant: &TokenGrant,
        ) -> Result<TokenResponse, SsoError> {
            assert!(
                matches!(grant, TokenGrant::DeviceCode { device_code } if device_code.expose() == "dc")
            );
            let mut script = self.script.lock().unwrap();
            let next = if script.is_empty() {
                Err(SsoErrorKind::AuthorizationPending)
            } else {
                script.remove(0)
            };
            match next {
                Ok(()) => Ok(TokenResponse {
                    access_token: Secret::new("at-device"),
                    expires_in_secs: 28_800,
                    refresh_token: Some(Secret::new("rt-device")),
                }),
                Err(kind) => Err(SsoError::new(kind, format!("{kind:?}"))),
            }
        }
    }

    #[derive(Debug, Default)]
    struct Shown(Mutex<Vec<String>>);

    impl Prompter for Shown {
        fn read_line(&self, _l: &str) -> Result<String, crate::ports::prompter::PromptError> {
            Err(crate::ports::prompter::PromptError::NoTerminal)
        }
        fn read_secret(&self, _l: &str) -> Result<Secret, crate::ports::prompter::PromptError> {
            Err(crate::ports::prompter::PromptError::NoTerminal)
        }
        fn notice(&self, m: &str) {
            self.0.lock().unwrap().push(m.to_string());
        }
    }

    #[derive(Debug, Default)]
    struct Browser(Mutex<Vec<String>>);

    impl BrowserOpener for Browser {
        fn open(&self, url: &str) -> Result<(), String> {
            self.0.lock().unwrap().push(url.to_string());
            Ok(())
        }
    }

    async fn device(oidc: &DeviceOidc) -> (Result<SsoToken, LoginError>, Vec<u64>, Shown, Browser) {
        let session = named_session(&set(), "corp").unwrap();
        let clock = StepClock(std::sync::atomic::AtomicI64::new(NOW));
        let waits = Mutex::new(vec![]);
        let (shown, browser) = (Shown::default(), Browser::default());
        let got = device_login(
            &session,
            oidc,
            &shown,
            Some(&browser),
            &clock,
            |d: Duration| {
                waits.lock().unwrap().push(d.as_secs());
                clock
                    .0
                    .fetch_add(i64::try_from(d.as_secs()).unwrap(), Ordering::SeqCst);
                std::future::ready(())
            },
        )
        .await;
        (got, waits.into_inner().unwrap(), shown, browser)
    }

    #[tokio::test]
    async fn device_login_polls_at_the_interval_and_slows_down() {
        use SsoErrorKind::*;
        let oidc = DeviceOidc::new(vec![
            Err(AuthorizationPending),
            Err(SlowDown),
            Err(AuthorizationPending),
            Ok(()),
        ]);
        let (got, waits, shown, browser) = device(&oidc).await;
        let token = got.unwrap();
        assert_eq!(waits, [1, 1, 6, 6], "interval, then +5s after slow_down");
        assert_eq!(token.access_token.expose(), "at-device");
        assert_eq!(token.refresh_token.unwrap().expose(), "rt-device");
        assert_eq!(token.client_id.as_deref(), Some("cid"));
        assert_eq!(token.expires_at, Timestamp::from_unix(NOW + 14 + 28_800));
        assert_eq!(token.start_url, "https://corp.awsapps.com/start");
        let text = shown.0.lock().unwrap().join("\n");
        assert!(
            text.contains("https://device.sso.example/") && text.contains("ABCD-EFGH"),
            "{text}"
        );
        assert_eq!(
            *browser.0.lock().unwrap(),
            ["https://device.sso.example/?user_code=ABCD-EFGH"]
        );
        let reg = oidc.registered.lock().unwrap().clone().unwrap();
        assert_eq!(reg.grant_types, [DEVICE_GRANT, REFRESH_GRANT]);
        assert_eq!(
            reg.scopes,
            ["sso:account:access", "codewhisperer:completions"]
        );
    }

    #[tokio::test]
    async fn device_login_denied_expired_and_bounded_by_expires_in() {
        let (got, ..) = device(&DeviceOidc::new(vec![Err(SsoErrorKind::AccessDenied)])).await;
        assert!(matches!(got, Err(LoginError::Denied(_))), "{got:?}");
        let (got, ..) = device(&DeviceOidc::new(vec![Err(SsoErrorKind::ExpiredToken)])).await;
        let e = got.unwrap_err().to_string();
        assert!(
            e.contains("expired") && e.contains("sso-session `corp`"),
            "{e}"
        );
        // Pending forever: the wait ends at expiresIn.
        let mut forever = DeviceOidc::new(vec![]);
        forever.expires_in = 5;
        let (got, waits, ..) = device(&forever).await;
        assert!(matches!(got, Err(LoginError::Expired(_))), "{got:?}");
        assert_eq!(waits.len(), 5);
        let (got, ..) = device(&DeviceOidc::new(vec![Err(SsoErrorKind::InvalidClient)])).await;
        assert!(matches!(got, Err(LoginError::Sso { .. })), "{got:?}");
    }

    #[derive(Debug)]
    struct FakeLogin(AtomicUsize);

    #[async_trait::async_trait]
    impl crate::ports::sso::SsoLoginFlow for FakeLogin {
        async fn login(&self, session: &SsoSession) -> Result<SsoToken, String> {
            self.0.fetch_add(1, Ordering::SeqCst);
            assert_eq!(session.token_key(), "corp");
            let mut t = token(3600);
            t.access_token = Secret::new("at-login");
            Ok(t)
        }
    }

    #[tokio::test]
    async fn with_a_terminal_a_missing_login_is_done_first_and_cached() {
        let (tokens, oidc) = (MemTokens::default(), Oidc::default());
        let flow = FakeLogin(AtomicUsize::new(0));
        let session = named_session(&set(), "corp").unwrap();
        let shown = Shown::default();
        let clock = FixedClock(Timestamp::from_unix(NOW));
        let mut ports = SsoPorts {
            tokens: &tokens,
            oidc: &oidc,
            portal: &Portal,
            login: None,
        };
        let e = token_or_login(&session, ports, &clock, Duration::ZERO, &shown)
            .await
            .unwrap_err();
        assert!(
            matches!(e, TokenError::LoginNeeded(_)),
            "no terminal: at once"
        );
        assert_eq!(flow.0.load(Ordering::SeqCst), 0);
        ports.login = Some(&flow);
        let t = token_or_login(&session, ports, &clock, Duration::ZERO, &shown)
            .await
            .unwrap();
        assert_eq!(t.expose(), "at-login");
        assert_eq!(
            tokens.load("corp").unwrap().access_token.expose(),
            "at-login"
        );
        assert!(shown.0.lock().unwrap()[0].contains("no cached login"));
        // Now cached: no second login.
        token_or_login(&session, ports, &clock, Duration::ZERO, &shown)
            .await
            .unwrap();
        assert_eq!(flow.0.load(Ordering::SeqCst), 1);
    }
}
