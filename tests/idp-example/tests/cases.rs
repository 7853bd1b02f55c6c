//! The cases only Example SSO has, replayed from the fixture pages: a refusal in German, an open
//! IdP session, an unusual code field, a code given up front, `mfa_type = none`, a user name that
//! is asked for.

use crate::mock::{Behaviour, serve};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdpDeps, IdpError, IdpErrorKind, IdpSettings, SamlAssertion, registry,
};
use aws_runas_domain::{Secret, Timestamp};
use aws_runas_idp_testkit::{MockResponse, MockServer, SamlResponseBuilder, ScriptedPrompter};
use std::sync::Arc;
use std::time::Duration;

const USER: &str = "jane.doe@example.test";
const PASSWORD: &str = "Fake-Passw0rd-For-Tests";
const CODE: &str = "314159";

fn saml() -> SamlResponseBuilder {
    SamlResponseBuilder::new(Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap())
}

fn behaviour(saml: &SamlResponseBuilder) -> Behaviour {
    Behaviour {
        username: USER.to_string(),
        password: PASSWORD.to_string(),
        code: None,
        otp_field: "otp".to_string(),
        otp_case: "login".to_string(),
        refused_case: "wrong-password".to_string(),
        saml_page: saml.auto_post_page(),
    }
}

/// Runs one login through the registered adapter.
async fn login(
    settings: IdpSettings,
    prompter: &Arc<ScriptedPrompter>,
) -> Result<SamlAssertion, IdpError> {
    let deps = IdpDeps::new(
        prompter.clone(),
        Arc::new(FixedClock(saml_time())),
        HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: None,
        },
    );
    let reg = registry().unwrap().get("example").unwrap();
    reg.build(&settings, deps)?.saml_assertion().await
}

fn saml_time() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
}

fn settings(url: String, extra: &[(&str, &str)]) -> IdpSettings {
    let mut pairs = vec![
        (IdpSettings::URL.to_string(), url),
        (IdpSettings::USERNAME.to_string(), USER.to_string()),
    ];
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    IdpSettings::from_pairs(pairs)
}

#[tokio::test]
async fn a_refusal_in_german_is_a_refused_password_read_from_the_markup() {
    let server = MockServer::start();
    let saml = saml();
    let url = serve(
        &server,
        Behaviour {
            refused_case: "wrong-password-de".to_string(),
            ..behaviour(&saml)
        },
    );
    let prompter = Arc::new(ScriptedPrompter::new().secret("Falsches-Passw0rt"));
    let e = login(settings(url, &[]), &prompter).await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
    let m = e.to_string();
    assert!(m.contains(&server.base_url()), "{m}");
    assert!(m.contains("not tried again"), "{m}");
    assert!(!m.contains("Falsches-Passw0rt"), "{m}");
    let posts = server.requests_to("POST", "/example-sso/login");
    assert_eq!(posts.len(), 1, "the password is sent once");
    assert_eq!(
        posts[0].form_value("csrf_token").as_deref(),
        Some("fake-csrf-0001"),
        "the page's hidden fields go back"
    );
    assert_eq!(prompter.problems(), None);
}

#[tokio::test]
async fn an_open_idp_session_logs_in_without_a_question() {
    let server = MockServer::start();
    let saml = saml();
    let url = serve(&server, behaviour(&saml));
    let page = saml.auto_post_page();
    server.route("GET", "/example-sso/start", move |_| {
        MockResponse::html(page.clone())
    });
    let prompter = Arc::new(ScriptedPrompter::new());
    let assertion = login(settings(url, &[]), &prompter).await.unwrap();
    assert_eq!(assertion.0.expose(), saml.base64());
    assert!(prompter.questions().is_empty());
    assert!(server.requests_to("POST", "/example-sso/login").is_empty());
}

#[tokio::test]
async fn an_unusual_code_field_is_named_by_example_otp_field() {
    let server = MockServer::start();
    let saml = saml();
    let url = serve(
        &server,
        Behaviour {
            code: Some(CODE.to_string()),
            otp_field: "verification_code".to_string(),
            otp_case: "unusual-otp-field".to_string(),
            ..behaviour(&saml)
        },
    );
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD).line(CODE));
    let assertion = login(
        settings(url.clone(), &[("example_otp_field", "verification_code")]),
        &prompter,
    )
    .await
    .unwrap();
    assert_eq!(assertion.0.expose(), saml.base64());
    assert_eq!(prompter.labels(), vec!["Password: ", "MFA code: "]);
    assert_eq!(prompter.problems(), None);

    // Without the setting, the adapter says which input it looked for, and sends no code.
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let e = login(settings(url, &[]), &prompter).await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("\"otp\"") && m.contains("example_otp_field"),
        "{m}"
    );
    assert_eq!(server.requests_to("POST", "/example-sso/otp").len(), 1);
}

#[tokio::test]
async fn a_code_given_up_front_answers_the_first_question() {
    let server = MockServer::start();
    let saml = saml();
    let url = serve(
        &server,
        Behaviour {
            code: Some(CODE.to_string()),
            ..behaviour(&saml)
        },
    );
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let settings = settings(url, &[]).with_secrets(None, Some(Secret::new(CODE)));
    let assertion = login(settings, &prompter).await.unwrap();
    assert_eq!(assertion.0.expose(), saml.base64());
    assert_eq!(prompter.labels(), vec!["Password: "]);
}

#[tokio::test]
async fn mfa_type_none_refuses_a_code_page() {
    let server = MockServer::start();
    let saml = saml();
    let url = serve(
        &server,
        Behaviour {
            code: Some(CODE.to_string()),
            ..behaviour(&saml)
        },
    );
    let prompter = Arc::new(ScriptedPrompter::new());
    let settings = settings(url, &[(IdpSettings::MFA_TYPE, "none")])
        .with_secrets(Some(Secret::new(PASSWORD)), None);
    let e = login(settings, &prompter).await.unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::BadCredentials, "{e:?}");
    assert!(e.to_string().contains("mfa_type is none"), "{e}");
    assert!(server.requests_to("POST", "/example-sso/otp").is_empty());
    assert!(prompter.questions().is_empty());
}

#[tokio::test]
async fn a_user_name_not_configured_is_asked_for() {
    let server = MockServer::start();
    let saml = saml();
    let url = serve(&server, behaviour(&saml));
    let prompter = Arc::new(ScriptedPrompter::new().line(USER).secret(PASSWORD));
    let settings = IdpSettings::from_pairs([(IdpSettings::URL, url)]);
    let assertion = login(settings, &prompter).await.unwrap();
    assert_eq!(assertion.0.expose(), saml.base64());
    assert_eq!(prompter.labels(), vec!["Username: ", "Password: "]);
    assert_eq!(prompter.problems(), None);
}
