//! Azure AD's own pages, replayed: each directory of `fixtures/idp/azuread/` holds the pages and
//! JSON answers of one login and a `case.json` saying, exchange by exchange, what the adapter must
//! send and what the mock Azure AD (and My Apps, and the federation server) answers, then how the
//! login must end (the testkit's `Replay` does the rest).
//!
//! The adapter is built as the app builds it, with a federation in its deps: the test one, which
//! signs federated users in with `fake-adfs`.

use crate::fake_adfs::AZUREAD_WITH_FEDERATION;
use crate::{FIXTURE_HOSTS, fixture_dir};
use aws_runas_domain::Timestamp;
use aws_runas_idp_testkit::Replay;

/// The replay of Azure AD's cases: the mock stands in for every host the pages name, and every
/// answer carries Azure AD's request id.
pub(crate) fn replay() -> Replay {
    FIXTURE_HOSTS
        .iter()
        .fold(Replay::new(fixture_dir()), |r, host| r.host(host))
        .host("https://sso.example.test")
        .adapter(&AZUREAD_WITH_FEDERATION)
        .header("x-ms-request-id", "00000000-fake-req-0001")
        .now(Timestamp::from_unix(1_795_514_400))
}

aws_runas_idp_testkit::replay_cases! {
    replay();
    managed_user_with_keep_me_signed_in => "managed-kmsi",
    managed_user_without_keep_me_signed_in => "managed-no-kmsi",
    federated_user_through_the_adapter_the_federation_finds => "federated-adfs",
    federated_user_whose_server_no_adapter_knows => "federated-unknown-server",
    federated_session_in_memory_without_a_jar_file => "federated-no-jar-file",
    push_with_number_matching => "push-number-matching",
    push_denied_in_the_app => "push-denied",
    push_never_approved_gives_up_at_the_bound => "push-timeout",
    authenticator_code_refused_then_accepted => "otp",
    text_message_code => "sms",
    unsupported_second_factors_are_listed => "unsupported-factor",
    bad_password_is_not_retried => "bad-password",
    locked_account => "locked-account",
    disabled_account_error_page => "disabled-account",
    session_from_the_cookie_jar => "session-from-jar",
}
