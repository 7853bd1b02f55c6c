//! Helpers shared by the test modules: the registration, settings, dependencies and one call
//! that runs a login.

use aws_runas_domain::Timestamp;
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{
    HttpSettings, IdpDeps, IdpError, IdpRegistration, IdpSettings, SamlAssertion, registry,
};
use aws_runas_idp_testkit::{SamlResponseBuilder, SamlRole, ScriptedPrompter, idle_http};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The user name the tests log in with.
pub(crate) const USER: &str = "jane.doe";
/// The password the mocks accept.
pub(crate) const PASSWORD: &str = "Fake-Passw0rd-For-Tests";

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

/// Dependencies with the scripted prompter, a fixed clock, a 5 s timeout and the cookie jar.
pub(crate) fn deps(prompter: &Arc<ScriptedPrompter>, jar: Option<&Path>) -> IdpDeps {
    let http = HttpSettings {
        cookie_jar: jar.map(PathBuf::from),
        ..idle_http()
    };
    IdpDeps::new(prompter.clone(), Arc::new(FixedClock(now())), http)
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

/// Fails when `text` holds the test password.
pub(crate) fn assert_no_secret(text: &str) {
    assert!(!text.contains(PASSWORD), "a secret shows in: {text}");
}

/// The message of an error, checked for secrets.
pub(crate) fn message(e: &IdpError) -> String {
    let text = e.to_string();
    assert_no_secret(&text);
    text
}
