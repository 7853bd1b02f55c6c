//! Runs small shell scripts as credential processes and checks what the runner makes of them.

use aws_runas_domain::ports::process::{CredentialProcess, ProcessError};
use aws_runas_domain::{Credentials, ProfileName, Secret, Timestamp};
use aws_runas_process::{
    ProcessRunner, ProcessSettings, RESOLVING_ENV, decode_resolving, encode_resolving,
};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

const SECRET: &str = "FAKEsecretKEYdoNOTuse0123456789abcdefXYZ";
const TOKEN: &str = "FAKEsessionTOKENdoNOTuse";

/// The test's own `PATH`, so the child finds `sh`, `printf` and `sleep`.
fn path() -> OsString {
    #[allow(clippy::disallowed_methods)] // Tests are a composition root: the child needs PATH.
    std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into())
}

fn settings(resolving: &[&str]) -> ProcessSettings {
    ProcessSettings::new(resolving.iter().map(|s| (*s).to_string()).collect())
        .environment([("PATH", path())])
}

fn profile() -> ProfileName {
    ProfileName::new("dev").unwrap()
}

fn run(settings: ProcessSettings, command: &str) -> Result<Credentials, ProcessError> {
    ProcessRunner::new(settings).run(&profile(), command)
}

/// Runs `command`, expects a failure and returns its message (after checking no secret leaks).
fn failure(settings: ProcessSettings, command: &str) -> String {
    let err = run(settings, command).expect_err(command);
    assert_eq!(err.profile, "dev");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN), "{shown}");
    err.message
}

/// A shell command printing `text` verbatim on stdout.
fn print(text: &str) -> String {
    format!("printf '%s' '{}'", text.replace('\'', r"'\''"))
}

fn json(fields: &str) -> String {
    format!(r#"{{"Version":1,"AccessKeyId":"ASIAFAKEKEY","SecretAccessKey":"{SECRET}"{fields}}}"#)
}

#[test]
fn reads_full_credentials() {
    let out = json(&format!(
        r#","SessionToken":"{TOKEN}","Expiration":"2024-05-01T13:00:00Z""#
    ));
    let creds = run(settings(&["dev"]), &print(&out)).unwrap();
    assert_eq!(creds.access_key_id(), "ASIAFAKEKEY");
    assert_eq!(creds.secret_access_key().expose(), SECRET);
    assert_eq!(creds.session_token().map(Secret::expose), Some(TOKEN));
    assert_eq!(
        creds.expiration(),
        Some(Timestamp::from_unix(1_714_568_400))
    );
}

#[test]
fn reads_long_term_credentials_without_token_or_expiration() {
    let creds = run(settings(&["dev"]), &format!("{} && echo", print(&json("")))).unwrap();
    assert_eq!(creds.secret_access_key().expose(), SECRET);
    assert!(creds.is_long_term());
    assert_eq!(creds.expiration(), None);
}

#[test]
fn passes_arguments_through_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("helper with space.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = 'a b' ] || exit 9\n{}\n",
            print(&json(""))
        ),
    )
    .unwrap();
    let command = format!("sh '{}' 'a b'", script.display());
    let creds = run(settings(&["dev"]), &command).unwrap();
    assert_eq!(creds.access_key_id(), "ASIAFAKEKEY");
}

#[test]
fn rejects_output_that_is_not_json() {
    let message = failure(
        settings(&["dev"]),
        &print(&format!("AccessKeyId=ASIA SecretAccessKey={SECRET}")),
    );
    assert_eq!(message, "output is not valid JSON (line 1, column 1)");
}

#[test]
fn rejects_version_two() {
    let out = json("").replace(r#""Version":1"#, r#""Version":2"#);
    let message = failure(settings(&["dev"]), &print(&out));
    assert_eq!(message, "output has unsupported `Version` 2 (expected 1)");
}

#[test]
fn rejects_output_without_the_secret() {
    let message = failure(
        settings(&["dev"]),
        &print(r#"{"Version":1,"AccessKeyId":"ASIAFAKEKEY"}"#),
    );
    assert_eq!(message, "output has no `SecretAccessKey`");
}

#[test]
fn reports_a_non_zero_exit_without_its_output() {
    let command = format!("{}; exit 3", print(&json("")));
    assert_eq!(
        failure(settings(&["dev"]), &command),
        "exited with status 3"
    );
}

#[test]
fn reports_a_kill_by_signal() {
    assert_eq!(
        failure(settings(&["dev"]), "kill -9 $$"),
        "killed by signal 9"
    );
}

#[test]
fn never_quotes_secrets_from_stdout() {
    let out = json(&format!(
        r#","SessionToken":"{TOKEN}","Expiration":"{SECRET}""#
    ));
    let cases = [
        print(&out),
        print(&out.replace(r#""Version":1"#, r#""Version":"1""#)),
        print(&out.replace(r#""Version":1"#, r#""Version":1,"AccessKeyId":{"x":1}"#)),
        print(&format!("{out}{SECRET}")),
        print(&out[..out.len() - 10]),
        format!("{}; exit 1", print(&out)),
    ];
    for command in cases {
        let message = failure(settings(&["dev"]), &command);
        assert!(!message.is_empty());
    }
}

#[test]
fn kills_a_command_that_outlives_the_timeout() {
    let settings = settings(&["dev"]).timeout(Duration::from_millis(200));
    assert_eq!(
        failure(settings, "exec sleep 30"),
        "timed out after 200ms and was killed"
    );
}

#[test]
fn a_grandchild_holding_stdout_open_still_times_out() {
    let settings = settings(&["dev"]).timeout(Duration::from_millis(300));
    let command = format!("sleep 5 & {}", print(&json("")));
    assert_eq!(
        failure(settings, &command),
        "timed out after 300ms and was killed"
    );
}

#[test]
fn reports_a_shell_that_cannot_start() {
    let empty = tempfile::tempdir().unwrap();
    let settings = ProcessSettings::new(vec![]).environment([("PATH", empty.path())]);
    let message = failure(settings, "true");
    assert!(message.starts_with("cannot start `sh`: "), "{message}");
}

fn read_marker(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("resolving")).unwrap()
}

#[test]
fn child_sees_the_resolving_list_with_its_own_profile() {
    let dir = tempfile::tempdir().unwrap();
    let outer = ["outer,with comma", "50%"];
    let command = format!(
        "printf '%s' \"${RESOLVING_ENV}\" > '{}' && {}",
        dir.path().join("resolving").display(),
        print(&json(""))
    );
    run(settings(&outer), &command).unwrap();
    let seen = read_marker(dir.path());
    let expected: Vec<String> = ["outer,with comma", "50%", "dev"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    assert_eq!(seen, encode_resolving(&expected));
    assert_eq!(seen, "outer%2Cwith comma,50%25,dev");
    assert_eq!(decode_resolving(&seen), expected);
}

#[test]
fn child_gets_only_the_given_environment() {
    let dir = tempfile::tempdir().unwrap();
    let command = format!(
        "env > '{}' && {}",
        dir.path().join("resolving").display(),
        print(&json(""))
    );
    let settings = settings(&["dev"]).environment([("PATH", path()), ("ONLY_THIS", "yes".into())]);
    run(settings, &command).unwrap();
    let env = read_marker(dir.path());
    let names: Vec<&str> = env.lines().filter_map(|l| l.split('=').next()).collect();
    assert!(
        names.contains(&"ONLY_THIS") && names.contains(&RESOLVING_ENV),
        "{env}"
    );
    assert!(
        !names.contains(&"HOME") && !names.contains(&"CARGO_MANIFEST_DIR"),
        "{env}"
    );
}
