//! The second factor, shared by the SAML login (API v2, whose verification answers the SAML
//! assertion) and the login for OIDC (API v1, whose verification answers a session token).
//!
//! The factors come from `GET <api>/api/2/mfa/users/<user id>/devices` (their names and which is
//! the default), or, when the API credentials may not list them, from the `devices` of the answer
//! that asked for a second factor. Each is verified by a `POST` to the answer's `callback_url`
//! (its path and query, on the API's host): a one-time code in `otp_token`, asked again when
//! refused, at most [`MAX_CODES`] times; a push sent once with `do_not_notify: false`, then polled
//! with `do_not_notify: true` until approved, refused, or `mfa_wait_timeout` runs out.

use crate::api::{AccessToken, send_json, text};
use crate::flow::Login;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::{HttpRequest, MfaChoice, Poll, Wait, display_url, wait_for};
use serde_json::{Value, json};
use std::time::Duration;

/// How many codes are sent before the login gives up.
pub(crate) const MAX_CODES: usize = 3;

/// The pause between two polls of a push.
const PUSH_POLL: Duration = Duration::from_secs(1);

const STEP_DEVICES: &str = "listing the onelogin mfa devices";
const STEP_CODE: &str = "verifying the one-time code";
const STEP_SEND: &str = "asking onelogin to send a code";
const STEP_PUSH: &str = "sending the onelogin push";
const STEP_POLL: &str = "polling the onelogin push";

/// Factors that approve a sign-in on another device.
const PUSH_FACTORS: [&str; 3] = ["OneLogin", "OneLogin Protect", "OneLogin Voice"];
/// Factors that give a one-time code.
const CODE_FACTORS: [&str; 7] = [
    "OneLogin",
    "OneLogin Protect",
    "Google Authenticator",
    "SMS",
    "OneLogin SMS",
    "OneLogin Email",
    "Email",
];
/// Code factors whose code OneLogin sends when asked (the first verification, without a code).
const SENT_FACTORS: [&str; 4] = ["SMS", "OneLogin SMS", "OneLogin Email", "Email"];

fn named(list: &[&str], factor: &str) -> bool {
    list.iter().any(|f| f.eq_ignore_ascii_case(factor.trim()))
}

/// Which API asked for the factor, and so what its verification answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `api/1/login/auth`: `{"status": {...}, "data": [{"session_token"}]}`.
    V1,
    /// `api/2/saml_assertion`: `{"data": "<SAML>", "message"}`.
    V2,
}

/// A second factor OneLogin asks for.
#[derive(Debug)]
pub(crate) struct Challenge {
    api: Api,
    state_token: Secret,
    callback_url: String,
    user_id: Option<String>,
    offered: Vec<Device>,
}

impl Challenge {
    /// Reads the answer that asked for a second factor: `state_token`, `callback_url`,
    /// `user.id`, `devices`.
    ///
    /// # Errors
    /// [`IdpError::unexpected_page`] when the state token is missing.
    pub(crate) fn from_answer(api: Api, value: &Value) -> Result<Self, IdpError> {
        let state_token = text(value, "state_token").ok_or_else(|| {
            IdpError::unexpected_page(
                "onelogin asked for a second factor without a state_token to verify it with",
            )
        })?;
        let offered = value
            .get("devices")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(i, d)| {
                        let factor = text(d, "device_type")?;
                        Some(Device {
                            id: d.get("device_id")?.clone(),
                            label: factor.clone(),
                            factor,
                            default: i == 0,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Challenge {
            api,
            state_token: Secret::new(state_token),
            callback_url: text(value, "callback_url").unwrap_or_default(),
            user_id: value.get("user").and_then(|u| text(u, "id")),
            offered,
        })
    }

    /// The verification URL: the API's base with the path and query of `callback_url` (the
    /// documented verify path when there is none).
    fn verify_url(&self, api: &str) -> String {
        let fallback = match self.api {
            Api::V1 => "/api/1/login/verify_factor",
            Api::V2 => "/api/2/saml_assertion/verify_factor",
        };
        let path = url::Url::parse(&self.callback_url)
            .ok()
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            })
            .filter(|p| p.len() > 1)
            .unwrap_or_else(|| fallback.to_string());
        format!("{api}{path}")
    }
}

/// One of the user's factors.
#[derive(Debug, Clone)]
struct Device {
    /// `device_id`, sent back as it came (a number or a string).
    id: Value,
    /// `auth_factor_name` (`OneLogin`, `Google Authenticator`, `SMS`, ...).
    factor: String,
    /// What the user calls it (`user_display_name`), for questions and notices.
    label: String,
    default: bool,
}

impl Device {
    fn push(&self) -> bool {
        named(&PUSH_FACTORS, &self.factor)
    }
    fn code(&self) -> bool {
        named(&CODE_FACTORS, &self.factor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Push,
    Code,
}

/// What one verification answered.
enum Verified {
    /// The SAML assertion (API v2) or the session token (API v1).
    Token(Secret),
    /// Not yet (a push not answered, a code just sent).
    Pending,
    /// A 4xx: the factor was refused, with OneLogin's message.
    Refused { status: u16, message: String },
}

/// Picks the factor for `mfa_type`: `code` and `push` the first factor of that kind; `auto` the
/// default factor (as a code when a code was given up front and the factor gives codes), else
/// the first factor aws-runas can use.
fn choose(
    devices: &[Device],
    mfa: MfaChoice,
    code_up_front: bool,
    who: &str,
) -> Result<(Device, Mode), IdpError> {
    let names = || {
        devices
            .iter()
            .map(|d| d.factor.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The default factor when it can be used this way, else the first that can.
    let first = |mode: Mode| {
        let fits = |d: &&Device| match mode {
            Mode::Push => d.push(),
            Mode::Code => d.code(),
        };
        devices
            .iter()
            .filter(|d| d.default)
            .find(fits)
            .or_else(|| devices.iter().find(fits))
            .map(|d| (d.clone(), mode))
    };
    match mfa {
        MfaChoice::None => Err(IdpError::configuration(format!(
            "onelogin asks {who} for a second factor, but mfa_type = none; set mfa_type to auto, code or push"
        ))),
        MfaChoice::Code => first(Mode::Code).ok_or_else(|| {
            IdpError::unsupported(format!(
                "none of the onelogin factors of {who} ({}) gives a one-time code; set mfa_type to push or auto",
                names()
            ))
        }),
        MfaChoice::Push => first(Mode::Push).ok_or_else(|| {
            IdpError::unsupported(format!(
                "none of the onelogin factors of {who} ({}) is a push; set mfa_type to code or auto",
                names()
            ))
        }),
        MfaChoice::Auto => {
            let default = devices.iter().find(|d| d.default).or(devices.first());
            let picked = match default {
                Some(d) if code_up_front && d.code() => Some((d.clone(), Mode::Code)),
                Some(d) if d.push() => Some((d.clone(), Mode::Push)),
                Some(d) if d.code() => Some((d.clone(), Mode::Code)),
                _ => None,
            };
            picked
                .or_else(|| first(Mode::Push))
                .or_else(|| first(Mode::Code))
                .ok_or_else(|| {
                    IdpError::unsupported(format!(
                        "aws-runas cannot use any of the onelogin factors of {who} ({}); it handles OneLogin Protect, OneLogin Voice, Google Authenticator, SMS and e-mail",
                        names()
                    ))
                })
        }
    }
}

/// Answers `challenge`: picks a factor, verifies it, and returns what the verification answers
/// (the SAML assertion for API v2, the session token for API v1).
///
/// # Errors
/// [`IdpError::mfa_rejected`] for a refused push or [`MAX_CODES`] refused codes;
/// [`IdpError::mfa_timeout`] for a push not answered within `mfa_wait_timeout`;
/// [`IdpError::unsupported`] when no factor can be used; [`IdpError::configuration`] for
/// `mfa_type = none`; the network's errors.
pub(crate) async fn second_factor(
    login: &Login,
    token: &AccessToken,
    challenge: &Challenge,
) -> Result<Secret, IdpError> {
    let devices = devices(login, token, challenge).await?;
    if devices.is_empty() {
        return Err(IdpError::unsupported(format!(
            "onelogin asks {} for a second factor, but the user has no active mfa factor",
            login.answers().who()
        )));
    }
    let (device, mode) = choose(
        &devices,
        login.settings().mfa_type(),
        login.answers().has_code_up_front(),
        &login.answers().who(),
    )?;
    log::debug!(
        "onelogin: verifying the factor {} ({mode:?})",
        device.factor
    );
    match mode {
        Mode::Push => by_push(login, token, challenge, &device).await,
        Mode::Code => by_code(login, token, challenge, &device).await,
    }
}

/// The user's factors from the MFA API, or those of the answer when the API credentials may not
/// list them.
async fn devices(
    login: &Login,
    token: &AccessToken,
    challenge: &Challenge,
) -> Result<Vec<Device>, IdpError> {
    let Some(user) = &challenge.user_id else {
        return Ok(challenge.offered.clone());
    };
    let url = format!("{}/api/2/mfa/users/{user}/devices", login.settings().api());
    let reply = send_json(
        login.http(),
        HttpRequest::get(&url)
            .header("Authorization", token.header())
            .step(STEP_DEVICES),
    )
    .await?;
    if !reply.is_success() {
        log::debug!(
            "onelogin: the factors of the user cannot be listed (status {}); using the factors of the answer",
            reply.status
        );
        return Ok(challenge.offered.clone());
    }
    let list = reply.value.as_array().ok_or_else(|| {
        IdpError::unexpected_page(format!(
            "onelogin answered the factor list at {} with something that is not a list",
            display_url(&url)
        ))
    })?;
    Ok(list
        .iter()
        .filter_map(|d| {
            let factor = text(d, "auth_factor_name").or_else(|| text(d, "type_display_name"))?;
            Some(Device {
                id: d.get("device_id")?.clone(),
                label: text(d, "user_display_name")
                    .or_else(|| text(d, "type_display_name"))
                    .unwrap_or_else(|| factor.clone()),
                factor,
                default: d.get("default").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect())
}

/// One verification.
async fn verify(
    login: &Login,
    token: &AccessToken,
    challenge: &Challenge,
    device: &Device,
    code: Option<&Secret>,
    do_not_notify: bool,
    step: &str,
) -> Result<Verified, IdpError> {
    let mut body = json!({
        "device_id": device.id,
        "state_token": challenge.state_token.expose(),
        "do_not_notify": do_not_notify,
    });
    if challenge.api == Api::V2
        && let Some(app) = login.settings().app_id()
    {
        body["app_id"] = json!(app);
    }
    if let Some(code) = code {
        body["otp_token"] = json!(code.expose());
    }
    let reply = send_json(
        login.http(),
        HttpRequest::post(challenge.verify_url(login.settings().api()))
            .header("Authorization", token.header())
            .json(body.to_string())
            .step(step),
    )
    .await?;
    let message = reply.message();
    if !reply.is_success() {
        return Ok(Verified::Refused {
            status: reply.status,
            message,
        });
    }
    let pending = message.to_ascii_lowercase().contains("pending")
        || reply
            .value
            .get("status")
            .and_then(|s| text(s, "type"))
            .is_some_and(|t| t.eq_ignore_ascii_case("pending"));
    let token = match challenge.api {
        Api::V2 => text(&reply.value, "data"),
        Api::V1 => reply
            .value
            .get("data")
            .and_then(|d| d.get(0))
            .and_then(|d| text(d, "session_token")),
    };
    match token {
        Some(t) if !pending => Ok(Verified::Token(Secret::new(t))),
        _ if pending => Ok(Verified::Pending),
        _ => Err(IdpError::unexpected_page(format!(
            "onelogin answered the verification of the {} factor with neither a result nor a wait{}",
            device.factor,
            login.answers().quote(&message)
        ))
        .at_step(step.to_string())),
    }
}

/// A code factor: the code sent first when OneLogin sends it (SMS, e-mail), then asked and
/// verified, again after a refusal, at most [`MAX_CODES`] times.
async fn by_code(
    login: &Login,
    token: &AccessToken,
    challenge: &Challenge,
    device: &Device,
) -> Result<Secret, IdpError> {
    let answers = login.answers();
    if named(&SENT_FACTORS, &device.factor) && !answers.has_code_up_front() {
        match verify(login, token, challenge, device, None, false, STEP_SEND).await? {
            Verified::Token(t) => return Ok(t),
            Verified::Pending => answers
                .prompter()
                .notice(&format!("OneLogin sent a code to {}.", device.label)),
            Verified::Refused { message, .. } => {
                return Err(IdpError::mfa_rejected(format!(
                    "onelogin could not send a code to {}{}",
                    device.label,
                    answers.quote(&message)
                )));
            }
        }
    }
    let label = format!("{} code: ", device.label);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let code = answers.code(&label)?;
        let refusal = match verify(
            login,
            token,
            challenge,
            device,
            Some(&code),
            true,
            STEP_CODE,
        )
        .await?
        {
            Verified::Token(t) => return Ok(t),
            Verified::Pending => String::new(),
            Verified::Refused { status, message }
                if status == 401
                    || message
                        .to_ascii_lowercase()
                        .contains("failed authentication") =>
            {
                message
            }
            Verified::Refused { message, .. } => {
                return Err(IdpError::mfa_rejected(format!(
                    "onelogin refused the code of {}{}",
                    answers.who(),
                    answers.quote(&message)
                )));
            }
        };
        if attempt >= MAX_CODES {
            return Err(IdpError::mfa_rejected(format!(
                "onelogin refused {MAX_CODES} codes of {} in a row{}; not asking again",
                answers.who(),
                answers.quote(&refusal)
            )));
        }
        answers.prompter().notice(&format!(
            "OneLogin refused the code{}; try again.",
            answers.quote(&refusal)
        ));
    }
}

/// A push: sent once, then polled until approved, refused or the wait's bound.
async fn by_push(
    login: &Login,
    token: &AccessToken,
    challenge: &Challenge,
    device: &Device,
) -> Result<Secret, IdpError> {
    let answers = login.answers();
    let refused = |message: &str| {
        IdpError::mfa_rejected(format!(
            "the onelogin push to {} was rejected{}",
            device.label,
            answers.quote(message)
        ))
    };
    match verify(login, token, challenge, device, None, false, STEP_PUSH).await? {
        Verified::Token(t) => return Ok(t),
        Verified::Refused { message, .. } => return Err(refused(&message)),
        Verified::Pending => {}
    }
    let wait = Wait {
        what: format!("approve the OneLogin sign-in on {}", device.label),
        interval: PUSH_POLL,
        bound: login.settings().mfa_wait(),
    };
    wait_for(answers.prompter().as_ref(), &wait, || async {
        match verify(login, token, challenge, device, None, true, STEP_POLL).await? {
            Verified::Token(t) => Ok(Poll::Ready(t)),
            Verified::Pending => Ok(Poll::Pending(None)),
            Verified::Refused { message, .. } => Err(refused(&message)),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    fn device(factor: &str, default: bool) -> Device {
        Device {
            id: json!(1),
            factor: factor.into(),
            label: factor.into(),
            default,
        }
    }

    fn pick(
        devices: &[Device],
        mfa: MfaChoice,
        up_front: bool,
    ) -> Result<(String, Mode), IdpError> {
        choose(devices, mfa, up_front, "jane").map(|(d, m)| (d.factor, m))
    }

    #[test]
    fn factors_are_chosen_by_mfa_type() {
        let both = [
            device("Google Authenticator", false),
            device("OneLogin", true),
        ];
        assert_eq!(
            pick(&both, MfaChoice::Auto, false).unwrap(),
            ("OneLogin".into(), Mode::Push)
        );
        assert_eq!(
            pick(&both, MfaChoice::Auto, true).unwrap(),
            ("OneLogin".into(), Mode::Code)
        );
        // Protect gives codes too, and it is the default.
        assert_eq!(
            pick(&both, MfaChoice::Code, false).unwrap(),
            ("OneLogin".into(), Mode::Code)
        );
        let push_first = [
            device("OneLogin Voice", false),
            device("Google Authenticator", true),
        ];
        assert_eq!(
            pick(&push_first, MfaChoice::Code, false).unwrap(),
            ("Google Authenticator".into(), Mode::Code)
        );
        assert_eq!(
            pick(&both, MfaChoice::Push, false).unwrap(),
            ("OneLogin".into(), Mode::Push)
        );
        let none = pick(&both, MfaChoice::None, false).unwrap_err();
        assert_eq!(none.kind(), IdpErrorKind::Configuration);

        let codes = [device("SMS", true)];
        let e = pick(&codes, MfaChoice::Push, false).unwrap_err();
        assert_eq!(e.kind(), IdpErrorKind::Unsupported);
        assert!(e.to_string().contains("SMS"), "{e}");
        // An unusable default falls back to a usable factor.
        let odd = [
            device("Duo Security", true),
            device("OneLogin Email", false),
        ];
        assert_eq!(
            pick(&odd, MfaChoice::Auto, false).unwrap(),
            ("OneLogin Email".into(), Mode::Code)
        );
        let unusable = pick(&[device("Yubico YubiKey", true)], MfaChoice::Auto, false).unwrap_err();
        assert_eq!(unusable.kind(), IdpErrorKind::Unsupported);
    }

    #[test]
    fn the_verify_url_keeps_the_callback_path_on_the_api_host() {
        let v = json!({
            "state_token": "fake-state-0001",
            "callback_url": "https://api.us.onelogin.com/api/2/saml_assertion/verify_factor?x=1",
            "user": {"id": 88888888},
            "devices": [{"device_id": 666666, "device_type": "Google Authenticator"}]
        });
        let c = Challenge::from_answer(Api::V2, &v).unwrap();
        assert_eq!(
            c.verify_url("http://127.0.0.1:9"),
            "http://127.0.0.1:9/api/2/saml_assertion/verify_factor?x=1"
        );
        assert_eq!(c.user_id.as_deref(), Some("88888888"));
        assert_eq!(c.offered.len(), 1);
        assert!(c.offered[0].default);
        let bare = Challenge::from_answer(Api::V1, &json!({"state_token": "s"})).unwrap();
        assert_eq!(
            bare.verify_url("https://api.eu.onelogin.com"),
            "https://api.eu.onelogin.com/api/1/login/verify_factor"
        );
        assert_eq!(
            Challenge::from_answer(Api::V1, &json!({}))
                .unwrap_err()
                .kind(),
            IdpErrorKind::UnexpectedPage
        );
    }
}
