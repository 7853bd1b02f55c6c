//! OneLogin API conversations, replayed: each directory of `fixtures/idp/onelogin/` holds one
//! login — every request the adapter must make (with the JSON, headers and cookies it must send)
//! and OneLogin's answers, written from OneLogin's API reference (`SOURCES.md`) — and how the
//! login must end. The testkit's `Replay` runs the adapter against them.

use aws_runas_idp_testkit::Replay;

/// The replay of OneLogin's cases; the tenant's host points at the mock server, which also
/// serves the API (a host that is not OneLogin's serves its own API).
fn replay() -> Replay {
    Replay::new(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp/onelogin"),
    )
    .adapter(crate::onelogin())
    .host("https://example.onelogin.com")
}

aws_runas_idp_testkit::replay_cases! {
    replay();
    saml_without_a_second_factor => "saml-success",
    saml_wrong_password_is_sent_once => "saml-wrong-password",
    saml_refused_api_credentials => "api-credentials-refused",
    saml_url_without_app_id => "saml-no-app-id",
    saml_code_from_the_enrolled_factors => "saml-code",
    saml_wrong_code_then_the_right_one => "saml-code-wrong-then-right",
    saml_three_wrong_codes => "saml-three-wrong-codes",
    saml_factors_not_listable_with_auth_only_credentials => "saml-devices-not-listable",
    saml_sms_sent_then_the_code => "saml-sms",
    saml_push_approved => "saml-push-approved",
    saml_push_denied => "saml-push-denied",
    saml_push_never_answered => "saml-push-timeout",
    saml_mfa_type_none_with_a_factor => "saml-mfa-type-none",
    oidc_login_then_the_code => "oidc-login",
    oidc_session_from_the_cookie_jar => "oidc-session-from-jar",
    oidc_login_with_a_push => "oidc-push",
    oidc_no_code_after_the_login => "oidc-not-redirected",
}
