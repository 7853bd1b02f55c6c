//! The login: start the browser on its own profile, intercept (DevTools `Fetch` domain) the POST
//! to the sign-in endpoint, take its `SAMLResponse`, answer the tab with a "you can close" page
//! instead of sending the assertion on, and close the browser; bounded by `mfa_wait_timeout`.

use crate::launch::{find_browser, lock_profile, needs_ci_flags, profile_dir};
use crate::settings::BrowserLoginSettings;
use async_trait::async_trait;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{
    IdentityProvider, IdpDeps, IdpError, IdpErrorKind, SamlAssertion,
};
use aws_runas_idp_support::display_url;
use base64::Engine;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EnableParams, EventRequestPaused, FulfillRequestParams, HeaderEntry,
    RequestPattern, RequestStage,
};
use chromiumoxide::cdp::browser_protocol::network::Request;
use chromiumoxide::cdp::browser_protocol::page::NavigateParams;
use chromiumoxide::cdp::browser_protocol::target::EventTargetDestroyed;
use futures_util::StreamExt;
use std::fmt;
use std::time::Duration;

const STEP: &str = "waiting for the login in the browser";

/// How often the terminal hears that the login is still awaited.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// How long a graceful close may take before the browser is stopped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

const DONE_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>aws-runas Authentication Complete</title></head>\n<body><h1>Login complete</h1><p>aws-runas has the SAML response; this window closes now.</p></body></html>\n";

/// The `browser` adapter for one login.
pub(crate) struct BrowserLogin {
    settings: BrowserLoginSettings,
    deps: IdpDeps,
}

impl fmt::Debug for BrowserLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserLogin")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl BrowserLogin {
    pub(crate) fn new(settings: BrowserLoginSettings, deps: IdpDeps) -> Self {
        BrowserLogin { settings, deps }
    }
}

/// `1m30s`, `45s`.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

fn cdp_error(what: &str, e: impl fmt::Display) -> IdpError {
    IdpError::unavailable(format!("the browser failed {what}: {e}")).at_step(STEP)
}

/// Whether `url` is the sign-in endpoint (its query and fragment aside).
fn is_signin(url: &str, signin: &str) -> bool {
    let base = url.split(['?', '#']).next().unwrap_or_default();
    base.trim_end_matches('/') == signin.trim_end_matches('/')
}

/// The `SAMLResponse` of a form POST, from its body entries (each base64).
fn saml_of(request: &Request) -> Option<String> {
    let mut body = Vec::new();
    for entry in request.post_data_entries.as_deref().unwrap_or_default() {
        let bytes = entry.bytes.as_ref()?;
        body.extend(
            base64::engine::general_purpose::STANDARD
                .decode(AsRef::<str>::as_ref(bytes))
                .ok()?,
        );
    }
    let form = String::from_utf8_lossy(&body);
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(k) == "SAMLResponse")
            .then(|| decode(v))
            .filter(|v| !v.trim().is_empty())
    })
}

#[async_trait]
impl IdentityProvider for BrowserLogin {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        // The browser is a program this process starts, found the way the process would find it.
        #[allow(clippy::disallowed_methods)]
        let path = std::env::var_os("PATH");
        let executable = find_browser(self.settings.executable(), path.as_ref())?;
        let aws_dir = self
            .deps
            .http
            .cookie_jar
            .as_deref()
            .and_then(std::path::Path::parent);
        let dir = profile_dir(&self.settings, aws_dir)?;
        let _lock = lock_profile(&dir)?;
        let headless = self.settings.headless();
        let mut config = BrowserConfig::builder()
            .chrome_executable(&executable)
            .user_data_dir(&dir)
            .launch_timeout(Duration::from_secs(30))
            .args([
                "no-first-run",
                "no-default-browser-check",
                "disable-session-crashed-bubble",
                "hide-crash-restore-bubble",
                "noerrdialogs",
            ]);
        config = if headless {
            config.new_headless_mode()
        } else {
            config.with_head().window_size(500, 760).viewport(None)
        };
        if needs_ci_flags(headless) {
            config = config
                .no_sandbox()
                .args(["disable-gpu", "disable-background-networking"]);
        }
        let config = config.build().map_err(|e| {
            IdpError::configuration(format!("cannot start {}: {e}", executable.display()))
        })?;
        let (mut browser, mut handler) = Browser::launch(config).await.map_err(|e| {
            IdpError::unavailable(format!(
                "cannot start the browser {}: {e} (set browser_executable, the original's auth_browser, to another one)",
                executable.display()
            ))
        })?;
        let mut events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        let outcome = self.drive(&browser, &mut events).await;
        if !events.is_finished() {
            let _ = browser.close().await;
            if tokio::time::timeout(CLOSE_GRACE, browser.wait())
                .await
                .is_err()
            {
                // Only the child process this login started is ever stopped.
                let _ = browser.kill().await;
            }
        } else {
            let _ = tokio::time::timeout(CLOSE_GRACE, browser.wait()).await;
        }
        events.abort();
        outcome.map(|saml| SamlAssertion(Secret::new(saml)))
    }
}

impl BrowserLogin {
    /// Opens the login page and waits for the POST to the sign-in endpoint.
    async fn drive(
        &self,
        browser: &Browser,
        events: &mut tokio::task::JoinHandle<()>,
    ) -> Result<String, IdpError> {
        let page = browser
            .new_page("about:blank")
            .await
            .map_err(|e| cdp_error("to open a window", e))?;
        let signin = self.settings.signin_url();
        let pattern = RequestPattern::builder()
            .url_pattern(format!(
                "{}*",
                signin.split(['?', '#']).next().unwrap_or(signin)
            ))
            .request_stage(RequestStage::Request)
            .build();
        page.execute(EnableParams::builder().pattern(pattern).build())
            .await
            .map_err(|e| cdp_error("to watch the sign-in endpoint", e))?;
        let mut destroyed = browser
            .event_listener::<EventTargetDestroyed>()
            .await
            .map_err(|e| cdp_error("to watch the window", e))?;
        let target = page.target_id().clone();
        let mut paused = page
            .event_listener::<EventRequestPaused>()
            .await
            .map_err(|e| cdp_error("to watch the sign-in endpoint", e))?;
        page.execute(NavigateParams::new(self.settings.url()))
            .await
            .map_err(|e| cdp_error("to open the login page", e))?;
        let wait = self.settings.wait();
        self.deps.prompter.notice(&format!(
            "Log in at {} in the browser window; waiting up to {}",
            display_url(self.settings.url()),
            human(wait)
        ));
        let started = tokio::time::Instant::now();
        let deadline = tokio::time::sleep(wait);
        tokio::pin!(deadline);
        let mut progress = tokio::time::interval_at(started + PROGRESS_EVERY, PROGRESS_EVERY);
        let closed = || {
            IdpError::new(
                IdpErrorKind::Prompt,
                "the browser was closed before the login finished (no SAML response reached the sign-in endpoint)",
            )
            .at_step(STEP)
        };
        loop {
            tokio::select! {
                event = paused.next() => {
                    let Some(event) = event else { return Err(closed()) };
                    if event.request.method == "POST"
                        && is_signin(&event.request.url, signin)
                        && let Some(saml) = saml_of(&event.request)
                    {
                            let done = FulfillRequestParams::builder()
                                .request_id(event.request_id.clone())
                                .response_code(200)
                                .response_header(HeaderEntry::new("Content-Type", "text/html; charset=utf-8"))
                                .body(base64::engine::general_purpose::STANDARD.encode(DONE_PAGE))
                                .build()
                                .map_err(|e| cdp_error("to answer the sign-in page", e))?;
                            let _ = page.execute(done).await;
                            return Ok(saml);
                    }
                    let _ = page.execute(ContinueRequestParams::new(event.request_id.clone())).await;
                }
                _ = &mut *events => return Err(closed()),
                gone = destroyed.next() => match gone {
                    None => return Err(closed()),
                    Some(gone) if gone.target_id == target => return Err(closed()),
                    Some(_) => {}
                },
                () = &mut deadline => {
                    return Err(IdpError::mfa_timeout(format!(
                        "no SAML response reached {} within {} (mfa_wait_timeout); the login in the browser was not finished",
                        display_url(signin),
                        human(wait)
                    )).at_step(STEP));
                }
                _ = progress.tick() => {
                    let left = wait.saturating_sub(started.elapsed());
                    self.deps.prompter.notice(&format!(
                        "Still waiting for the login in the browser ({} left)",
                        human(left)
                    ));
                }
            }
        }
    }
}
