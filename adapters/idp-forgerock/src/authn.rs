//! The `authenticate` REST call of ForgeRock AM and its callbacks.
//!
//! The first call carries the user name and password in the `X-OpenAM-Username` and
//! `X-OpenAM-Password` headers (zero page login), with an empty body, to the realm's
//! `json/realms/…/authenticate`, with `authIndexType=service&authIndexValue=<service>` for a named
//! push or code service. AM answers a session (`tokenId`, and the session cookie), an error
//! (`{"code", "reason", "message"}`), or the next stage: `{"authId", "callbacks": [...]}`, which
//! is answered by posting the callbacks back, filled in, to the plain `authenticate` URL:
//! * a one-time code stage (a `PasswordCallback`, or a `NameCallback` alone): the code goes into
//!   its first input; the same stage coming back means the code was refused (asked again, at most
//!   [`MAX_CODES`] codes); a 401 after a code ends the authentication session;
//! * a push stage (a `PollingWaitCallback`): posted back, unchanged, every `waitTime` until AM
//!   answers another stage or the session, within `mfa_wait_timeout`; a 401 is a refused push.

use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::{
    HttpClient, HttpRequest, LoginAnswers, MfaChoice, Poll, Wait, wait_for,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::sync::Mutex;
use std::time::Duration;

use crate::settings::ForgeRockSettings;

/// How many one-time codes are sent before the login gives up.
pub(crate) const MAX_CODES: usize = 3;

/// How many stages one authentication may have.
const MAX_STAGES: usize = 10;

/// The API version AM's `authenticate` endpoint is spoken in.
const API_VERSION: &str = "resource=2.0, protocol=1.0";

const STEP_PASSWORD: &str = "posting the user name and password to forgerock";
const STEP_CODE: &str = "posting the one-time code to forgerock";
const STEP_PUSH: &str = "polling the forgerock push";

/// A header value as `X-OpenAM-Username` and `X-OpenAM-Password` take it: the text itself when it
/// is printable ASCII that cannot be mistaken for an encoded word, else an RFC 2047 encoded word,
/// `=?UTF-8?B?<base64 of the UTF-8 bytes>?=`, which AM decodes.
pub(crate) fn header_value(text: &str) -> String {
    let plain = !text.is_empty()
        && text.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.contains("=?");
    if plain {
        text.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(text.as_bytes()))
    }
}

/// One answer of `authenticate`.
#[derive(Debug)]
struct Reply {
    status: u16,
    value: Value,
}

impl Reply {
    fn message(&self) -> String {
        ["message", "reason"]
            .iter()
            .find_map(|k| {
                self.value
                    .get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_default()
            .to_string()
    }

    fn signed_in(&self) -> bool {
        (200..300).contains(&self.status)
            && self
                .value
                .get("tokenId")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
    }
}

/// What a stage of callbacks asks for.
#[derive(Debug, PartialEq, Eq)]
enum Stage {
    /// A one-time code.
    Code,
    /// Approving a push; poll after this long.
    Push(Duration),
    /// Something this adapter does not answer (the callback types).
    Other(String),
}

fn callbacks(value: &Value) -> &[Value] {
    value
        .get("callbacks")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn kind(callback: &Value) -> &str {
    callback.get("type").and_then(Value::as_str).unwrap_or("")
}

fn stage(value: &Value) -> Stage {
    let list = callbacks(value);
    if let Some(wait) = list.iter().find(|c| kind(c) == "PollingWaitCallback") {
        let ms = wait
            .get("output")
            .and_then(Value::as_array)
            .and_then(|o| {
                o.iter()
                    .find(|x| x.get("name").and_then(Value::as_str) == Some("waitTime"))
            })
            .and_then(|x| x.get("value"))
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(1000);
        return Stage::Push(Duration::from_millis(ms.clamp(100, 5000)));
    }
    let has = |t: &str| list.iter().any(|c| kind(c) == t);
    if has("PasswordCallback") && !has("NameCallback")
        || has("NameCallback") && !has("PasswordCallback")
    {
        return Stage::Code;
    }
    let mut types: Vec<&str> = list.iter().map(kind).collect();
    types.dedup();
    Stage::Other(types.join(", "))
}

/// The prompt of the stage's first code callback, for the question.
fn code_label(value: &Value) -> String {
    callbacks(value)
        .iter()
        .filter(|c| matches!(kind(c), "PasswordCallback" | "NameCallback"))
        .filter_map(|c| c.get("output").and_then(Value::as_array))
        .flatten()
        .find(|o| o.get("name").and_then(Value::as_str) == Some("prompt"))
        .and_then(|o| o.get("value").and_then(Value::as_str))
        .map(|p| p.trim().trim_end_matches(':').trim().to_string())
        .filter(|p| !p.is_empty() && p.len() <= 80)
        .map_or_else(|| "MFA code: ".to_string(), |p| format!("{p}: "))
}

/// The stage with `code` in the first input of each code callback.
fn with_code(value: &Value, code: &Secret) -> Value {
    let mut out = value.clone();
    if let Some(list) = out.get_mut("callbacks").and_then(Value::as_array_mut) {
        for c in list {
            if !matches!(kind(c), "PasswordCallback" | "NameCallback") {
                continue;
            }
            if let Some(first) = c
                .get_mut("input")
                .and_then(Value::as_array_mut)
                .and_then(|i| i.first_mut())
            {
                first["value"] = Value::String(code.expose().to_string());
            }
        }
    }
    out
}

/// One login at AM's `authenticate` endpoint.
pub(crate) struct Authenticator<'a> {
    pub(crate) settings: &'a ForgeRockSettings,
    pub(crate) http: &'a HttpClient,
    pub(crate) answers: &'a LoginAnswers,
}

impl Authenticator<'_> {
    async fn send(&self, request: HttpRequest) -> Result<Reply, IdpError> {
        let response = self
            .http
            .send(
                request
                    .header("Accept", "application/json")
                    .header("Accept-API-Version", API_VERSION),
            )
            .await?;
        if response.status() >= 500 {
            return Err(response.status_error().into());
        }
        match serde_json::from_str::<Value>(response.body()) {
            Ok(value @ Value::Object(_)) => Ok(Reply {
                status: response.status(),
                value,
            }),
            _ if !response.is_success() => Err(response.status_error().into()),
            _ => Err(response.unexpected_page().into()),
        }
    }

    async fn answer(&self, stage: &Value, step: &str) -> Result<Reply, IdpError> {
        self.send(
            HttpRequest::post(self.settings.authenticate_url())
                .json(stage.to_string())
                .step(step),
        )
        .await
    }

    /// Logs in; the session is in the cookie jar when this returns.
    ///
    /// # Errors
    /// [`IdpError::bad_credentials`] for a refused user name or password (sent once);
    /// [`IdpError::mfa_rejected`] for refused codes or a refused push; [`IdpError::mfa_timeout`]
    /// for a push not answered in time; [`IdpError::configuration`] for a stage of callbacks with
    /// `mfa_type = none` or a refused service; [`IdpError::unsupported`] for callbacks this
    /// adapter does not answer; the network's errors.
    pub(crate) async fn login(&self) -> Result<(), IdpError> {
        let answers = self.answers;
        let mut url = self.settings.authenticate_url();
        if let Some(service) = self.settings.service() {
            url.push('?');
            url.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("authIndexType", "service")
                    .append_pair("authIndexValue", service)
                    .finish(),
            );
        }
        let username = answers.username()?;
        let password = answers.password()?;
        let mut reply = self
            .send(
                HttpRequest::post(url)
                    .header("X-OpenAM-Username", header_value(&username))
                    .header("X-OpenAM-Password", header_value(password.expose()))
                    .body("application/json", "")
                    .step(STEP_PASSWORD),
            )
            .await?;
        let mut codes_sent = 0;
        let mut last = Last::Password;
        for _ in 0..MAX_STAGES {
            if reply.signed_in() {
                return Ok(());
            }
            if !(200..300).contains(&reply.status) {
                return Err(self.refused(&reply, last, codes_sent));
            }
            match stage(&reply.value) {
                Stage::Code => {
                    if self.settings.mfa_type() == MfaChoice::None {
                        return Err(needs_factor(answers));
                    }
                    if last == Last::Code {
                        if codes_sent >= MAX_CODES {
                            return Err(IdpError::mfa_rejected(format!(
                                "forgerock refused {MAX_CODES} codes of {} in a row; not asking again",
                                answers.who()
                            )));
                        }
                        answers
                            .prompter()
                            .notice("ForgeRock refused the code; try again.");
                    }
                    let code = answers.code(&code_label(&reply.value))?;
                    reply = self
                        .answer(&with_code(&reply.value, &code), STEP_CODE)
                        .await?;
                    codes_sent += 1;
                    last = Last::Code;
                }
                Stage::Push(pause) => {
                    if self.settings.mfa_type() == MfaChoice::None {
                        return Err(needs_factor(answers));
                    }
                    reply = self.push(reply.value, pause).await?;
                    last = Last::Push;
                }
                Stage::Other(types) => {
                    return Err(IdpError::unsupported(format!(
                        "forgerock asks for callbacks aws-runas does not answer ({types}); use a service with a one-time code or a push (forgerock_code_service, forgerock_push_service)"
                    )));
                }
            }
        }
        Err(IdpError::unexpected_page(format!(
            "the forgerock login did not end within {MAX_STAGES} stages"
        )))
    }

    /// Polls a push stage until AM answers something else.
    async fn push(&self, first: Value, pause: Duration) -> Result<Reply, IdpError> {
        let current = Mutex::new((first, pause));
        let wait = Wait {
            what: "approve the ForgeRock push on your phone".into(),
            interval: pause,
            bound: self.settings.mfa_wait(),
        };
        let current = &current;
        wait_for(self.answers.prompter().as_ref(), &wait, || async move {
            let body = current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0
                .clone();
            let reply = self.answer(&body, STEP_PUSH).await?;
            if (200..300).contains(&reply.status)
                && let Stage::Push(next) = stage(&reply.value)
            {
                *current
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = (reply.value, next);
                return Ok(Poll::Pending(Some(next)));
            }
            Ok(Poll::Ready(reply))
        })
        .await
    }

    /// The error for a 4xx, by what was sent last.
    fn refused(&self, reply: &Reply, last: Last, codes_sent: usize) -> IdpError {
        let answers = self.answers;
        let quoted = answers.quote(&reply.message());
        match (reply.status, last) {
            (401, Last::Password) => IdpError::bad_credentials(format!(
                "forgerock refused the login of {}{quoted}; it is not tried again",
                answers.who()
            ))
            .at_step(STEP_PASSWORD),
            (401, Last::Code) => IdpError::mfa_rejected(format!(
                "forgerock refused the code of {} and ended the login after {codes_sent} code(s){quoted}",
                answers.who()
            ))
            .at_step(STEP_CODE),
            (401, Last::Push) => IdpError::mfa_rejected(format!(
                "the forgerock push was rejected or expired{quoted}"
            ))
            .at_step(STEP_PUSH),
            (400 | 404, Last::Password) => IdpError::configuration(format!(
                "forgerock refused the authentication request (status {}){quoted}; check the realm in the url and the service (forgerock_push_service, forgerock_code_service)",
                reply.status
            ))
            .at_step(STEP_PASSWORD),
            (status, _) => IdpError::unexpected_page(format!(
                "forgerock answered the login with status {status}{quoted}"
            )),
        }
    }
}

/// What was sent last, which says what a refusal refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Password,
    Code,
    Push,
}

fn needs_factor(answers: &LoginAnswers) -> IdpError {
    IdpError::configuration(format!(
        "forgerock asks {} for a second factor, but mfa_type = none; set mfa_type to auto, code or push",
        answers.who()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_values_are_encoded_when_they_must_be() {
        assert_eq!(
            header_value("jane.doe@example.test"),
            "jane.doe@example.test"
        );
        assert_eq!(header_value("Ch4ng3 it!"), "Ch4ng3 it!");
        // Non-ASCII: an RFC 2047 encoded word of the UTF-8 bytes.
        assert_eq!(header_value("pässwörd"), "=?UTF-8?B?cMOkc3N3w7ZyZA==?=");
        assert_eq!(header_value("jürgen"), "=?UTF-8?B?asO8cmdlbg==?=");
        // Text that would be read as an encoded word, edge spaces, control characters.
        assert_eq!(header_value("=?x?="), "=?UTF-8?B?PT94Pz0=?=");
        assert_eq!(header_value(" pad"), "=?UTF-8?B?IHBhZA==?=");
        assert_eq!(header_value("a\tb"), "=?UTF-8?B?YQli?=");
    }

    #[test]
    fn stages_are_read_from_their_callbacks() {
        let oath = json!({"authId": "a", "callbacks": [
            {"type": "PasswordCallback", "output": [{"name": "prompt", "value": "Enter verification code:"}],
             "input": [{"name": "IDToken1", "value": ""}]},
            {"type": "ConfirmationCallback", "output": [], "input": [{"name": "IDToken2", "value": 0}]}
        ]});
        assert_eq!(stage(&oath), Stage::Code);
        assert_eq!(code_label(&oath), "Enter verification code: ");
        let filled = with_code(&oath, &Secret::new("123456"));
        assert_eq!(filled["callbacks"][0]["input"][0]["value"], "123456");
        assert_eq!(filled["callbacks"][1]["input"][0]["value"], 0);

        let push = json!({"authId": "a", "callbacks": [
            {"type": "PollingWaitCallback", "output": [{"name": "waitTime", "value": "4000"}]},
            {"type": "ConfirmationCallback", "input": [{"name": "IDToken2", "value": 100}]}
        ]});
        assert_eq!(stage(&push), Stage::Push(Duration::from_millis(4000)));
        let both = json!({"callbacks": [{"type": "NameCallback"}, {"type": "PasswordCallback"}]});
        assert_eq!(
            stage(&both),
            Stage::Other("NameCallback, PasswordCallback".into())
        );
        assert_eq!(code_label(&json!({"callbacks": []})), "MFA code: ");
    }
}
