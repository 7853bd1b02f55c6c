//! ForgeRock AM conversations, replayed: each directory of `fixtures/idp/forgerock/` holds one
//! login — every request the adapter must make (headers, query, JSON, cookies) and AM's answers,
//! written from ForgeRock's REST and SAML documentation (`SOURCES.md`) — and how it must end.

use aws_runas_idp_testkit::Replay;

/// The replay of the ForgeRock cases; the deployment's host points at the mock server.
fn replay() -> Replay {
    Replay::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp/forgerock"),
    )
    .adapter(crate::forgerock())
    .host("https://am.example.test")
}

aws_runas_idp_testkit::replay_cases! {
    replay();
    saml_with_a_session_in_the_jar => "saml-session-from-jar",
    saml_zero_page_login => "saml-password",
    saml_bad_password_is_sent_once => "saml-bad-password",
    saml_non_ascii_credentials_are_rfc2047_encoded => "saml-non-ascii-credentials",
    saml_oath_code => "saml-code",
    saml_wrong_code_then_the_right_one => "saml-code-wrong-then-right",
    saml_three_wrong_codes => "saml-three-wrong-codes",
    saml_wrong_code_ends_the_session => "saml-code-ends-session",
    saml_push_approved => "saml-push-approved",
    saml_push_denied => "saml-push-denied",
    saml_push_never_approved => "saml-push-never-approved",
    saml_auto_uses_the_default_tree => "saml-auto-default-tree-push",
    saml_mfa_type_none_with_a_factor => "saml-mfa-none-but-factor",
    saml_unsupported_callbacks => "saml-unsupported-callbacks",
    oidc_with_a_session_in_the_jar => "oidc-session-from-jar",
    oidc_logs_in_first => "oidc-login-first",
    oidc_consent_page => "oidc-consent-page",
}
