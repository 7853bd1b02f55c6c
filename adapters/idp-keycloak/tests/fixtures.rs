//! Keycloak's own pages, replayed: each directory of `fixtures/idp/keycloak/` holds the pages of
//! one login and a `case.json` saying, exchange by exchange, what the adapter must send and what
//! the mock Keycloak answers, then how the login must end (the testkit's `Replay` does the rest).
//!
//! A case with an `oidc` section is an OIDC login: the mock remembers the `state` and `nonce` of
//! the authorization request, puts the `state` into redirects that say `{state}`, and answers the
//! token request with an ID token carrying the `nonce`.
//!
//! The pages come in English and German, from three generations of Keycloak's login themes, so
//! that a test passes only when the adapter reads markup rather than wording.

use crate::{FIXTURE_HOST, fixture_dir, keycloak};
use aws_runas_idp_testkit::Replay;

/// The replay of Keycloak's cases.
fn replay() -> Replay {
    Replay::new(fixture_dir())
        .adapter(keycloak())
        .host(FIXTURE_HOST)
}

aws_runas_idp_testkit::replay_cases! {
    replay();
    english_password_login => "v2-en-password",
    english_invalid_password => "v2-en-invalid-password",
    german_invalid_password_older_theme => "v1-de-invalid-password",
    german_otp_with_a_chosen_device_and_a_refused_code => "v2-de-otp-several-devices",
    english_otp_first_device_code_up_front_older_theme => "v1-en-otp-several-devices",
    german_otp_device_that_does_not_exist => "v2-de-otp-unknown-device",
    german_otp_tiles_of_keycloak_12 => "kc12-de-otp-tiles",
    english_legacy_totp_form => "legacy-en-totp",
    english_three_refused_codes => "v2-en-too-many-codes",
    english_account_disabled_alert => "v2-en-account-disabled",
    german_account_disabled_error_page => "v2-de-account-disabled",
    english_account_locked_alert_without_form => "v1-en-account-locked",
    english_required_action_update_password => "v2-en-update-password",
    german_required_action_configure_otp => "v2-de-configure-otp",
    german_session_from_the_cookie_jar => "v2-de-session-from-jar",
    german_client_not_found_before_login => "v2-de-client-not-found",
    english_identity_first_flow => "v2-en-username-first",
    english_reopen_after_login_with_session_cookie => "v2-en-reopen-after-login",
    oidc_german_otp_with_a_chosen_device => "oidc-v2-de-otp-several-devices",
    oidc_english_consent_and_a_custom_scheme_redirect => "oidc-v2-en-consent",
    oidc_german_client_not_found => "oidc-v2-de-client-not-found",
}
