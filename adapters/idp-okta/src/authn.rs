//! Okta Classic: primary authentication through `/api/v1/authn` and the factors of an
//! `MFA_REQUIRED` transaction (Okta Verify push with its number challenge, codes from an app or
//! a token, codes Okta sends by SMS, voice call or e-mail, and Duo).

use crate::api::{self, ApiError, JSON, Reply, at, text, text_at};
use crate::duo;
use crate::factors::{self, Channel, Kind, Offer};
use crate::login::{Login, MAX_CODES, Progress, Session};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::{HttpRequest, Poll, Wait, display_url, wait_for};
use serde::Serialize;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many transaction states one sign-in may go through.
const MAX_STATES: usize = 8;

/// The pause between two push polls when Okta names none.
const PUSH_POLL: Duration = Duration::from_secs(2);

const POSTING_PASSWORD: &str = "posting the user name and password to /api/v1/authn";
const POSTING_CODE: &str = "posting the one-time code";
/// The question for a one-time code.
pub(crate) const CODE_LABEL: &str = "MFA code: ";
const SENDING_CODE: &str = "asking okta to send a one-time code";
const STARTING_PUSH: &str = "starting the okta verify push";
const POLLING_PUSH: &str = "polling the okta verify push";
const SKIPPING_WARNING: &str = "skipping the password-expiry warning";

#[derive(Serialize)]
struct PrimaryAuth<'a> {
    username: &'a str,
    password: &'a str,
}

#[derive(Serialize)]
struct Verify<'a> {
    #[serde(rename = "stateToken")]
    state_token: &'a str,
    #[serde(rename = "passCode", skip_serializing_if = "Option::is_none")]
    pass_code: Option<&'a str>,
}

/// Serialises a body; the structs above cannot fail.
fn body<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// An authn API request with the API's headers.
pub(crate) fn api_request(url: &str, json: String, step: &str) -> HttpRequest {
    HttpRequest::post(url)
        .header("Accept", JSON)
        .json(json)
        .step(step)
}

/// Signs in with the user name and password, then answers what Okta asks until it hands out a
/// session.
///
/// # Errors
/// As [`Login::walk`](crate::login::Login::walk).
pub(crate) async fn sign_in(login: &Login, progress: &mut Progress) -> Result<Session, IdpError> {
    let username = login.answers().username()?;
    let password = login.answers().password()?;
    let url = format!("{}/api/v1/authn", login.base()?);
    let request = api_request(
        &url,
        body(&PrimaryAuth {
            username: &username,
            password: password.expose(),
        }),
        POSTING_PASSWORD,
    );
    let reply = api::send_json(login.http(), request).await?;
    progress.password_sent = true;
    if let Some(e) = reply.api_error() {
        return Err(primary_error(login, &reply, &e));
    }
    let mut tx = reply.value;
    for _ in 0..MAX_STATES {
        let status = text(&tx, "status").unwrap_or_default().to_ascii_uppercase();
        log::debug!("okta authn: transaction status {status}");
        match status.as_str() {
            "SUCCESS" => {
                let token = text(&tx, "sessionToken").ok_or_else(|| {
                    IdpError::unexpected_page(format!(
                        "okta answered SUCCESS without a sessionToken at {}",
                        display_url(&url)
                    ))
                })?;
                return Ok(Session::Token(Secret::new(token)));
            }
            "MFA_REQUIRED" => match verify_factor(login, &tx).await? {
                Next::Transaction(next) => tx = next,
                Next::Session(session) => return Ok(session),
            },
            "PASSWORD_WARN" => {
                let Some(skip) = text_at(&tx, "_links/skip/href") else {
                    return Err(unexpected_status(&status, &url));
                };
                let token = state_token(&tx)?;
                let reply = api::send_json(
                    login.http(),
                    api_request(
                        &skip,
                        body(&Verify {
                            state_token: &token,
                            pass_code: None,
                        }),
                        SKIPPING_WARNING,
                    ),
                )
                .await?;
                if let Some(e) = reply.api_error() {
                    return Err(refused(&reply, &e, SKIPPING_WARNING));
                }
                tx = reply.value;
            }
            "LOCKED_OUT" => {
                return Err(IdpError::bad_credentials(format!(
                    "the okta account of {} is locked out (LOCKED_OUT); unlock it at {} or ask an okta administrator",
                    login.answers().who(),
                    display_url(&login.base()?)
                )));
            }
            // Changing a password and enrolling a factor are flows for a browser.
            "PASSWORD_EXPIRED" => {
                return Err(IdpError::unsupported(format!(
                    "the okta password of {} has expired (PASSWORD_EXPIRED), and this adapter cannot change it; change it in a browser at {}",
                    login.answers().who(),
                    display_url(&login.base()?)
                )));
            }
            "MFA_ENROLL" | "MFA_ENROLL_ACTIVATE" => {
                return Err(IdpError::unsupported(format!(
                    "okta wants {} to set up a second factor first ({status}), which this adapter cannot do; do that in a browser at {}",
                    login.answers().who(),
                    display_url(&login.base()?)
                )));
            }
            _ => return Err(unexpected_status(&status, &url)),
        }
    }
    Err(IdpError::unexpected_page(format!(
        "the okta sign-in at {} did not finish within {MAX_STATES} steps",
        display_url(&url)
    )))
}

fn unexpected_status(status: &str, url: &str) -> IdpError {
    IdpError::unexpected_page(format!(
        "okta answered the authentication status {status:?} at {}, which this adapter does not handle",
        display_url(url)
    ))
}

/// The error for a refused primary authentication: never retried, so that the account does not
/// get locked.
fn primary_error(login: &Login, reply: &Reply, e: &ApiError) -> IdpError {
    let who = login.answers().who();
    let url = display_url(&reply.url);
    match (reply.status, e.code.as_str()) {
        (401, _) | (_, "E0000004") => IdpError::bad_credentials(format!(
            "okta did not accept the user name or password of {who} at {url} ({}); the password is not tried again, so that the account does not get locked",
            e.code
        )),
        (429, _) => IdpError::unavailable(format!(
            "okta is rate-limiting sign-ins at {url}: {}; wait a minute and try again",
            e.describe()
        )),
        (403, _) => IdpError::bad_credentials(format!(
            "okta refused the sign-in of {who} at {url}: {}",
            e.describe()
        )),
        _ => IdpError::unavailable(format!(
            "okta refused the sign-in of {who} at {url} (http status {}): {}",
            reply.status,
            e.describe()
        )),
    }
}

fn state_token(tx: &Value) -> Result<String, IdpError> {
    text(tx, "stateToken").ok_or_else(|| {
        IdpError::unexpected_page(
            "okta answered an authentication transaction without a stateToken",
        )
    })
}

/// The error for an authn API error object Okta answered at `step`: an error status.
pub(crate) fn refused(reply: &Reply, e: &ApiError, step: &str) -> IdpError {
    IdpError::unavailable(format!(
        "okta answered {} with http status {}: {}",
        display_url(&reply.url),
        reply.status,
        e.describe()
    ))
    .at_step(step)
}

/// What verifying a factor led to.
pub(crate) enum Next {
    /// The next transaction state (usually `SUCCESS`).
    Transaction(Value),
    /// A session already in the cookie jar (Duo's Universal Prompt ends that way).
    Session(Session),
}

/// One factor of an `MFA_REQUIRED` transaction.
#[derive(Debug, Clone)]
pub(crate) struct Factor {
    pub(crate) factor_type: String,
    pub(crate) provider: String,
    pub(crate) vendor: String,
    pub(crate) verify: String,
    /// The phone number, e-mail address or device name Okta shows for it.
    pub(crate) detail: Option<String>,
}

impl Factor {
    fn kind(&self) -> Kind {
        let t = self.factor_type.to_ascii_lowercase();
        let duo = self.provider.eq_ignore_ascii_case("DUO")
            || (t == "claims_provider" && self.vendor.to_ascii_lowercase().contains("duo"));
        if duo {
            return Kind::Duo;
        }
        match t.as_str() {
            "push" => Kind::Push,
            "token:software:totp" | "token:hotp" | "token" | "token:hardware" => Kind::Code,
            "sms" => Kind::Sent(Channel::Sms),
            "call" => Kind::Sent(Channel::Voice),
            "email" => Kind::Sent(Channel::Email),
            _ => Kind::Unsupported,
        }
    }

    fn offer(&self) -> Offer {
        Offer {
            kind: self.kind(),
            name: format!("{} ({})", self.factor_type, self.provider),
        }
    }
}

/// The factors of a transaction that can be verified (those with a `verify` link).
pub(crate) fn factors(tx: &Value) -> Vec<Factor> {
    at(tx, "_embedded/factors")
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .filter_map(|f| {
                    Some(Factor {
                        factor_type: text(f, "factorType")?,
                        provider: text(f, "provider").unwrap_or_default(),
                        vendor: text(f, "vendorName").unwrap_or_default(),
                        verify: text_at(f, "_links/verify/href")?,
                        detail: text_at(f, "profile/phoneNumber")
                            .or_else(|| text_at(f, "profile/email"))
                            .or_else(|| text_at(f, "profile/name")),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Chooses a factor by `mfa_type` and verifies it.
async fn verify_factor(login: &Login, tx: &Value) -> Result<Next, IdpError> {
    let all = factors(tx);
    let offers: Vec<Offer> = all.iter().map(Factor::offer).collect();
    let chosen = factors::choose(
        &offers,
        login.settings().mfa_type(),
        login.answers().has_code_up_front(),
    )?;
    let factor = &all[chosen];
    log::debug!(
        "okta authn: verifying the factor {} ({})",
        factor.factor_type,
        factor.provider
    );
    let token = state_token(tx)?;
    match factor.kind() {
        Kind::Push => verify_push(login, &token, factor)
            .await
            .map(Next::Transaction),
        Kind::Code => verify_code(login, &token, &factor.verify)
            .await
            .map(Next::Transaction),
        Kind::Sent(channel) => verify_sent(login, &token, factor, channel)
            .await
            .map(Next::Transaction),
        Kind::Duo => duo::verify(login, &token, factor).await,
        Kind::Password | Kind::Unsupported => Err(IdpError::unsupported(format!(
            "okta factor {} ({}) is not supported; supported: {}",
            factor.factor_type,
            factor.provider,
            factors::SUPPORTED
        ))),
    }
}

/// Posts codes to `href` until Okta accepts one, [`MAX_CODES`] at most.
async fn verify_code(login: &Login, token: &str, href: &str) -> Result<Value, IdpError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let code = login.answers().code(CODE_LABEL)?;
        let reply = api::send_json(
            login.http(),
            api_request(
                href,
                body(&Verify {
                    state_token: token,
                    pass_code: Some(code.expose()),
                }),
                POSTING_CODE,
            ),
        )
        .await?;
        let Some(e) = reply.api_error() else {
            return Ok(reply.value);
        };
        let wrong_code = reply.status == 403 || matches!(e.code.as_str(), "E0000068" | "E0000082");
        if !wrong_code {
            return Err(refused(&reply, &e, POSTING_CODE));
        }
        if attempt >= MAX_CODES {
            return Err(IdpError::mfa_rejected(format!(
                "okta refused {MAX_CODES} one-time codes of {} at {}: {}",
                login.answers().who(),
                display_url(href),
                e.describe()
            )));
        }
        login.prompter().notice(&format!(
            "okta did not accept the code ({}); enter a new one",
            e.summary
        ));
    }
}

/// Asks Okta to send a code (SMS, voice call, e-mail), then posts what the user types.
async fn verify_sent(
    login: &Login,
    token: &str,
    factor: &Factor,
    channel: Channel,
) -> Result<Value, IdpError> {
    let reply = api::send_json(
        login.http(),
        api_request(
            &factor.verify,
            body(&Verify {
                state_token: token,
                pass_code: None,
            }),
            SENDING_CODE,
        ),
    )
    .await?;
    let to = factor
        .detail
        .as_deref()
        .map(|d| format!(" to {d}"))
        .unwrap_or_default();
    let next = match reply.api_error() {
        None => {
            login
                .prompter()
                .notice(&format!("okta sent a one-time code {}{to}", channel.by()));
            text_at(&reply.value, "_links/next/href").unwrap_or_else(|| factor.verify.clone())
        }
        // "An SMS message was recently sent": the code of a moment ago is still good.
        Some(e) if reply.status == 429 => {
            login.prompter().notice(&format!(
                "okta sent a code {}{to} a moment ago ({}); enter that one",
                channel.by(),
                e.summary
            ));
            factor.verify.clone()
        }
        Some(e) => {
            let step = format!("{SENDING_CODE} {}", channel.by());
            return Err(refused(&reply, &e, &step));
        }
    };
    verify_code(login, token, &next).await
}

/// The number to tap in Okta Verify, when the push has a number challenge.
pub(crate) fn correct_answer(tx: &Value) -> Option<String> {
    text_at(tx, "_embedded/factor/_embedded/challenge/correctAnswer")
}

/// What the user must do for a push.
pub(crate) fn push_what(number: Option<&str>) -> String {
    match number {
        Some(n) => format!("approve the sign-in in Okta Verify by tapping {n}"),
        None => "approve the sign-in in Okta Verify on your phone".to_string(),
    }
}

/// What one push answer says.
fn push_state(reply: &Reply, step: &str) -> Result<Poll<Value>, IdpError> {
    if let Some(e) = reply.api_error() {
        if reply.status == 429 {
            return Ok(Poll::Pending(reply.pause(None)));
        }
        return Err(refused(reply, &e, step));
    }
    let status = text(&reply.value, "status").unwrap_or_default();
    if !status.eq_ignore_ascii_case("MFA_CHALLENGE") {
        return Ok(Poll::Ready(reply.value.clone()));
    }
    let result = text(&reply.value, "factorResult")
        .unwrap_or_default()
        .to_ascii_uppercase();
    let message = text(&reply.value, "factorResultMessage")
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    match result.as_str() {
        "WAITING" | "CHALLENGE" => Ok(Poll::Pending(reply.pause(None))),
        "REJECTED" => Err(IdpError::mfa_rejected(format!(
            "the okta verify push was rejected on the phone{message}"
        ))),
        "TIMEOUT" => Err(IdpError::mfa_timeout(format!(
            "the okta verify push expired before it was approved{message}; run the command again"
        ))),
        other => Err(IdpError::unexpected_page(format!(
            "okta answered the push with the unexpected factorResult {other:?}{message} at {}",
            display_url(&reply.url)
        ))
        .at_step(step)),
    }
}

/// Sends an Okta Verify push, shows the number to tap, and polls until the user answers.
async fn verify_push(login: &Login, token: &str, factor: &Factor) -> Result<Value, IdpError> {
    let verify = body(&Verify {
        state_token: token,
        pass_code: None,
    });
    let first = api::send_json(
        login.http(),
        api_request(&factor.verify, verify.clone(), STARTING_PUSH),
    )
    .await?;
    if let Poll::Ready(next) = push_state(&first, STARTING_PUSH)? {
        return Ok(next);
    }
    let number = correct_answer(&first.value);
    let poll_href =
        text_at(&first.value, "_links/next/href").unwrap_or_else(|| factor.verify.clone());
    let shown = Arc::new(Mutex::new(number.clone()));
    let wait = Wait {
        what: push_what(number.as_deref()),
        interval: first.pause(Some(PUSH_POLL)).unwrap_or(PUSH_POLL),
        bound: login.settings().mfa_wait(),
    };
    let http = login.http().clone();
    let prompter = login.prompter().clone();
    wait_for(login.prompter().as_ref(), &wait, || {
        let (http, prompter, shown) = (http.clone(), prompter.clone(), shown.clone());
        let request = api_request(&poll_href, verify.clone(), POLLING_PUSH);
        async move {
            let reply = api::send_json(&http, request).await?;
            // A number challenge that appears only now is shown now.
            if let Some(n) = correct_answer(&reply.value) {
                let mut seen = shown
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if seen.as_deref() != Some(n.as_str()) {
                    prompter.notice(&format!("Okta Verify asks for a number: tap {n}"));
                    *seen = Some(n);
                }
            }
            push_state(&reply, POLLING_PUSH)
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;
    use serde_json::json;

    fn reply(status: u16, value: Value) -> Reply {
        Reply {
            status,
            url: "https://example.okta.com/api/v1/authn/factors/opf1/verify".into(),
            value,
            retry_after: None,
        }
    }

    #[test]
    fn factors_are_read_and_classified() {
        let tx = json!({"_embedded": {"factors": [
            {"id": "opf1", "factorType": "push", "provider": "OKTA", "profile": {"name": "Jane's iPhone"},
             "_links": {"verify": {"href": "https://example.okta.com/api/v1/authn/factors/opf1/verify"}}},
            {"id": "sms1", "factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1 XXX-XXX-6688"},
             "_links": {"verify": {"href": "https://example.okta.com/api/v1/authn/factors/sms1/verify"}}},
            {"id": "duo1", "factorType": "claims_provider", "provider": "CUSTOM", "vendorName": "Duo Universal Prompt",
             "_links": {"verify": {"href": "https://example.okta.com/sso/idps/0oa1/verify"}}},
            {"id": "q1", "factorType": "question", "provider": "OKTA",
             "_links": {"verify": {"href": "https://example.okta.com/api/v1/authn/factors/q1/verify"}}},
            {"id": "nolink", "factorType": "push", "provider": "OKTA"}
        ]}});
        let f = factors(&tx);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].kind(), Kind::Push);
        assert_eq!(f[0].detail.as_deref(), Some("Jane's iPhone"));
        assert_eq!(f[1].kind(), Kind::Sent(Channel::Sms));
        assert_eq!(f[1].detail.as_deref(), Some("+1 XXX-XXX-6688"));
        assert_eq!(f[2].kind(), Kind::Duo);
        assert_eq!(f[3].kind(), Kind::Unsupported);
        assert_eq!(f[3].offer().name, "question (OKTA)");
    }

    #[test]
    fn push_states() {
        let waiting = reply(
            200,
            json!({"status": "MFA_CHALLENGE", "factorResult": "WAITING",
                   "_embedded": {"factor": {"_embedded": {"challenge": {"correctAnswer": 42}}}}}),
        );
        assert_eq!(correct_answer(&waiting.value).as_deref(), Some("42"));
        assert_eq!(
            push_state(&waiting, POLLING_PUSH).unwrap(),
            Poll::Pending(None)
        );
        let refusal = |value: Value| push_state(&reply(200, value), POLLING_PUSH).unwrap_err();

        let rejected = refusal(json!({"status": "MFA_CHALLENGE", "factorResult": "REJECTED"}));
        assert_eq!(rejected.kind(), IdpErrorKind::MfaRejected, "{rejected:?}");
        assert!(rejected.to_string().contains("rejected"), "{rejected}");

        let timeout = refusal(json!({"status": "MFA_CHALLENGE", "factorResult": "TIMEOUT"}));
        assert_eq!(timeout.kind(), IdpErrorKind::MfaTimeout, "{timeout:?}");
        assert!(timeout.to_string().contains("expired"), "{timeout}");

        let odd = refusal(json!({"status": "MFA_CHALLENGE", "factorResult": "CANCELLED"}));
        assert_eq!(odd.kind(), IdpErrorKind::UnexpectedPage, "{odd:?}");
        assert_eq!(odd.step(), Some(POLLING_PUSH));
        assert!(odd.to_string().contains("\"CANCELLED\""), "{odd}");

        let success = reply(200, json!({"status": "SUCCESS", "sessionToken": "x"}));
        assert!(matches!(
            push_state(&success, POLLING_PUSH).unwrap(),
            Poll::Ready(_)
        ));
        let limited = Reply {
            retry_after: Some(Duration::from_secs(3)),
            ..reply(
                429,
                json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."}),
            )
        };
        assert_eq!(
            push_state(&limited, POLLING_PUSH).unwrap(),
            Poll::Pending(Some(Duration::from_secs(3)))
        );
        let refused = push_state(
            &reply(
                403,
                json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided"}),
            ),
            POLLING_PUSH,
        )
        .unwrap_err();
        assert_eq!(refused.kind(), IdpErrorKind::Unavailable, "{refused:?}");
        assert_eq!(refused.step(), Some(POLLING_PUSH));
        let m = refused.to_string();
        assert!(
            m.contains("http status 403") && m.contains("Invalid token provided (E0000011)"),
            "{m}"
        );
        assert_eq!(
            push_what(Some("42")),
            "approve the sign-in in Okta Verify by tapping 42"
        );
    }
}
