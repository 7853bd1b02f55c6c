//! The second factor through Azure AD's JSON endpoints: `BeginAuth` starts it (sends the push or
//! the text message), `EndAuth` finishes it (polled for a push, with the code for the others).

use crate::config::{ServerConfig, UserProof};
use aws_runas_domain::ports::idp::{IdpError, IdpErrorKind};
use aws_runas_idp_support::{
    HttpClient, HttpRequest, LoginAnswers, MfaChoice, Poll, Wait, display_url, wait_for,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// How many one-time codes are tried before giving up.
pub(crate) const MAX_CODES: usize = 3;

/// The pause between push polls when the page gives none.
const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// The shortest pause between push polls, whatever the page says.
const MIN_POLL: Duration = Duration::from_millis(100);

const BEGIN_STEP: &str = "starting the second factor (BeginAuth)";
const POLL_STEP: &str = "waiting for the push approval (EndAuth)";
const CODE_STEP: &str = "posting the one-time code (EndAuth)";

/// The factor methods this adapter answers, and how.
const PUSH_METHODS: [&str; 1] = ["PhoneAppNotification"];
const CODE_METHODS: [&str; 2] = ["PhoneAppOTP", "OneWaySMS"];

/// The supported methods, for messages.
pub(crate) const SUPPORTED: &str = "PhoneAppNotification (push), PhoneAppOTP and OneWaySMS (code)";

/// `ResultValue`s that mean "wrong code, try another".
const WRONG_CODE: [&str; 7] = [
    "OathCodeIncorrect",
    "OathCodeDuplicate",
    "OathCodeOld",
    "IncorrectOTP",
    "SMSAuthFailedWrongCodeEntered",
    "User2WaySMSAuthFailedWrongCodeEntered",
    "VoiceOTPAuthFailedWrongCodeEntered",
];

/// How a factor is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FactorKind {
    /// Approved in the Microsoft Authenticator app; polled.
    Push,
    /// A code typed by the user.
    Code,
}

/// How `method` is answered, when this adapter supports it.
pub(crate) fn kind_of(method: &str) -> Option<FactorKind> {
    if PUSH_METHODS.contains(&method) {
        Some(FactorKind::Push)
    } else if CODE_METHODS.contains(&method) {
        Some(FactorKind::Code)
    } else {
        None
    }
}

/// Picks the factor to use: among the supported ones that `choice` allows, the one Azure AD marks
/// as the default, else the first.
///
/// # Errors
/// [`IdpErrorKind::Configuration`] for `mfa_type = none`, or when `mfa_type` excludes every
/// factor offered; [`IdpErrorKind::Unsupported`] when no factor offered is supported; both list
/// the factors offered and the ones supported.
pub(crate) fn choose(
    proofs: &[UserProof],
    choice: MfaChoice,
    user: &str,
    page_url: &str,
) -> Result<UserProof, IdpError> {
    let offered = proofs
        .iter()
        .map(|p| p.method.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let wanted = |p: &&UserProof| match (choice, kind_of(&p.method)) {
        (_, None) | (MfaChoice::None, _) => false,
        (MfaChoice::Auto, Some(_)) => true,
        (MfaChoice::Push, Some(k)) => k == FactorKind::Push,
        (MfaChoice::Code, Some(k)) => k == FactorKind::Code,
    };
    let candidates: Vec<&UserProof> = proofs.iter().filter(wanted).collect();
    if let Some(pick) = candidates
        .iter()
        .find(|p| p.is_default)
        .or(candidates.first())
    {
        return Ok((*pick).clone());
    }
    let at = display_url(page_url);
    if choice == MfaChoice::None {
        return Err(IdpError::configuration(format!(
            "azure ad asks {user} for a second factor ({offered}) at {at}, but mfa_type is none; set mfa_type to auto, code or push"
        )));
    }
    if proofs.iter().any(|p| kind_of(&p.method).is_some()) {
        return Err(IdpError::configuration(format!(
            "azure ad offers {user} the second factors {offered} at {at}, none of them of the kind mfa_type = {} asks for; aws-runas supports {SUPPORTED}",
            choice.as_str()
        )));
    }
    Err(IdpError::unsupported(format!(
        "azure ad offers {user} only second factors aws-runas does not support ({offered}) at {at}; aws-runas supports {SUPPORTED}"
    )))
}

/// A `BeginAuth` / `EndAuth` request body.
#[derive(Serialize)]
struct AuthRequest<'a> {
    #[serde(rename = "AuthMethodId")]
    method: &'a str,
    #[serde(rename = "Method")]
    call: &'a str,
    #[serde(rename = "Ctx")]
    ctx: &'a str,
    #[serde(rename = "FlowToken")]
    flow_token: &'a str,
    #[serde(rename = "SessionId", skip_serializing_if = "Option::is_none")]
    session_id: Option<&'a str>,
    #[serde(rename = "AdditionalAuthData", skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(rename = "PollCount", skip_serializing_if = "Option::is_none")]
    poll_count: Option<u32>,
}

/// A `BeginAuth` / `EndAuth` answer.
///
/// `Debug` leaves out the flow token, the context and the session id.
#[derive(Clone, Default, Deserialize)]
pub(crate) struct AuthResponse {
    #[serde(rename = "Success", default, deserialize_with = "loose_bool")]
    pub(crate) success: bool,
    #[serde(rename = "ResultValue", default)]
    result_value: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<Value>,
    #[serde(rename = "ErrCode", default)]
    err_code: Option<Value>,
    #[serde(rename = "Retry", default, deserialize_with = "loose_bool")]
    retry: bool,
    #[serde(rename = "FlowToken", default)]
    pub(crate) flow_token: Option<String>,
    #[serde(rename = "Ctx", default)]
    pub(crate) ctx: Option<String>,
    #[serde(rename = "SessionId", default)]
    session_id: Option<String>,
    #[serde(rename = "Entropy", default)]
    entropy: Option<Value>,
}

fn loose_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

impl fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthResponse")
            .field("success", &self.success)
            .field("result_value", &self.result_value)
            .field("err_code", &self.err_code())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl AuthResponse {
    fn result(&self) -> &str {
        self.result_value.as_deref().map(str::trim).unwrap_or("")
    }

    fn err_code(&self) -> Option<i64> {
        match self.err_code.as_ref()? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|c| *c != 0)
    }

    /// The number to tap in the app (number matching), when there is one.
    fn entropy(&self) -> Option<u64> {
        match self.entropy.as_ref()? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|n| *n > 0)
    }

    /// Whether a push is still waiting for the user.
    fn is_pending(&self) -> bool {
        match self.result() {
            "AuthenticationPending" => true,
            "" => self.retry || self.err_code() == Some(500_121),
            _ => false,
        }
    }

    /// Whether a code was refused and another may be tried.
    fn is_wrong_code(&self) -> bool {
        match self.result() {
            r if WRONG_CODE.contains(&r) => true,
            "" => self.retry || self.err_code() == Some(500_121),
            _ => false,
        }
    }

    /// What kind of failure the answer reports: a push not answered in time is
    /// [`IdpErrorKind::MfaTimeout`], a notification that could not be sent or a session that
    /// expired [`IdpErrorKind::Unavailable`], every other refusal [`IdpErrorKind::MfaRejected`].
    fn failure_kind(&self) -> IdpErrorKind {
        match self.result() {
            "PhoneAppNoResponse" => IdpErrorKind::MfaTimeout,
            "PhoneAppNotificationFailed" | "InvalidSession" => IdpErrorKind::Unavailable,
            _ => IdpErrorKind::MfaRejected,
        }
    }

    /// What went wrong, in words, with Azure AD's own result and code and its `Message` (quoted
    /// unless it shows a secret of the login).
    fn failure(&self, answers: &LoginAnswers) -> String {
        let what = match self.result() {
            "PhoneAppDenied" => "the sign-in was denied in the Microsoft Authenticator app",
            "PhoneAppNoResponse" => {
                "the sign-in request was not answered in the Microsoft Authenticator app in time"
            }
            "PhoneAppFraudReported" | "FraudCodeEntered" => {
                "the sign-in request was reported as fraud; Azure AD may block the account for a while"
            }
            "PhoneAppEntropyIncorrect" => {
                "the wrong number was chosen in the Microsoft Authenticator app"
            }
            "PhoneAppNotificationFailed" => "the notification could not be sent to the phone",
            "PhoneAppAllDevicesBlocked" | "UserIsBlocked" => {
                "the account is blocked for second-factor sign-ins"
            }
            "SMSAuthFailedMaxAllowedCodeRetryReached"
            | "OathCodeFailedMaxAllowedRetryReached"
            | "VoiceOTPAuthFailedMaxAllowedCodeRetryReached" => "too many wrong codes were entered",
            "AuthenticationThrottled" => "too many attempts; wait a while before trying again",
            "InvalidSession" => "the second-factor session expired",
            _ => "the second factor failed",
        };
        let mut detail = vec![];
        if !self.result().is_empty() {
            detail.push(self.result().to_string());
        }
        if let Some(code) = self.err_code() {
            detail.push(format!("code {code}"));
        }
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        };
        let message = match &self.message {
            Some(Value::String(text)) => answers.quote(text),
            _ => String::new(),
        };
        format!("{what}{detail}{message}")
    }
}

/// The tokens that change from one call to the next.
#[derive(Default)]
struct Flow {
    ctx: String,
    flow_token: String,
    session_id: Option<String>,
    polls: u32,
}

impl Flow {
    fn update(&mut self, r: &AuthResponse) {
        if let Some(c) = r.ctx.as_deref().filter(|c| !c.is_empty()) {
            self.ctx = c.to_string();
        }
        if let Some(t) = r.flow_token.as_deref().filter(|t| !t.is_empty()) {
            self.flow_token = t.to_string();
        }
        if let Some(s) = r.session_id.as_deref().filter(|s| !s.is_empty()) {
            self.session_id = Some(s.to_string());
        }
    }
}

/// One second-factor exchange, from `BeginAuth` to a successful `EndAuth`.
pub(crate) struct SecondFactor<'a> {
    pub(crate) http: &'a HttpClient,
    pub(crate) answers: &'a LoginAnswers,
    pub(crate) config: &'a ServerConfig,
    pub(crate) proof: &'a UserProof,
    pub(crate) begin_url: String,
    pub(crate) end_url: String,
    pub(crate) user: &'a str,
    pub(crate) wait_bound: Duration,
}

impl SecondFactor<'_> {
    /// Starts the factor and sees it through.
    ///
    /// # Errors
    /// [`IdpErrorKind::MfaRejected`] when Azure AD refuses to start the factor, the push is
    /// denied, or codes are refused [`MAX_CODES`] times; [`IdpErrorKind::MfaTimeout`] when the
    /// push is not approved within `mfa_wait_timeout` (or Azure AD stops waiting first);
    /// [`IdpErrorKind::Unsupported`] for a factor this adapter cannot answer;
    /// [`IdpErrorKind::UnexpectedPage`] for a page or an answer it cannot go on from; what the
    /// prompter and the HTTP client return.
    pub(crate) async fn run(&self) -> Result<AuthResponse, IdpError> {
        let method = self.proof.method.as_str();
        let kind = kind_of(method).ok_or_else(|| {
            IdpError::unsupported(format!(
                "the second factor {method} is not supported; aws-runas supports {SUPPORTED}"
            ))
        })?;
        let missing = |what: &str| {
            IdpError::unexpected_page(format!(
                "the second-factor page of azure ad has no {what}; cannot start {method}"
            ))
        };
        let mut flow = Flow {
            ctx: self
                .config
                .context()
                .ok_or_else(|| missing("sCtx"))?
                .to_string(),
            flow_token: self
                .config
                .flow_token()
                .ok_or_else(|| missing("sFT"))?
                .to_string(),
            ..Flow::default()
        };
        log::debug!("azuread: starting the second factor {method}");
        let begin = self
            .post(
                &self.begin_url,
                &AuthRequest {
                    method,
                    call: "BeginAuth",
                    ctx: &flow.ctx,
                    flow_token: &flow.flow_token,
                    session_id: None,
                    code: None,
                    poll_count: None,
                },
                BEGIN_STEP,
            )
            .await?;
        if !begin.success {
            return Err(IdpError::new(
                begin.failure_kind(),
                format!(
                    "azure ad could not start the second factor {method} for {}: {}",
                    self.user,
                    begin.failure(self.answers)
                ),
            ));
        }
        flow.update(&begin);
        match kind {
            FactorKind::Push => self.push(&begin, flow).await,
            FactorKind::Code => self.codes(flow).await,
        }
    }

    async fn push(&self, begin: &AuthResponse, flow: Flow) -> Result<AuthResponse, IdpError> {
        let what = match begin.entropy() {
            Some(n) => {
                format!("approve the sign-in in the Microsoft Authenticator app by tapping {n}")
            }
            None => "approve the sign-in request in the Microsoft Authenticator app".to_string(),
        };
        let interval = self
            .config
            .polling_interval(&self.proof.method)
            .unwrap_or(DEFAULT_POLL)
            .max(MIN_POLL);
        let wait = Wait {
            what,
            interval,
            bound: self.wait_bound,
        };
        let flow = Mutex::new(flow);
        wait_for(self.answers.prompter().as_ref(), &wait, || self.poll(&flow)).await
    }

    async fn poll(&self, flow: &Mutex<Flow>) -> Result<Poll<AuthResponse>, IdpError> {
        let body = {
            let mut f = flow
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f.polls += 1;
            self.body(&f, None, Some(f.polls))
        };
        let r = self.post_raw(&self.end_url, body, POLL_STEP).await?;
        if r.success {
            return Ok(Poll::Ready(r));
        }
        if r.is_pending() {
            flow.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .update(&r);
            return Ok(Poll::Pending(None));
        }
        Err(self.refused(&r))
    }

    /// The error of an `EndAuth` answer that ends the factor.
    fn refused(&self, r: &AuthResponse) -> IdpError {
        IdpError::new(
            r.failure_kind(),
            format!("{} for {}", r.failure(self.answers), self.user),
        )
    }

    async fn codes(&self, mut flow: Flow) -> Result<AuthResponse, IdpError> {
        let method = self.proof.method.as_str();
        let to = if self.proof.display.trim().is_empty() {
            "the phone".to_string()
        } else {
            self.proof.display.trim().to_string()
        };
        let prompter = self.answers.prompter();
        if method == "OneWaySMS" {
            prompter.notice(&format!("Azure AD sent a code by text message to {to}"));
        }
        for attempt in 0..MAX_CODES {
            if attempt == 0 && method == "PhoneAppOTP" && !self.answers.has_code_up_front() {
                prompter.notice("Azure AD asks for the code the Microsoft Authenticator app shows");
            }
            let code = self.answers.code("MFA code: ")?;
            let body = self.body(&flow, Some(code.expose()), None);
            let r = self.post_raw(&self.end_url, body, CODE_STEP).await?;
            if r.success {
                return Ok(r);
            }
            if !r.is_wrong_code() {
                return Err(self.refused(&r));
            }
            flow.update(&r);
            if attempt + 1 < MAX_CODES {
                prompter.notice(&format!(
                    "Azure AD did not accept the code ({}); enter a new one",
                    if r.result().is_empty() {
                        "refused"
                    } else {
                        r.result()
                    }
                ));
            }
        }
        Err(IdpError::mfa_rejected(format!(
            "azure ad refused {MAX_CODES} one-time codes ({method}) for {}",
            self.user
        )))
    }

    fn body(&self, flow: &Flow, code: Option<&str>, poll_count: Option<u32>) -> String {
        let request = AuthRequest {
            method: &self.proof.method,
            call: "EndAuth",
            ctx: &flow.ctx,
            flow_token: &flow.flow_token,
            session_id: flow.session_id.as_deref(),
            code,
            poll_count,
        };
        serde_json::to_string(&request).unwrap_or_default()
    }

    async fn post(
        &self,
        url: &str,
        request: &AuthRequest<'_>,
        step: &str,
    ) -> Result<AuthResponse, IdpError> {
        let body = serde_json::to_string(request).unwrap_or_default();
        self.post_raw(url, body, step).await
    }

    async fn post_raw(
        &self,
        url: &str,
        body: String,
        step: &str,
    ) -> Result<AuthResponse, IdpError> {
        let mut request = HttpRequest::post(url)
            .header("Accept", "application/json")
            .json(body);
        for (name, value) in self.config.api_headers() {
            request = request.header(name, value);
        }
        let response = self.http.send(request.step(step)).await?;
        response.require_success()?;
        serde_json::from_str::<AuthResponse>(response.body()).map_err(|_| {
            IdpError::unexpected_page(format!(
                "azure ad answered something other than its JSON at {} during {step}",
                display_url(url)
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;
    use aws_runas_idp_testkit::ScriptedPrompter;
    use std::sync::Arc;

    /// The answers of a login whose password was given up front.
    fn answers(password: &str) -> LoginAnswers {
        LoginAnswers::new(
            Arc::new(ScriptedPrompter::new()),
            Some("jane"),
            Some(Secret::new(password)),
            None,
        )
    }

    fn answer(json: &str) -> AuthResponse {
        serde_json::from_str(json).unwrap()
    }

    fn proof(method: &str, is_default: bool) -> UserProof {
        UserProof {
            method: method.into(),
            display: "+X XXXXXXXX12".into(),
            is_default,
        }
    }

    #[test]
    fn auto_takes_the_default_then_the_first_supported() {
        let proofs = [
            proof("TwoWayVoiceMobile", true),
            proof("PhoneAppOTP", false),
            proof("PhoneAppNotification", false),
        ];
        let url = "https://login.microsoftonline.com/common/login";
        assert_eq!(
            choose(&proofs, MfaChoice::Auto, "jane", url)
                .unwrap()
                .method,
            "PhoneAppOTP"
        );
        let with_default = [proof("PhoneAppOTP", false), proof("OneWaySMS", true)];
        assert_eq!(
            choose(&with_default, MfaChoice::Auto, "jane", url)
                .unwrap()
                .method,
            "OneWaySMS"
        );
        assert_eq!(
            choose(&proofs, MfaChoice::Push, "jane", url)
                .unwrap()
                .method,
            "PhoneAppNotification"
        );
        assert_eq!(
            choose(&proofs, MfaChoice::Code, "jane", url)
                .unwrap()
                .method,
            "PhoneAppOTP"
        );
    }

    #[test]
    fn refusals_list_what_is_offered_and_supported() {
        let url = "https://login.microsoftonline.com/common/login?x=secret";
        let voice = [proof("TwoWayVoiceMobile", true)];
        let e = choose(&voice, MfaChoice::Auto, "jane", url).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Unsupported);
        let m = e.to_string();
        assert!(
            m.contains("TwoWayVoiceMobile") && m.contains(SUPPORTED) && !m.contains("secret"),
            "{m}"
        );

        let push_only = [proof("PhoneAppNotification", true)];
        let e = choose(&push_only, MfaChoice::Code, "jane", url).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration);
        assert!(e.to_string().contains("mfa_type = code"), "{e}");

        let e = choose(&push_only, MfaChoice::None, "jane", url).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Configuration);
        assert!(e.to_string().contains("mfa_type is none"), "{e}");
    }

    #[test]
    fn answers_are_read_loosely_and_shown_without_tokens() {
        let r = answer(
            r#"{"Success":false,"ResultValue":"AuthenticationPending","Message":null,"AuthMethodId":"PhoneAppNotification","ErrCode":500121,"Retry":true,"FlowToken":"secret-flow","Ctx":"secret-ctx","SessionId":"secret-session","CorrelationId":"x","Timestamp":"2026-11-24T10:00:00Z","Entropy":42}"#,
        );
        assert!(r.is_pending() && !r.success);
        assert_eq!(r.entropy(), Some(42));
        let shown = format!("{r:?}");
        assert!(!shown.contains("secret"), "{shown}");

        let denied = answer(
            r#"{"Success":false,"ResultValue":"PhoneAppDenied","Message":"The user denied the request.","ErrCode":500121,"Retry":false}"#,
        );
        assert!(!denied.is_pending());
        assert_eq!(denied.failure_kind(), IdpErrorKind::MfaRejected);
        let text = denied.failure(&answers("fake-password-0001"));
        assert!(
            text.contains("denied in the Microsoft Authenticator app")
                && text.contains("PhoneAppDenied")
                && text.contains("500121")
                && text.contains("The user denied"),
            "{text}"
        );

        let wrong = answer(
            r#"{"Success":false,"ResultValue":"OathCodeIncorrect","ErrCode":500121,"Retry":true}"#,
        );
        assert!(wrong.is_wrong_code());
        let unnamed = answer(r#"{"Success":"false","ErrCode":"500121"}"#);
        assert!(unnamed.is_wrong_code() && unnamed.is_pending());
        let too_many = answer(
            r#"{"Success":false,"ResultValue":"SMSAuthFailedMaxAllowedCodeRetryReached","Retry":true}"#,
        );
        assert!(!too_many.is_wrong_code());
        assert_eq!(too_many.failure_kind(), IdpErrorKind::MfaRejected);
        assert!(
            too_many
                .failure(&answers("fake-password-0001"))
                .contains("too many wrong codes")
        );
    }

    #[test]
    fn failures_say_their_kind() {
        let kind = |result: &str| {
            answer(&format!(r#"{{"Success":false,"ResultValue":"{result}"}}"#)).failure_kind()
        };
        assert_eq!(kind("PhoneAppNoResponse"), IdpErrorKind::MfaTimeout);
        assert_eq!(
            kind("PhoneAppNotificationFailed"),
            IdpErrorKind::Unavailable
        );
        assert_eq!(kind("InvalidSession"), IdpErrorKind::Unavailable);
        for refused in [
            "PhoneAppDenied",
            "PhoneAppFraudReported",
            "UserIsBlocked",
            "",
        ] {
            assert_eq!(kind(refused), IdpErrorKind::MfaRejected, "{refused:?}");
        }
    }

    #[test]
    fn a_message_that_echoes_a_secret_is_not_quoted() {
        let echo = answer(
            r#"{"Success":false,"ResultValue":"PhoneAppDenied","Message":"no sign-in with fake-password-0001"}"#,
        );
        let text = echo.failure(&answers("fake-password-0001"));
        assert!(
            text.contains("PhoneAppDenied") && !text.contains("fake-password-0001"),
            "{text}"
        );
    }

    #[test]
    fn methods_have_kinds() {
        assert_eq!(kind_of("PhoneAppNotification"), Some(FactorKind::Push));
        assert_eq!(kind_of("PhoneAppOTP"), Some(FactorKind::Code));
        assert_eq!(kind_of("OneWaySMS"), Some(FactorKind::Code));
        assert_eq!(kind_of("TwoWayVoiceMobile"), None);
        assert_eq!(kind_of("FidoKey"), None);
    }
}
