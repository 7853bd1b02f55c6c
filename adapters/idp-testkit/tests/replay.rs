//! The replay harness and the registration checks, proved with the example adapter: a correct
//! case passes, and each kind of mismatch is caught and named.

use crate::example::{NAME, PASSWORD_IN_URL};
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{MfaKind, Protocol, registry};
use aws_runas_idp_support::{HttpClient, HttpRequest};
use aws_runas_idp_testkit::{
    ExpectedRegistration, Replay, assert_registration, auto_post_page, idle_http,
    probe_with_cookies,
};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

const PASSWORD: &str = "Fake-Passw0rd-0001";
const SAML: &str = "PHNhbWxwOlJlc3BvbnNlLz4=";

fn login_page(banner: &str) -> String {
    format!(
        r#"<html><body>{banner}<form method="post" action="https://idp.example.test/example-idp/login">
<input type="hidden" name="csrf" value="c5rf-token">
<input type="text" name="user"><input type="password" name="pass"></form></body></html>"#
    )
}

/// A correct case of the example adapter: a redirect, the login page, the password posted, the
/// SAML page.
fn good_case() -> Value {
    json!({
        "about": "the example adapter logs in with a password",
        "start": "/example-idp/start?RelayState=abc",
        "settings": {"username": "jane"},
        "prompts": [{"secret": PASSWORD, "label": "Password: "}],
        "exchanges": [
            {
                "request": "GET /example-idp/start",
                "query": {"RelayState": "abc"},
                "status": 302,
                "location": "https://idp.example.test/example-idp/login",
                "set_cookies": ["EXAMPLE_IDP=1; Path=/"]
            },
            {"request": "GET /example-idp/login", "cookies": ["EXAMPLE_IDP"], "page": "login.html"},
            {
                "request": "POST /example-idp/login",
                "form": {"csrf": "c5rf-token", "user": "jane", "pass": PASSWORD},
                "absent": ["otp"],
                "page": "saml.html"
            }
        ],
        "expect": {"saml": SAML}
    })
}

/// Writes `case` as the case directory `name` of `root`, with its pages.
fn write_case(root: &Path, name: &str, case: &Value) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("case.json"), case.to_string()).unwrap();
    std::fs::write(dir.join("login.html"), login_page("")).unwrap();
    std::fs::write(
        dir.join("login-error.html"),
        login_page("<p>Invalid user name or password</p>"),
    )
    .unwrap();
    std::fs::write(dir.join("saml.html"), auto_post_page(SAML)).unwrap();
}

fn replay(root: &Path) -> Replay {
    Replay::new(root)
        .adapter(registry().unwrap().get(NAME).unwrap())
        .host("https://idp.example.test")
}

/// Runs `case` and returns the failures, joined.
async fn failures(case: Value) -> String {
    let root = tempfile::tempdir().unwrap();
    write_case(root.path(), "case", &case);
    match replay(root.path()).run("case").await {
        Ok(()) => String::new(),
        Err(failures) => failures.join("\n"),
    }
}

#[tokio::test]
async fn a_correct_case_passes_and_every_directory_is_listed() {
    let root = tempfile::tempdir().unwrap();
    write_case(root.path(), "login", &good_case());
    let replay = replay(root.path());
    replay.check("login").await;
    replay.assert_listed(&["login"]);
    let unlisted = std::panic::catch_unwind(|| replay.assert_listed(&[]));
    assert!(unlisted.is_err());
}

#[tokio::test]
async fn a_request_that_lacks_what_the_exchange_wants_is_named() {
    let mut case = good_case();
    case["exchanges"][2]["form"]["pass"] = json!("Another-Passw0rd");
    case["exchanges"][1]["cookies"] = json!(["MISSING"]);
    case["exchanges"][0]["query"]["RelayState"] = json!("xyz");
    let got = failures(case).await;
    assert!(
        got.contains("POST /example-idp/login: the field pass has the wrong value"),
        "{got}"
    );
    assert!(
        got.contains("GET /example-idp/login: the cookie MISSING is missing"),
        "{got}"
    );
    assert!(
        got.contains("the query parameter RelayState is \"abc\""),
        "{got}"
    );
    assert!(!got.contains(PASSWORD), "no secret in a failure: {got}");
}

#[tokio::test]
async fn an_exchange_never_made_or_a_request_out_of_order_is_named() {
    let mut case = good_case();
    case["exchanges"]
        .as_array_mut()
        .unwrap()
        .push(json!({"request": "GET /example-idp/after", "page": "login.html"}));
    let got = failures(case).await;
    assert!(
        got.contains("exchanges never made: [\"GET /example-idp/after\"]"),
        "{got}"
    );

    let mut case = good_case();
    case["exchanges"].as_array_mut().unwrap().remove(1);
    let got = failures(case).await;
    assert!(
        got.contains("expected POST /example-idp/login, got GET /example-idp/login"),
        "{got}"
    );
}

#[tokio::test]
async fn the_outcome_prompts_and_labels_are_checked() {
    let mut case = good_case();
    case["expect"] = json!({"error": "bad_credentials"});
    let got = failures(case).await;
    assert!(
        got.contains("expected an error of kind bad_credentials, got a SAML response"),
        "{got}"
    );

    let mut case = good_case();
    case["expect"]["saml"] = json!("b3RoZXI=");
    let got = failures(case).await;
    assert!(
        got.contains("the SAML response is not the one on the page"),
        "{got}"
    );

    let mut case = good_case();
    case["prompts"][0]["label"] = json!("Passcode: ");
    case["prompts"]
        .as_array_mut()
        .unwrap()
        .push(json!({"line": "123456"}));
    let got = failures(case).await;
    assert!(got.contains("expected \"Passcode: \""), "{got}");
    assert!(
        got.contains("prompter: scripted answers never asked for"),
        "{got}"
    );
}

#[tokio::test]
async fn an_error_is_compared_by_kind_and_key_words() {
    let mut case = good_case();
    case["exchanges"][2]["page"] = json!("login-error.html");
    case["expect"] = json!({"error": "bad_credentials", "contains": ["refused"]});
    assert_eq!(failures(case.clone()).await, "");

    case["expect"] = json!({"error": "unavailable", "contains": ["locked"]});
    let got = failures(case).await;
    assert!(
        got.contains("expected an error of kind unavailable, got an error of kind bad_credentials"),
        "{got}"
    );
    assert!(got.contains("does not contain \"locked\""), "{got}");
}

#[tokio::test]
async fn every_value_of_a_field_and_absent_query_parameters_are_checked() {
    let mut case = good_case();
    case["exchanges"][2]["form"]["csrf"] = json!(["c5rf-token"]);
    case["exchanges"][0]["query_absent"] = json!(["SAMLRequest"]);
    assert_eq!(failures(case.clone()).await, "");

    case["exchanges"][2]["form"]["csrf"] = json!(["c5rf-token", "c5rf-token"]);
    case["exchanges"][0]["query_absent"] = json!(["RelayState"]);
    let got = failures(case).await;
    assert!(
        got.contains("POST /example-idp/login: the field csrf has the wrong value"),
        "{got}"
    );
    assert!(
        got.contains("GET /example-idp/start: the query parameter RelayState must not be sent"),
        "{got}"
    );
}

#[tokio::test]
async fn a_case_may_answer_with_a_page_of_another_case() {
    let root = tempfile::tempdir().unwrap();
    write_case(root.path(), "login", &good_case());
    let mut case = good_case();
    case["exchanges"][1]["page"] = json!("../login/login.html");
    let dir = root.path().join("shared");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("case.json"), case.to_string()).unwrap();
    std::fs::copy(root.path().join("login/saml.html"), dir.join("saml.html")).unwrap();
    assert_eq!(replay(root.path()).run("shared").await, Ok(()));
}

#[tokio::test]
async fn an_unanswered_question_and_the_number_of_notices_are_checked() {
    let mut case = good_case();
    case["prompts"] = json!([{"unanswered": "secret", "label": "Password: "}]);
    case["exchanges"].as_array_mut().unwrap().truncate(2);
    // The example adapter reports a question without an answer as refused credentials.
    case["expect"] =
        json!({"error": "bad_credentials", "contains": ["no terminal"], "notice_count": 0});
    assert_eq!(failures(case.clone()).await, "");

    case["expect"]["notice_count"] = json!(1);
    let got = failures(case).await;
    assert!(got.contains("0 notices were shown, expected 1"), "{got}");
}

#[tokio::test]
async fn a_secret_sent_in_a_url_is_caught() {
    let root = tempfile::tempdir().unwrap();
    write_case(root.path(), "login", &good_case());
    let got = replay(root.path())
        .adapter(&PASSWORD_IN_URL)
        .run("login")
        .await
        .unwrap_err()
        .join("\n");
    assert!(
        got.contains("GET /example-idp/login carries a secret in its URL"),
        "{got}"
    );
    assert!(!got.contains(PASSWORD), "no secret in a failure: {got}");
}

#[tokio::test]
async fn a_badly_written_case_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let mut case = good_case();
    case["expect"] = json!({"error": "authentication"});
    write_case(root.path(), "old-kind", &case);
    let replay = replay(root.path());
    let refused = std::panic::catch_unwind(|| replay.serve("old-kind", None));
    let message = *refused.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("\"authentication\" is no error kind"),
        "{message}"
    );

    let mut case = good_case();
    case["prompts"] = json!([{"unanswered": "maybe"}, {"line": "jane", "secret": "x"}]);
    write_case(root.path(), "bad-prompts", &case);
    let refused = std::panic::catch_unwind(|| replay.serve("bad-prompts", None));
    let message = *refused.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.contains("`unanswered` \"maybe\" is neither line nor secret")
            && message.contains("a prompt has one of a line, a secret or unanswered"),
        "{message}"
    );
}

#[tokio::test]
async fn a_served_case_swaps_in_a_real_saml_response() {
    let root = tempfile::tempdir().unwrap();
    let mut case = good_case();
    case["exchanges"] = json!([{"request": "GET /example-idp/start", "page": "saml.html"}]);
    write_case(root.path(), "login", &case);
    let served = replay(root.path()).serve("login", Some("UkVBTC1TQU1M"));
    assert!(served.url().starts_with(&served.server().base_url()));
    assert!(served.url().ends_with("/example-idp/start?RelayState=abc"));
    assert_eq!(served.username(), Some("jane"));
    assert_eq!(served.password(), Some(PASSWORD));
    assert_eq!(
        served.problems(),
        ["exchanges never made: [\"GET /example-idp/start\"]"]
    );
    let client = HttpClient::new(
        idle_http(),
        Arc::new(FixedClock(Timestamp::from_unix(1_767_225_600))),
    );
    let page = client.follow(HttpRequest::get(served.url())).await.unwrap();
    let saml = page.html().saml_assertion().unwrap();
    assert_eq!(saml.0.expose(), "UkVBTC1TQU1M");
    served.assert_finished();
}

#[test]
fn the_registration_checks_name_every_wrong_fact() {
    let reg = registry().unwrap().get(NAME).unwrap();
    let expected = ExpectedRegistration {
        registry: &[NAME, "testkit-oidc-example"],
        name: NAME,
        aliases: &[],
        crate_name: "aws-runas-idp-testkit",
        protocols: &[Protocol::Saml],
        mfa: &[MfaKind::Code],
        found_as: &[],
        urls_matched: &["https://idp.example.test/example-idp/start"],
        urls_not_matched: &["https://idp.example.test/elsewhere"],
        probes_matched: vec![probe_with_cookies(&["EXAMPLE_IDP"])],
        probes_not_matched: vec![probe_with_cookies(&["OTHER"])],
    };
    assert_registration(reg, &expected);
    let wrong = ExpectedRegistration {
        aliases: &["ex"],
        mfa: &[MfaKind::Push],
        probes_matched: vec![probe_with_cookies(&["OTHER"])],
        ..expected
    };
    let failed = std::panic::catch_unwind(|| assert_registration(reg, &wrong));
    let message = *failed.unwrap_err().downcast::<String>().unwrap();
    for text in [
        "the aliases: [], expected [\"ex\"]",
        "the MFA kinds: [Code], expected [Push]",
        "\"ex\": ",
        "the probe matcher refuses",
    ] {
        assert!(message.contains(text), "{text}: {message}");
    }
}
