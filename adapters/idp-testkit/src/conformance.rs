//! The conformance suite every identity-provider adapter runs against its own mock server.
//!
//! The testkit knows the scenarios and the assertions; the adapter's test knows its protocol and
//! says, through [`ConformanceMock`], how the mock server must behave in each scenario.
//! Each scenario gets a fresh [`MockServer`], a fresh cookie jar in a temporary directory, a
//! [`ScriptedPrompter`], a fixed clock and a 500 ms HTTP timeout.

use crate::prompter::ScriptedPrompter;
use crate::registration::idle_http;
use crate::saml::{SamlResponseBuilder, SamlRole, saml_roles};
use crate::server::{Fault, MockResponse, MockServer};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdpDeps, IdpError, IdpErrorKind, IdpRegistration, IdpSettings, MfaKind, Protocol,
};
use aws_runas_domain::{Secret, Timestamp};
use std::sync::Arc;
use std::time::Duration;

/// The user name every scenario logs in with (in the settings under [`IdpSettings::USERNAME`]).
pub const USERNAME: &str = "conformance.user";
/// The correct password (answered to the prompter's `read_secret`).
pub const PASSWORD: &str = "C0rrect-Horse-Battery";
/// The password of [`Scenario::WrongPassword`].
pub const WRONG_PASSWORD: &str = "Wr0ng-Guess-Staple";
/// The one-time code the mock accepts.
pub const MFA_CODE: &str = "246810";
/// The one-time code the mock refuses.
pub const WRONG_MFA_CODE: &str = "135799";
/// The HTTP status of [`Scenario::ServerError`].
pub const ERROR_STATUS: u16 = 503;
/// The per-request HTTP timeout of [`Scenario::Timeout`], whose server never answers.
pub const TIMEOUT: Duration = Duration::from_millis(500);
/// The per-request HTTP timeout of every other scenario: long enough that a loaded machine never
/// turns a slow answer into a failure.
pub const RELAXED_TIMEOUT: Duration = Duration::from_secs(10);
/// The page of [`Scenario::UnrecognisedPage`]: nothing any adapter can act on.
pub const UNRECOGNISED_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head>\n<body><h1>We'll be back soon</h1><p>The sign-in service is under maintenance.</p></body></html>\n";

/// How long an adapter may take before the suite calls it hung: far more than twice
/// [`TIMEOUT`], so a slow machine never fails a correct adapter, and far less than forever.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// The per-request HTTP timeout `scenario` runs with.
fn http_timeout(scenario: Scenario) -> Duration {
    if scenario == Scenario::Timeout {
        TIMEOUT
    } else {
        RELAXED_TIMEOUT
    }
}

/// One conformance scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    /// Password login, no second factor, one role granted.
    OneRole,
    /// Password login, no second factor, three roles in two accounts, in both orders.
    SeveralRoles,
    /// As [`Scenario::OneRole`], with the password given up front ([`IdpSettings::password`]):
    /// the adapter asks nothing.
    PasswordGivenUpFront,
    /// A wrong password: exactly one attempt, then `IdpErrorKind::BadCredentials`.
    WrongPassword,
    /// Password, then a one-time code that is accepted.
    MfaAccepted,
    /// Password, then a wrong code (the IdP asks again), then the right one.
    MfaRejectedThenAccepted,
    /// The IdP answers `503`: `IdpErrorKind::Unavailable` naming the host and the status.
    ServerError,
    /// The IdP never answers: `IdpErrorKind::Unavailable` saying it timed out.
    Timeout,
    /// The IdP sends a page nobody knows: `IdpErrorKind::Unavailable` naming the URL, never a hang.
    UnrecognisedPage,
}

impl Scenario {
    /// Every scenario, in the order the suite runs them.
    pub const ALL: [Scenario; 9] = [
        Scenario::OneRole,
        Scenario::SeveralRoles,
        Scenario::PasswordGivenUpFront,
        Scenario::WrongPassword,
        Scenario::MfaAccepted,
        Scenario::MfaRejectedThenAccepted,
        Scenario::ServerError,
        Scenario::Timeout,
        Scenario::UnrecognisedPage,
    ];

    /// A snake-case name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::OneRole => "one_role",
            Scenario::SeveralRoles => "several_roles",
            Scenario::PasswordGivenUpFront => "password_given_up_front",
            Scenario::WrongPassword => "wrong_password",
            Scenario::MfaAccepted => "mfa_accepted",
            Scenario::MfaRejectedThenAccepted => "mfa_rejected_then_accepted",
            Scenario::ServerError => "server_error",
            Scenario::Timeout => "timeout",
            Scenario::UnrecognisedPage => "unrecognised_page",
        }
    }

    /// Whether the mock must ask for a one-time code after the password.
    pub fn requires_mfa(self) -> bool {
        matches!(
            self,
            Scenario::MfaAccepted | Scenario::MfaRejectedThenAccepted
        )
    }

    /// Whether the suite injects a fault after [`ConformanceMock::setup`] (unless the setup
    /// injected one itself).
    pub fn injects_fault(self) -> bool {
        matches!(
            self,
            Scenario::ServerError | Scenario::Timeout | Scenario::UnrecognisedPage
        )
    }

    /// The roles the scenario's SAML Response grants.
    pub fn roles(self) -> Vec<SamlRole> {
        let one = SamlRole::new(
            "arn:aws:iam::123456789012:role/ConformanceReader",
            "arn:aws:iam::123456789012:saml-provider/ConformanceIdP",
        );
        if self != Scenario::SeveralRoles {
            return vec![one];
        }
        vec![
            one,
            SamlRole::new(
                "arn:aws:iam::123456789012:role/team/ConformanceAdmin",
                "arn:aws:iam::123456789012:saml-provider/ConformanceIdP",
            )
            .provider_first(),
            SamlRole::new(
                "arn:aws:iam::210987654321:role/ConformanceDeployer",
                "arn:aws:iam::210987654321:saml-provider/ConformanceIdP",
            ),
        ]
    }
}

/// What the mock of one scenario must know.
#[derive(Debug)]
pub struct ScenarioContext<'a> {
    scenario: Scenario,
    server: &'a MockServer,
    saml_response: String,
    auto_post_page: String,
}

impl ScenarioContext<'_> {
    /// The scenario.
    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// The fresh server to register routes on.
    pub fn server(&self) -> &MockServer {
        self.server
    }

    /// The user name the adapter logs in with.
    pub fn username(&self) -> &'static str {
        USERNAME
    }

    /// The password the mock accepts; any other is a wrong password.
    pub fn password(&self) -> &'static str {
        PASSWORD
    }

    /// Whether the mock must ask for a one-time code after the password.
    pub fn requires_mfa(&self) -> bool {
        self.scenario.requires_mfa()
    }

    /// The code the mock accepts; any other is wrong, and the mock asks again.
    pub fn mfa_code(&self) -> &'static str {
        MFA_CODE
    }

    /// The status of [`Scenario::ServerError`], for a mock that injects the fault itself.
    pub fn error_status(&self) -> u16 {
        ERROR_STATUS
    }

    /// The base64 SAML Response to hand out after a successful login.
    pub fn saml_response(&self) -> &str {
        &self.saml_response
    }

    /// The HTML auto-post page carrying [`Self::saml_response`].
    pub fn auto_post_page(&self) -> &str {
        &self.auto_post_page
    }
}

/// How an adapter's mock server behaves, scenario by scenario.
///
/// In every scenario the mock accepts [`ScenarioContext::username`] with
/// [`ScenarioContext::password`] and answers any other password with the IdP's own "wrong
/// password" response.
/// When [`ScenarioContext::requires_mfa`], it then asks for a one-time code, accepts
/// [`ScenarioContext::mfa_code`], and answers any other code by asking again.
/// A successful login hands out [`ScenarioContext::saml_response`] the way the IdP does (for an
/// HTML IdP, [`ScenarioContext::auto_post_page`]).
/// For [`Scenario::ServerError`], [`Scenario::Timeout`] and [`Scenario::UnrecognisedPage`] set
/// up the same routes as for [`Scenario::OneRole`]: the suite then makes every route answer
/// [`ERROR_STATUS`], stall, or answer [`UNRECOGNISED_PAGE`], unless the setup has injected a
/// fault of its own on a route of its choice ([`MockServer::fault`]), to fail later in the flow.
pub trait ConformanceMock: Send + Sync {
    /// Registers the routes of `ctx.scenario()` on `ctx.server()` and returns the URL the
    /// adapter starts at (given to it as [`IdpSettings::URL`]).
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String;

    /// Settings besides [`IdpSettings::URL`] and [`IdpSettings::USERNAME`] (the adapter's own
    /// `<name>_*` keys, [`IdpSettings::MFA_TYPE`]).
    fn extra_settings(&self, _ctx: &ScenarioContext<'_>) -> Vec<(String, String)> {
        vec![]
    }

    /// Why this adapter cannot run `scenario`, or `None` to run it.
    ///
    /// Every scenario is either run or skipped here with a reason (a blank reason fails the
    /// suite); an adapter that does not declare `Protocol::Saml` skips them all, and the suite
    /// then checks that its `saml_assertion()` is [`IdpErrorKind::Unsupported`].
    fn skip(&self, _scenario: Scenario) -> Option<&'static str> {
        None
    }
}

/// The outcome of a whole suite run that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConformanceReport {
    /// The scenarios run and passed.
    pub passed: Vec<Scenario>,
    /// The scenarios skipped, with the adapter's reason.
    pub skipped: Vec<(Scenario, &'static str)>,
}

/// Runs every scenario against the adapter of `reg`, with `mock` driving its server.
///
/// # Panics
/// When any scenario fails, with one line per failed scenario.
pub async fn conformance(
    reg: &'static IdpRegistration,
    mock: &dyn ConformanceMock,
) -> ConformanceReport {
    let mut report = ConformanceReport {
        passed: vec![],
        skipped: vec![],
    };
    let mut failures = vec![];
    let declared = reg.protocols().contains(&Protocol::Saml);
    let mfa_run = Scenario::ALL
        .iter()
        .any(|s| s.requires_mfa() && mock.skip(*s).is_none());
    if mfa_run && !reg.mfa().contains(&MfaKind::Code) {
        failures.push(format!(
            "{}: passes the MFA scenarios but does not declare MfaKind::Code",
            reg.name()
        ));
    }
    for scenario in Scenario::ALL {
        if let Some(reason) = mock.skip(scenario) {
            if reason.trim().is_empty() {
                failures.push(format!("{}: skipped without a reason", scenario.name()));
            }
            report.skipped.push((scenario, reason));
            continue;
        }
        if !declared {
            failures.push(format!(
                "{}: `{}` does not declare the SAML protocol; skip the scenario with a reason",
                scenario.name(),
                reg.name()
            ));
            continue;
        }
        match run_scenario(reg, mock, scenario).await {
            Ok(()) => report.passed.push(scenario),
            Err(e) => failures.push(format!("{}: {e}", scenario.name())),
        }
    }
    if !declared && let Err(e) = unsupported_saml(reg, mock).await {
        failures.push(e);
    }
    assert!(
        failures.is_empty(),
        "conformance of `{}` failed:\n  {}",
        reg.name(),
        failures.join("\n  ")
    );
    report
}

/// Runs one scenario.
///
/// # Errors
/// A description of every assertion that failed.
pub async fn run_scenario(
    reg: &'static IdpRegistration,
    mock: &dyn ConformanceMock,
    scenario: Scenario,
) -> Result<(), String> {
    let now = Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").map_err(|e| e.to_string())?;
    let saml = SamlResponseBuilder::new(now)
        .roles(scenario.roles())
        .subject(USERNAME)
        .session_name(Some(USERNAME));
    let server = MockServer::start();
    let ctx = ScenarioContext {
        scenario,
        server: &server,
        saml_response: saml.base64(),
        auto_post_page: saml.auto_post_page(),
    };
    let auth_url = mock.setup(&ctx);
    if scenario.injects_fault() && !server.has_faults() {
        server.fault_all(match scenario {
            Scenario::ServerError => Fault::Status(ERROR_STATUS),
            Scenario::Timeout => Fault::Stall,
            _ => Fault::Respond(MockResponse::html(UNRECOGNISED_PAGE)),
        });
    }

    let prompter = Arc::new(match scenario {
        Scenario::OneRole | Scenario::SeveralRoles => ScriptedPrompter::new().secret(PASSWORD),
        Scenario::PasswordGivenUpFront => ScriptedPrompter::new(),
        Scenario::WrongPassword => ScriptedPrompter::new().secret(WRONG_PASSWORD),
        Scenario::MfaAccepted => ScriptedPrompter::new().secret(PASSWORD).either(MFA_CODE),
        Scenario::MfaRejectedThenAccepted => ScriptedPrompter::new()
            .secret(PASSWORD)
            .either(WRONG_MFA_CODE)
            .either(MFA_CODE),
        Scenario::ServerError | Scenario::Timeout | Scenario::UnrecognisedPage => {
            ScriptedPrompter::new().optional_secret(PASSWORD)
        }
    });
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let jar = dir.path().join(".aws_runas.cookies");
    let deps = IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(now)),
        HttpSettings {
            timeout: http_timeout(scenario),
            cookie_jar: Some(jar.clone()),
            ..idle_http()
        },
    );
    let mut pairs = vec![
        (IdpSettings::URL.to_string(), auth_url),
        (IdpSettings::USERNAME.to_string(), USERNAME.to_string()),
    ];
    pairs.extend(mock.extra_settings(&ctx));
    let mut settings = IdpSettings::from_pairs(pairs);
    if scenario == Scenario::PasswordGivenUpFront {
        settings = settings.with_secrets(Some(Secret::new(PASSWORD)), None);
    }
    let adapter = reg
        .build(&settings, deps)
        .map_err(|e| format!("the adapter could not be built: {e}"))?;

    // The adapter runs in its own task, so that a panic (a scripted prompter asked something
    // unexpected, say) fails this scenario alone and the hang guard can abort it.
    let mut task = tokio::spawn(async move {
        let result = adapter.saml_assertion().await;
        (format!("{adapter:?}"), result)
    });
    let mut problems: Vec<String> = vec![];
    let (debug, outcome) = match tokio::time::timeout(HANG_GUARD, &mut task).await {
        Ok(Ok((debug, result))) => (debug, Ok(result)),
        Ok(Err(join)) => {
            problems.push(format!("the adapter panicked: {}", panic_message(join)));
            (String::new(), Err(()))
        }
        Err(_) => {
            task.abort();
            problems.push(format!(
                "no answer within {HANG_GUARD:?}: the adapter hangs (it must fail within twice the {TIMEOUT:?} timeout)"
            ));
            (String::new(), Err(()))
        }
    };
    let secrets = [PASSWORD, WRONG_PASSWORD, MFA_CODE, WRONG_MFA_CODE];
    let requests = server.requests();
    let carrying = |text: &str| requests.iter().filter(|r| r.contains(text)).count();

    match (scenario, outcome) {
        (_, Err(())) => {}
        (
            Scenario::OneRole
            | Scenario::SeveralRoles
            | Scenario::PasswordGivenUpFront
            | Scenario::MfaAccepted
            | Scenario::MfaRejectedThenAccepted,
            Ok(result),
        ) => match result {
            Ok(assertion) => {
                let got = assertion.0.expose();
                if got != ctx.saml_response {
                    problems.push("the SAML Response returned is not the one the IdP sent".into());
                }
                match saml_roles(got) {
                    Ok(mut roles) => {
                        let mut want = scenario.roles();
                        roles.sort();
                        want.sort();
                        if roles != want {
                            problems.push(format!("roles {roles:?}, expected {want:?}"));
                        }
                    }
                    Err(e) => problems.push(format!("the SAML Response does not decode: {e}")),
                }
            }
            Err(e) => problems.push(format!("expected a SAML assertion, got the error {e:?}")),
        },
        (Scenario::WrongPassword, Ok(result)) => match result {
            Err(e) if e.kind() == IdpErrorKind::BadCredentials => {}
            other => problems.push(format!(
                "expected an IdpError of kind bad_credentials, got {}",
                describe(&other)
            )),
        },
        (Scenario::ServerError, Ok(result)) => match &result {
            Err(e)
                if e.kind() == IdpErrorKind::Unavailable
                    && e.to_string().contains(&ERROR_STATUS.to_string())
                    && e.to_string().contains("127.0.0.1") => {}
            other => problems.push(format!(
                "expected an IdpError of kind unavailable naming 127.0.0.1 and status {ERROR_STATUS}, got {}",
                describe(other)
            )),
        },
        (Scenario::Timeout, Ok(result)) => match &result {
            Err(e)
                if e.kind() == IdpErrorKind::Unavailable
                    && e.to_string().contains("timed out")
                    && e.to_string().contains("127.0.0.1") => {}
            other => problems.push(format!(
                "expected an IdpError of kind unavailable saying the request to 127.0.0.1 timed out, got {}",
                describe(other)
            )),
        },
        (Scenario::UnrecognisedPage, Ok(result)) => match &result {
            Err(e)
                if e.kind() == IdpErrorKind::UnexpectedPage
                    && e.to_string().contains(&server.base_url()) => {}
            other => problems.push(format!(
                "expected an IdpError of kind unexpected_page naming the page's URL (under {}), got {}",
                server.base_url(),
                describe(other)
            )),
        },
    }

    // What was sent: the password once, in a body, never in a URL; codes once each.
    match scenario {
        Scenario::OneRole
        | Scenario::SeveralRoles
        | Scenario::PasswordGivenUpFront
        | Scenario::MfaAccepted
        | Scenario::MfaRejectedThenAccepted => {
            expect_count(&mut problems, "the password", carrying(PASSWORD), 1);
        }
        Scenario::WrongPassword => {
            expect_count(
                &mut problems,
                "the wrong password",
                carrying(WRONG_PASSWORD),
                1,
            );
        }
        _ => {}
    }
    match scenario {
        Scenario::MfaAccepted => expect_count(&mut problems, "the code", carrying(MFA_CODE), 1),
        Scenario::MfaRejectedThenAccepted => {
            expect_count(&mut problems, "the wrong code", carrying(WRONG_MFA_CODE), 1);
            expect_count(&mut problems, "the right code", carrying(MFA_CODE), 1);
        }
        _ => expect_count(&mut problems, "a one-time code", carrying(MFA_CODE), 0),
    }
    for r in &requests {
        if secrets.iter().any(|s| r.target().contains(s)) {
            problems.push(format!(
                "a secret was sent in the URL of {} {}",
                r.method(),
                r.path()
            ));
        }
    }
    if requests.is_empty() {
        problems.push("the adapter sent no request to the mock server".into());
    }

    // What was said: no secret in any message, in Debug, or in a prompt label.
    let shown = format!("{debug} {:?} {:?}", prompter.labels(), prompter.notices());
    if secrets.iter().any(|s| shown.contains(s)) {
        problems.push("a secret shows in the adapter's Debug, a prompt label or a notice".into());
    }
    if let Some(problem) = prompter.problems() {
        problems.push(format!("prompter: {problem}"));
    }
    for panic in server.handler_panics() {
        problems.push(format!("the mock's handler panicked: {panic}"));
    }
    check_jar_file(&jar, &mut problems);

    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// For an adapter that does not declare SAML: `saml_assertion()` is refused as unsupported,
/// without a request or a question.
async fn unsupported_saml(
    reg: &'static IdpRegistration,
    mock: &dyn ConformanceMock,
) -> Result<(), String> {
    let now = Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").map_err(|e| e.to_string())?;
    let server = MockServer::start();
    let ctx = ScenarioContext {
        scenario: Scenario::OneRole,
        server: &server,
        saml_response: String::new(),
        auto_post_page: String::new(),
    };
    let mut pairs = vec![
        (IdpSettings::URL.to_string(), mock.setup(&ctx)),
        (IdpSettings::USERNAME.to_string(), USERNAME.to_string()),
    ];
    pairs.extend(mock.extra_settings(&ctx));
    let prompter = Arc::new(ScriptedPrompter::new());
    let deps = IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(now)),
        HttpSettings {
            timeout: RELAXED_TIMEOUT,
            ..idle_http()
        },
    );
    let adapter = reg
        .build(&IdpSettings::from_pairs(pairs), deps)
        .map_err(|e| format!("the adapter could not be built: {e}"))?;
    let task = tokio::spawn(async move { adapter.saml_assertion().await.map(|_| ()) });
    let result = tokio::time::timeout(HANG_GUARD, task)
        .await
        .map_err(|_| "saml_assertion() hangs".to_string())?
        .map_err(|join| format!("saml_assertion() panicked: {}", panic_message(join)))?;
    match result {
        Err(e) if e.kind() == IdpErrorKind::Unsupported => {}
        Err(e) => {
            return Err(format!(
                "saml_assertion() failed with {e:?}, expected unsupported"
            ));
        }
        Ok(_) => return Err("saml_assertion() succeeded though SAML is not declared".into()),
    }
    if !server.requests().is_empty() || !prompter.questions().is_empty() {
        return Err("an unsupported saml_assertion() sent a request or asked a question".into());
    }
    Ok(())
}

pub(crate) fn panic_message(join: tokio::task::JoinError) -> String {
    match join.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".to_string()),
        Err(join) => join.to_string(),
    }
}

fn describe<T>(result: &Result<T, IdpError>) -> String {
    match result {
        Ok(_) => "success".to_string(),
        Err(e) => {
            let text = format!("{e:?}");
            for s in [PASSWORD, WRONG_PASSWORD, MFA_CODE, WRONG_MFA_CODE] {
                if text.contains(s) {
                    return format!("{text} (which contains a secret)");
                }
            }
            text
        }
    }
}

fn expect_count(problems: &mut Vec<String>, what: &str, got: usize, want: usize) {
    if got != want {
        problems.push(format!(
            "{what} was sent in {got} request(s), expected {want}"
        ));
    }
}

pub(crate) fn check_jar_file(path: &std::path::Path, problems: &mut Vec<String>) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode != 0o600 {
            problems.push(format!("the cookie jar has mode {mode:o}, expected 600"));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, problems);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_facts() {
        assert_eq!(Scenario::ALL.len(), 9);
        assert!(Scenario::MfaRejectedThenAccepted.requires_mfa());
        assert!(!Scenario::OneRole.requires_mfa());
        assert!(Scenario::Timeout.injects_fault());
        assert_eq!(Scenario::OneRole.roles().len(), 1);
        let several = Scenario::SeveralRoles.roles();
        assert_eq!(several.len(), 3);
        assert!(several.iter().any(|r| r.provider_first));
        assert!(several.iter().all(|r| {
            let account = r.role_arn.split(':').nth(4).unwrap();
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
        }));
        assert_eq!(Scenario::MfaAccepted.name(), "mfa_accepted");
    }

    #[test]
    fn errors_are_described_without_secrets_passing_through_unnoticed() {
        let e: Result<(), IdpError> = Err(IdpError::bad_credentials(format!("bad {PASSWORD}")));
        assert!(describe(&e).ends_with("(which contains a secret)"));
        assert_eq!(describe(&Ok::<(), IdpError>(())), "success");
    }
}
