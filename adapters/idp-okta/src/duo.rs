//! Duo behind an Okta Classic factor, through Duo's Universal Prompt.
//!
//! Duo's traditional prompt (an iframe fed by the factor's `verification.host` and `signature`)
//! was retired by Duo in 2024; a factor still set up that way is refused with a clear error.
//! The Universal Prompt is a set of web pages: Okta's factor links to it, its `plugin_form`
//! (a browser check) is posted back, its `login-form` starts a Duo Push or checks a passcode,
//! `/frame/v4/status` says when the user has answered, and `/frame/v4/oidc/exit` sends the
//! browser back to Okta with a session cookie.

use crate::api::{self, text_at};
use crate::authn::{CODE_LABEL, Factor, Next, api_request, refused};
use crate::login::{Login, Session};
use aws_runas_domain::ports::idp::IdpError;
use aws_runas_idp_support::{
    Form, HttpRequest, LoginAnswers, MfaChoice, Poll, Wait, display_url, wait_for,
};
use std::time::Duration;

/// The pause between two status checks when Duo names none.
const DUO_POLL: Duration = Duration::from_secs(1);

/// Inputs of `login-form` that belong to one device's method rows, not to the form itself.
const PER_DEVICE: [&str; 6] = [
    "factor",
    "passcode",
    "device",
    "phone-smsable",
    "mobile-otpable",
    "next-passcode",
];

const STARTING: &str = "starting the duo verification";
const OPENING: &str = "opening the duo universal prompt";
const CHECKING: &str = "submitting duo's browser check";
const STATUS: &str = "checking the duo status";
const EXITING: &str = "returning from duo to okta";

/// Verifies a Duo factor through the Universal Prompt; the session ends up in the cookie jar.
///
/// # Errors
/// [`IdpError::unsupported`] for Duo's traditional prompt; [`IdpError::mfa_rejected`] when Duo
/// denies the sign-in; [`IdpError::mfa_timeout`] when the push expires or the wait runs out;
/// [`IdpError::unexpected_page`] for pages nobody knows; [`IdpError::unavailable`] for network
/// failures and error answers.
pub(crate) async fn verify(login: &Login, token: &str, factor: &Factor) -> Result<Next, IdpError> {
    let verify = serde_json::json!({ "stateToken": token }).to_string();
    let reply = api::send_json(login.http(), api_request(&factor.verify, verify, STARTING)).await?;
    if let Some(e) = reply.api_error() {
        return Err(refused(&reply, &e, STARTING));
    }
    if let Some(host) = text_at(&reply.value, "_embedded/factor/_embedded/verification/host") {
        return Err(IdpError::unsupported(format!(
            "the okta factor {} ({}) uses Duo's traditional prompt (the iframe served by {host}), which Duo retired in 2024 and this adapter does not support; ask the okta administrator to switch Duo to its Universal Prompt",
            factor.factor_type, factor.provider
        )));
    }
    let Some(next) = text_at(&reply.value, "_links/next/href") else {
        return Err(IdpError::unexpected_page(format!(
            "okta answered the duo factor at {} without a link to the duo prompt",
            display_url(&factor.verify)
        )));
    };

    let http = login.http();
    let mut page = http.follow(HttpRequest::get(next).step(OPENING)).await?;
    page.require_success()?;
    let plugin = page.html().form_by_id("plugin_form").cloned();
    if let Some(plugin) = plugin {
        page = http.follow(plugin.to_request().step(CHECKING)).await?;
        page.require_success()?;
    }
    let html = page.html();
    let Some(form) = html.form_by_id("login-form") else {
        return Err(page.unexpected_page().into());
    };
    let origin = api::origin(page.url())?;

    let passcode = match login.settings().mfa_type() {
        MfaChoice::Code => true,
        MfaChoice::Push => false,
        MfaChoice::Auto | MfaChoice::None => login.answers().has_code_up_front(),
    };
    let duo_factor = if passcode { "Passcode" } else { "Duo Push" };
    let mut fields = login_fields(form);
    let sid = value_of(&fields, "sid").unwrap_or_default();
    let xsrf = value_of(&fields, "_xsrf").unwrap_or_default();
    fields.push(("device".into(), device(form)));
    fields.push(("factor".into(), duo_factor.into()));
    fields.push(("postAuthDestination".into(), "OIDC_EXIT".into()));
    let step = if passcode {
        let code = login.answers().code(CODE_LABEL)?;
        fields.push(("passcode".into(), code.expose().to_string()));
        "posting the duo passcode"
    } else {
        "asking duo to send a push"
    };
    let started = api::send_json(
        http,
        HttpRequest::post(form.action())
            .header("Accept", api::JSON)
            .form(fields)
            .step(step),
    )
    .await?;
    let stat = api::text(&started.value, "stat");
    let txid = match (stat.as_deref(), text_at(&started.value, "response/txid")) {
        (Some("OK"), Some(txid)) => txid,
        (stat, _) => {
            let message = format!(
                "duo did not start the {duo_factor} at {}{}",
                display_url(&started.url),
                duo_message(&started.value, login.answers())
            );
            // Duo's own failure answer, or an answer without the transaction to follow.
            return Err(match stat {
                Some("OK") => IdpError::unexpected_page(message),
                _ => IdpError::unavailable(message),
            });
        }
    };

    let status_url = format!("{origin}/frame/v4/status");
    let wait = Wait {
        what: if passcode {
            "let Duo check the passcode".to_string()
        } else {
            "approve the Duo Push on your phone".to_string()
        },
        interval: DUO_POLL,
        bound: login.settings().mfa_wait(),
    };
    let client = http.clone();
    let answers = login.answers();
    wait_for(login.prompter().as_ref(), &wait, || {
        let client = client.clone();
        let request = HttpRequest::post(status_url.clone())
            .header("Accept", api::JSON)
            .form([("txid", txid.clone()), ("sid", sid.clone())])
            .step(STATUS);
        async move {
            let reply = api::send_json(&client, request).await?;
            duo_status(&reply, answers)
        }
    })
    .await?;

    let exit = HttpRequest::post(format!("{origin}/frame/v4/oidc/exit"))
        .form([
            ("txid", txid.as_str()),
            ("sid", sid.as_str()),
            ("factor", duo_factor),
            ("_xsrf", xsrf.as_str()),
            ("device_key", ""),
            ("dampen_choice", "false"),
        ])
        .step(EXITING);
    let back = http.follow(exit).await?;
    back.require_success()?;
    Ok(Next::Session(Session::Cookie))
}

/// The hidden inputs of `login-form` itself, each once, without the per-device method rows.
fn login_fields(form: &Form) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = vec![];
    for input in form.inputs() {
        let name = input.name();
        if name.is_empty() || !input.is_hidden() || PER_DEVICE.contains(&name) {
            continue;
        }
        if fields.iter().any(|(n, _)| n == name) {
            continue;
        }
        fields.push((name.to_string(), input.value().to_string()));
    }
    fields
}

fn value_of(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// The device to use: Duo's preferred one, else the first of the list, else `phone1`.
fn device(form: &Form) -> String {
    form.input("preferred_device")
        .map(|i| i.value().trim().to_string())
        .filter(|v| !v.is_empty() && v != "None")
        .or_else(|| {
            form.input("device")
                .and_then(|select| select.options().first().cloned())
        })
        .unwrap_or_else(|| "phone1".to_string())
}

/// `: "<Duo's message>"`, or nothing (also when it would show a secret of the login).
fn duo_message(value: &serde_json::Value, answers: &LoginAnswers) -> String {
    let message = api::text(value, "message")
        .or_else(|| text_at(value, "response/reason"))
        .or_else(|| text_at(value, "response/status"))
        .unwrap_or_default();
    answers.quote(&message)
}

/// What one status answer says.
fn duo_status(reply: &api::Reply, answers: &LoginAnswers) -> Result<Poll<()>, IdpError> {
    let value = &reply.value;
    if api::text(value, "stat").as_deref() != Some("OK") {
        return Err(IdpError::unavailable(format!(
            "duo could not report the status at {}{}",
            display_url(&reply.url),
            duo_message(value, answers)
        )));
    }
    let code = text_at(value, "response/status_code")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let result = text_at(value, "response/result")
        .unwrap_or_default()
        .to_ascii_uppercase();
    match (code.as_str(), result.as_str()) {
        ("allow", _) | (_, "SUCCESS") => Ok(Poll::Ready(())),
        ("timeout", _) => Err(IdpError::mfa_timeout(format!(
            "the duo verification expired before it was approved{}; run the command again",
            duo_message(value, answers)
        ))),
        ("deny" | "fraud", _) | (_, "FAILURE") => Err(IdpError::mfa_rejected(format!(
            "duo denied the sign-in{}",
            duo_message(value, answers)
        ))),
        _ => Ok(Poll::Pending(reply.pause(Some(DUO_POLL)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::Secret;
    use aws_runas_domain::ports::idp::IdpErrorKind;
    use aws_runas_idp_support::HtmlPage;
    use aws_runas_idp_testkit::ScriptedPrompter;
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn the_login_form_is_reduced_to_its_own_fields() {
        let page = HtmlPage::parse(
            "https://api-fake0001.duosecurity.com/frame/prompt?sid=x",
            r#"<form action="/frame/prompt" method="post" id="login-form">
            <input type="hidden" name="sid" value="frameless-fake-0001">
            <input type="hidden" name="_xsrf" value="fake-xsrf-0001" />
            <input type="hidden" name="preferred_device" value="phone2">
            <select name="device"><option value="phone1">Phone 1</option><option value="phone2">Phone 2</option></select>
            <fieldset data-device-index="phone1"><input type="hidden" name="factor" value="Duo Push">
            <input type="text" name="passcode"><input name="phone-smsable" type="hidden" value="True" /></fieldset>
            <input type="hidden" name="sid" value="again"></form>"#,
        );
        let form = page.form_by_id("login-form").unwrap();
        assert_eq!(
            login_fields(form),
            vec![
                ("sid".to_string(), "frameless-fake-0001".to_string()),
                ("_xsrf".to_string(), "fake-xsrf-0001".to_string()),
                ("preferred_device".to_string(), "phone2".to_string()),
            ]
        );
        assert_eq!(device(form), "phone2");
        assert_eq!(
            form.action(),
            "https://api-fake0001.duosecurity.com/frame/prompt"
        );
    }

    #[test]
    fn statuses() {
        let answers = LoginAnswers::new(
            Arc::new(ScriptedPrompter::new()),
            None,
            None,
            Some(Secret::new("271828")),
        );
        let status = |v| {
            let reply = api::Reply {
                status: 200,
                url: "https://api-fake0001.duosecurity.com/frame/v4/status".into(),
                value: v,
                retry_after: None,
            };
            duo_status(&reply, &answers)
        };
        assert_eq!(
            status(json!({"stat": "OK", "response": {"status_code": "pushed"}})).unwrap(),
            Poll::Pending(Some(DUO_POLL))
        );
        assert_eq!(
            status(
                json!({"stat": "OK", "response": {"status_code": "allow", "result": "SUCCESS"}})
            )
            .unwrap(),
            Poll::Ready(())
        );

        let denied = status(json!({"stat": "OK", "response": {"status_code": "deny", "result": "FAILURE", "reason": "User mistake"}}))
            .unwrap_err();
        assert_eq!(denied.kind(), IdpErrorKind::MfaRejected, "{denied:?}");
        assert!(denied.to_string().contains("\"User mistake\""), "{denied}");

        let expired =
            status(json!({"stat": "OK", "response": {"status_code": "timeout"}})).unwrap_err();
        assert_eq!(expired.kind(), IdpErrorKind::MfaTimeout, "{expired:?}");

        let failed = status(json!({"stat": "FAIL", "message": "Unknown transaction"})).unwrap_err();
        assert_eq!(failed.kind(), IdpErrorKind::Unavailable, "{failed:?}");
        assert!(
            failed.to_string().contains("Unknown transaction"),
            "{failed}"
        );

        // Duo echoing the passcode: the reason is left out.
        let echoed = status(json!({"stat": "OK", "response": {"status_code": "deny", "reason": "passcode 271828 is wrong"}}))
            .unwrap_err();
        assert_eq!(echoed.kind(), IdpErrorKind::MfaRejected, "{echoed:?}");
        assert!(!echoed.to_string().contains("271828"), "{echoed}");
    }
}
