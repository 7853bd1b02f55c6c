//! The device authorization grant (RFC 8628): the provider hands out a user code, the user enters
//! it at the verification URL on any device, and aws-runas polls the token endpoint until the
//! login is approved, denied, or the code expires.
//!
//! The terminal shows the URL and the code through the prompter; the polls follow the provider's
//! `interval`, slowed down on `slow_down`, within the code's `expires_in`.

use crate::error::display_url;
use crate::http::HttpRequest;
use crate::oidc::{
    OidcClient, TokenAnswer, check_client_id, human_duration, read_token_answer, token_error,
};
use crate::wait::{Poll, Wait, wait_for};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{IdToken, IdpError, IdpErrorKind, OidcRequest};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The poll interval when the provider names none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How long a device code lasts when the provider does not say.
const DEFAULT_EXPIRY: Duration = Duration::from_secs(600);

/// How much `slow_down` adds to the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const STEP_DEVICE: &str = "requesting a device code";
const STEP_POLL: &str = "polling for the device login";

/// How the device flow runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSettings {
    max_wait: Option<Duration>,
    slow_down_step: Duration,
}

impl DeviceSettings {
    /// Waits until the code expires, or `max_wait` when that is shorter; `slow_down` adds
    /// [`SLOW_DOWN_STEP`] to the interval.
    pub fn new(max_wait: Option<Duration>) -> Self {
        DeviceSettings {
            max_wait,
            slow_down_step: SLOW_DOWN_STEP,
        }
    }

    /// The same, with another `slow_down` step (tests use a short one).
    #[must_use]
    pub fn with_slow_down_step(mut self, step: Duration) -> Self {
        self.slow_down_step = step;
        self
    }

    /// The longest wait, when bounded by more than the code's expiry.
    pub fn max_wait(&self) -> Option<Duration> {
        self.max_wait
    }

    /// What `slow_down` adds to the interval.
    pub fn slow_down_step(&self) -> Duration {
        self.slow_down_step
    }
}

#[derive(serde::Deserialize)]
struct DeviceAnswer {
    device_code: Option<String>,
    user_code: Option<String>,
    verification_uri: Option<String>,
    // Google's name for it.
    verification_url: Option<String>,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Drop for DeviceAnswer {
    fn drop(&mut self) {
        if let Some(c) = &mut self.device_code {
            zeroize::Zeroize::zeroize(c);
        }
    }
}

/// Text from the provider fit for the terminal: no control characters (no escape sequences).
fn terminal_safe(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

impl OidcClient {
    /// Logs in with the device authorization grant: asks the device endpoint for a code, shows
    /// the verification URL and the user code through the prompter, and polls the token
    /// endpoint at the provider's interval until the login is approved.
    ///
    /// # Errors
    /// [`IdpError::unsupported`] when the provider has no device endpoint;
    /// [`IdpError::bad_credentials`] when the user denies the login (`access_denied`);
    /// [`IdpError::mfa_timeout`] when the code expires (`expired_token`) or the wait runs out;
    /// [`IdpError::unexpected_page`] for an answer of the device endpoint that is not a usable
    /// document; as [`OidcClient::exchange`] otherwise.
    pub async fn login_on_device(
        &self,
        req: &OidcRequest,
        settings: &DeviceSettings,
    ) -> Result<IdToken, IdpError> {
        check_client_id(req)?;
        let Some(endpoint) = self.endpoints.device_authorization_endpoint.clone() else {
            return Err(IdpError::unsupported(format!(
                "the identity provider at {} offers no device login (no device_authorization_endpoint); use the browser or a headless login",
                display_url(&self.endpoints.authorization_endpoint)
            )));
        };
        let client_id = req.client_id.trim();
        let mut scopes = vec!["openid".to_string()];
        for s in req.scopes.iter().flat_map(|s| s.split_whitespace()) {
            if !scopes.iter().any(|k| k == s) {
                scopes.push(s.to_string());
            }
        }
        let response = self
            .http
            .send(
                HttpRequest::post(&endpoint)
                    .header("Accept", "application/json")
                    .form([("client_id", client_id), ("scope", &scopes.join(" "))])
                    .step(STEP_DEVICE),
            )
            .await?;
        let at = display_url(&endpoint);
        let parsed = serde_json::from_str::<DeviceAnswer>(response.body());
        let mut answer = match parsed {
            Ok(mut a) if (400..500).contains(&response.status()) && a.error.is_some() => {
                let error = a.error.take().unwrap_or_default();
                return Err(token_error(
                    &error,
                    a.error_description.as_deref(),
                    &endpoint,
                    client_id,
                ));
            }
            _ if !response.is_success() => return Err(response.status_error().into()),
            Ok(a) => a,
            Err(e) => {
                return Err(IdpError::unexpected_page(format!(
                    "the answer of the device endpoint at {at} is not a usable json document: {e}"
                )));
            }
        };
        let missing = |what: &str| {
            IdpError::unexpected_page(format!(
                "the answer of the device endpoint at {at} has no {what}"
            ))
        };
        let device_code = Secret::new(
            answer
                .device_code
                .take()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| missing("device_code"))?,
        );
        let user_code = answer
            .user_code
            .as_deref()
            .map(terminal_safe)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| missing("user_code"))?;
        let verification = answer
            .verification_uri
            .as_deref()
            .or(answer.verification_url.as_deref())
            .map(terminal_safe)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .ok_or_else(|| missing("http(s) verification_uri"))?;
        let expires = answer
            .expires_in
            .filter(|s| *s > 0)
            .map_or(DEFAULT_EXPIRY, Duration::from_secs);
        let bound = settings.max_wait.map_or(expires, |m| m.min(expires));
        let interval = answer
            .interval
            .map_or(DEFAULT_INTERVAL, Duration::from_secs);

        self.prompter.notice(&format!(
            "To log in, open {verification} in a browser and enter the code {user_code}"
        ));
        if let Some(complete) = answer
            .verification_uri_complete
            .as_deref()
            .map(terminal_safe)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        {
            self.prompter
                .notice(&format!("(or open {complete}, which carries the code)"));
        }

        let token_endpoint = self.endpoints.token_endpoint.clone();
        let current = Mutex::new(interval);
        let failed = AtomicBool::new(false);
        let wait = Wait {
            what: format!("finish the login at {verification}"),
            interval,
            bound,
        };
        let started = tokio::time::Instant::now();
        let outcome = wait_for(self.prompter.as_ref(), &wait, || {
            let (current, failed) = (&current, &failed);
            let (device_code, token_endpoint, verification, user_code) =
                (&device_code, &token_endpoint, &verification, &user_code);
            async move {
                let result = self
                    .poll_device(token_endpoint, device_code, client_id, settings, current)
                    .await
                    .map_err(|e| match e {
                        PollError::Expired => IdpError::mfa_timeout(format!(
                            "the code {user_code} expired before the login at {verification} was finished; run the command again"
                        )),
                        PollError::Denied => IdpError::bad_credentials(format!(
                            "the login at {verification} was denied"
                        )),
                        PollError::Other(e) => e,
                    });
                if result.is_err() {
                    failed.store(true, Ordering::SeqCst);
                }
                result
            }
        })
        .await;
        let token = match outcome {
            Ok(token) => token,
            Err(e)
                if e.kind() == IdpErrorKind::MfaTimeout
                    && !failed.load(Ordering::SeqCst)
                    && started.elapsed() >= bound =>
            {
                return Err(IdpError::mfa_timeout(format!(
                    "the login at {verification} was not finished within {}; run the command again",
                    human_duration(bound)
                )));
            }
            Err(e) => return Err(e),
        };
        self.verify_id_token(&token, client_id, None).await?;
        Ok(IdToken(token))
    }

    async fn poll_device(
        &self,
        token_endpoint: &str,
        device_code: &Secret,
        client_id: &str,
        settings: &DeviceSettings,
        interval: &Mutex<Duration>,
    ) -> Result<Poll<Secret>, PollError> {
        let response = self
            .http
            .send(
                HttpRequest::post(token_endpoint)
                    .header("Accept", "application/json")
                    .form([
                        ("grant_type", DEVICE_GRANT),
                        ("device_code", device_code.expose()),
                        ("client_id", client_id),
                    ])
                    .step(STEP_POLL),
            )
            .await
            .map_err(|e| PollError::Other(e.into()))?;
        let lock =
            |i: &Mutex<Duration>| *i.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match read_token_answer(&response, token_endpoint).map_err(PollError::Other)? {
            TokenAnswer::Token(token) => Ok(Poll::Ready(token)),
            TokenAnswer::Error { error, description } => match error.as_str() {
                "authorization_pending" => Ok(Poll::Pending(Some(lock(interval)))),
                "slow_down" => {
                    let mut guard = interval
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *guard += settings.slow_down_step;
                    log::debug!("oidc: the provider asks to poll more slowly ({:?})", *guard);
                    Ok(Poll::Pending(Some(*guard)))
                }
                "expired_token" => Err(PollError::Expired),
                "access_denied" => Err(PollError::Denied),
                _ => Err(PollError::Other(token_error(
                    &error,
                    description.as_deref(),
                    token_endpoint,
                    client_id,
                ))),
            },
        }
    }
}

enum PollError {
    Expired,
    Denied,
    Other(IdpError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_text_loses_control_characters() {
        assert_eq!(terminal_safe(" WDJB-\u{1b}[2JMJHT\n"), "WDJB-[2JMJHT");
    }

    #[test]
    fn settings() {
        let s = DeviceSettings::new(Some(Duration::from_secs(60)));
        assert_eq!(s.max_wait(), Some(Duration::from_secs(60)));
        assert_eq!(s.slow_down_step(), SLOW_DOWN_STEP);
        assert_eq!(
            s.with_slow_down_step(Duration::from_millis(5))
                .slow_down_step(),
            Duration::from_millis(5)
        );
    }
}
