//! The OIDC part of the conformance suite, for adapters that declare `Protocol::Oidc`.
//!
//! Each scenario gets a fresh [`MockServer`] with a [`MockOidc`] provider on it (laid out as the
//! adapter's [`OidcConformanceMock::config`] says), a second server standing for the client's
//! `redirect_uri` (which must never be fetched: the adapter captures the redirect), a fresh
//! cookie jar, a [`ScriptedPrompter`], a fixed clock and a 500 ms HTTP timeout; then it calls
//! `IdentityProvider::oidc_token`.

use crate::browser::FakeBrowser;
use crate::conformance::{
    PASSWORD, RELAXED_TIMEOUT, USERNAME, WRONG_PASSWORD, check_jar_file, panic_message,
};
use crate::oidc::{MockOidc, MockOidcConfig, OidcRoute};
use crate::prompter::ScriptedPrompter;
use crate::registration::idle_http;
use crate::server::MockServer;
use aws_runas_domain::ports::browser::BrowserOpener;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdpDeps, IdpError, IdpErrorKind, IdpRegistration, IdpSettings, OidcRequest,
    Protocol,
};
use std::sync::Arc;
use std::time::Duration;

/// How long an adapter may take before the suite calls it hung.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// The status of [`OidcScenario::ServerError`].
pub const OIDC_ERROR_STATUS: u16 = 503;

/// The redirect path on the client's server.
pub const OIDC_REDIRECT_PATH: &str = "/oidc/callback";

/// One OIDC conformance scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OidcScenario {
    /// Password login: the ID token the provider issued, with the nonce sent.
    Success,
    /// The provider answers with another `state`: the answer is refused and the code never
    /// redeemed.
    StateMismatch,
    /// A wrong password: exactly one attempt, then `IdpErrorKind::BadCredentials`.
    WrongPassword,
    /// The token endpoint answers `503`: `IdpErrorKind::Unavailable` naming the host and the status.
    ServerError,
    /// The token endpoint answers without an `id_token`: `IdpErrorKind::Unavailable` saying so.
    NoIdToken,
}

impl OidcScenario {
    /// Every scenario, in the order the suite runs them.
    pub const ALL: [OidcScenario; 5] = [
        OidcScenario::Success,
        OidcScenario::StateMismatch,
        OidcScenario::WrongPassword,
        OidcScenario::ServerError,
        OidcScenario::NoIdToken,
    ];

    /// A snake-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            OidcScenario::Success => "oidc_success",
            OidcScenario::StateMismatch => "oidc_state_mismatch",
            OidcScenario::WrongPassword => "oidc_wrong_password",
            OidcScenario::ServerError => "oidc_server_error",
            OidcScenario::NoIdToken => "oidc_no_id_token",
        }
    }
}

/// How an adapter's OIDC conformance runs: the provider's layout, the adapter's URL and keys.
pub trait OidcConformanceMock: Send + Sync {
    /// The mock provider's layout for `scenario` (paths, login page, field names); the suite
    /// sets the scenario's knobs itself.
    fn config(&self, _scenario: OidcScenario) -> MockOidcConfig {
        MockOidcConfig::new()
    }

    /// The URL given to the adapter as [`IdpSettings::URL`]; the issuer by default.
    fn url(&self, oidc: &MockOidc) -> String {
        oidc.issuer()
    }

    /// Settings besides [`IdpSettings::URL`] and [`IdpSettings::USERNAME`].
    fn extra_settings(&self, _oidc: &MockOidc) -> Vec<(String, String)> {
        vec![]
    }

    /// Whether the user signs in at the provider's login page in a browser (the suite's
    /// [`FakeBrowser`] types [`USERNAME`] and the password there) rather than the adapter asking
    /// the password and posting it itself.
    fn browser(&self) -> bool {
        false
    }

    /// The `redirect_uri` of the request; a path on the client's server by default (never
    /// fetched). An adapter that listens for the redirect itself (on a loopback port it picks)
    /// answers an `http://127.0.0.1` URI ending in [`OIDC_REDIRECT_PATH`].
    fn redirect_uri(&self, client: &MockServer) -> String {
        client.url(OIDC_REDIRECT_PATH)
    }

    /// Why this adapter cannot run `scenario`, or `None` to run it.
    ///
    /// Every scenario is either run or skipped here with a reason (a blank reason fails the
    /// suite); an adapter that does not declare `Protocol::Oidc` skips them all, and the suite
    /// then checks that its `oidc_token()` is [`IdpErrorKind::Unsupported`].
    fn skip(&self, _scenario: OidcScenario) -> Option<&'static str> {
        None
    }
}

/// The outcome of an OIDC suite run that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConformanceReport {
    /// The scenarios run and passed.
    pub passed: Vec<OidcScenario>,
    /// The scenarios skipped, with the adapter's reason.
    pub skipped: Vec<(OidcScenario, &'static str)>,
}

/// Runs every OIDC scenario against the adapter of `reg`.
///
/// # Panics
/// When any scenario fails, with one line per failed scenario.
pub async fn oidc_conformance(
    reg: &'static IdpRegistration,
    mock: &dyn OidcConformanceMock,
) -> OidcConformanceReport {
    let mut report = OidcConformanceReport {
        passed: vec![],
        skipped: vec![],
    };
    let mut failures = vec![];
    let declared = reg.protocols().contains(&Protocol::Oidc);
    for scenario in OidcScenario::ALL {
        if let Some(reason) = mock.skip(scenario) {
            if reason.trim().is_empty() {
                failures.push(format!("{}: skipped without a reason", scenario.name()));
            }
            report.skipped.push((scenario, reason));
            continue;
        }
        if !declared {
            failures.push(format!(
                "{}: `{}` does not declare the OIDC protocol; skip the scenario with a reason",
                scenario.name(),
                reg.name()
            ));
            continue;
        }
        match run_oidc_scenario(reg, mock, scenario).await {
            Ok(()) => report.passed.push(scenario),
            Err(e) => failures.push(format!("{}: {e}", scenario.name())),
        }
    }
    if !declared && let Err(e) = unsupported_oidc(reg, mock).await {
        failures.push(e);
    }
    assert!(
        failures.is_empty(),
        "oidc conformance of `{}` failed:\n  {}",
        reg.name(),
        failures.join("\n  ")
    );
    report
}

/// Runs one OIDC scenario.
///
/// # Errors
/// A description of every assertion that failed.
pub async fn run_oidc_scenario(
    reg: &'static IdpRegistration,
    mock: &dyn OidcConformanceMock,
    scenario: OidcScenario,
) -> Result<(), String> {
    let server = MockServer::start();
    let client = MockServer::start();
    let oidc = MockOidc::install(&server, mock.config(scenario));
    let now = oidc.config().now;
    match scenario {
        OidcScenario::StateMismatch => oidc.set_wrong_state(true),
        OidcScenario::ServerError => oidc.fail_route(OidcRoute::Token, Some(OIDC_ERROR_STATUS)),
        OidcScenario::NoIdToken => oidc.set_omit_id_token(true),
        OidcScenario::Success | OidcScenario::WrongPassword => {}
    }
    let typed = match scenario {
        OidcScenario::WrongPassword => WRONG_PASSWORD,
        _ => PASSWORD,
    };
    let in_browser = mock.browser();
    let prompter = Arc::new(match scenario {
        _ if in_browser => ScriptedPrompter::new(),
        OidcScenario::ServerError => ScriptedPrompter::new().optional_secret(PASSWORD),
        _ => ScriptedPrompter::new().secret(typed),
    });
    let browser = Arc::new(FakeBrowser::new(
        (&oidc.config().username_field, USERNAME),
        (&oidc.config().password_field, typed),
    ));
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let jar = dir.path().join(".aws_runas.cookies");
    let deps = IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(now)),
        HttpSettings {
            timeout: RELAXED_TIMEOUT,
            cookie_jar: Some(jar.clone()),
            ..idle_http()
        },
    )
    .with_browser(in_browser.then(|| browser.clone() as Arc<dyn BrowserOpener>));
    let mut pairs = vec![
        (IdpSettings::URL.to_string(), mock.url(&oidc)),
        (IdpSettings::USERNAME.to_string(), USERNAME.to_string()),
    ];
    pairs.extend(mock.extra_settings(&oidc));
    let settings = IdpSettings::from_pairs(pairs);
    let adapter = reg
        .build(&settings, deps)
        .map_err(|e| format!("the adapter could not be built: {e}"))?;
    let request = OidcRequest {
        client_id: oidc.client_id().to_string(),
        redirect_uri: mock.redirect_uri(&client),
        scopes: vec!["profile".to_string()],
    };
    let req = request.clone();
    let mut task = tokio::spawn(async move {
        let result = adapter.oidc_token(&req).await;
        (format!("{adapter:?}"), result)
    });
    let mut problems: Vec<String> = vec![];
    let (debug, outcome) = match tokio::time::timeout(HANG_GUARD, &mut task).await {
        Ok(Ok((debug, result))) => (debug, Some(result)),
        Ok(Err(join)) => {
            problems.push(format!("the adapter panicked: {}", panic_message(join)));
            (String::new(), None)
        }
        Err(_) => {
            task.abort();
            problems.push(format!(
                "no answer within {HANG_GUARD:?}: the adapter hangs (it must fail within twice the {RELAXED_TIMEOUT:?} timeout)"
            ));
            (String::new(), None)
        }
    };

    let mut secrets: Vec<String> = vec![PASSWORD.into(), WRONG_PASSWORD.into()];
    secrets.extend(oidc.issued_codes());
    secrets.extend(
        oidc.received_verifiers()
            .into_iter()
            .filter(|v| !v.is_empty()),
    );
    secrets.extend(oidc.issued_id_tokens());
    let describe = |r: &Result<_, IdpError>| match r {
        Ok(_) => "success".to_string(),
        Err(e) => {
            let text = format!("{e:?}");
            if secrets.iter().any(|s| text.contains(s.as_str())) {
                format!("{text} (which contains a secret)")
            } else {
                text
            }
        }
    };

    if let Some(result) = &outcome {
        if let Err(e) = result {
            let text = e.to_string();
            if secrets.iter().any(|s| text.contains(s.as_str())) {
                problems.push("the error message contains a secret".into());
            }
        }
        match scenario {
            OidcScenario::Success => match result {
                Ok(token) => {
                    let issued = oidc.issued_id_tokens();
                    if issued.last().map(String::as_str) != Some(token.0.expose()) {
                        problems.push("the id token returned is not the one the provider issued".into());
                    }
                    if oidc.redeemed_codes() != 1 {
                        problems.push(format!(
                            "{} code(s) redeemed, expected 1",
                            oidc.redeemed_codes()
                        ));
                    }
                }
                Err(_) => problems.push(format!("expected an id token, got {}", describe(result))),
            },
            OidcScenario::StateMismatch => {
                match result {
                    Err(e) if e.to_string().to_ascii_lowercase().contains("state") => {}
                    _ => problems.push(format!(
                        "expected an error about the state mismatch, got {}",
                        describe(result)
                    )),
                }
                if !oidc.received_verifiers().is_empty() {
                    problems.push("the code of a mismatched answer was sent to the token endpoint".into());
                }
            }
            OidcScenario::WrongPassword => {
                if !matches!(result, Err(e) if e.kind() == IdpErrorKind::BadCredentials) {
                    problems.push(format!(
                        "expected an IdpError of kind bad_credentials, got {}",
                        describe(result)
                    ));
                }
                if oidc.password_attempts() != 1 {
                    problems.push(format!(
                        "the password was posted {} time(s), expected once (no retry)",
                        oidc.password_attempts()
                    ));
                }
            }
            OidcScenario::ServerError => match result {
                Err(e)
                    if e.kind() == IdpErrorKind::Unavailable
                        && e.to_string().contains(&OIDC_ERROR_STATUS.to_string())
                        && e.to_string().contains("127.0.0.1") => {}
                _ => problems.push(format!(
                    "expected an IdpError of kind unavailable naming 127.0.0.1 and status {OIDC_ERROR_STATUS}, got {}",
                    describe(result)
                )),
            },
            OidcScenario::NoIdToken => match result {
                Err(e)
                    if e.kind() == IdpErrorKind::UnexpectedPage
                        && (e.to_string().contains("id_token") || e.to_string().contains("id token")) => {}
                _ => problems.push(format!(
                    "expected an IdpError of kind unexpected_page saying the answer has no id token, got {}",
                    describe(result)
                )),
            },
        }
    }

    // The authorization request: PKCE S256, state, nonce, openid.
    let authorizations = server.requests_to("GET", &oidc.config().authorize_path);
    match authorizations.first() {
        None => problems.push("the adapter never opened the authorization endpoint".into()),
        Some(first) => {
            let p = |name: &str| first.query_param(name).unwrap_or_default();
            if p("code_challenge_method") != "S256" || p("code_challenge").len() != 43 {
                problems.push("the authorization request lacks a PKCE S256 challenge".into());
            }
            if p("state").is_empty() || p("nonce").is_empty() {
                problems.push("the authorization request lacks a state or a nonce".into());
            }
            if p("response_type") != "code" || !p("scope").split(' ').any(|s| s == "openid") {
                problems.push(
                    "the authorization request is not response_type=code with scope openid".into(),
                );
            }
            let sent_uri = p("redirect_uri");
            let same_uri = sent_uri == request.redirect_uri
                || (request.redirect_uri.starts_with("http://127.0.0.1")
                    && sent_uri.starts_with("http://127.0.0.1:")
                    && sent_uri.ends_with(OIDC_REDIRECT_PATH));
            if p("client_id") != request.client_id || !same_uri {
                problems
                    .push("the authorization request names another client or redirect uri".into());
            }
        }
    }
    if !client.requests().is_empty() {
        problems.push(format!(
            "the redirect uri was fetched ({} request(s)); the adapter must capture the redirect",
            client.requests().len()
        ));
    }
    let requests = server.requests();
    for r in &requests {
        if [PASSWORD, WRONG_PASSWORD]
            .iter()
            .any(|s| r.target().contains(s))
        {
            problems.push(format!(
                "a password was sent in the URL of {} {}",
                r.method(),
                r.path()
            ));
        }
    }
    let carrying = |text: &str| requests.iter().filter(|r| r.contains(text)).count();
    let (sent, want) = match scenario {
        OidcScenario::WrongPassword => (carrying(WRONG_PASSWORD), 1),
        OidcScenario::ServerError => (carrying(PASSWORD), carrying(PASSWORD).min(1)),
        _ => (carrying(PASSWORD), 1),
    };
    if sent != want {
        problems.push(format!(
            "the password was sent in {sent} request(s), expected {want}"
        ));
    }
    let shown = format!("{debug} {:?} {:?}", prompter.labels(), prompter.notices());
    if secrets.iter().any(|s| shown.contains(s.as_str())) {
        problems.push("a secret shows in the adapter's Debug, a prompt label or a notice".into());
    }
    if let Some(problem) = prompter.problems() {
        problems.push(format!("prompter: {problem}"));
    }
    for panic in server.handler_panics() {
        problems.push(format!("the mock's handler panicked: {panic}"));
    }
    check_jar_file(&jar, &mut problems);
    if in_browser && browser.opened().len() != 1 {
        problems.push(format!(
            "the browser was opened {} time(s), expected once",
            browser.opened().len()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// For an adapter that does not declare OIDC: `oidc_token()` is refused as unsupported, without
/// a request or a question.
async fn unsupported_oidc(
    reg: &'static IdpRegistration,
    mock: &dyn OidcConformanceMock,
) -> Result<(), String> {
    let server = MockServer::start();
    let client = MockServer::start();
    let oidc = MockOidc::install(&server, mock.config(OidcScenario::Success));
    let prompter = Arc::new(ScriptedPrompter::new());
    let deps = IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(oidc.config().now)),
        HttpSettings {
            timeout: RELAXED_TIMEOUT,
            ..idle_http()
        },
    );
    let mut pairs = vec![
        (IdpSettings::URL.to_string(), mock.url(&oidc)),
        (IdpSettings::USERNAME.to_string(), USERNAME.to_string()),
    ];
    pairs.extend(mock.extra_settings(&oidc));
    let adapter = reg
        .build(&IdpSettings::from_pairs(pairs), deps)
        .map_err(|e| format!("the adapter could not be built: {e}"))?;
    let request = OidcRequest {
        client_id: oidc.client_id().to_string(),
        redirect_uri: mock.redirect_uri(&client),
        scopes: vec![],
    };
    let task = tokio::spawn(async move { adapter.oidc_token(&request).await.map(|_| ()) });
    let result = tokio::time::timeout(HANG_GUARD, task)
        .await
        .map_err(|_| "oidc_token() hangs".to_string())?
        .map_err(|join| format!("oidc_token() panicked: {}", panic_message(join)))?;
    match result {
        Err(e) if e.kind() == IdpErrorKind::Unsupported => {}
        Err(e) => {
            return Err(format!(
                "oidc_token() failed with {e:?}, expected unsupported"
            ));
        }
        Ok(_) => return Err("oidc_token() succeeded though OIDC is not declared".into()),
    }
    if !server.requests().is_empty() || !prompter.questions().is_empty() {
        return Err("an unsupported oidc_token() sent a request or asked a question".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_unique() {
        let mut names: Vec<_> = OidcScenario::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OidcScenario::ALL.len());
    }
}
