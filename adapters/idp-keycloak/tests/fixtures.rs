//! Keycloak's own pages, replayed: each directory of `fixtures/idp/keycloak/` holds the pages of
//! one login and a `case.json` saying, exchange by exchange, what the adapter must send and what
//! the mock Keycloak answers, then how the login must end.
//!
//! A case with an `oidc` section is an OIDC login: the mock remembers the `state` and `nonce` of
//! the authorization request, puts the `state` into redirects that say `{state}`, and answers the
//! token request with an ID token carrying the `nonce`.
//!
//! The pages come in English and German, from three generations of Keycloak's login themes, so
//! that a test passes only when the adapter reads markup rather than wording.

use crate::{fixture_dir, fixture_page, keycloak};
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{HttpSettings, IdpDeps, IdpSettings, OidcRequest};
use aws_runas_idp_testkit::{MockRequest, MockResponse, MockServer, ScriptedPrompter};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
    /// The path of the configured URL.
    start: String,
    /// Settings besides the URL (`username`, `keycloak_*`).
    settings: BTreeMap<String, String>,
    /// Secrets given up front (`password`, `mfa_code`).
    #[serde(default)]
    up_front: BTreeMap<String, String>,
    /// For an OIDC login: the client and its redirect URI.
    #[serde(default)]
    oidc: Option<OidcCase>,
    /// The prompter's script, in order: `{"line": ..}` or `{"secret": ..}`.
    prompts: Vec<BTreeMap<String, String>>,
    /// The requests the adapter must make, in order, and the answers.
    exchanges: Vec<Exchange>,
    /// How the login ends.
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OidcCase {
    client_id: String,
    redirect_uri: String,
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
    /// A JSON body (the host of the fixtures replaced by the mock's).
    #[serde(default)]
    json: Option<String>,
    /// Answer with tokens: an ID token carrying the authorization request's `nonce`.
    #[serde(default)]
    token: bool,
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
    /// Or the ID token the mock issued.
    #[serde(default)]
    id_token: bool,
    /// Or the error: `authentication`, `provider` or `invalid_configuration`.
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

/// What an OIDC case's mock remembers: the authorization request's `state` and `nonce`, and the
/// ID token it issued.
#[derive(Debug, Default)]
struct Oidc {
    state: Option<String>,
    nonce: Option<String>,
    id_token: Option<String>,
}

/// The instant of the cases.
const NOW: i64 = 1_767_225_600;

/// An ID token as Keycloak's token endpoint answers it, unsigned (these cases publish no JWKS).
fn mint(nonce: Option<&str>) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT","kid":"fake-kid-0001"}"#);
    let mut claims = serde_json::json!({
        "iss": "https://idp.example.test/realms/corp",
        "aud": "aws-runas",
        "sub": "6c1d9a9e-fake-user-0001",
        "preferred_username": "jane.doe",
        "iat": NOW,
        "exp": NOW + 300,
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = nonce.into();
    }
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.ZmFrZS1zaWduYXR1cmU")
}

/// Replays the case in `fixtures/idp/keycloak/<name>/` and checks every expectation.
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
    let oidc: Arc<Mutex<Oidc>> = Arc::default();
    for method in ["GET", "POST", "HEAD"] {
        let (queue, problems, base, name, oidc) = (
            queue.clone(),
            problems.clone(),
            base.clone(),
            name.to_string(),
            oidc.clone(),
        );
        server.route(method, "/*", move |r| {
            answer(&name, &base, r, &queue, &problems, &oidc)
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
        clock: Arc::new(FixedClock(Timestamp::from_unix(NOW))),
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
    let adapter = keycloak()
        .build(&settings, deps)
        .unwrap_or_else(|e| panic!("{name}: the adapter could not be built: {e}"));
    let login = async {
        match &case.oidc {
            Some(o) => adapter
                .oidc_token(&OidcRequest {
                    client_id: o.client_id.clone(),
                    redirect_uri: o.redirect_uri.clone(),
                    scopes: vec!["profile".into()],
                })
                .await
                .map(|t| t.0.expose().to_string()),
            None => adapter
                .saml_assertion()
                .await
                .map(|a| a.0.expose().to_string()),
        }
    };
    let result = tokio::time::timeout(Duration::from_secs(30), login)
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
        .filter(|s| s.len() >= 6)
        .map(String::as_str)
        .collect();
    match (&case.expect, &result) {
        (
            Expect {
                saml: Some(want), ..
            },
            Ok(assertion),
        ) => {
            if assertion != want {
                failures.push("the SAML response is not the one on the page".into());
            }
        }
        (Expect { id_token: true, .. }, Ok(token)) => {
            if oidc.lock().unwrap().id_token.as_ref() != Some(token) {
                failures.push("the ID token is not the one the mock issued".into());
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
            result.as_ref().map(|_| "a SAML response or an ID token")
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

/// The mock Keycloak: answers each request with the next exchange, after checking it.
fn answer(
    name: &str,
    base: &str,
    r: &MockRequest,
    queue: &Mutex<VecDeque<Exchange>>,
    problems: &Problems,
    oidc: &Mutex<Oidc>,
) -> MockResponse {
    if let Some(state) = r.query_param("state") {
        let mut o = oidc.lock().unwrap();
        o.state = Some(state);
        o.nonce = r.query_param("nonce");
    }
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
    let mut response = match (&ex.page, &ex.location, &ex.json, ex.token) {
        (Some(page), None, None, false) => MockResponse::html(fixture_page(name, page, base)),
        (None, Some(location), None, false) => {
            let state = oidc.lock().unwrap().state.clone().unwrap_or_default();
            MockResponse::redirect(
                location
                    .replace(crate::FIXTURE_HOST, base)
                    .replace("{state}", &state),
            )
        }
        (None, None, Some(json), false) => {
            MockResponse::json(json.replace(crate::FIXTURE_HOST, base))
        }
        (None, None, None, true) => {
            let mut o = oidc.lock().unwrap();
            let token = mint(o.nonce.as_deref());
            o.id_token = Some(token.clone());
            MockResponse::json(
                serde_json::json!({
                    "access_token": "fake-access-0001",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": token,
                })
                .to_string(),
            )
        }
        _ => {
            problem(format!(
                "{got}: an exchange answers a page, a redirect, json or tokens"
            ));
            MockResponse::new(500)
        }
    }
    .with_status(ex.status);
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
    english_password_login => "v2-en-password",
    english_invalid_password => "v2-en-invalid-password",
    german_invalid_password_older_theme => "v1-de-invalid-password",
    german_otp_with_a_chosen_device_and_a_refused_code => "v2-de-otp-several-devices",
    english_otp_first_device_code_up_front_older_theme => "v1-en-otp-several-devices",
    german_otp_device_that_does_not_exist => "v2-de-otp-unknown-device",
    german_otp_tiles_of_keycloak_12 => "kc12-de-otp-tiles",
    english_legacy_totp_form => "legacy-en-totp",
    english_three_refused_codes => "v2-en-too-many-codes",
    english_account_disabled_alert => "v2-en-account-disabled",
    german_account_disabled_error_page => "v2-de-account-disabled",
    english_account_locked_alert_without_form => "v1-en-account-locked",
    english_required_action_update_password => "v2-en-update-password",
    german_required_action_configure_otp => "v2-de-configure-otp",
    german_session_from_the_cookie_jar => "v2-de-session-from-jar",
    german_client_not_found_before_login => "v2-de-client-not-found",
    english_identity_first_flow => "v2-en-username-first",
    english_reopen_after_login_with_session_cookie => "v2-en-reopen-after-login",
    oidc_german_otp_with_a_chosen_device => "oidc-v2-de-otp-several-devices",
    oidc_english_consent_and_a_custom_scheme_redirect => "oidc-v2-en-consent",
    oidc_german_client_not_found => "oidc-v2-de-client-not-found",
}
