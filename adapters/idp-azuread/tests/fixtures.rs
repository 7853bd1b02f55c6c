//! Azure AD's own pages, replayed: each directory of `fixtures/idp/azuread/` holds the pages and
//! JSON answers of one login and a `case.json` saying, exchange by exchange, what the adapter must
//! send and what the mock Azure AD (and My Apps, and the federation server) answers, then how the
//! login must end.

use crate::{fixture_dir, fixture_file, rebase};
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{HttpSettings, IdpDeps, IdpSettings};
use aws_runas_idp_testkit::{MockRequest, MockResponse, MockServer, ScriptedPrompter};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One fixture directory's `case.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case shows.
    about: String,
    /// The path and query of the configured URL.
    start: String,
    /// Settings besides the URL (`username`, `mfa_type`, `azuread_*`).
    settings: BTreeMap<String, String>,
    /// Secrets given up front (`password`, `mfa_code`).
    #[serde(default)]
    up_front: BTreeMap<String, String>,
    /// Run without a cookie jar file (the app always configures one).
    #[serde(default)]
    no_cookie_jar: bool,
    /// The prompter's script, in order.
    prompts: Vec<Prompt>,
    /// The requests the adapter must make, in order, and the answers.
    exchanges: Vec<Exchange>,
    /// How the login ends.
    expect: Expect,
}

/// One scripted answer: `{"line": ..}` or `{"secret": ..}`, and the label it must be asked with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompt {
    #[serde(default)]
    line: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    label: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    /// `METHOD /path` (the query is not compared).
    request: String,
    /// Form fields the request must carry, with these values.
    #[serde(default)]
    form: BTreeMap<String, String>,
    /// Form fields the request must not carry.
    #[serde(default)]
    absent: Vec<String>,
    /// Fields the request's JSON body must carry, with these values.
    #[serde(default)]
    json: BTreeMap<String, Value>,
    /// Fields the request's JSON body must not carry.
    #[serde(default)]
    json_absent: Vec<String>,
    /// Headers the request must carry, with these values.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Cookies the request must carry.
    #[serde(default)]
    cookies: Vec<String>,
    /// The answer's status (200, or 302 for a redirect, by default).
    #[serde(default)]
    status: Option<u16>,
    /// The HTML page answered (a file of the case's directory).
    #[serde(default)]
    page: Option<String>,
    /// The JSON answered (a file of the case's directory).
    #[serde(default)]
    json_file: Option<String>,
    /// The `Location` of a redirect.
    #[serde(default)]
    location: Option<String>,
    /// Raw `Set-Cookie` values.
    #[serde(default)]
    set_cookies: Vec<String>,
    /// Answers every request that matches it, once at least, until one does not (a poll that
    /// never ends).
    #[serde(default)]
    repeat: bool,
    /// Whether a repeated exchange has been used (set by the mock).
    #[serde(skip)]
    used: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// The SAML response the login must return.
    #[serde(default)]
    saml: Option<String>,
    /// Or the error: `authentication`, `provider`, `invalid_configuration` or `unsupported`.
    #[serde(default)]
    error: Option<String>,
    /// Texts the error message must contain.
    #[serde(default)]
    contains: Vec<String>,
    /// Texts the notices shown to the user must contain (all notices joined).
    #[serde(default)]
    notices: Vec<String>,
}

/// What the mock saw that it should not have.
type Problems = Arc<Mutex<Vec<String>>>;

/// Replays the case in `fixtures/idp/azuread/<name>/` and checks every expectation.
async fn check(name: &str) {
    let path = fixture_dir().join(name).join("case.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let case: Case =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!case.about.is_empty(), "{name}: say what the case shows");

    let server = MockServer::start();
    let base = server.base_url();
    let queue = Arc::new(Mutex::new(VecDeque::from(case.exchanges.clone())));
    let problems: Problems = Arc::default();
    for method in ["GET", "POST", "HEAD"] {
        let (queue, problems, base, name) = (
            queue.clone(),
            problems.clone(),
            base.clone(),
            name.to_string(),
        );
        server.route(method, "/*", move |r| {
            answer(&name, &base, r, &queue, &problems)
        });
    }

    let mut prompter = ScriptedPrompter::new();
    for prompt in &case.prompts {
        prompter = match (&prompt.line, &prompt.secret) {
            (Some(answer), None) => prompter.line(answer.clone()),
            (None, Some(answer)) => prompter.secret(answer.clone()),
            _ => panic!("{name}: a prompt has a line or a secret"),
        };
    }
    let prompter = Arc::new(prompter);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let jar = dir.path().join(".aws_runas.cookies");
    let deps = IdpDeps {
        federation: None,
        session: aws_runas_domain::ports::idp::IdpSession::new(),
        browser: None,
        prompter: prompter.clone(),
        clock: Arc::new(FixedClock(Timestamp::from_unix(1_795_514_400))),
        http: HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: (!case.no_cookie_jar).then_some(jar),
        },
    };
    let mut pairs = vec![(IdpSettings::URL.to_string(), server.url(&case.start))];
    pairs.extend(case.settings.clone());
    let secret = |key: &str| case.up_front.get(key).map(|v| Secret::new(v.as_str()));
    let settings =
        IdpSettings::from_pairs(pairs).with_secrets(secret("password"), secret("mfa_code"));
    let adapter = crate::azuread()
        .build(&settings, deps)
        .unwrap_or_else(|e| panic!("{name}: the adapter could not be built: {e}"));
    let result = tokio::time::timeout(Duration::from_secs(30), adapter.saml_assertion())
        .await
        .unwrap_or_else(|_| panic!("{name}: the adapter hangs"));

    let mut failures: Vec<String> = problems.lock().unwrap().clone();
    let left: Vec<String> = queue
        .lock()
        .unwrap()
        .iter()
        .filter(|e| !(e.repeat && e.used))
        .map(|e| e.request.clone())
        .collect();
    if !left.is_empty() {
        failures.push(format!("exchanges never made: {left:?}"));
    }
    if let Some(p) = prompter.problems() {
        failures.push(format!("prompter: {p}"));
    }
    let labels: Vec<String> = case.prompts.iter().map(|p| p.label.clone()).collect();
    if prompter.labels() != labels {
        failures.push(format!(
            "asked with the labels {:?}, expected {labels:?}",
            prompter.labels()
        ));
    }
    failures.extend(server.handler_panics());

    let secrets: Vec<&str> = case
        .prompts
        .iter()
        .flat_map(|p| p.line.iter().chain(p.secret.iter()))
        .filter(|s| s.contains("password") || s.chars().all(|c| c.is_ascii_digit()))
        .chain(case.up_front.values())
        .map(String::as_str)
        .collect();
    match (&case.expect, &result) {
        (
            Expect {
                saml: Some(want), ..
            },
            Ok(assertion),
        ) => {
            if assertion.0.expose() != want {
                failures.push("the SAML response is not the one on the page".into());
            }
        }
        (
            Expect {
                error: Some(kind),
                contains,
                ..
            },
            Err(e),
        ) => {
            let kind_ok = match kind.as_str() {
                "authentication" => e.is_authentication(),
                "provider" => matches!(
                    e.kind(),
                    aws_runas_domain::ports::idp::IdpErrorKind::Unavailable
                        | aws_runas_domain::ports::idp::IdpErrorKind::UnexpectedPage
                ),
                "unsupported" => {
                    e.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Unsupported
                }
                "invalid_configuration" => {
                    e.kind() == aws_runas_domain::ports::idp::IdpErrorKind::Configuration
                }
                _ => false,
            };
            if !kind_ok {
                failures.push(format!("expected a {kind} error, got {e:?}"));
            }
            let message = e.to_string();
            for text in contains {
                if !message.contains(text.as_str()) {
                    failures.push(format!("the error {message:?} does not contain {text:?}"));
                }
            }
            if secrets.iter().any(|s| message.contains(s)) {
                failures.push(format!("the error {message:?} shows a secret"));
            }
        }
        (expect, result) => failures.push(format!(
            "expected {expect:?}, got {:?}",
            result.as_ref().map(|_| "a SAML response")
        )),
    }
    let notices = prompter.notices().join("\n");
    for text in &case.expect.notices {
        if !notices.contains(text.as_str()) {
            failures.push(format!("the notices {notices:?} do not contain {text:?}"));
        }
    }
    let shown = format!("{notices}\n{:?}\n{adapter:?}", prompter.labels());
    if secrets.iter().any(|s| shown.contains(s)) {
        failures.push("a notice, a prompt label or the adapter's Debug shows a secret".into());
    }
    assert!(failures.is_empty(), "{name}:\n  {}", failures.join("\n  "));
}

/// The mock: answers each request with the next exchange, after checking it.
fn answer(
    name: &str,
    base: &str,
    r: &MockRequest,
    queue: &Mutex<VecDeque<Exchange>>,
    problems: &Problems,
) -> MockResponse {
    let problem = |p: String| problems.lock().unwrap().push(p);
    let got = format!("{} {}", r.method(), r.path());
    let next = {
        let mut queue = queue.lock().unwrap();
        if queue
            .front()
            .is_some_and(|e| e.repeat && e.used && e.request != got)
        {
            queue.pop_front();
        }
        match queue.front_mut() {
            Some(e) if e.repeat => {
                e.used = true;
                Some(e.clone())
            }
            _ => queue.pop_front(),
        }
    };
    let Some(ex) = next else {
        problem(format!("unexpected request {got} after the last exchange"));
        return MockResponse::new(500);
    };
    if got != ex.request {
        problem(format!("expected {}, got {got}", ex.request));
        return MockResponse::new(500);
    }
    for (field, want) in &ex.form {
        match r.form_value(field) {
            Some(v) if &v == want => {}
            Some(v) => problem(format!(
                "{got}: the field {field} is {v:?}, expected {want:?}"
            )),
            None => problem(format!("{got}: the field {field} is missing")),
        }
    }
    for field in &ex.absent {
        if r.form_value(field).is_some() {
            problem(format!("{got}: the field {field} must not be sent"));
        }
    }
    if !ex.json.is_empty() || !ex.json_absent.is_empty() {
        match serde_json::from_str::<Value>(r.body()) {
            Ok(body) => {
                for (field, want) in &ex.json {
                    if body.get(field) != Some(want) {
                        problem(format!(
                            "{got}: the JSON field {field} is {:?}, expected {want}",
                            body.get(field)
                        ));
                    }
                }
                for field in &ex.json_absent {
                    if body.get(field).is_some() {
                        problem(format!("{got}: the JSON field {field} must not be sent"));
                    }
                }
            }
            Err(e) => problem(format!("{got}: the body is not JSON: {e}")),
        }
        if !r
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
        {
            problem(format!("{got}: the body is not sent as application/json"));
        }
    }
    for (header, want) in &ex.headers {
        if r.header(header) != Some(want.as_str()) {
            problem(format!(
                "{got}: the header {header} is {:?}, expected {want:?}",
                r.header(header)
            ));
        }
    }
    for cookie in &ex.cookies {
        if r.cookie(cookie).is_none() {
            problem(format!("{got}: the cookie {cookie} is missing"));
        }
    }
    let response = match (&ex.page, &ex.json_file, &ex.location) {
        (Some(page), None, None) => MockResponse::html(fixture_file(name, page, base)),
        (None, Some(file), None) => MockResponse::json(fixture_file(name, file, base)),
        (None, None, Some(location)) => MockResponse::redirect(rebase(location, base)),
        _ => {
            problem(format!(
                "{got}: an exchange answers a page, a JSON file or a redirect"
            ));
            MockResponse::new(500)
        }
    };
    let mut response = match ex.status {
        Some(status) => response.with_status(status),
        None => response,
    };
    for cookie in &ex.set_cookies {
        response = response.set_cookie(cookie.clone());
    }
    response.header("x-ms-request-id", "00000000-fake-req-0001")
}

/// One test per fixture directory.
macro_rules! fixture {
    ($($test:ident => $dir:literal,)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                check($dir).await;
            }
        )*

        #[test]
        fn every_fixture_directory_has_a_test() {
            let mut listed = vec![$($dir),*];
            listed.sort_unstable();
            let mut found: Vec<String> = std::fs::read_dir(fixture_dir())
                .unwrap()
                .map(|e| e.unwrap())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            found.sort_unstable();
            assert_eq!(found, listed);
        }
    };
}

fixture! {
    managed_user_with_keep_me_signed_in => "managed-kmsi",
    managed_user_without_keep_me_signed_in => "managed-no-kmsi",
    federated_user_through_the_registered_adfs_adapter => "federated-adfs",
    federated_user_whose_server_no_adapter_knows => "federated-unknown-server",
    federated_user_without_a_cookie_jar => "federated-no-cookie-jar",
    push_with_number_matching => "push-number-matching",
    push_denied_in_the_app => "push-denied",
    push_never_approved_gives_up_at_the_bound => "push-timeout",
    authenticator_code_refused_then_accepted => "otp",
    text_message_code => "sms",
    unsupported_second_factors_are_listed => "unsupported-factor",
    bad_password_is_not_retried => "bad-password",
    locked_account => "locked-account",
    disabled_account_error_page => "disabled-account",
    session_from_the_cookie_jar => "session-from-jar",
}
