//! Helpers shared by the test modules: the registration, fixture pages, settings, dependencies
//! and one call that runs a login.

use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdpDeps, IdpError, IdpRegistration, IdpSettings, SamlAssertion, registry,
};
use aws_runas_domain::{Secret, Timestamp};
use aws_runas_idp_testkit::{SamlResponseBuilder, SamlRole, ScriptedPrompter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The user name the fixture cases log in with.
pub(crate) const USER: &str = "jane.doe";
/// The password the fixture mocks accept.
pub(crate) const PASSWORD: &str = "Fake-Passw0rd-For-Tests";
/// A password the fixture mocks refuse.
pub(crate) const WRONG_PASSWORD: &str = "Not-The-Passw0rd";
/// The code the fixture mocks accept.
pub(crate) const CODE: &str = "314159";
/// A code the fixture mocks refuse.
pub(crate) const WRONG_CODE: &str = "271828";

/// The `forms` registration, from the registry of this test binary.
pub(crate) fn registration() -> &'static IdpRegistration {
    registry().unwrap().get("forms").unwrap()
}

/// The clock every test runs with.
pub(crate) fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
}

/// A SAML Response (base64) granting `role` through `provider` in account 123456789012.
pub(crate) fn saml_response(role: &str, provider: &str) -> String {
    SamlResponseBuilder::new(now())
        .roles([SamlRole::new(
            format!("arn:aws:iam::123456789012:role/{role}"),
            format!("arn:aws:iam::123456789012:saml-provider/{provider}"),
        )])
        .base64()
}

/// A fixture page of `fixtures/idp/forms/<case>/<file>`.
pub(crate) fn fixture(case: &str, file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/idp/forms")
        .join(case)
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture page with its `{{SAMLResponse}}` placeholder filled.
pub(crate) fn saml_fixture(case: &str, file: &str, saml_response: &str) -> String {
    let page = fixture(case, file);
    assert!(
        page.contains("{{SAMLResponse}}"),
        "{case}/{file} has no placeholder"
    );
    page.replace("{{SAMLResponse}}", saml_response)
}

/// Settings with the URL, and the other key/value pairs.
pub(crate) fn settings(url: &str, pairs: &[(&str, &str)]) -> IdpSettings {
    IdpSettings::from_pairs(std::iter::once((IdpSettings::URL, url)).chain(pairs.iter().copied()))
}

/// Settings with the URL, the user name and the other pairs.
pub(crate) fn settings_for_user(url: &str, pairs: &[(&str, &str)]) -> IdpSettings {
    let mut all = vec![(IdpSettings::USERNAME, USER)];
    all.extend_from_slice(pairs);
    settings(url, &all)
}

/// Settings with a password and MFA code given up front.
pub(crate) fn with_secrets(
    settings: IdpSettings,
    password: Option<&str>,
    code: Option<&str>,
) -> IdpSettings {
    settings.with_secrets(password.map(Secret::new), code.map(Secret::new))
}

/// Dependencies with the scripted prompter, a fixed clock, a 5 s timeout and the cookie jar.
pub(crate) fn deps(prompter: &Arc<ScriptedPrompter>, jar: Option<&Path>) -> IdpDeps {
    IdpDeps {
        federation: None,
        session: aws_runas_domain::ports::idp::IdpSession::new(),
        browser: None,
        prompter: prompter.clone(),
        clock: Arc::new(FixedClock(now())),
        http: HttpSettings {
            timeout: Duration::from_secs(5),
            proxy: None,
            no_proxy: None,
            ca_bundle: None,
            cookie_jar: jar.map(PathBuf::from),
        },
    }
}

/// Builds the adapter and logs in once.
pub(crate) async fn login(
    settings: &IdpSettings,
    prompter: &Arc<ScriptedPrompter>,
    jar: Option<&Path>,
) -> Result<SamlAssertion, IdpError> {
    let adapter = registration().build(settings, deps(prompter, jar))?;
    let result = adapter.saml_assertion().await;
    let shown = format!("{adapter:?} {result:?}");
    assert_no_secret(&shown);
    result
}

/// Fails when `text` holds any of the test secrets.
pub(crate) fn assert_no_secret(text: &str) {
    for secret in [PASSWORD, WRONG_PASSWORD, CODE, WRONG_CODE] {
        assert!(!text.contains(secret), "a secret shows in: {text}");
    }
}

/// The message of an error, checked for secrets.
pub(crate) fn message(e: &IdpError) -> String {
    let text = e.to_string();
    assert_no_secret(&text);
    text
}
