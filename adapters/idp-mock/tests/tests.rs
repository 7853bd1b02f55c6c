//! Integration tests of the `mock` identity provider, through its registration record as the
//! app uses it: the registry entry, detection by URL, and the assertion it hands out.

use aws_runas_domain::ports::clock::{Clock, FixedClock};
use aws_runas_domain::ports::idp::{
    AuthUrl, IdentityProvider, IdpDeps, IdpRegistration, IdpSettings, OidcRequest, ProbeResponse,
    Protocol, registry,
};
use aws_runas_domain::saml::SamlResponse;
use aws_runas_domain::{Secret, Timestamp};
use aws_runas_idp_testkit::{
    ExpectedRegistration, ScriptedPrompter, assert_refused, assert_registration, idle_http,
};
use std::sync::{Arc, Mutex};

// Names the crate so the linker keeps its registration.
use aws_runas_idp_mock as _;

mod conformance;

fn mock() -> &'static IdpRegistration {
    registry().unwrap().get("mock").unwrap()
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
}

fn deps(prompter: Arc<ScriptedPrompter>, clock: Arc<dyn Clock>) -> IdpDeps {
    IdpDeps::new(prompter, clock, idle_http())
}

/// Builds the adapter from `settings`, with a prompter that fails on any question.
fn build(settings: &IdpSettings) -> (Box<dyn IdentityProvider>, Arc<ScriptedPrompter>) {
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = mock()
        .build(
            settings,
            deps(prompter.clone(), Arc::new(FixedClock(now()))),
        )
        .unwrap();
    (idp, prompter)
}

fn roles(response: &SamlResponse) -> Vec<(String, String)> {
    response
        .roles()
        .iter()
        .map(|g| (g.role().to_string(), g.provider_arn().to_string()))
        .collect()
}

fn assert_nothing_asked(prompter: &ScriptedPrompter) {
    assert_eq!(prompter.problems(), None);
    assert!(
        prompter.questions().is_empty(),
        "{:?}",
        prompter.questions()
    );
    assert!(prompter.notices().is_empty(), "{:?}", prompter.notices());
}

#[test]
fn registration() {
    assert_registration(
        mock(),
        &ExpectedRegistration {
            registry: &["mock"],
            name: "mock",
            aliases: &[],
            crate_name: "aws-runas-idp-mock",
            protocols: &[Protocol::Saml, Protocol::Oidc],
            mfa: &[],
            found_as: &["Mock"],
            // Local mock URLs are detected.
            urls_matched: &[
                "http://localhost/mock",
                "http://localhost:8080/mock/saml?x=1",
                "https://LOCALHOST/mockidp",
                "http://127.0.0.1/mock",
                "http://127.0.0.1:9999/mock/",
                "http://[::1]/mock",
                "http://[::1]:8443/mock/login",
                "http://user@localhost/mock",
            ],
            urls_not_matched: &[
                "http://localhost/",
                "http://localhost/saml/mock",
                "http://localhost/Mock",
                "http://127.0.0.2/mock",
                "http://example.com/mock",
                "http://localhost.example.com/mock",
                "http://mocklocalhost/mock",
                "https://idp.example.test/mock",
                "http://[::2]/mock",
            ],
            // A probe never picks the mock.
            probes_matched: vec![],
            probes_not_matched: vec![
                ProbeResponse {
                    status: 200,
                    headers: vec![("server".into(), "mock".into())],
                    cookies: vec!["mock".into(), "KC_RESTART".into()],
                },
                ProbeResponse::default(),
            ],
        },
    );
    // Every local mock URL is detected as the mock.
    let parsed = AuthUrl::parse("http://[::1]:8443/mock/login").unwrap();
    assert_eq!(
        registry().unwrap().detect_by_url(&parsed).map(|r| r.name()),
        Some("mock")
    );
}

#[tokio::test]
async fn the_assertion_grants_the_configured_roles_and_lasts_five_minutes() {
    let settings = IdpSettings::from_pairs([
        (IdpSettings::URL, "http://localhost/mock"),
        (IdpSettings::USERNAME, "jane.doe@example.test"),
        (IdpSettings::MFA_TYPE, "auto"),
        (
            "mock_roles",
            "arn:aws:iam::111122223333:role/Admin, arn:aws:iam::444455556666:role/team/Reader",
        ),
        (
            "mock_provider",
            "arn:aws:iam::111122223333:saml-provider/Corp",
        ),
    ]);
    let (idp, prompter) = build(&settings);
    let assertion = idp.saml_assertion().await.unwrap();
    let response = SamlResponse::parse(assertion.0.expose()).unwrap();
    let provider = "arn:aws:iam::111122223333:saml-provider/Corp".to_string();
    assert_eq!(
        roles(&response),
        vec![
            (
                "arn:aws:iam::111122223333:role/Admin".to_string(),
                provider.clone()
            ),
            (
                "arn:aws:iam::444455556666:role/team/Reader".to_string(),
                provider
            ),
        ]
    );
    assert_eq!(response.session_name(), Some("jane.doe@example.test"));
    assert_eq!(response.duration_cap(), Some(3600));
    assert_eq!(response.issue_instant(), Some(now()));
    assert_eq!(response.not_on_or_after(), Some(now().plus_secs(300)));
    assert!(response.is_usable_at(now()));
    assert!(!response.is_usable_at(now().plus_secs(300)));
    assert_nothing_asked(&prompter);
}

#[tokio::test]
async fn the_defaults_grant_one_role_to_mock_user() {
    let (idp, prompter) = build(&IdpSettings::from_pairs([(
        IdpSettings::URL,
        "http://127.0.0.1/mock",
    )]));
    let response = SamlResponse::parse(idp.saml_assertion().await.unwrap().0.expose()).unwrap();
    assert_eq!(
        roles(&response),
        vec![(
            "arn:aws:iam::123456789012:role/mock-role".to_string(),
            "arn:aws:iam::123456789012:saml-provider/mock".to_string()
        )]
    );
    assert_eq!(response.session_name(), Some("mock-user"));
    assert_eq!(response.duration_cap(), Some(3600));
    assert_nothing_asked(&prompter);
}

#[tokio::test]
async fn the_role_value_lists_the_role_first_as_moto_expects() {
    // moto takes the role from the first half of the (single) Role attribute value.
    let (idp, _) = build(&IdpSettings::default());
    let assertion = idp.saml_assertion().await.unwrap();
    let xml = String::from_utf8(
        base64_decode(assertion.0.expose()).expect("the assertion is standard base64"),
    )
    .unwrap();
    assert!(
        xml.contains(">arn:aws:iam::123456789012:role/mock-role,arn:aws:iam::123456789012:saml-provider/mock</saml:AttributeValue>"),
        "{xml}"
    );
}

#[tokio::test]
async fn a_password_given_up_front_is_ignored_and_never_shown() {
    let settings = IdpSettings::from_pairs([(IdpSettings::USERNAME, "jane")]).with_secrets(
        Some(Secret::new("Sup3r-Secret-Passw0rd")),
        Some(Secret::new("864209")),
    );
    let (idp, prompter) = build(&settings);
    let assertion = idp.saml_assertion().await.unwrap();
    let xml = String::from_utf8(base64_decode(assertion.0.expose()).unwrap()).unwrap();
    let debug = format!("{idp:?}");
    for shown in [xml.as_str(), debug.as_str()] {
        assert!(
            !shown.contains("Sup3r-Secret-Passw0rd") && !shown.contains("864209"),
            "{shown}"
        );
    }
    assert!(debug.starts_with("MockIdp"), "{debug}");
    assert_nothing_asked(&prompter);
}

/// A clock the test moves forward.
#[derive(Debug)]
struct SteppingClock(Mutex<Timestamp>);

impl Clock for SteppingClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn every_call_issues_a_fresh_assertion_at_the_clock_s_now() {
    let clock = Arc::new(SteppingClock(Mutex::new(now())));
    let idp = mock()
        .build(
            &IdpSettings::default(),
            deps(Arc::new(ScriptedPrompter::new()), clock.clone()),
        )
        .unwrap();
    let first = idp.saml_assertion().await.unwrap();
    *clock.0.lock().unwrap() = now().plus_secs(3600);
    let second = idp.saml_assertion().await.unwrap();
    assert_ne!(first, second);
    let second = SamlResponse::parse(second.0.expose()).unwrap();
    assert_eq!(second.issue_instant(), Some(now().plus_secs(3600)));
    assert_eq!(second.not_on_or_after(), Some(now().plus_secs(3900)));
}

#[test]
fn bad_settings_fail_the_build_with_the_key_named() {
    let role = ("mock_role", "arn:aws:iam::123456789012:role/x");
    assert_refused(mock(), &[role], &["`mock_role`"]);
    assert_refused(
        mock(),
        &[("mock_roles", "arn:aws:iam::1234:role/x")],
        &["mock_roles"],
    );
    assert_refused(
        mock(),
        &[("mock_provider", "urn:nothing")],
        &["mock_provider"],
    );
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[tokio::test]
async fn an_oidc_login_gives_an_unsigned_token_for_the_client() {
    let (idp, prompter) = build(&IdpSettings::from_pairs([
        (IdpSettings::URL, "http://127.0.0.1/mock/oidc"),
        (IdpSettings::USERNAME, "dana"),
    ]));
    let req = OidcRequest {
        client_id: "cli-1".into(),
        redirect_uri: "app:/callback".into(),
        scopes: vec![],
    };
    let token = idp.oidc_token(&req).await.unwrap().0;
    let claims = aws_runas_domain::jwt::claims(token.expose()).unwrap();
    assert_eq!(claims["aud"], "cli-1");
    assert_eq!(
        aws_runas_domain::jwt::username(token.expose()).as_deref(),
        Some("dana")
    );
    let exp = aws_runas_domain::jwt::expiry(token.expose()).unwrap();
    assert!(exp.unix() > 0);
    assert_nothing_asked(&prompter);
}
