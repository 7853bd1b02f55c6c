//! Okta's own exchanges, replayed: each directory of `fixtures/idp/okta/` holds the JSON answers
//! and pages of one login and a `case.json` saying, exchange by exchange, what the adapter must
//! send and what the mock Okta answers, then how the login must end.

use crate::{fixture_dir, fixture_file, okta};
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
    /// The path (and query) of the configured URL.
    start: String,
    /// Settings besides the URL (`username`, `mfa_type`, `mfa_wait_timeout`).
    settings: BTreeMap<String, String>,
    /// Secrets given up front (`password`, `mfa_code`).
    #[serde(default)]
    up_front: BTreeMap<String, String>,
    /// The prompter's script, in order: `{"line": ..}` or `{"secret": ..}`.
    prompts: Vec<BTreeMap<String, String>>,
    /// The requests the adapter must make, in order, and the answers.
    exchanges: Vec<Exchange>,
    /// How the login ends.
    expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    /// `METHOD /path`.
    request: String,
    /// Query parameters the request must carry, with these values.
    #[serde(default)]
    query: BTreeMap<String, String>,
    /// JSON body values the request must carry (dotted paths, values compared as text).
    #[serde(default)]
    json: BTreeMap<String, String>,
    /// JSON body paths the request must not carry.
    #[serde(default)]
    json_absent: Vec<String>,
    /// Form fields the request must carry, with these values.
    #[serde(default)]
    form: BTreeMap<String, String>,
    /// Cookies the request must carry.
    #[serde(default)]
    cookies: Vec<String>,
    /// The answer's status.
    #[serde(default = "ok")]
    status: u16,
    /// An HTML page answered (a file of the case's directory).
    #[serde(default)]
    page: Option<String>,
    /// A JSON body answered (a file of the case's directory).
    #[serde(default)]
    body: Option<String>,
    /// The `Location` of a redirect.
    #[serde(default)]
    location: Option<String>,
    /// Other headers of the answer.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Raw `Set-Cookie` values.
    #[serde(default)]
    set_cookies: Vec<String>,
}

fn ok() -> u16 {
    200
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// The SAML response the login must return.
    #[serde(default)]
    saml: Option<String>,
    /// Or the error: `authentication`, `provider`, `unsupported` or `invalid_configuration`.
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

/// Replays the case in `fixtures/idp/okta/<name>/` and checks every expectation.
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
        prompter = match (prompt.get("line"), prompt.get("secret")) {
            (Some(answer), None) => prompter.line(answer.clone()),
            (None, Some(answer)) => prompter.secret(answer.clone()),
            _ => panic!("{name}: a prompt is {{\"line\": ..}} or {{\"secret\": ..}}"),
        };
    }
    let prompter = Arc::new(prompter);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let deps = IdpDeps {
        federation: None,
        session: aws_runas_domain::ports::idp::IdpSession::new(),
        browser: None,
        prompter: prompter.clone(),
        clock: Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
        http: HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: Some(dir.path().join(".aws_runas.cookies")),
        },
    };
    let mut pairs = vec![(IdpSettings::URL.to_string(), server.url(&case.start))];
    pairs.extend(case.settings.clone());
    let secret = |key: &str| case.up_front.get(key).map(|v| Secret::new(v.as_str()));
    let settings =
        IdpSettings::from_pairs(pairs).with_secrets(secret("password"), secret("mfa_code"));
    let adapter = okta()
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
        .map(|e| e.request.clone())
        .collect();
    if !left.is_empty() {
        failures.push(format!("exchanges never made: {left:?}"));
    }
    if let Some(p) = prompter.problems() {
        failures.push(format!("prompter: {p}"));
    }
    failures.extend(server.handler_panics());

    let secrets: Vec<&str> = case
        .prompts
        .iter()
        .flat_map(|p| p.values())
        .chain(case.up_front.values())
        .filter(|s| s.len() >= 6 && !s.contains('@'))
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
    if secrets
        .iter()
        .any(|s| notices.contains(s) || prompter.labels().iter().any(|l| l.contains(s)))
    {
        failures.push("a notice or prompt label shows a secret".into());
    }
    assert!(failures.is_empty(), "{name}:\n  {}", failures.join("\n  "));
}

/// The value at a dotted path of a JSON body, as text.
fn json_at(body: &Value, path: &str) -> Option<String> {
    let v = path.split('.').try_fold(body, |v, k| v.get(k))?;
    Some(match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// The mock Okta: answers each request with the next exchange, after checking it.
fn answer(
    name: &str,
    base: &str,
    r: &MockRequest,
    queue: &Mutex<VecDeque<Exchange>>,
    problems: &Problems,
) -> MockResponse {
    let problem = |p: String| problems.lock().unwrap().push(p);
    let got = format!("{} {}", r.method(), r.path());
    let Some(ex) = queue.lock().unwrap().pop_front() else {
        problem(format!("unexpected request {got} after the last exchange"));
        return MockResponse::new(500);
    };
    if got != ex.request {
        problem(format!("expected {}, got {got}", ex.request));
        return MockResponse::new(500);
    }
    for (param, want) in &ex.query {
        match r.query_param(param) {
            Some(v) if &v == want => {}
            Some(v) => problem(format!(
                "{got}: the query parameter {param} is {v:?}, expected {want:?}"
            )),
            None => problem(format!("{got}: the query parameter {param} is missing")),
        }
    }
    if !ex.json.is_empty() || !ex.json_absent.is_empty() {
        let body: Value = serde_json::from_str(r.body()).unwrap_or(Value::Null);
        for (path, want) in &ex.json {
            match json_at(&body, path) {
                Some(v) if &v == want => {}
                Some(_) => problem(format!("{got}: the JSON value {path} is wrong")),
                None => problem(format!("{got}: the JSON value {path} is missing")),
            }
        }
        for path in &ex.json_absent {
            if json_at(&body, path).is_some() {
                problem(format!("{got}: the JSON value {path} must not be sent"));
            }
        }
    }
    for (field, want) in &ex.form {
        match r.form_value(field) {
            Some(v) if &v == want => {}
            Some(_) => problem(format!("{got}: the field {field} has the wrong value")),
            None => problem(format!("{got}: the field {field} is missing")),
        }
    }
    for cookie in &ex.cookies {
        if r.cookie(cookie).is_none() {
            problem(format!("{got}: the cookie {cookie} is missing"));
        }
    }
    let mut response = match (&ex.page, &ex.body, &ex.location) {
        (Some(page), None, None) => MockResponse::new(ex.status)
            .header("Content-Type", "text/html;charset=utf-8")
            .body(fixture_file(name, page, base)),
        (None, Some(body), None) => {
            let content_type = ex
                .headers
                .get("Content-Type")
                .cloned()
                .unwrap_or_else(|| "application/json".to_string());
            MockResponse::new(ex.status)
                .header("Content-Type", content_type)
                .body(fixture_file(name, body, base))
        }
        (None, None, Some(location)) => {
            let location = crate::FIXTURE_HOSTS
                .iter()
                .fold(location.clone(), |l, host| l.replace(host, base));
            MockResponse::redirect(location).with_status(ex.status)
        }
        _ => {
            problem(format!(
                "{got}: an exchange answers a page, a body or a redirect"
            ));
            MockResponse::new(500)
        }
    };
    response = response.header("X-Okta-Request-Id", "fake-request-0001");
    for (header, value) in &ex.headers {
        if !header.eq_ignore_ascii_case("content-type") {
            response = response.header(header.clone(), value.clone());
        }
    }
    for cookie in &ex.set_cookies {
        response = response.set_cookie(cookie.clone());
    }
    response
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
    classic_success_keeps_the_link_query => "classic-success",
    classic_session_from_the_cookie_jar => "classic-session-from-jar",
    classic_mfa_required_with_several_factors => "classic-mfa-several-factors",
    classic_push_waiting_then_success => "classic-push-waiting-success",
    classic_push_with_number_challenge => "classic-push-number-challenge",
    classic_push_rejected => "classic-push-rejected",
    classic_push_timeout => "classic-push-timeout",
    classic_push_never_answered_hits_the_wait_bound => "classic-push-never-answered",
    classic_bad_totp_then_good => "classic-bad-totp-then-good",
    classic_three_bad_codes => "classic-three-bad-codes",
    classic_sms_code => "classic-sms",
    classic_locked_out => "classic-locked-out",
    classic_unsupported_factors_are_listed => "classic-unsupported-factors",
    classic_push_wanted_but_only_codes => "classic-mfa-type-push-no-push",
    classic_duo_traditional_prompt => "classic-duo-traditional",
    classic_duo_universal_prompt_push => "classic-duo-universal-push",
    identity_engine_password_and_totp => "idx-password-totp",
    identity_engine_push_with_number_challenge => "idx-push-number-challenge",
    identity_engine_push_rejected => "idx-push-rejected",
    identity_engine_wrong_password => "idx-wrong-password",
    identity_engine_bad_code_then_good => "idx-bad-code-then-good",
    identity_engine_sign_in_page_without_state_token => "idx-no-state-token",
}
