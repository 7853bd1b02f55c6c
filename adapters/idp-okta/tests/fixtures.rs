//! Okta's own exchanges, replayed: each directory of `fixtures/idp/okta/` holds the JSON answers
//! and pages of one login and a `case.json` saying, exchange by exchange, what the adapter must
//! send and what the mock Okta answers, then how the login must end (the testkit's `Replay` does
//! the rest).

use crate::{FIXTURE_HOSTS, fixture_dir, okta};
use aws_runas_idp_testkit::Replay;

/// The replay of Okta's cases: the mock stands in for Okta and Duo, and every answer carries
/// Okta's request id.
fn replay() -> Replay {
    FIXTURE_HOSTS
        .iter()
        .fold(Replay::new(fixture_dir()), |r, host| r.host(host))
        .adapter(okta())
        .header("X-Okta-Request-Id", "fake-request-0001")
}

aws_runas_idp_testkit::replay_cases! {
    replay();
    classic_success_keeps_the_link_query => "classic-success",
    classic_session_from_the_cookie_jar => "classic-session-from-jar",
    classic_mfa_required_with_several_factors => "classic-mfa-several-factors",
    classic_push_waiting_then_success => "classic-push-waiting-success",
    classic_push_with_number_challenge => "classic-push-number-challenge",
    classic_push_rejected => "classic-push-rejected",
    classic_push_timeout => "classic-push-timeout",
    classic_push_never_answered_hits_the_wait_bound => "classic-push-never-answered",
    classic_bad_totp_then_good => "classic-bad-totp-then-good",
    classic_three_bad_codes => "classic-three-bad-codes",
    classic_sms_code => "classic-sms",
    classic_locked_out => "classic-locked-out",
    classic_password_expired_needs_a_browser => "classic-password-expired",
    classic_unsupported_factors_are_listed => "classic-unsupported-factors",
    classic_push_wanted_but_only_codes => "classic-mfa-type-push-no-push",
    classic_duo_traditional_prompt => "classic-duo-traditional",
    classic_duo_universal_prompt_push => "classic-duo-universal-push",
    identity_engine_password_and_totp => "idx-password-totp",
    identity_engine_push_with_number_challenge => "idx-push-number-challenge",
    identity_engine_push_rejected => "idx-push-rejected",
    identity_engine_wrong_password => "idx-wrong-password",
    identity_engine_bad_code_then_good => "idx-bad-code-then-good",
    identity_engine_sign_in_page_without_state_token => "idx-no-state-token",
}
