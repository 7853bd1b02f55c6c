//! AD FS's own pages, replayed: each directory of `fixtures/idp/adfs/` holds the pages of one
//! login and a `case.json` saying, exchange by exchange, what the adapter must send and what the
//! mock AD FS answers, then how the login must end (the testkit's `Replay` does the rest).

use crate::{adfs, fixture_dir};
use aws_runas_domain::ports::clock::FixedClock;
use aws_runas_domain::ports::idp::{IdpDeps, IdpSettings};
use aws_runas_domain::{Secret, Timestamp};
use aws_runas_idp_support::HttpClient;
use aws_runas_idp_testkit::{Replay, idle_http};
use std::sync::Arc;

/// The replay of AD FS's cases: the pages are written for `https://adfs.example.test`, and the
/// AWS and Azure AD endpoints they auto-post to point at the mock server too, so that an adapter
/// that posted a token onwards would be caught there rather than go out.
fn replay() -> Replay {
    Replay::new(fixture_dir())
        .adapter(adfs())
        .host(crate::FIXTURE_HOST)
        .host_at("https://signin.aws.amazon.com:443", "/fake-aws")
        .host_at("https://signin.amazonaws.cn:443", "/fake-aws-cn")
        .host_at("https://login.microsoftonline.com:443", "/fake-aad")
        .now(Timestamp::from_unix(1_795_521_600))
}

aws_runas_idp_testkit::replay_cases! {
    replay();
    forms_login_from_the_bare_host => "forms-login",
    otp_code_refused_then_accepted => "otp-page",
    bad_password_is_tried_once => "bad-password",
    locked_account_german_page => "locked-account",
    push_approved_with_number_matching => "push-approved",
    push_nobody_approves_gives_up_at_the_bound => "push-timed-out",
    push_denied_on_the_phone => "push-denied",
    sign_on_page_disabled_before_login => "sign-on-page-disabled",
    choice_of_methods_picks_azure_mfa => "choose-azure-mfa",
    session_answers_saml_at_once => "session-saml-at-once",
    authenticate_for_azure_ad_stops_before_posting => "authenticate-federated",
    windows_integrated_authentication_is_not_supported => "windows-integrated-auth",
    relying_party_of_aws_china => "relying-party-aws-china",
    paginated_sign_in_of_ad_fs_2019 => "paginated-sign-in",
    ws_federation_relying_party_is_not_saml => "ws-federation-relying-party",
}

/// What Azure AD relies on for a federated user: the AD FS session that `authenticate` leaves
/// behind is in the jar of the caller's login (`IdpDeps::session`), with no cookie file at all.
#[tokio::test]
async fn authenticate_leaves_the_session_in_the_callers_jar() {
    let served = replay().serve("authenticate-federated", None);
    let deps = IdpDeps::new(
        Arc::new(served.prompter()),
        Arc::new(FixedClock(Timestamp::from_unix(1_795_521_600))),
        idle_http(),
    );
    let settings = IdpSettings::from_pairs([
        (IdpSettings::URL, served.url()),
        (IdpSettings::USERNAME, served.username().unwrap()),
    ])
    .with_secrets(served.password().map(Secret::new), None);
    let caller = HttpClient::from_deps(&deps);
    let adfs_path = served.server().url("/adfs/ls/");
    assert!(caller.cookie_names(&adfs_path).is_empty());

    adfs()
        .build(&settings, deps)
        .unwrap()
        .authenticate()
        .await
        .unwrap();
    served.assert_finished();
    let names = caller.cookie_names(&adfs_path);
    for cookie in ["MSISAuth", "MSISAuthenticated"] {
        assert!(names.iter().any(|n| n == cookie), "{cookie} in {names:?}");
    }
}
