//! Error kinds the recorded cases do not reach: a mock AD FS serving the fixture pages of the
//! default theme, driven to the end of the code retries and to an `mfa_type` that forbids what
//! AD FS asks.

use crate::{adfs, fixture_page};
use aws_runas_domain::Secret;
use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{IdpDeps, IdpErrorKind, IdpSettings};
use aws_runas_idp_testkit::{MockResponse, MockServer, ScriptedPrompter, idle_http};
use std::sync::Arc;

const SIGN_ON: &str = "/adfs/ls/IdpInitiatedSignOn.aspx";

/// A mock AD FS whose Azure MFA refuses every code: the login form, then the code page, then the
/// refused code page for every code posted.
fn refusing_farm() -> MockServer {
    let server = MockServer::start();
    let base = server.base_url();
    let login = fixture_page("otp-page", "login.html", &base);
    let code = fixture_page("otp-page", "mfa-code.html", &base);
    let refused = fixture_page("otp-page", "mfa-code-refused.html", &base);
    server.route("GET", SIGN_ON, move |_| MockResponse::html(login.clone()));
    server.route("POST", SIGN_ON, move |r| {
        if r.form_value("VerificationCode").is_some() {
            MockResponse::html(refused.clone())
        } else {
            MockResponse::html(code.clone())
        }
    });
    server
}

fn deps(prompter: &Arc<ScriptedPrompter>) -> IdpDeps {
    IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(Timestamp::from_unix(1_795_521_600))),
        idle_http(),
    )
}

fn settings(server: &MockServer, mfa_type: &str) -> IdpSettings {
    IdpSettings::from_pairs([
        (IdpSettings::URL, server.base_url().as_str()),
        (IdpSettings::USERNAME, "jane.doe@example.test"),
        (IdpSettings::MFA_TYPE, mfa_type),
    ])
    .with_secrets(
        Some(Secret::new("fake-password-0001")),
        Some(Secret::new("111111")),
    )
}

#[tokio::test]
async fn codes_refused_to_the_last_are_a_rejected_factor_not_a_bad_password() {
    let server = refusing_farm();
    let prompter = Arc::new(ScriptedPrompter::new().line("222222").line("333333"));
    let adapter = adfs()
        .build(&settings(&server, "auto"), deps(&prompter))
        .unwrap();
    let e = adapter.saml_assertion().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::MfaRejected, "{e}");
    assert!(e.to_string().contains("refused 3 one-time codes"), "{e}");
    assert_eq!(prompter.labels(), vec!["MFA code: ", "MFA code: "]);
    assert_eq!(server.requests_to("POST", SIGN_ON).len(), 4);
    assert_eq!(prompter.problems(), None);
}

#[tokio::test]
async fn a_code_page_when_mfa_type_is_push_is_a_configuration_error() {
    let server = refusing_farm();
    let prompter = Arc::new(ScriptedPrompter::new());
    let adapter = adfs()
        .build(&settings(&server, "push"), deps(&prompter))
        .unwrap();
    let e = adapter.saml_assertion().await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e}");
    assert!(e.to_string().contains("mfa_type is push"), "{e}");
    assert_eq!(server.requests_to("POST", SIGN_ON).len(), 1);
}
