//! The `browser` adapter's one integration binary: the registration, the conformance suite (its
//! password and code scenarios are performed by a human in the browser window, so they are
//! skipped with that reason), and the login in a headless Chromium (`/usr/bin/chromium`, or
//! `AWS_RUNAS_TEST_CHROMIUM`) against testkit IdP pages on 127.0.0.1: one that signs in on its
//! own (an auto-submitting form POSTing a SAMLResponse to the sign-in URL) and one that never
//! posts; and a second login while the profile is in use.

use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    IdpDeps, IdpErrorKind, IdpRegistration, IdpSettings, MfaKind, Protocol, registry,
};
use aws_runas_idp_testkit::{
    ConformanceMock, ExpectedRegistration, MockResponse, MockServer, SamlResponseBuilder, SamlRole,
    Scenario, ScenarioContext, ScriptedPrompter, assert_refused, assert_registration, conformance,
    idle_http, probe_with_cookies, saml_roles,
};
use std::sync::Arc;

use aws_runas_idp_browser as _;

fn browser() -> &'static IdpRegistration {
    registry().unwrap().get("browser").unwrap()
}

/// The Chromium the tests drive (CI installs Debian's `chromium`).
fn chromium() -> String {
    #[allow(clippy::disallowed_methods)] // the machine's browser, named by whoever runs the tests
    std::env::var("AWS_RUNAS_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

#[test]
fn registration() {
    assert_registration(
        browser(),
        &ExpectedRegistration {
            registry: &["browser"],
            name: "browser",
            aliases: &["chrome"],
            crate_name: "aws-runas-idp-browser",
            protocols: &[Protocol::Saml],
            mfa: &[] as &[MfaKind],
            found_as: &["browser", "Chrome"],
            urls_matched: &[],
            urls_not_matched: &["https://idp.example.test/sso"],
            probes_matched: vec![],
            probes_not_matched: vec![probe_with_cookies(&["JSESSIONID"])],
        },
    );
}

#[test]
fn a_mistyped_key_is_refused_by_name_and_browser_sp_keys_are_left_alone() {
    assert_refused(
        browser(),
        &[
            ("url", "https://idp.example.test/sso"),
            ("browser_exe", "chromium"),
        ],
        &["browser_exe", "browser_executable"],
    );
    let settings = IdpSettings::from_pairs([
        ("url", "https://idp.example.test/sso"),
        ("browser_sp_entity_id", "urn:amazon:webservices"),
    ]);
    assert!(
        browser()
            .build(&settings, deps(&Arc::new(ScriptedPrompter::new())))
            .is_ok()
    );
}

struct HumanInTheWindow;

impl ConformanceMock for HumanInTheWindow {
    fn setup(&self, ctx: &ScenarioContext<'_>) -> String {
        ctx.server().url("/sso")
    }

    fn skip(&self, _scenario: Scenario) -> Option<&'static str> {
        Some(
            "performed by a human in the browser window: aws-runas never sees the password, the code or the IdP's pages; the automatic login, the closed window, the timeout and the busy profile are cases of this binary",
        )
    }
}

#[tokio::test]
async fn every_conformance_scenario_is_a_human_one() {
    let report = conformance(browser(), &HumanInTheWindow).await;
    assert!(report.passed.is_empty());
    assert_eq!(report.skipped.len(), Scenario::ALL.len());
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
}

fn deps(prompter: &Arc<ScriptedPrompter>) -> IdpDeps {
    IdpDeps::new(prompter.clone(), Arc::new(FixedClock(now())), idle_http())
}

fn settings(url: &str, profile: &std::path::Path, extra: &[(&str, &str)]) -> IdpSettings {
    let chromium = chromium();
    let profile = profile.display().to_string();
    let mut pairs = vec![
        (IdpSettings::URL, url),
        ("browser_executable", chromium.as_str()),
        ("browser_profile_dir", profile.as_str()),
        ("browser_headless", "true"),
    ];
    pairs.extend_from_slice(extra);
    IdpSettings::from_pairs(pairs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_signs_in_on_its_own_hands_over_its_saml_response() {
    let roles = vec![SamlRole::new(
        "arn:aws:iam::111111111111:role/admin",
        "arn:aws:iam::111111111111:saml-provider/idp",
    )];
    let saml = SamlResponseBuilder::new(now()).roles(roles.clone());
    let expected = saml.base64();
    // The testkit's page posts to https://signin.aws.amazon.com/saml: the adapter intercepts
    // the POST, so it never leaves the machine.
    let page = saml.auto_post_page();
    let server = MockServer::start();
    server.route("GET", "/sso", move |_| MockResponse::html(&page));
    let profile = tempfile::tempdir().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = browser()
        .build(
            &settings(&server.url("/sso"), profile.path(), &[]),
            deps(&prompter),
        )
        .unwrap();
    let assertion = idp.saml_assertion().await.unwrap();
    assert_eq!(assertion.0.expose(), expected);
    assert_eq!(saml_roles(assertion.0.expose()).unwrap(), roles);
    assert_eq!(server.requests_to("GET", "/sso").len(), 1);
    let notices = prompter.notices();
    assert!(
        notices
            .iter()
            .any(|n| n.contains("127.0.0.1") && n.contains("waiting up to 2m")),
        "{notices:?}"
    );
    // The lock is released: a second login can start.
    assert!(profile.path().join("aws-runas.lock").exists());
    assert!(
        std::fs::File::open(profile.path().join("aws-runas.lock"))
            .unwrap()
            .try_lock()
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_signin_url_is_the_one_watched() {
    let saml = SamlResponseBuilder::new(now());
    let expected = saml.base64();
    let server = MockServer::start();
    let acs = server.url("/aws/saml");
    let page = format!(
        "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{acs}\"><input type=\"hidden\" name=\"SAMLResponse\" value=\"{expected}\"/></form></body></html>"
    );
    server.route("GET", "/sso", move |_| MockResponse::html(&page));
    let profile = tempfile::tempdir().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = browser()
        .build(
            &settings(
                &server.url("/sso"),
                profile.path(),
                &[("browser_signin_url", acs.as_str())],
            ),
            deps(&prompter),
        )
        .unwrap();
    assert_eq!(idp.saml_assertion().await.unwrap().0.expose(), expected);
    // Intercepted: the assertion never reached the endpoint.
    assert!(server.requests_to("POST", "/aws/saml").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_never_posts_ends_at_mfa_wait_timeout() {
    let server = MockServer::start();
    server.route("GET", "/sso", |_| {
        MockResponse::html("<!DOCTYPE html><html><body><p>Sign in</p></body></html>")
    });
    let profile = tempfile::tempdir().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = browser()
        .build(
            &settings(
                &server.url("/sso"),
                profile.path(),
                &[(IdpSettings::MFA_WAIT, "3s")],
            ),
            deps(&prompter),
        )
        .unwrap();
    let err = idp.saml_assertion().await.unwrap_err();
    assert_eq!(err.kind(), IdpErrorKind::MfaTimeout, "{err}");
    assert!(
        err.to_string().contains("within 3s (mfa_wait_timeout)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_second_login_on_a_profile_in_use_fails_clearly_and_starts_no_browser() {
    let profile = tempfile::tempdir().unwrap();
    let held = std::fs::File::create(profile.path().join("aws-runas.lock")).unwrap();
    held.lock().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = browser()
        .build(
            &settings("http://127.0.0.1:9/sso", profile.path(), &[]),
            deps(&prompter),
        )
        .unwrap();
    let err = idp.saml_assertion().await.unwrap_err();
    assert_eq!(err.kind(), IdpErrorKind::Unavailable, "{err}");
    assert!(
        err.to_string()
            .contains("in use by another aws-runas login"),
        "{err}"
    );
    assert!(prompter.notices().is_empty());
    assert!(!profile.path().join("SingletonLock").exists());
}

#[tokio::test]
async fn no_browser_installed_names_auth_browser() {
    let profile = tempfile::tempdir().unwrap();
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = browser()
        .build(
            &settings("http://127.0.0.1:9/sso", profile.path(), &[]).with(
                "browser_executable",
                "/nonexistent/chromium",
                "profile `corp` at ~/.aws/config:4",
            ),
            deps(&prompter),
        )
        .unwrap();
    let err = idp.saml_assertion().await.unwrap_err();
    assert_eq!(err.kind(), IdpErrorKind::Configuration);
    let text = err.to_string();
    assert!(
        text.contains(
            "browser_executable `/nonexistent/chromium` from profile `corp` at ~/.aws/config:4"
        ),
        "{text}"
    );
    assert!(text.contains("auth_browser"), "{text}");
}
