//! Integration tests of the generic OIDC adapter: its registration and settings, the browser flow
//! played by a test client against the testkit's mock provider (no real browser is started), and
//! the device flow, and the shared conformance suites.

// Link the adapter so that its registration is in this binary's registry.
use aws_runas_idp_oidc as _;

mod browser;
mod conformance;
mod device;
mod registration;

use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::browser::BrowserOpener;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdToken, IdentityProvider, IdpDeps, IdpError, IdpRegistration, IdpSettings,
    OidcRequest, registry,
};
use aws_runas_idp_testkit::{MockOidc, ScriptedPrompter};
use std::sync::Arc;
use std::time::Duration;

/// The registration record of `oidc`, looked up the way the app does.
fn oidc() -> &'static IdpRegistration {
    registry()
        .expect("the registry builds")
        .get("oidc")
        .expect("oidc is registered")
}

/// The instant the mock provider issues its tokens at.
fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
}

fn http_settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        proxy: None,
        no_proxy: None,
        ca_bundle: None,
        cookie_jar: None,
    }
}

fn deps(prompter: Arc<ScriptedPrompter>, browser: Option<Arc<dyn BrowserOpener>>) -> IdpDeps {
    IdpDeps::new(prompter, Arc::new(FixedClock(now())), http_settings()).with_browser(browser)
}

/// The adapter for `mock`'s issuer with the extra `pairs`.
fn adapter(
    mock: &MockOidc,
    pairs: &[(&str, &str)],
    prompter: Arc<ScriptedPrompter>,
    browser: Option<Arc<dyn BrowserOpener>>,
) -> Box<dyn IdentityProvider> {
    let issuer = mock.issuer();
    let settings = IdpSettings::from_pairs(
        std::iter::once(("url", issuer.as_str())).chain(pairs.iter().copied()),
    );
    oidc().build(&settings, deps(prompter, browser)).unwrap()
}

fn request(mock: &MockOidc, redirect_uri: &str) -> OidcRequest {
    OidcRequest {
        client_id: mock.client_id().to_string(),
        redirect_uri: redirect_uri.to_string(),
        scopes: vec!["profile".into()],
    }
}

/// Runs a login and returns its result with the prompter's notices.
async fn login(
    mock: &MockOidc,
    pairs: &[(&str, &str)],
    browser: Option<Arc<dyn BrowserOpener>>,
    redirect_uri: &str,
) -> (Result<IdToken, IdpError>, Vec<String>) {
    let prompter = Arc::new(ScriptedPrompter::new());
    let idp = adapter(mock, pairs, prompter.clone(), browser);
    let result = idp.oidc_token(&request(mock, redirect_uri)).await;
    (result, prompter.notices())
}

/// Secrets of the mock's logins that no notice or error may show.
fn secrets(mock: &MockOidc) -> Vec<String> {
    let mut all = mock.issued_codes();
    all.extend(mock.issued_id_tokens());
    all.extend(mock.received_verifiers());
    all.push(aws_runas_idp_testkit::PASSWORD.to_string());
    all
}

/// Asserts that none of `mock`'s secrets appears in `text`.
fn assert_no_secret(mock: &MockOidc, text: &str) {
    for s in secrets(mock) {
        assert!(!text.contains(&s), "a secret leaked: {text}");
    }
}
