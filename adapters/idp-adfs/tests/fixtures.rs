//! AD FS's own pages, replayed: each directory of `fixtures/idp/adfs/` holds the pages of one
//! login and a `case.json` saying, exchange by exchange, what the adapter must send and what the
//! mock AD FS answers, then how the login must end.
//!
//! An exchange may repeat (`times`), or answer every remaining request (`forever`): that is how a
//! push wait that nobody approves is replayed without depending on how often the adapter polls.

use crate::{adfs, fixture_dir, fixture_page};
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{HttpSettings, IdpDeps, IdpSettings};
use aws_runas_idp_testkit::{MockRequest, MockResponse, MockServer, ScriptedPrompter};
use serde::Deserialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One fixture directory's `case.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What the case shows.
    about: String,
    /// `saml` (the default) runs `saml_assertion()`, `authenticate` runs `authenticate()`.
    #[serde(default)]
    method: Option<String>,
    /// The path and query of the configured URL (empty: the bare host).
    start: String,
    /// Settings besides the URL (`username`, `mfa_type`, `mfa_wait_timeout`, `adfs_*`).
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
    /// `METHOD /path` (the query is checked through `query`).
    request: String,
    /// Query parameters the request must carry, with these values.
    #[serde(default)]
    query: BTreeMap<String, String>,
    /// Form fields the request must carry, with these values.
    #[serde(default)]
    form: BTreeMap<String, String>,
    /// Form fields the request must not carry.
    #[serde(default)]
    absent: Vec<String>,
    /// Cookies the request must carry.
    #[serde(default)]
    cookies: Vec<String>,
    /// The answer's status.
    #[serde(default = "ok")]
    status: u16,
    /// The page answered (a file of the case's directory).
    #[serde(default)]
    page: Option<String>,
    /// The `Location` of a redirect.
    #[serde(default)]
    location: Option<String>,
    /// Raw `Set-Cookie` values.
    #[serde(default)]
    set_cookies: Vec<String>,
    /// Other response headers.
    #[serde(default)]
    headers: Vec<(String, String)>,
    /// How many requests this exchange answers.
    #[serde(default = "once")]
    times: u32,
    /// Whether it answers every request that follows.
    #[serde(default)]
    forever: bool,
}

fn ok() -> u16 {
    200
}

fn once() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// The SAML response the login must return.
    #[serde(default)]
    saml: Option<String>,
    /// Or, for `authenticate`, that it succeeds.
    #[serde(default)]
    signed_in: bool,
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

/// An exchange being replayed, and how often it answered.
#[derive(Debug)]
struct Pending {
    exchange: Exchange,
    answered: u32,
}

/// What the mock saw that it should not have.
type Problems = Arc<Mutex<Vec<String>>>;

/// Replays the case in `fixtures/idp/adfs/<name>/` and checks every expectation.
async fn check(name: &str) {
    let path = fixture_dir().join(name).join("case.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let case: Case =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(!case.about.is_empty(), "{name}: say what the case shows");

    let server = MockServer::start();
    let base = server.base_url();
    let queue: Arc<Mutex<VecDeque<Pending>>> = Arc::new(Mutex::new(
        case.exchanges
            .iter()
            .cloned()
            .map(|exchange| Pending {
                exchange,
                answered: 0,
            })
            .collect(),
    ));
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
    let jar = dir.path().join(".aws_runas.cookies");
    let deps = IdpDeps {
        federation: None,
        session: aws_runas_domain::ports::idp::IdpSession::new(),
        browser: None,
        prompter: prompter.clone(),
        clock: Arc::new(FixedClock(Timestamp::from_unix(1_795_521_600))),
        http: HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: Some(jar),
        },
    };
    let mut pairs = vec![(IdpSettings::URL.to_string(), server.url(&case.start))];
    pairs.extend(case.settings.clone());
    let secret = |key: &str| case.up_front.get(key).map(|v| Secret::new(v.as_str()));
    let settings =
        IdpSettings::from_pairs(pairs).with_secrets(secret("password"), secret("mfa_code"));
    let adapter = adfs()
        .build(&settings, deps)
        .unwrap_or_else(|e| panic!("{name}: the adapter could not be built: {e}"));
    let run = async {
        match case.method.as_deref().unwrap_or("saml") {
            "saml" => adapter.saml_assertion().await.map(Some),
            "authenticate" => adapter.authenticate().await.map(|()| None),
            other => panic!("{name}: unknown method {other:?}"),
        }
    };
    let result = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap_or_else(|_| panic!("{name}: the adapter hangs"));

    let mut failures: Vec<String> = problems.lock().unwrap().clone();
    let left: Vec<String> = queue
        .lock()
        .unwrap()
        .iter()
        .filter(|p| !p.exchange.forever || p.answered == 0)
        .map(|p| p.exchange.request.clone())
        .collect();
    if !left.is_empty() {
        failures.push(format!("exchanges never made: {left:?}"));
    }
    if let Some(p) = prompter.problems() {
        failures.push(format!("prompter: {p}"));
    }
    failures.extend(server.handler_panics());

    // Passwords and codes: every secret answer, every all-digit line answer, everything given
    // up front (user names may show).
    let secrets: Vec<&str> = case
        .prompts
        .iter()
        .flat_map(|p| p.iter())
        .filter(|(kind, v)| *kind == "secret" || v.bytes().all(|b| b.is_ascii_digit()))
        .map(|(_, v)| v)
        .chain(case.up_front.values())
        .filter(|s| s.len() >= 6)
        .map(String::as_str)
        .collect();
    match (&case.expect, &result) {
        (
            Expect {
                saml: Some(want), ..
            },
            Ok(Some(assertion)),
        ) => {
            if assertion.0.expose() != want {
                failures.push("the SAML response is not the one on the page".into());
            }
        }
        (
            Expect {
                signed_in: true, ..
            },
            Ok(None),
        ) => {}
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
            result.as_ref().map(|r| if r.is_some() {
                "a SAML response"
            } else {
                "signed in"
            })
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

/// The mock AD FS: answers each request with the next exchange, after checking it.
fn answer(
    name: &str,
    base: &str,
    r: &MockRequest,
    queue: &Mutex<VecDeque<Pending>>,
    problems: &Problems,
) -> MockResponse {
    let problem = |p: String| problems.lock().unwrap().push(p);
    let got = format!("{} {}", r.method(), r.path());
    let ex = {
        let mut queue = queue.lock().unwrap();
        let Some(front) = queue.front_mut() else {
            drop(queue);
            problem(format!("unexpected request {got} after the last exchange"));
            return MockResponse::new(500);
        };
        front.answered += 1;
        let ex = front.exchange.clone();
        if !ex.forever && front.answered >= ex.times {
            queue.pop_front();
        }
        ex
    };
    if got != ex.request {
        problem(format!("expected {}, got {got}", ex.request));
        return MockResponse::new(500);
    }
    for (param, want) in &ex.query {
        match r.query_param(param) {
            Some(v) if &v == want => {}
            Some(v) => problem(format!("{got}: the query parameter {param} is {v:?}")),
            None => problem(format!("{got}: the query parameter {param} is missing")),
        }
    }
    for (field, want) in &ex.form {
        match r.form_value(field) {
            Some(v) if &v == want => {}
            Some(_) => problem(format!("{got}: the field {field} has the wrong value")),
            None => problem(format!("{got}: the field {field} is missing")),
        }
    }
    for field in &ex.absent {
        if r.form_value(field).is_some() {
            problem(format!("{got}: the field {field} must not be sent"));
        }
    }
    for cookie in &ex.cookies {
        if r.cookie(cookie).is_none() {
            problem(format!("{got}: the cookie {cookie} is missing"));
        }
    }
    let mut response = match (&ex.page, &ex.location) {
        (Some(page), None) => MockResponse::html(fixture_page(name, page, base)),
        (None, Some(location)) => {
            MockResponse::redirect(location.replace(crate::FIXTURE_HOST, base))
        }
        _ => {
            problem(format!("{got}: an exchange answers a page or a redirect"));
            MockResponse::new(500)
        }
    }
    .with_status(ex.status);
    for cookie in &ex.set_cookies {
        response = response.set_cookie(cookie.clone());
    }
    for (header, value) in &ex.headers {
        response = response.header(header.clone(), value.clone());
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
    forms_login_from_the_bare_host => "forms-login",
    otp_code_refused_then_accepted => "otp-page",
    bad_password_is_tried_once => "bad-password",
    locked_account_german_page => "locked-account",
    push_approved_with_number_matching => "push-approved",
    push_nobody_approves_gives_up_at_the_bound => "push-timed-out",
    push_denied_on_the_phone => "push-denied",
    sign_on_page_disabled_before_login => "sign-on-page-disabled",
    choice_of_methods_picks_azure_mfa => "choose-azure-mfa",
    session_answers_saml_at_once => "session-saml-at-once",
    authenticate_for_azure_ad_stops_before_posting => "authenticate-federated",
    windows_integrated_authentication_is_not_supported => "windows-integrated-auth",
    relying_party_of_aws_china => "relying-party-aws-china",
    paginated_sign_in_of_ad_fs_2019 => "paginated-sign-in",
    ws_federation_relying_party_is_not_saml => "ws-federation-relying-party",
}
