//! Bad input: one line on stderr naming what is at fault, exit code 1, never a panic.

use crate::support::{BIN, Lab, assert_one_line_error, runas};
use aws_runas_tests::TestEnv;

const NO_STS: &str = "http://127.0.0.1:9"; // nothing listens there; these runs must not need STS

fn env(config: &str, credentials: &str) -> TestEnv {
    TestEnv::new(config, credentials)
}

const KEYS: &str =
    "[user]\naws_access_key_id = AKIDTESTUSER\naws_secret_access_key = test-secret-not-real\n";

#[test]
fn missing_profile() {
    let e = env("[profile other]\nregion = us-east-1\n", "");
    assert_one_line_error(
        &runas(&e, NO_STS, &["nope"], &[]),
        &["profile `nope` not found"],
    );
}

#[test]
fn source_profile_naming_a_missing_profile() {
    let e = env(
        "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = ghost\n",
        "",
    );
    assert_one_line_error(
        &runas(&e, NO_STS, &["r"], &[]),
        &["source profile `ghost`", "profile `r`"],
    );
}

#[test]
fn a_source_profile_loop() {
    let e = env(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\
         [profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n",
        "",
    );
    assert_one_line_error(
        &runas(&e, NO_STS, &["a"], &[]),
        &["infinite loop", "a -> b -> a"],
    );
}

#[test]
fn durations_in_days_are_rejected_from_flag_and_env() {
    let e = env(
        "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = user\n",
        KEYS,
    );
    assert_one_line_error(
        &runas(&e, NO_STS, &["-a", "7d", "r"], &[]),
        &["\"7d\"", "credentials_duration", "--role-duration"],
    );
    assert_one_line_error(
        &runas(&e, NO_STS, &["r"], &[("CREDENTIALS_DURATION", "7d")]),
        &["\"7d\"", "environment variable CREDENTIALS_DURATION"],
    );
}

#[test]
fn a_malformed_config_line_names_file_and_line() {
    let e = env(
        "[profile ok]\nregion = us-east-1\nthis line has no equals sign\n",
        "",
    );
    let run = runas(&e, NO_STS, &["ok"], &[]);
    assert_one_line_error(&run, &["config:3:"]);
    assert!(
        run.stderr.contains(&e.config_file().display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn mfa_needed_with_no_terminal_and_no_code() {
    let e = env(
        "[profile user]\nmfa_serial = arn:aws:iam::123456789012:mfa/test\n",
        KEYS,
    );
    assert_one_line_error(
        &runas(&e, NO_STS, &["user"], &[]),
        &["arn:aws:iam::123456789012:mfa/test", "no terminal", "-o"],
    );
}

#[test]
fn an_sso_profile_names_profile_and_keys() {
    let e = env(
        "[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
        "",
    );
    assert_one_line_error(
        &runas(&e, NO_STS, &["corp"], &[]),
        &[
            "profile `corp`",
            "sso-session `corp`",
            "aws-runas sso login corp",
        ],
    );
}

#[test]
fn flag_errors_are_one_line_too() {
    let e = env("", "");
    assert_one_line_error(&runas(&e, NO_STS, &["--bogus", "p"], &[]), &["--bogus"]);
    assert_one_line_error(&runas(&e, NO_STS, &["-O", "yaml", "p"], &[]), &["yaml"]);
}

#[test]
fn nothing_to_do_prints_usage() {
    let e = env("", "");
    let run = runas(&e, NO_STS, &[], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].starts_with("Usage: aws-runas [global options]"),
        "{}",
        run.stderr
    );
    assert!(
        lines.last().unwrap().contains("nothing to do"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_boolean_environment_values_are_named() {
    let e = env("[profile user]\n", KEYS);
    assert_one_line_error(
        &runas(
            &e,
            NO_STS,
            &["user"],
            &[("RUNAS_SESSION_CREDENTIALS", "yes")],
        ),
        &["\"yes\"", "RUNAS_SESSION_CREDENTIALS"],
    );
}

#[test]
fn list_commands_reject_a_role_arn() {
    let e = env("", "");
    assert_one_line_error(
        &runas(
            &e,
            NO_STS,
            &["list", "roles", "arn:aws:iam::123456789012:role/x"],
            &[],
        ),
        &["looks like an ARN"],
    );
    assert_one_line_error(
        &runas(&e, NO_STS, &["-m", "arn:aws:iam::123456789012:role/x"], &[]),
        &["looks like an ARN"],
    );
}

#[test]
fn a_command_that_exists_nowhere() {
    let e = env("[profile user]\n[default]\n", KEYS);
    let lab = Lab::new();
    let run = runas(&e, lab.url(), &["user", "no-such-command-anywhere"], &[]);
    // A shell's code for a command not found, with the usual one-line error.
    assert_eq!(run.code, 127, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("command not found: no-such-command-anywhere"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_and_version_exit_zero() {
    let help = std::process::Command::new(BIN)
        .arg("--help")
        .env_clear()
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(
        text.contains("Usage: aws-runas [global options] [subcommand] profile [arguments...]"),
        "{text}"
    );
    let version = std::process::Command::new(BIN)
        .arg("-V")
        .env_clear()
        .output()
        .unwrap();
    assert!(version.status.success());
    assert!(
        String::from_utf8(version.stdout)
            .unwrap()
            .starts_with("aws-runas ")
    );
}

#[test]
fn sts_refusing_the_request_shows_its_message() {
    let lab = Lab::new();
    lab.proxy.set_unavailable(true);
    let e = env("[profile user]\n", KEYS);
    let run = runas(&e, lab.url(), &["user"], &[]);
    assert_one_line_error(&run, &["getting a session token", "ServiceUnavailable"]);
    assert!(lab.proxy.count("GetSessionToken") >= 1, "STS was asked");
}

#[test]
fn a_credential_process_calling_aws_runas_for_the_same_profile_fails_fast() {
    let e = env(
        &format!("[profile loop]\ncredential_process = {BIN} -O json loop\n"),
        "",
    );
    let run = runas(&e, NO_STS, &["loop"], &[]);
    // The command's own stderr reaches the user too: the inner aws-runas says why it refused.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].contains("profile `loop` is already being resolved"),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].contains("credential_process of profile `loop` failed: exited with status 1"),
        "{}",
        run.stderr
    );
}
