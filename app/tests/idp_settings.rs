//! Where an identity provider's settings came from: an unknown or bad setting of the adapter is
//! reported on one line with the key and the profile and `config:<line>`, the environment
//! variable or the flag that set it. Every run fails at the adapter's settings, before any
//! network traffic (the keycloak adapter reads its settings with the shared `read_settings`).

use crate::support::{assert_one_line_error, runas};
use aws_runas_tests::TestEnv;

/// Nothing listens there, and nothing is sent: the login fails at its settings.
const NOWHERE: &str = "http://127.0.0.1:9";

/// `[default]` with `default_extra`, then the keycloak profile `corp` with `corp_extra`.
fn config(default_extra: &str, corp_extra: &str) -> String {
    format!(
        "[default]\nregion = eu-west-1\n{default_extra}\
         [profile corp]\n\
         saml_auth_url = {NOWHERE}/realms/corp/protocol/saml/clients/aws\n\
         saml_provider = keycloak\n\
         saml_username = alice\n\
         role_arn = arn:aws:iam::123456789012:role/admin\n\
         {corp_extra}"
    )
}

/// `config:<line>` of the line of `text` that starts with `key`.
fn line_of(text: &str, key: &str) -> String {
    let at = text
        .lines()
        .position(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("{key} is not in {text}"));
    format!("config:{}", at + 1)
}

#[test]
fn an_unknown_adapter_key_names_the_profile_and_the_line() {
    for (default_extra, corp_extra, profile) in [
        ("", "keycloak_otp_devise = phone\n", "profile `corp`"),
        ("keycloak_otp_devise = phone\n", "", "profile `default`"),
    ] {
        let text = config(default_extra, corp_extra);
        let env = TestEnv::new(&text, "");
        let run = runas(&env, NOWHERE, &["corp"], &[]);
        assert_one_line_error(
            &run,
            &[
                "unknown keycloak setting `keycloak_otp_devise`",
                profile,
                &line_of(&text, "keycloak_otp_devise"),
                "keycloak_otp_device",
            ],
        );
    }
}

/// Arguments, environment variables, and the origin the error must name.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn a_bad_login_value_names_the_variable_flag_or_line_that_set_it() {
    let text = config("", "");
    let env = TestEnv::new(&text, "");
    let cases: [Case<'_>; 3] = [
        (
            &["corp"],
            &[("MFA_TYPE", "sometimes")],
            "environment variable MFA_TYPE",
        ),
        (&["--mfa-type", "sometimes", "corp"], &[], "flag --mfa-type"),
        (
            &["-t", "sometimes", "corp"],
            &[("MFA_TYPE", "push")],
            "flag --mfa-type",
        ),
    ];
    for (args, vars, origin) in cases {
        let run = runas(&env, NOWHERE, args, vars);
        assert_one_line_error(
            &run,
            &["invalid keycloak setting `mfa_type`", "sometimes", origin],
        );
    }

    let run = runas(
        &env,
        NOWHERE,
        &["corp"],
        &[("RUNAS_MFA_WAIT_TIMEOUT", "soonish")],
    );
    assert_one_line_error(
        &run,
        &[
            "`mfa_wait_timeout`",
            "soonish",
            "environment variable RUNAS_MFA_WAIT_TIMEOUT",
        ],
    );

    let text = config("", "mfa_wait_timeout = forever\n");
    env.write_config(&text);
    let run = runas(&env, NOWHERE, &["corp"], &[]);
    assert_one_line_error(
        &run,
        &[
            "`mfa_wait_timeout`",
            "forever",
            "profile `corp`",
            &line_of(&text, "mfa_wait_timeout"),
        ],
    );
}
