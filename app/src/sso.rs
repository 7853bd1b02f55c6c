//! IAM Identity Center in the app: where the AWS CLI's token cache is, the SDK adapter for a
//! session's region and endpoints (built only on the paths that call the services).

use crate::env::ProcessEnv;
use aws_runas_cache_file::SsoFileTokenCache;
use aws_runas_domain::chain::{Base, RoleChain};
use aws_runas_domain::ports::sso::SsoPorts;
use aws_runas_domain::sso::SsoSession;
use aws_runas_sts_sdk::{AwsSettings, SdkSso, SsoSettings};
use std::path::{Path, PathBuf};

/// The AWS CLI's token cache: `~/.aws/sso/cache` under the home directory (`HOME`, else
/// `USERPROFILE`), as the AWS CLI and botocore find it whatever `AWS_CONFIG_FILE` says; with no
/// home directory, `sso/cache` beside the config file.
pub(crate) fn token_cache(penv: &ProcessEnv, config: &Path) -> SsoFileTokenCache {
    match penv.get("HOME").or_else(|| penv.get("USERPROFILE")) {
        Some(home) => SsoFileTokenCache::under_home(Path::new(home)),
        None => SsoFileTokenCache::new(
            config
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
                .join("sso")
                .join("cache"),
        ),
    }
}

/// The SDK adapter for `session`: its region, and the endpoints `AWS_ENDPOINT_URL_SSO` /
/// `AWS_ENDPOINT_URL_SSO_OIDC`, else the general endpoint URL (`AWS_ENDPOINT_URL`, the profile's
/// `endpoint_url`); proxy, CA bundle and timeouts as for STS.
pub(crate) fn sdk(
    penv: &ProcessEnv,
    session: &SsoSession,
    aws: &AwsSettings,
    endpoint_url: Option<&str>,
) -> SdkSso {
    SdkSso::new(settings(penv, session, aws, endpoint_url))
}

fn settings(
    penv: &ProcessEnv,
    session: &SsoSession,
    aws: &AwsSettings,
    endpoint_url: Option<&str>,
) -> SsoSettings {
    let general = endpoint_url.map(str::to_string);
    SsoSettings {
        region: session.region.clone(),
        portal_endpoint: penv
            .get("AWS_ENDPOINT_URL_SSO")
            .map(str::to_string)
            .or_else(|| general.clone()),
        oidc_endpoint: penv
            .get("AWS_ENDPOINT_URL_SSO_OIDC")
            .map(str::to_string)
            .or(general),
        transport: aws.clone(),
    }
}

/// The adapters a chain that starts with an SSO profile needs; `None` for other chains (or an
/// SSO base whose settings are incomplete: the domain reports that).
pub(crate) struct ChainSso {
    tokens: SsoFileTokenCache,
    sdk: SdkSso,
    login: Option<TerminalLogin>,
}

/// The login run before a credential request when no cached token is usable and a user sits at
/// the controlling terminal: the device grant (it works from a remote shell too), with the
/// browser opened on the verification page.
struct TerminalLogin {
    sdk: SdkSso,
    prompter: std::sync::Arc<dyn aws_runas_domain::ports::prompter::Prompter>,
    browser: aws_runas_browser_system::SystemBrowser,
}

#[async_trait::async_trait]
impl aws_runas_domain::ports::sso::SsoLoginFlow for TerminalLogin {
    async fn login(
        &self,
        session: &SsoSession,
    ) -> Result<aws_runas_domain::ports::sso::SsoToken, String> {
        aws_runas_domain::sso::device_login(
            session,
            &self.sdk,
            self.prompter.as_ref(),
            Some(&self.browser),
            &crate::wire::SystemClock,
            tokio::time::sleep,
        )
        .await
        .map_err(|e| e.to_string())
    }
}

/// Whether this process has a controlling terminal a user could log in on.
fn has_terminal() -> bool {
    #[cfg(unix)]
    {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

impl ChainSso {
    pub(crate) fn for_chain(
        penv: &ProcessEnv,
        config: &Path,
        chain: &RoleChain,
        aws: &AwsSettings,
        prompter: &std::sync::Arc<dyn aws_runas_domain::ports::prompter::Prompter>,
    ) -> Option<Self> {
        let Base::Sso { profile, fields } = &chain.base else {
            return None;
        };
        let role = aws_runas_domain::sso::sso_role(profile, fields).ok()?;
        let endpoint = chain.settings.get("endpoint_url");
        let login = has_terminal().then(|| TerminalLogin {
            sdk: sdk(penv, &role.session, aws, endpoint),
            prompter: std::sync::Arc::clone(prompter),
            browser: aws_runas_browser_system::SystemBrowser::new(
                penv.get("PATH").map(std::ffi::OsString::from),
            )
            .with_browser(penv.get("BROWSER").map(str::to_string)),
        });
        Some(ChainSso {
            tokens: token_cache(penv, config),
            sdk: sdk(penv, &role.session, aws, endpoint),
            login,
        })
    }

    pub(crate) fn ports(&self) -> SsoPorts<'_> {
        SsoPorts {
            tokens: &self.tokens,
            oidc: &self.sdk,
            portal: &self.sdk,
            login: self
                .login
                .as_ref()
                .map(|l| l as &dyn aws_runas_domain::ports::sso::SsoLoginFlow),
        }
    }
}

/// How long a browser login waits for the redirect.
const BROWSER_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// `aws-runas sso login` / `sso logout`.
///
/// # Errors
/// A bad profile or session, a failed login, a cache that cannot be written.
pub(crate) fn run(
    cli: &crate::cli::Cli,
    penv: &ProcessEnv,
    action: &crate::cli::SsoAction,
) -> anyhow::Result<std::process::ExitCode> {
    use crate::cli::SsoAction;
    let svc = crate::service::Service::load(cli, penv)?;
    match action {
        SsoAction::Login {
            profile,
            sso_session,
            use_device_code,
            no_browser,
        } => {
            let target = LoginTarget::of(&svc, profile.as_deref(), sso_session.as_deref())?;
            let rt = crate::wire::new_runtime()?;
            rt.block_on(login(&svc, &target, *use_device_code, *no_browser))?;
        }
        SsoAction::Logout {
            profile,
            sso_session,
        } => {
            let targets = match (profile.as_deref(), sso_session.as_deref()) {
                (None, None) => match penv.named_profile() {
                    Some(p) => vec![LoginTarget::of(&svc, Some(p), None)?],
                    None => LoginTarget::every(&svc),
                },
                (p, s) => vec![LoginTarget::of(&svc, p, s)?],
            };
            let rt = crate::wire::new_runtime()?;
            for t in &targets {
                rt.block_on(logout(&svc, t))?;
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// A session to log in to, and the profile whose settings (proxy, CA bundle, endpoint) apply.
struct LoginTarget {
    session: SsoSession,
    profile: Option<String>,
}

impl LoginTarget {
    fn of(
        svc: &crate::service::Service,
        profile: Option<&str>,
        session: Option<&str>,
    ) -> anyhow::Result<Self> {
        if let Some(name) = session {
            return Ok(LoginTarget {
                session: aws_runas_domain::sso::named_session(svc.profiles(), name)?,
                profile: None,
            });
        }
        let profile = profile
            .or_else(|| svc.penv().named_profile())
            .ok_or_else(|| {
                anyhow::anyhow!("name a profile or --sso-session NAME (or set AWS_PROFILE)")
            })?;
        Ok(LoginTarget {
            session: aws_runas_domain::sso::session_of_profile(svc.profiles(), profile)?,
            profile: Some(profile.to_string()),
        })
    }

    /// Every sso-session of the config file, and every legacy start URL.
    fn every(svc: &crate::service::Service) -> Vec<Self> {
        let set = svc.profiles();
        let mut out: Vec<LoginTarget> = set
            .sso_sessions()
            .filter_map(|s| aws_runas_domain::sso::named_session(set, s.name()).ok())
            .map(|session| LoginTarget {
                session,
                profile: None,
            })
            .collect();
        for p in set.profiles() {
            if p.get("sso_session").is_none()
                && p.get("sso_start_url").is_some()
                && let Ok(session) = aws_runas_domain::sso::session_of_profile(set, p.name())
                && !out
                    .iter()
                    .any(|t| t.session.token_key() == session.token_key())
            {
                out.push(LoginTarget {
                    session,
                    profile: Some(p.name().to_string()),
                });
            }
        }
        out
    }

    fn sdk(&self, svc: &crate::service::Service) -> SdkSso {
        let name = self.profile.clone().unwrap_or_else(|| "default".into());
        let target = aws_runas_domain::chain::Target::Profile(name.clone());
        let aws = svc.aws_settings(&target);
        let settings = svc.settings(Some(&name));
        sdk(
            svc.penv(),
            &self.session,
            &aws,
            settings.get("endpoint_url"),
        )
    }
}

async fn login(
    svc: &crate::service::Service,
    target: &LoginTarget,
    device: bool,
    no_browser: bool,
) -> anyhow::Result<()> {
    use aws_runas_domain::ports::browser::BrowserOpener;
    use aws_runas_domain::ports::sso::SsoTokenCache as _;
    let session = &target.session;
    let sdk = target.sdk(svc);
    let prompter = svc.prompter().as_ref();
    let browser = aws_runas_browser_system::SystemBrowser::new(
        svc.penv().get("PATH").map(std::ffi::OsString::from),
    )
    .with_browser(svc.penv().get("BROWSER").map(str::to_string));
    let browser = (!no_browser).then_some(&browser as &dyn BrowserOpener);
    let clock = crate::wire::SystemClock;
    let token = if device {
        aws_runas_domain::sso::device_login(session, &sdk, prompter, browser, &clock, |d| {
            tokio::time::sleep(d)
        })
        .await?
    } else {
        pkce::login(
            session,
            &sdk,
            &oidc_base(svc, target),
            prompter,
            browser,
            &clock,
        )
        .await?
    };
    let tokens = token_cache(svc.penv(), svc.locations().config());
    let key = session.token_key();
    {
        let _lock = tokens.lock(key, crate::service::LOCK_TIMEOUT)?;
        tokens.store(key, &token)?;
    }
    prompter.notice(&format!(
        "Logged in to {} (token cached in {}, valid until {})",
        session.label(),
        tokens.describe(key),
        token.expires_at
    ));
    Ok(())
}

/// The SSO OIDC base URL the browser is sent to (`<base>/authorize`): the configured endpoint,
/// else the region's.
fn oidc_base(svc: &crate::service::Service, target: &LoginTarget) -> String {
    let name = target.profile.clone().unwrap_or_else(|| "default".into());
    let settings = svc.settings(Some(&name));
    svc.penv()
        .get("AWS_ENDPOINT_URL_SSO_OIDC")
        .or_else(|| settings.get("endpoint_url"))
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("https://oidc.{}.amazonaws.com", target.session.region))
}

/// Whether `name` is an IAM Identity Center profile (it names an sso-session or a start URL).
pub(crate) fn is_sso_profile(set: &aws_runas_domain::ProfileSet, name: &str) -> bool {
    set.profile(name)
        .is_some_and(|p| p.get("sso_session").is_some() || p.get("sso_start_url").is_some())
}

/// `list roles` of an SSO profile: every account (id and name) and role the login may use, and a
/// profile snippet for each, ready to paste.
pub(crate) fn list_roles(
    svc: &crate::service::Service,
    name: &str,
) -> anyhow::Result<std::process::ExitCode> {
    use aws_runas_domain::ports::sso::SsoPortal as _;
    let target = LoginTarget::of(svc, Some(name), None)?;
    let session = &target.session;
    let sdk = target.sdk(svc);
    let tokens = token_cache(svc.penv(), svc.locations().config());
    let login = has_terminal().then(|| TerminalLogin {
        sdk: target.sdk(svc),
        prompter: std::sync::Arc::clone(svc.prompter()),
        browser: aws_runas_browser_system::SystemBrowser::new(
            svc.penv().get("PATH").map(std::ffi::OsString::from),
        )
        .with_browser(svc.penv().get("BROWSER").map(str::to_string)),
    });
    let ports = SsoPorts {
        tokens: &tokens,
        oidc: &sdk,
        portal: &sdk,
        login: login
            .as_ref()
            .map(|l| l as &dyn aws_runas_domain::ports::sso::SsoLoginFlow),
    };
    let rt = crate::wire::new_runtime()?;
    let listing: anyhow::Result<Vec<(aws_runas_domain::ports::sso::SsoAccount, Vec<String>)>> = rt
        .block_on(async {
            let token = aws_runas_domain::sso::token_or_login(
                session,
                ports,
                &crate::wire::SystemClock,
                crate::service::LOCK_TIMEOUT,
                svc.prompter().as_ref(),
            )
            .await
            .map_err(|e| match e {
                aws_runas_domain::sso::TokenError::LoginNeeded(reason) => {
                    anyhow::anyhow!("profile `{name}`: {reason}; run `aws-runas sso login {name}`")
                }
                other => other.into(),
            })?;
            let mut out = vec![];
            for account in sdk.list_accounts(&token).await? {
                let roles = sdk.list_account_roles(&token, &account.account_id).await?;
                out.push((account, roles));
            }
            Ok(out)
        });
    let listing = listing?;
    let mut text = format!("Available roles for {}\n", session.label());
    for (account, roles) in &listing {
        text.push_str(&format!("  {} ({})\n", account.account_id, account.name));
        for r in roles {
            text.push_str(&format!("    {r}\n"));
        }
    }
    text.push_str("\n# Profiles to paste into the config file:\n");
    let login_keys = match &session.name {
        Some(n) => format!("sso_session = {n}\n"),
        None => format!(
            "sso_start_url = {}\nsso_region = {}\n",
            session.start_url, session.region
        ),
    };
    for (account, roles) in &listing {
        for r in roles {
            let label = if account.name.is_empty() {
                account.account_id.clone()
            } else {
                account.name.clone()
            };
            let profile: String = format!("{label}-{r}")
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            text.push_str(&format!(
                "\n[profile {profile}]\n{login_keys}sso_account_id = {}\nsso_role_name = {r}\n",
                account.account_id
            ));
        }
    }
    crate::wire::print_stdout(&text)?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn logout(svc: &crate::service::Service, target: &LoginTarget) -> anyhow::Result<()> {
    use aws_runas_domain::ports::cache::CredentialCache as _;
    use aws_runas_domain::ports::sso::{SsoPortal as _, SsoTokenCache as _};
    let session = &target.session;
    let key = session.token_key();
    let tokens = token_cache(svc.penv(), svc.locations().config());
    if let Some(token) = tokens.load(key) {
        if let Err(e) = target.sdk(svc).logout(&token.access_token).await {
            log::warn!(
                "IAM Identity Center logout of {} failed: {e}",
                session.label()
            );
        }
        tokens.remove(key)?;
    }
    // Our cached credentials of every profile that logs in with this session.
    let cache = svc.cache();
    let names: Vec<String> = svc.profiles().profile_names().map(str::to_string).collect();
    for name in names {
        let Ok(planned) = svc.plan(&name) else {
            continue;
        };
        let uses = match &planned.chain.base {
            Base::Sso { profile, fields } => aws_runas_domain::sso::sso_role(profile, fields)
                .is_ok_and(|r| r.session.token_key() == key),
            _ => false,
        };
        if uses {
            for (k, _) in planned
                .chain
                .base_cache
                .iter()
                .chain(planned.chain.role_cache.iter())
            {
                if let Err(e) = cache.remove(k) {
                    log::warn!("{e}");
                }
            }
        }
    }
    svc.prompter()
        .notice(&format!("Logged out of {}", session.label()));
    Ok(())
}

/// The authorization-code grant with PKCE and a loopback redirect (the AWS CLI's default login).
mod pkce {
    use super::BROWSER_WAIT;
    use aws_runas_domain::Secret;
    use aws_runas_domain::ports::browser::BrowserOpener;
    use aws_runas_domain::ports::clock::Clock;
    use aws_runas_domain::ports::prompter::Prompter;
    use aws_runas_domain::ports::sso::{SsoOidc, SsoToken, TokenGrant};
    use aws_runas_domain::sso::{LoginError, SsoSession, register_request, token_after_login};
    use base64::Engine as _;
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::{TcpListener, TcpStream};
    use std::time::Instant;

    /// The redirect path registered with the client.
    const CALLBACK: &str = "/oauth/callback";

    fn random_text(bytes: usize) -> anyhow::Result<String> {
        let mut buf = vec![0u8; bytes];
        getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
    }

    /// The S256 challenge of a verifier (RFC 7636, section 4.2).
    pub(super) fn challenge(verifier: &str) -> String {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
    }

    pub(super) async fn login(
        session: &SsoSession,
        oidc: &dyn SsoOidc,
        oidc_base: &str,
        prompter: &dyn Prompter,
        browser: Option<&dyn BrowserOpener>,
        clock: &dyn Clock,
    ) -> anyhow::Result<SsoToken> {
        let label = session.label();
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| {
            anyhow::anyhow!("cannot listen on 127.0.0.1 for the login redirect: {e}")
        })?;
        let port = listener.local_addr()?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK}");
        let client = oidc
            .register_client(&register_request(session, Some(&redirect_uri), clock.now()))
            .await
            .map_err(|source| LoginError::Sso {
                label: label.clone(),
                source,
            })?;
        let verifier = random_text(48)?;
        let state = random_text(24)?;
        let mut url = url::Url::parse(&format!("{oidc_base}/authorize"))
            .map_err(|e| anyhow::anyhow!("SSO OIDC endpoint {oidc_base:?}: {e}"))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge_method", "S256")
            .append_pair("scopes", &session.scopes.join(" "))
            .append_pair("code_challenge", &challenge(&verifier));
        prompter.notice(&format!(
            "To sign in to {label}, open this page in a browser:\n\n  {url}\n"
        ));
        if let Some(b) = browser
            && let Err(e) = b.open(url.as_str())
        {
            prompter.notice(&format!("(could not open a browser: {e})"));
        }
        let code = wait_for_code(&listener, &state, &label)?;
        let answer = oidc
            .create_token(
                &client,
                &TokenGrant::AuthorizationCode {
                    code,
                    redirect_uri,
                    code_verifier: Secret::new(verifier),
                },
            )
            .await
            .map_err(|source| LoginError::Sso { label, source })?;
        Ok(token_after_login(session, &client, answer, clock.now()))
    }

    /// Serves the loopback redirect until it brings a code with the right `state`.
    fn wait_for_code(
        listener: &TcpListener,
        state: &str,
        label: &str,
    ) -> Result<Secret, LoginError> {
        let refused = |reason: String| LoginError::Refused {
            label: label.to_string(),
            reason,
        };
        listener
            .set_nonblocking(true)
            .map_err(|e| refused(format!("loopback listener: {e}")))?;
        let start = Instant::now();
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    if let Some(outcome) = answer(stream, state) {
                        return outcome.map_err(refused);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if start.elapsed() > BROWSER_WAIT {
                        return Err(LoginError::Expired(label.to_string()));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(refused(format!("loopback listener: {e}"))),
            }
        }
    }

    /// Reads one request; `None` for a request that is not the redirect (answered 404).
    fn answer(mut stream: TcpStream, state: &str) -> Option<Result<Secret, String>> {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line).ok()?;
        let target = line.split_whitespace().nth(1)?.to_string();
        let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok()?;
        let reply = |stream: &mut TcpStream, status: &str, body: &str| {
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        };
        if url.path() != CALLBACK {
            reply(&mut stream, "404 Not Found", "not found\n");
            return None;
        }
        let get = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        if get("state").as_deref() != Some(state) {
            reply(
                &mut stream,
                "400 Bad Request",
                "The login answer does not match this login (state). Start the login again.\n",
            );
            return Some(Err("the redirect carried the wrong state".to_string()));
        }
        if let Some(error) = get("error") {
            reply(
                &mut stream,
                "400 Bad Request",
                "The login was not completed. You can close this window.\n",
            );
            let detail = get("error_description").unwrap_or_default();
            return Some(Err(format!(
                "the identity provider answered {error} {detail}"
            )));
        }
        let Some(code) = get("code") else {
            reply(&mut stream, "400 Bad Request", "No authorization code.\n");
            return Some(Err("the redirect carried no code".to_string()));
        };
        reply(
            &mut stream,
            "200 OK",
            "Login complete: aws-runas has the token. You can close this window.\n",
        );
        Some(Ok(Secret::new(code)))
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn s256_challenge_matches_rfc_7636() {
            // RFC 7636, appendix B.
            assert_eq!(
                super::challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
            );
        }
    }
}
