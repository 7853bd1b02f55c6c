//! Okta Identity Engine: the IDX API that its sign-in widget speaks.
//!
//! The sign-in page the app link leads to carries a `stateToken` in its script; `introspect`
//! turns it into the first IDX response, and each response lists *remediations*: forms to post
//! next (`identify`, `challenge-authenticator`, `select-authenticator-authenticate`,
//! `challenge-poll`, …), each with its `href`. The walk answers them one by one until the response
//! carries `success`, whose link turns the sign-in into a session.
//!
//! Out of reach (an unsupported error says so): Okta FastPass and WebAuthn (they need the
//! device), Duo and other external identity providers as authenticators (they need a browser),
//! enrolling a new authenticator, and password changes.

use crate::api::{self, ION, Reply, text, text_at};
use crate::authn::{CODE_LABEL, push_what, refused};
use crate::factors::{self, Channel, Kind, Offer};
use crate::login::{Login, MAX_CODES, Progress, Session};
use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::{HttpRequest, Poll, Wait, display_url, wait_for};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How many IDX responses one sign-in may go through.
const MAX_STEPS: usize = 16;

/// The pause between two polls when the remediation names none (the widget's default).
const IDX_POLL: Duration = Duration::from_secs(4);

const INTROSPECTING: &str = "introspecting the identity engine state token";
const IDENTIFYING: &str = "posting the user name to the identity engine";
const POSTING_PASSWORD: &str = "posting the password to the identity engine";
const POSTING_CODE: &str = "posting the one-time code to the identity engine";
const CHOOSING: &str = "choosing an authenticator";
const POLLING: &str = "polling the okta verify push";
const SKIPPING: &str = "skipping an optional enrollment";

#[derive(Serialize)]
struct Credentials<'a> {
    passcode: &'a str,
}

#[derive(Serialize)]
struct Identify<'a> {
    identifier: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Credentials<'a>>,
    #[serde(rename = "stateHandle")]
    state_handle: &'a str,
}

#[derive(Serialize)]
struct Answer<'a> {
    credentials: Credentials<'a>,
    #[serde(rename = "stateHandle")]
    state_handle: &'a str,
}

/// The `stateToken` the sign-in page's script carries (`"stateToken":"…"` or
/// `stateToken = '…'`), with its JavaScript escapes (`\x2D`) decoded.
pub(crate) fn state_token(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(at) = rest.find("stateToken") {
        rest = &rest[at + "stateToken".len()..];
        let after = rest.trim_start_matches(['"', '\'']).trim_start();
        let Some(after) = after.strip_prefix([':', '=']) else {
            continue;
        };
        let after = after.trim_start();
        let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(token) = js_string(&after[1..], quote).filter(|t| !t.trim().is_empty()) {
            return Some(token);
        }
    }
    None
}

/// The JavaScript string literal starting at `text` (after its opening quote), decoded.
fn js_string(text: &str, quote: char) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c == quote => return Some(out),
            '\\' => match chars.next()? {
                'x' => {
                    let hex: String = chars.by_ref().take(2).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            '\n' => return None,
            c => out.push(c),
        }
    }
    None
}

/// One remediation of an IDX response.
#[derive(Debug, Clone)]
struct Remediation<'a> {
    name: String,
    href: String,
    form: &'a Value,
}

impl Remediation<'_> {
    /// The form's fields.
    fn fields(&self) -> impl Iterator<Item = &Value> {
        self.form
            .get("value")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    }

    fn field(&self, name: &str) -> Option<&Value> {
        self.fields()
            .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
    }

    /// The poll interval (`refresh`, in milliseconds).
    fn refresh(&self) -> Option<Duration> {
        self.form
            .get("refresh")
            .and_then(Value::as_u64)
            .map(Duration::from_millis)
    }
}

fn remediations(v: &Value) -> Vec<Remediation<'_>> {
    v.get("remediation")
        .and_then(|r| r.get("value"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(Remediation {
                name: text(r, "name")?,
                href: text(r, "href")?,
                form: r,
            })
        })
        .collect()
}

fn find<'a>(v: &'a Value, name: &str) -> Option<Remediation<'a>> {
    remediations(v).into_iter().find(|r| r.name == name)
}

/// The `stateHandle` to send with a remediation: its own field, else the response's.
fn state_handle(v: &Value, rem: &Remediation<'_>) -> Result<String, IdpError> {
    rem.field("stateHandle")
        .and_then(|f| text(f, "value"))
        .or_else(|| text(v, "stateHandle"))
        .ok_or_else(|| {
            IdpError::unexpected_page(format!(
                "the identity engine answered the remediation {} without a stateHandle",
                rem.name
            ))
        })
}

/// Resolves a `relatesTo` path (`$.authenticatorEnrollments.value[2]`, `$.currentAuthenticator`),
/// unwrapping `{"type": "object", "value": {…}}`.
fn resolve<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let rest = path.trim().strip_prefix("$.")?;
    let mut cur = root;
    for segment in rest.split('.') {
        let (key, index) = match segment.find('[') {
            Some(i) => (
                &segment[..i],
                Some(
                    segment[i + 1..]
                        .trim_end_matches(']')
                        .parse::<usize>()
                        .ok()?,
                ),
            ),
            None => (segment, None),
        };
        cur = cur.get(key)?;
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    Some(unwrap_object(cur))
}

fn unwrap_object(v: &Value) -> &Value {
    match (v.get("type").and_then(Value::as_str), v.get("value")) {
        (Some("object"), Some(inner)) if inner.is_object() => inner,
        _ => v,
    }
}

/// An authenticator (or enrollment) as the adapter sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Authenticator {
    id: String,
    kind: String,
    key: String,
    name: String,
    /// The phone number or e-mail address shown for it.
    detail: Option<String>,
    methods: Vec<String>,
}

impl Authenticator {
    fn of(v: &Value) -> Self {
        Authenticator {
            id: text(v, "id").unwrap_or_default(),
            kind: text(v, "type").unwrap_or_default(),
            key: text(v, "key").unwrap_or_default(),
            name: text(v, "displayName").unwrap_or_default(),
            detail: text_at(v, "profile/phoneNumber").or_else(|| text_at(v, "profile/email")),
            methods: v
                .get("methods")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| text(m, "type"))
                .collect(),
        }
    }

    fn label(&self) -> &str {
        [&self.key, &self.name, &self.kind]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
            .unwrap_or("an authenticator")
    }
}

/// The authenticator a `challenge-authenticator` remediation is about.
fn current(v: &Value, rem: &Remediation<'_>) -> Authenticator {
    let related = match rem.form.get("relatesTo") {
        Some(Value::Array(paths)) => paths
            .iter()
            .filter_map(Value::as_str)
            .find_map(|p| resolve(v, p)),
        Some(Value::String(p)) => resolve(v, p),
        _ => None,
    };
    related
        .or_else(|| resolve(v, "$.currentAuthenticatorEnrollment"))
        .or_else(|| resolve(v, "$.currentAuthenticator"))
        .map(Authenticator::of)
        .unwrap_or_default()
}

/// The number to tap in Okta Verify, when the push has a number challenge.
fn correct_answer(v: &Value) -> Option<String> {
    ["currentAuthenticator", "currentAuthenticatorEnrollment"]
        .iter()
        .find_map(|k| text_at(v, &format!("{k}/value/contextualData/correctAnswer")))
}

/// One message of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    class: String,
    key: String,
    text: String,
}

/// Every message of the response (top level and inside the remediation forms), in order.
fn messages(v: &Value) -> Vec<Message> {
    fn walk(v: &Value, out: &mut Vec<Message>) {
        match v {
            Value::Object(map) => {
                if let Some(list) = map
                    .get("messages")
                    .and_then(|m| m.get("value"))
                    .and_then(Value::as_array)
                {
                    for m in list {
                        if let Some(text) = text(m, "message") {
                            out.push(Message {
                                class: api::text(m, "class").unwrap_or_default(),
                                key: text_at(m, "i18n/key").unwrap_or_default(),
                                text,
                            });
                        }
                    }
                }
                for (k, child) in map {
                    if k != "messages" {
                        walk(child, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = vec![];
    walk(v, &mut out);
    out
}

/// The texts of the error messages.
fn errors(v: &Value) -> Vec<String> {
    messages(v)
        .into_iter()
        .filter(|m| m.class.eq_ignore_ascii_case("ERROR"))
        .map(|m| m.text)
        .collect()
}

/// One way to answer `select-authenticator-authenticate`.
#[derive(Debug, Clone)]
struct Choice {
    id: String,
    method: Option<String>,
    offer: Offer,
}

fn kind_of(method: &str, authenticator: &Authenticator) -> Kind {
    if authenticator.key.eq_ignore_ascii_case("duo") {
        return Kind::Unsupported;
    }
    match method.to_ascii_lowercase().as_str() {
        "password" => Kind::Password,
        "push" => Kind::Push,
        "totp" | "otp" => Kind::Code,
        "sms" => Kind::Sent(Channel::Sms),
        "voice" => Kind::Sent(Channel::Voice),
        "email" => Kind::Sent(Channel::Email),
        _ => Kind::Unsupported,
    }
}

/// The choices of a `select-authenticator-authenticate` remediation.
fn choices(v: &Value, rem: &Remediation<'_>) -> Vec<Choice> {
    let Some(options) = rem
        .field("authenticator")
        .and_then(|f| f.get("options"))
        .and_then(Value::as_array)
    else {
        return vec![];
    };
    let mut out = vec![];
    for option in options {
        let form: Vec<&Value> = option
            .get("value")
            .and_then(|v| v.get("form"))
            .and_then(|f| f.get("value"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let field = |name: &str| {
            form.iter()
                .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
                .copied()
        };
        let Some(id) = field("id").and_then(|f| text(f, "value")) else {
            continue;
        };
        let mut authenticator = option
            .get("relatesTo")
            .and_then(Value::as_str)
            .and_then(|p| resolve(v, p))
            .map(Authenticator::of)
            .unwrap_or_default();
        if authenticator.name.is_empty() {
            authenticator.name = text(option, "label").unwrap_or_default();
        }
        let method_field = field("methodType");
        let methods: Vec<Option<String>> = match method_field {
            Some(f) => match (text(f, "value"), f.get("options").and_then(Value::as_array)) {
                (Some(m), _) => vec![Some(m)],
                (None, Some(opts)) => opts
                    .iter()
                    .filter_map(|o| text(o, "value"))
                    .map(Some)
                    .collect(),
                (None, None) => authenticator.methods.iter().cloned().map(Some).collect(),
            },
            None => vec![None],
        };
        for method in methods {
            let kind_method = method
                .clone()
                .or_else(|| authenticator.methods.first().cloned())
                .unwrap_or_else(|| authenticator.kind.clone());
            let kind = kind_of(&kind_method, &authenticator);
            out.push(Choice {
                id: id.clone(),
                method: method.filter(|_| method_field.is_some()),
                offer: Offer {
                    kind,
                    name: format!("{}: {kind_method}", authenticator.label()),
                },
            });
        }
    }
    out
}

/// What the IDX walk has done so far.
#[derive(Default)]
struct Walk {
    /// An Okta Verify push was chosen and not answered yet.
    pending_push: bool,
    /// The authenticator whose code was last sent, and how many codes went to it.
    answered: Option<(String, usize)>,
    /// The last authenticator chosen: what it is, and its name for messages.
    chosen: Option<Offer>,
}

fn request(href: &str, body: String, step: &str) -> HttpRequest {
    HttpRequest::post(href)
        .header("Accept", ION)
        .body(ION, body)
        .step(step)
}

async fn post(login: &Login, href: &str, body: String, step: &str) -> Result<Reply, IdpError> {
    let reply = api::send_json(login.http(), request(href, body, step)).await?;
    match reply.api_error() {
        Some(e) => Err(refused(&reply, &e, step)),
        None => Ok(reply),
    }
}

/// Signs in through the IDX API, starting from the sign-in page's `stateToken`.
///
/// # Errors
/// As [`Login::walk`](crate::login::Login::walk).
pub(crate) async fn sign_in(
    login: &Login,
    token: &str,
    progress: &mut Progress,
) -> Result<Session, IdpError> {
    let base = login.base()?;
    let introspect = format!("{base}/idp/idx/introspect");
    let mut reply = post(
        login,
        &introspect,
        json!({ "stateToken": token }).to_string(),
        INTROSPECTING,
    )
    .await?;
    let mut walk = Walk::default();
    for _ in 0..MAX_STEPS {
        if let Some(href) = text_at(&reply.value, "success/href") {
            return Ok(Session::Success(href));
        }
        reply = step(login, progress, &mut walk, &reply).await?;
    }
    Err(IdpError::unexpected_page(format!(
        "the okta identity engine sign-in at {} did not finish within {MAX_STEPS} steps",
        display_url(&base)
    )))
}

/// Answers one IDX response.
async fn step(
    login: &Login,
    progress: &mut Progress,
    walk: &mut Walk,
    reply: &Reply,
) -> Result<Reply, IdpError> {
    let v = &reply.value;
    let errors = errors(v);
    let quoted = login.answers().quote(&errors.join(" "));
    let names: Vec<String> = remediations(v).into_iter().map(|r| r.name).collect();
    log::debug!(
        "okta idx: remediations {names:?}, {} error message(s)",
        errors.len()
    );

    let challenge = find(v, "challenge-authenticator");
    let poll = find(v, "challenge-poll");
    if let Some(rem) = poll.as_ref().filter(|_| walk.pending_push) {
        return wait_for_push(login, v, rem).await;
    }
    if let Some(rem) = challenge {
        let auth = current(v, &rem);
        let handle = state_handle(v, &rem)?;
        if auth.kind.eq_ignore_ascii_case("password") {
            if progress.password_sent {
                return Err(IdpError::bad_credentials(format!(
                    "okta did not accept the password of {} at {}{quoted}; the password is not tried again, so that the account does not get locked",
                    login.answers().who(),
                    display_url(&reply.url)
                )));
            }
            let password = login.answers().password()?;
            let body = serde_json::to_string(&Answer {
                credentials: Credentials {
                    passcode: password.expose(),
                },
                state_handle: &handle,
            })
            .unwrap_or_default();
            progress.password_sent = true;
            return post(login, &rem.href, body, POSTING_PASSWORD).await;
        }
        let sent_before = match &walk.answered {
            Some((id, n)) if *id == auth.id => *n,
            _ => 0,
        };
        if sent_before >= MAX_CODES {
            return Err(IdpError::mfa_rejected(format!(
                "okta refused {MAX_CODES} one-time codes of {} for {}{quoted}",
                login.answers().who(),
                auth.label()
            )));
        }
        if sent_before > 0 {
            login.prompter().notice(&format!(
                "okta did not accept the code{quoted}; enter a new one"
            ));
        } else if let Some(channel) = sent_channel(&auth) {
            let to = auth
                .detail
                .as_deref()
                .map(|d| format!(" to {d}"))
                .unwrap_or_default();
            login
                .prompter()
                .notice(&format!("okta sent a one-time code {}{to}", channel.by()));
        }
        let code = login.answers().code(CODE_LABEL)?;
        let body = serde_json::to_string(&Answer {
            credentials: Credentials {
                passcode: code.expose(),
            },
            state_handle: &handle,
        })
        .unwrap_or_default();
        walk.answered = Some((auth.id.clone(), sent_before + 1));
        return post(login, &rem.href, body, POSTING_CODE).await;
    }
    if let Some(rem) = &poll {
        // A poll with nothing else to answer: Okta Verify was chosen for the user.
        walk.pending_push = true;
        return wait_for_push(login, v, rem).await;
    }
    if let Some(rem) = find(v, "identify") {
        if progress.identified {
            let what = if progress.password_sent {
                "the user name or password"
            } else {
                "the user name"
            };
            return Err(IdpError::bad_credentials(format!(
                "okta did not accept {what} of {} at {}{quoted}; the password is not tried again, so that the account does not get locked",
                login.answers().who(),
                display_url(&reply.url)
            )));
        }
        let handle = state_handle(v, &rem)?;
        let username = login.answers().username()?;
        let with_password = rem.field("credentials").is_some();
        let password = if with_password {
            Some(login.answers().password()?)
        } else {
            None
        };
        let body = serde_json::to_string(&Identify {
            identifier: &username,
            credentials: password.as_ref().map(|p| Credentials {
                passcode: p.expose(),
            }),
            state_handle: &handle,
        })
        .unwrap_or_default();
        progress.identified = true;
        progress.password_sent |= with_password;
        let step = if with_password {
            POSTING_PASSWORD
        } else {
            IDENTIFYING
        };
        return post(login, &rem.href, body, step).await;
    }
    if let Some(rem) = find(v, "select-authenticator-authenticate") {
        if walk.pending_push {
            return Err(push_refused(v, &quoted));
        }
        if let Some(chosen) = walk.chosen.as_ref().filter(|_| !errors.is_empty()) {
            return Err(not_accepted(login, chosen, &quoted));
        }
        let all = choices(v, &rem);
        let chosen = match all
            .iter()
            .position(|c| c.offer.kind == Kind::Password && !progress.password_sent)
        {
            Some(i) => i,
            None => {
                let offers: Vec<Offer> = all.iter().map(|c| c.offer.clone()).collect();
                factors::choose(
                    &offers,
                    login.settings().mfa_type(),
                    login.answers().has_code_up_front(),
                )?
            }
        };
        let choice = &all[chosen];
        log::debug!("okta idx: choosing {}", choice.offer.name);
        let mut authenticator = json!({ "id": choice.id });
        if let Some(method) = &choice.method {
            authenticator["methodType"] = json!(method);
        }
        let body = json!({
            "authenticator": authenticator,
            "stateHandle": state_handle(v, &rem)?,
        })
        .to_string();
        walk.pending_push = choice.offer.kind == Kind::Push;
        walk.chosen = Some(choice.offer.clone());
        return post(login, &rem.href, body, CHOOSING).await;
    }
    if let Some(rem) = find(v, "skip") {
        let body = json!({ "stateHandle": state_handle(v, &rem)? }).to_string();
        return post(login, &rem.href, body, SKIPPING).await;
    }
    Err(dead_end(login, progress, reply, &names, &quoted))
}

fn sent_channel(auth: &Authenticator) -> Option<Channel> {
    match auth.kind.to_ascii_lowercase().as_str() {
        "phone"
            if auth.methods.iter().any(|m| m == "voice")
                && !auth.methods.iter().any(|m| m == "sms") =>
        {
            Some(Channel::Voice)
        }
        "phone" => Some(Channel::Sms),
        "email" => Some(Channel::Email),
        _ => None,
    }
}

/// The error for an authenticator Okta sent the user back from with an error: the password is
/// a refused credential, anything else a refused second factor.
fn not_accepted(login: &Login, chosen: &Offer, quoted: &str) -> IdpError {
    let message = format!(
        "okta did not accept {} for {}{quoted}",
        chosen.name,
        login.answers().who()
    );
    match chosen.kind {
        Kind::Password => IdpError::bad_credentials(message),
        _ => IdpError::mfa_rejected(message),
    }
}

/// The error for a push that ended without `success`: rejected on the phone, or expired.
fn push_refused(v: &Value, quoted: &str) -> IdpError {
    let keys: Vec<String> = messages(v)
        .into_iter()
        .map(|m| format!("{} {}", m.key, m.text).to_ascii_lowercase())
        .collect();
    if keys.iter().any(|k| k.contains("reject")) {
        IdpError::mfa_rejected(format!(
            "the okta verify push was rejected on the phone{quoted}"
        ))
    } else {
        IdpError::mfa_timeout(format!(
            "the okta verify push expired or was not approved{quoted}; run the command again"
        ))
    }
}

/// Polls `challenge-poll` until the push is answered (the response no longer asks to poll).
async fn wait_for_push(login: &Login, v: &Value, rem: &Remediation<'_>) -> Result<Reply, IdpError> {
    let number = correct_answer(v);
    let shown = Arc::new(Mutex::new(number.clone()));
    let wait = Wait {
        what: push_what(number.as_deref()),
        interval: rem.refresh().unwrap_or(IDX_POLL).max(api::MIN_POLL),
        bound: login.settings().mfa_wait(),
    };
    let href = rem.href.clone();
    let handle = state_handle(v, rem)?;
    let http = login.http().clone();
    let prompter = login.prompter().clone();
    wait_for(login.prompter().as_ref(), &wait, || {
        let (http, prompter, shown) = (http.clone(), prompter.clone(), shown.clone());
        let request = request(&href, json!({ "stateHandle": handle }).to_string(), POLLING);
        async move {
            let reply = api::send_json(&http, request).await?;
            if let Some(n) = correct_answer(&reply.value) {
                let mut seen = shown
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if seen.as_deref() != Some(n.as_str()) {
                    prompter.notice(&format!("Okta Verify asks for a number: tap {n}"));
                    *seen = Some(n);
                }
            }
            let still = find(&reply.value, "challenge-poll").map(|r| r.refresh());
            let done = reply.value.get("success").is_some();
            Ok(match still {
                Some(refresh) if !done && errors(&reply.value).is_empty() => {
                    Poll::Pending(reply.pause(refresh))
                }
                _ => Poll::Ready(reply),
            })
        }
    })
    .await
}

/// The error for a response the walk cannot answer.
fn dead_end(
    login: &Login,
    progress: &Progress,
    reply: &Reply,
    names: &[String],
    quoted: &str,
) -> IdpError {
    let who = login.answers().who();
    let url = display_url(&reply.url);
    let has = |prefix: &str| names.iter().any(|n| n.starts_with(prefix));
    if has("redirect-idp") {
        let idp = find(&reply.value, "redirect-idp")
            .and_then(|r| text_at(r.form, "idp/name"))
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        return IdpError::unsupported(format!(
            "okta identity engine sends {who} to another identity provider{idp}, which needs a browser; this adapter cannot follow it"
        ));
    }
    if has("unlock-account") && !quoted.is_empty() {
        return IdpError::bad_credentials(format!(
            "the okta account of {who} is locked{quoted}; unlock it at {} or ask an okta administrator",
            display_url(&login.base().unwrap_or_default())
        ));
    }
    let needs_browser = [
        ("select-authenticator-enroll", "set up a new authenticator"),
        ("enroll-", "set up a new authenticator"),
        (
            "authenticator-enrollment-data",
            "set up a new authenticator",
        ),
        ("reenroll-authenticator", "change the password"),
        ("reset-authenticator", "reset the password"),
        ("device-", "use Okta FastPass"),
        ("launch-authenticator", "use Okta FastPass"),
    ];
    if let Some((_, what)) = needs_browser.iter().find(|(prefix, _)| has(prefix)) {
        return IdpError::unsupported(format!(
            "okta identity engine wants {who} to {what}, which this adapter cannot do; do it once in a browser at {}{quoted}",
            display_url(&login.base().unwrap_or_default())
        ));
    }
    if !quoted.is_empty() && progress.password_sent {
        return IdpError::bad_credentials(format!(
            "okta identity engine stopped the sign-in of {who} at {url}{quoted}"
        ));
    }
    if !quoted.is_empty() {
        return IdpError::unexpected_page(format!(
            "okta identity engine stopped the sign-in at {url}{quoted}"
        ));
    }
    IdpError::unexpected_page(format!(
        "okta identity engine answered at {url} with {}, which this adapter does not handle",
        if names.is_empty() {
            "no remediation".to_string()
        } else {
            format!("the remediations {}", names.join(", "))
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::tests::test_login;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    #[test]
    fn state_tokens_are_found_and_unescaped() {
        let page = r#"<script>var x = {"baseUrl":"https://example.okta.com","stateToken":"02.id.fake\x2Dstate\x2D0001","x":1};</script>"#;
        assert_eq!(state_token(page).as_deref(), Some("02.id.fake-state-0001"));
        let assigned = "<script>\n  config.stateToken = stateToken;\n  var stateToken = '00fake\\u002Dtoken';\n</script>";
        assert_eq!(state_token(assigned).as_deref(), Some("00fake-token"));
        assert_eq!(state_token("<html>no token</html>"), None);
        assert_eq!(state_token(r#"{"stateToken":""}"#), None);
        assert_eq!(state_token(r#"{"stateToken":"unterminated"#), None);
    }

    #[test]
    fn paths_resolve_and_unwrap() {
        let v = json!({
            "currentAuthenticatorEnrollment": {"type": "object", "value": {"id": "e1", "type": "password"}},
            "authenticatorEnrollments": {"type": "array", "value": [
                {"id": "e0", "type": "app", "key": "okta_verify", "methods": [{"type": "push"}, {"type": "totp"}]},
                {"id": "e2", "type": "phone", "key": "phone_number", "profile": {"phoneNumber": "+1 XXX-XXX-0001"}, "methods": [{"type": "sms"}]}
            ]}
        });
        assert_eq!(
            resolve(&v, "$.currentAuthenticatorEnrollment").unwrap()["id"],
            "e1"
        );
        let phone = Authenticator::of(resolve(&v, "$.authenticatorEnrollments.value[1]").unwrap());
        assert_eq!(phone.detail.as_deref(), Some("+1 XXX-XXX-0001"));
        assert_eq!(sent_channel(&phone), Some(Channel::Sms));
        assert!(resolve(&v, "$.authenticatorEnrollments.value[5]").is_none());
        assert!(resolve(&v, "authenticators").is_none());
    }

    #[test]
    fn choices_expand_methods() {
        let v = json!({
            "authenticatorEnrollments": {"type": "array", "value": [
                {"id": "e0", "type": "app", "key": "okta_verify", "displayName": "Okta Verify"},
                {"id": "e1", "type": "password", "key": "okta_password", "displayName": "Password"},
                {"id": "e2", "type": "app", "key": "duo", "displayName": "Duo Security"}
            ]},
            "remediation": {"type": "array", "value": [{
                "name": "select-authenticator-authenticate", "href": "https://example.okta.com/idp/idx/challenge",
                "value": [{"name": "authenticator", "type": "object", "options": [
                    {"label": "Okta Verify", "relatesTo": "$.authenticatorEnrollments.value[0]", "value": {"form": {"value": [
                        {"name": "id", "value": "aut0"},
                        {"name": "methodType", "options": [{"value": "totp"}, {"value": "push"}, {"value": "signed_nonce"}]}]}}},
                    {"label": "Password", "relatesTo": "$.authenticatorEnrollments.value[1]", "value": {"form": {"value": [
                        {"name": "id", "value": "aut1"}, {"name": "methodType", "value": "password"}]}}},
                    {"label": "Duo Security", "relatesTo": "$.authenticatorEnrollments.value[2]", "value": {"form": {"value": [
                        {"name": "id", "value": "aut2"}, {"name": "methodType", "value": "duo"}]}}}
                ]}, {"name": "stateHandle", "value": "02fake"}]
            }]}
        });
        let rem = find(&v, "select-authenticator-authenticate").unwrap();
        let all = choices(&v, &rem);
        let kinds: Vec<Kind> = all.iter().map(|c| c.offer.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Code,
                Kind::Push,
                Kind::Unsupported,
                Kind::Password,
                Kind::Unsupported
            ]
        );
        assert_eq!(all[1].offer.name, "okta_verify: push");
        assert_eq!(all[1].method.as_deref(), Some("push"));
        assert_eq!(all[4].offer.name, "duo: duo");
        assert_eq!(state_handle(&v, &rem).unwrap(), "02fake");
    }

    #[test]
    fn messages_are_collected_from_everywhere() {
        let v = json!({
            "messages": {"type": "array", "value": [{"message": "Authentication failed", "i18n": {"key": "errors.E0000004"}, "class": "ERROR"}]},
            "remediation": {"value": [{"name": "challenge-authenticator", "href": "h", "value": [
                {"name": "credentials", "form": {"value": [{"name": "passcode", "messages": {"value": [
                    {"message": "Invalid code. Try again.", "i18n": {"key": "api.authn.error.PASSCODE_INVALID"}, "class": "ERROR"}]}}]}}]}]},
            "other": {"messages": {"value": [{"message": "FYI", "class": "INFO"}]}}
        });
        assert_eq!(
            errors(&v),
            vec![
                "Authentication failed".to_string(),
                "Invalid code. Try again.".to_string()
            ]
        );
        assert_eq!(messages(&v).len(), 3);
    }

    #[test]
    fn a_push_ends_rejected_or_expired() {
        let rejected = json!({"messages": {"value": [{"message": "You have chosen to reject this login.", "i18n": {"key": "oktaverify.rejected"}, "class": "ERROR"}]}});
        let e = push_refused(&rejected, "");
        assert_eq!(e.kind(), IdpErrorKind::MfaRejected, "{e:?}");
        assert!(e.to_string().contains("rejected"), "{e}");
        let expired = json!({"messages": {"value": [{"message": "Your verification timed out.", "i18n": {"key": "oktaverify.timeout"}, "class": "ERROR"}]}});
        let e = push_refused(&expired, "");
        assert_eq!(e.kind(), IdpErrorKind::MfaTimeout, "{e:?}");
        assert!(e.to_string().contains("expired"), "{e}");
    }

    #[test]
    fn a_refused_authenticator_is_the_password_or_a_second_factor() {
        let login = test_login();
        let offer = |kind, name: &str| Offer {
            kind,
            name: name.into(),
        };
        let password = not_accepted(
            &login,
            &offer(Kind::Password, "okta_password: password"),
            "",
        );
        assert_eq!(
            password.kind(),
            IdpErrorKind::BadCredentials,
            "{password:?}"
        );
        let code = not_accepted(
            &login,
            &offer(Kind::Code, "google_otp: otp"),
            ": \"Invalid code\"",
        );
        assert_eq!(code.kind(), IdpErrorKind::MfaRejected, "{code:?}");
        let m = code.to_string();
        assert!(
            m.contains("google_otp: otp")
                && m.contains("jane.doe@example.test")
                && m.contains("Invalid code"),
            "{m}"
        );
    }

    #[test]
    fn dead_ends_say_what_the_user_can_do() {
        let login = test_login();
        let reply = |value: Value| Reply {
            status: 200,
            url: "https://example.okta.com/idp/idx/identify?x=1".into(),
            value,
            retry_after: None,
        };
        let end = |value: Value, password_sent: bool, quoted: &str| {
            let r = reply(value);
            let names: Vec<String> = remediations(&r.value).into_iter().map(|r| r.name).collect();
            let progress = Progress {
                password_sent,
                identified: true,
            };
            dead_end(&login, &progress, &r, &names, quoted)
        };
        let rem = |name: &str| json!({"remediation": {"value": [{"name": name, "href": "https://example.okta.com/idp/idx/x", "value": []}]}});

        let e = end(rem("redirect-idp"), false, "");
        assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");
        let e = end(rem("unlock-account"), true, ": \"Your account is locked.\"");
        assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
        assert!(e.to_string().contains("is locked"), "{e}");
        let e = end(rem("select-authenticator-enroll"), true, "");
        assert_eq!(e.kind(), IdpErrorKind::Unsupported, "{e:?}");
        assert!(e.to_string().contains("set up a new authenticator"), "{e}");
        let e = end(json!({}), true, ": \"You do not have permission.\"");
        assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
        let e = end(json!({}), false, ": \"The session has expired.\"");
        assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
        let e = end(rem("something-new"), true, "");
        assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
        let m = e.to_string();
        assert!(m.contains("something-new") && !m.contains("x=1"), "{m}");
    }

    #[test]
    fn number_challenges_are_read() {
        let v = json!({"currentAuthenticator": {"type": "object", "value": {"contextualData": {"correctAnswer": 73}}}});
        assert_eq!(correct_answer(&v).as_deref(), Some("73"));
        assert_eq!(correct_answer(&json!({})), None);
    }
}
