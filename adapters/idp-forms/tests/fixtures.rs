//! The pages of real form IdPs, replayed: each directory of `fixtures/idp/forms/` holds one
//! login (Shibboleth, SimpleSAMLphp, Apereo CAS, a portal with unusual field names; in English
//! and German) and a `case.json` saying, exchange by exchange, what the adapter must send and
//! what the mock IdP answers, then how the login must end; the testkit's `Replay` does the rest.
//! Cases share pages through `../<case>/<page>`.
//!
//! The pages link with relative URLs, so only the CAS server's host, `https://cas.example.test`,
//! named by the discovery document and the consent form of the OIDC cases, points at the mock.
//! The cases with an `oidc` section are OIDC logins: the mock remembers the `state` and `nonce`
//! of the authorization request, puts the `state` into the redirect to the client, and answers
//! the token request with an ID token carrying the `nonce`.

use crate::support::registration;
use aws_runas_idp_testkit::Replay;
use std::path::Path;

/// The replay of the forms cases.
fn replay() -> Replay {
    Replay::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp/forms"))
        .adapter(registration())
        .host("https://cas.example.test")
}

aws_runas_idp_testkit::replay_cases! {
    replay();
    shibboleth_login_then_a_consent_page_in_the_middle => "shibboleth-consent",
    shibboleth_login_form_back_with_its_error_banner_is_bad_credentials => "shibboleth-error-banner",
    simplesamlphp_behind_an_auto_post_hop_asks_the_user_name => "simplesamlphp-auto-post",
    german_login_with_a_german_consent_page => "german-login",
    german_login_form_back_with_its_banner_is_bad_credentials => "german-login-failed",
    one_time_code_refused_once_then_accepted => "cas-otp",
    three_refused_codes_are_mfa_rejected => "cas-otp-three-refused",
    code_given_up_front_answers_the_code_page => "cas-otp-code-up-front",
    code_given_up_front_refused_then_the_next_is_asked => "cas-otp-code-up-front-refused",
    code_page_with_mfa_type_none_is_a_configuration_error => "cas-otp-mfa-type-none",
    no_terminal_for_the_code_is_a_prompt_error => "cas-otp-no-terminal",
    unusual_field_names_with_the_override_keys => "unusual-field-names",
    unusual_field_names_guessed_wrong_are_bad_credentials => "unusual-field-names-guessed",
    override_naming_no_input_is_a_configuration_error => "unusual-field-names-no-such-input",
    oidc_cas_refused_code_then_consent => "cas-oidc",
    oidc_cas_wrong_password_is_bad_credentials => "cas-oidc-wrong-password",
    oidc_cas_code_page_with_mfa_type_none_is_a_configuration_error => "cas-oidc-mfa-type-none",
}
