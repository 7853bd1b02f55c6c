//! The OIDC login of the `forms` adapter: the shared OIDC conformance suite (with the testkit's
//! plain login page and with a page of unusual field names), and flows around the pages: an IdP
//! session from the cookie jar; a custom-scheme redirect URI; a provider without a discovery
//! document; a token the published keys do not verify. (Apereo CAS as a provider, with its real
//! pages, is among the replayed cases of `fixtures.rs`.)

use crate::support::{PASSWORD, USER, deps, message, registration, settings, settings_for_user};
use aws_runas_domain::ports::idp::{IdToken, IdpError, IdpErrorKind, IdpSettings, OidcRequest};
use aws_runas_idp_testkit::{
    LoginPage, MockOidc, MockOidcConfig, MockServer, OidcConformanceMock, OidcRoute, OidcScenario,
    ScriptedPrompter, TokenSigning, oidc_conformance,
};
use std::path::Path;
use std::sync::Arc;

/// Builds the adapter and runs one OIDC login; checks that no secret shows in its `Debug` or
/// its error.
async fn oidc_login(
    settings: &IdpSettings,
    prompter: &Arc<ScriptedPrompter>,
    jar: Option<&Path>,
    req: &OidcRequest,
) -> Result<IdToken, IdpError> {
    let adapter = registration().build(settings, deps(prompter, jar))?;
    let result = adapter.oidc_token(req).await;
    let shown = match &result {
        Ok(_) => format!("{adapter:?}"),
        Err(e) => format!("{adapter:?} {e:?} {e}"),
    };
    crate::support::assert_no_secret(&shown);
    result
}

/// The request of a login: the mock's client, a redirect URI on `client` (never fetched).
fn request(oidc: &MockOidc, redirect_uri: String) -> OidcRequest {
    OidcRequest {
        client_id: oidc.client_id().to_string(),
        redirect_uri,
        scopes: vec!["profile".into()],
    }
}

/// The testkit's mock provider with this crate's user and password.
fn plain_config() -> MockOidcConfig {
    MockOidcConfig {
        username: USER.into(),
        password: PASSWORD.into(),
        ..MockOidcConfig::new()
    }
}

// ---------------------------------------------------------------------------------------------
// Conformance

/// The testkit's provider as it comes: its discovery document at the issuer, its login page.
struct PlainProvider;

impl OidcConformanceMock for PlainProvider {}

/// A provider whose login page has field names nobody would guess, a CSRF token and a cancel
/// button before the real one; `forms_username_field` names the user-name input.
struct UnusualFields;

impl OidcConformanceMock for UnusualFields {
    fn config(&self, _: OidcScenario) -> MockOidcConfig {
        MockOidcConfig {
            issuer_path: "/auth/portal".into(),
            authorize_path: "/auth/portal/connect/authorize".into(),
            token_path: "/auth/portal/connect/token".into(),
            jwks_path: "/auth/portal/.well-known/keys".into(),
            device_path: "/auth/portal/connect/deviceauthorization".into(),
            username_field: "ident".into(),
            password_field: "secret".into(),
            login_page: Arc::new(|p: &LoginPage<'_>| {
                format!(
                    r#"<!DOCTYPE html><html><body>{}
<form method="post" action="{}"><input type="hidden" name="__RequestVerificationToken" value="fake-rvt-0001">
<input type="text" name="ident"><input type="text" name="realm" value="CORP">
<input type="password" name="{}">
<input type="submit" name="abbrechen" id="cancel" value="Abbrechen">
<input type="submit" name="action" value="Anmelden"></form></body></html>"#,
                    p.error
                        .map(|e| format!(
                            r#"<div class="validation-summary-errors" role="alert">{e}</div>"#
                        ))
                        .unwrap_or_default(),
                    p.action.replace('&', "&amp;"),
                    p.password_field,
                )
            }),
            ..MockOidcConfig::new()
        }
    }

    fn extra_settings(&self, _: &MockOidc) -> Vec<(String, String)> {
        vec![("forms_username_field".into(), "ident".into())]
    }
}

#[tokio::test]
async fn the_forms_adapter_passes_every_oidc_conformance_scenario() {
    let report = oidc_conformance(registration(), &PlainProvider).await;
    assert_eq!(report.passed, OidcScenario::ALL.to_vec());
    assert!(report.skipped.is_empty());
    let unusual = oidc_conformance(registration(), &UnusualFields).await;
    assert_eq!(unusual.passed, OidcScenario::ALL.to_vec());
    assert!(unusual.skipped.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Sessions, redirect URIs, discovery, keys.

#[tokio::test]
async fn an_idp_session_in_the_cookie_jar_skips_the_login_form() {
    let server = MockServer::start();
    let client = MockServer::start();
    let oidc = MockOidc::install(&server, plain_config());
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join(".aws_runas.cookies");
    let req = request(&oidc, client.url("/oidc/callback"));
    let s = settings_for_user(&oidc.issuer(), &[]);

    let first = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let token = oidc_login(&s, &first, Some(&jar), &req).await.unwrap();
    first.assert_finished();
    assert_eq!(oidc.issued_id_tokens(), vec![token.0.expose().to_string()]);

    // A new adapter (a later run) with the same jar: nothing is asked, no form is posted.
    let second = Arc::new(ScriptedPrompter::new());
    let again = oidc_login(&s, &second, Some(&jar), &req).await.unwrap();
    second.assert_finished();
    assert!(second.labels().is_empty());
    assert_eq!(oidc.password_attempts(), 1);
    assert_eq!(oidc.redeemed_codes(), 2);
    assert_eq!(
        oidc.issued_id_tokens().last().map(String::as_str),
        Some(again.0.expose())
    );
    assert_ne!(token.0.expose(), again.0.expose());
    assert_eq!(
        server
            .requests_to("POST", &oidc.config().authorize_path)
            .len(),
        1
    );
    assert!(client.requests().is_empty());
}

#[tokio::test]
async fn the_user_name_is_asked_when_not_configured() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, plain_config());
    let prompter = Arc::new(ScriptedPrompter::new().line(USER).secret(PASSWORD));
    let req = request(&oidc, "http://127.0.0.1:9/callback".into());
    let token = oidc_login(&settings(&oidc.issuer(), &[]), &prompter, None, &req)
        .await
        .unwrap();
    assert_eq!(
        oidc.issued_id_tokens().last().map(String::as_str),
        Some(token.0.expose())
    );
    assert_eq!(prompter.labels(), vec!["Username: ", "Password: "]);
    prompter.assert_finished();
}

#[tokio::test]
async fn a_custom_scheme_redirect_uri_is_captured() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, plain_config());
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let req = request(&oidc, "app:/callback".into());
    let token = oidc_login(
        &settings_for_user(&oidc.issuer(), &[]),
        &prompter,
        None,
        &req,
    )
    .await
    .unwrap();
    assert_eq!(
        oidc.issued_id_tokens().last().map(String::as_str),
        Some(token.0.expose())
    );
    let authorize = server.requests_to("GET", &oidc.config().authorize_path);
    assert_eq!(
        authorize[0].query_param("redirect_uri").as_deref(),
        Some("app:/callback")
    );
    prompter.assert_finished();
}

#[tokio::test]
async fn a_provider_without_a_discovery_document_is_a_clear_error() {
    let server = MockServer::start();
    let oidc = MockOidc::install(
        &server,
        MockOidcConfig {
            discovery: false,
            ..plain_config()
        },
    );
    let prompter = Arc::new(ScriptedPrompter::new());
    let req = request(&oidc, "http://127.0.0.1:9/callback".into());
    let e = oidc_login(
        &settings_for_user(&oidc.issuer(), &[]),
        &prompter,
        None,
        &req,
    )
    .await
    .unwrap_err();
    let text = message(&e);
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    assert!(text.contains(&oidc.discovery_url()), "{text}");
    assert!(text.contains("web_identity_auth_url"), "{text}");
    // Nothing else was tried: no authorization request, no question.
    assert!(
        server
            .requests_to("GET", &oidc.config().authorize_path)
            .is_empty()
    );
    prompter.assert_finished();
}

#[tokio::test]
async fn a_failing_discovery_document_names_the_status() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, plain_config());
    oidc.fail_route(OidcRoute::Discovery, Some(500));
    let prompter = Arc::new(ScriptedPrompter::new());
    let req = request(&oidc, "http://127.0.0.1:9/callback".into());
    let e = oidc_login(
        &settings_for_user(&oidc.issuer(), &[]),
        &prompter,
        None,
        &req,
    )
    .await
    .unwrap_err();
    let text = message(&e);
    assert_eq!(e.kind(), IdpErrorKind::Unavailable, "{e:?}");
    assert!(text.contains("500") && text.contains("127.0.0.1"), "{text}");
    prompter.assert_finished();
}

#[tokio::test]
async fn a_token_the_published_keys_do_not_verify_is_refused() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, plain_config());
    oidc.set_signing(TokenSigning::OtherKey);
    let prompter = Arc::new(ScriptedPrompter::new().secret(PASSWORD));
    let req = request(&oidc, "http://127.0.0.1:9/callback".into());
    let e = oidc_login(
        &settings_for_user(&oidc.issuer(), &[]),
        &prompter,
        None,
        &req,
    )
    .await
    .unwrap_err();
    let text = message(&e);
    assert_eq!(e.kind(), IdpErrorKind::UnexpectedPage, "{e:?}");
    assert!(text.contains("signature"), "{text}");
    for token in oidc.issued_id_tokens() {
        assert!(!text.contains(&token));
    }
    prompter.assert_finished();
}

#[tokio::test]
async fn a_missing_client_id_names_the_key_before_any_request() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, plain_config());
    let prompter = Arc::new(ScriptedPrompter::new());
    let mut req = request(&oidc, "http://127.0.0.1:9/callback".into());
    req.client_id = String::new();
    let e = oidc_login(
        &settings_for_user(&oidc.issuer(), &[]),
        &prompter,
        None,
        &req,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), IdpErrorKind::Configuration, "{e:?}");
    assert!(e.to_string().contains("web_identity_client_id"), "{e}");
    assert!(
        server
            .requests_to("GET", &oidc.config().authorize_path)
            .is_empty()
    );
}

#[tokio::test]
async fn an_authorization_page_with_a_5xx_status_names_the_host_step_and_status() {
    let server = MockServer::start();
    let oidc = MockOidc::install(&server, plain_config());
    oidc.fail_route(OidcRoute::Authorize, Some(502));
    let prompter = Arc::new(ScriptedPrompter::new());
    let req = request(&oidc, "http://127.0.0.1:9/callback".into());
    let e = oidc_login(
        &settings_for_user(&oidc.issuer(), &[]),
        &prompter,
        None,
        &req,
    )
    .await
    .unwrap_err();
    let text = message(&e);
    assert_eq!(e.kind(), IdpErrorKind::Unavailable, "{e:?}");
    assert!(
        text.contains("502")
            && text.contains(&server.host())
            && text.contains("opening the authorization page"),
        "{text}"
    );
    // The authorization URL's query (state, nonce, challenge) stays out of the message.
    assert!(!text.contains("code_challenge"), "{text}");
    assert!(oidc.received_verifiers().is_empty());
    prompter.assert_finished();
}
