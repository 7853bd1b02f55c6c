//! Prompt drivers end to end, with no terminal (the runs are under `setsid`): a fake `zenity`
//! on `PATH` answers the MFA question of an IAM user with MFA, against moto.

use crate::support::{Lab, assert_one_line_error, runas};
use aws_runas_tests::{AccessKey, Moto, TestEnv, trust_policy};
use std::fs;
use std::path::Path;

struct Setup {
    lab: Lab,
    mfa: String,
    env: TestEnv,
    _user: AccessKey,
}

fn setup() -> Setup {
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("prompts");
    let mfa = moto.create_virtual_mfa_device(user.user_name());
    let role = moto.create_role("prompts", &trust_policy(user.user_arn()));
    let config = format!(
        "[default]\nregion = eu-west-1\n[profile user]\nmfa_serial = {mfa}\n[profile admin]\nsource_profile = user\nrole_arn = {role}\n"
    );
    let credentials = format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret()
    );
    let env = TestEnv::new(&config, &credentials);
    Setup {
        lab,
        mfa,
        env,
        _user: user,
    }
}

/// Writes a fake `name` into `dir` that records its arguments in `dir/<name>.args`, prints
/// `answer` and exits with `status`; returns a `PATH` with `dir` first.
fn fake(dir: &Path, name: &str, answer: &str, status: i32) -> String {
    let program = dir.join(name);
    aws_runas_tests::write_program(
        &program,
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}/{name}.args'\nprintf '%s\\n' '{answer}'\nexit {status}\n",
            dir.display()
        ),
    );
    #[allow(clippy::disallowed_methods)] // the child needs sh, printf and setsid
    let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_string());
    format!("{}:{path}", dir.display())
}

fn recorded(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(format!("{name}.args"))).unwrap_or_default()
}

fn cached_files(env: &TestEnv) -> Vec<String> {
    fs::read_dir(env.home().join(".aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".aws_") && !n.ends_with(".lock"))
        .collect()
}

#[test]
fn runas_prompt_zenity_answers_the_mfa_question_without_a_terminal() {
    let s = setup();
    let bin = tempfile::tempdir().unwrap();
    let path = fake(bin.path(), "zenity", "135791", 0);
    let run = runas(
        &s.env,
        s.lab.url(),
        &["-O", "json", "admin"],
        &[("RUNAS_PROMPT", "zenity"), ("PATH", &path)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let gst = s
        .lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("GetSessionToken"))
        .unwrap();
    assert_eq!(gst.param("TokenCode").as_deref(), Some("135791"));
    let args = recorded(bin.path(), "zenity");
    assert!(args.contains("--entry\n"), "{args}");
    assert!(
        args.contains(&format!("--text=MFA code for {}\n", s.mfa)),
        "{args}"
    );
    assert!(!args.contains("135791"), "the answer is never an argument");
}

#[test]
fn auto_uses_a_dialog_when_there_is_a_display_and_no_terminal() {
    let s = setup();
    let bin = tempfile::tempdir().unwrap();
    let path = fake(bin.path(), "zenity", "864200", 0);
    let run = runas(
        &s.env,
        s.lab.url(),
        &["--prompt", "auto", "-O", "json", "admin"],
        &[("PATH", &path), ("DISPLAY", ":99")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(recorded(bin.path(), "zenity").contains("--entry"));
    // Without a display, auto keeps to the terminal, and with none it fails fast as before.
    let bin = tempfile::tempdir().unwrap();
    let path = fake(bin.path(), "zenity", "864200", 0);
    let s = setup();
    let run = runas(&s.env, s.lab.url(), &["admin"], &[("PATH", &path)]);
    assert_one_line_error(&run, &["no terminal", &s.mfa]);
    assert_eq!(recorded(bin.path(), "zenity"), "");
}

#[test]
fn a_cancelled_dialog_is_a_clear_error_and_caches_nothing() {
    let s = setup();
    let bin = tempfile::tempdir().unwrap();
    let path = fake(bin.path(), "kdialog", "", 1);
    let run = runas(
        &s.env,
        s.lab.url(),
        &["admin"],
        &[("RUNAS_PROMPT", "kdialog"), ("PATH", &path)],
    );
    assert_one_line_error(&run, &["cancelled", &s.mfa]);
    assert_eq!(cached_files(&s.env), Vec::<String>::new());
    assert_eq!(s.lab.proxy.count("GetSessionToken"), 0);
}

#[test]
fn a_driver_that_is_not_installed_is_named_with_the_alternatives() {
    let s = setup();
    let empty = tempfile::tempdir().unwrap();
    let path = fake(empty.path(), "unrelated", "", 0);
    let run = runas(
        &s.env,
        s.lab.url(),
        &["--prompt", "kdialog", "admin"],
        &[("PATH", &path)],
    );
    assert_one_line_error(
        &run,
        &[
            "kdialog is not installed",
            "--prompt",
            "terminal, zenity, kdialog, osascript, wincred, ykman, auto",
        ],
    );
    s.env.write_config(&format!(
        "[profile user]\nmfa_serial = {}\nprompt = gtk\n[profile admin]\nsource_profile = user\nrole_arn = arn:aws:iam::123456789012:role/x\n",
        s.mfa
    ));
    let run = runas(&s.env, s.lab.url(), &["user"], &[]);
    assert_one_line_error(&run, &["\"gtk\"", "not a prompt driver", "profile"]);
}

#[test]
fn ykman_reads_the_code_from_the_key_named_by_ykman_oath_credential() {
    let s = setup();
    s.env.write_config(&format!(
        "[profile user]\nmfa_serial = {}\nprompt = ykman\nykman_oath_credential = AWS:ana\n",
        s.mfa
    ));
    let bin = tempfile::tempdir().unwrap();
    let path = fake(bin.path(), "ykman", "975310", 0);
    let run = runas(
        &s.env,
        s.lab.url(),
        &["-O", "json", "user"],
        &[("PATH", &path)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        recorded(bin.path(), "ykman"),
        "oath\naccounts\ncode\n-s\nAWS:ana\n"
    );
    assert!(
        run.stderr.contains("touch it if it blinks"),
        "with no terminal the touch request goes to stderr: {}",
        run.stderr
    );
    let gst = s
        .lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("GetSessionToken"))
        .unwrap();
    assert_eq!(gst.param("TokenCode").as_deref(), Some("975310"));
}

#[test]
fn notices_reach_a_dialog_user_as_notifications() {
    // A SAML login (the network-free mock adapter) granting two roles and no role_arn: the menu
    // is a notice, the choice a question; with zenity both reach the desktop.
    let moto = Moto::shared();
    let name = aws_runas_tests::unique_name("gui");
    let metadata = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.org"/>"#;
    let out = moto
        .query(
            "iam",
            "CreateSAMLProvider",
            &[("Name", &name), ("SAMLMetadataDocument", metadata)],
        )
        .unwrap();
    let provider = out
        .split("<SAMLProviderArn>")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap()
        .to_string();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithSAML"}}]}}"#
    );
    let roles = [
        moto.create_role("gui-a", &trust),
        moto.create_role("gui-b", &trust),
    ];
    let env = TestEnv::new(
        &format!(
            "[profile demo]\nsaml_auth_url = http://localhost/mock/saml\nmock_roles = {}, {}\nmock_provider = {provider}\n",
            roles[0], roles[1]
        ),
        "",
    );
    let lab = Lab::new();
    let bin = tempfile::tempdir().unwrap();
    let path = fake(bin.path(), "zenity", "2", 0);
    let run = runas(
        &env,
        lab.url(),
        &["-O", "json", "demo"],
        &[("RUNAS_PROMPT", "zenity"), ("PATH", &path)],
    );
    // moto answers AssumeRoleWithSAML with a 500 when the assertion grants several roles, so
    // the run's outcome is not checked: the dialogs and the role sent to STS are.
    assert!(
        !run.stderr.contains("prompt") && !run.stderr.contains("cancelled"),
        "{}",
        run.stderr
    );
    let args = recorded(bin.path(), "zenity");
    let notification = args
        .find("--notification\n")
        .unwrap_or_else(|| panic!("no notification: {args}"));
    let entry = args
        .find("--text=Role [1-2]\n")
        .unwrap_or_else(|| panic!("no question: {args}"));
    assert!(notification < entry, "the menu before the question: {args}");
    for role in &roles {
        assert!(args[notification..entry].contains(role.as_str()), "{args}");
    }
    let chosen = lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRoleWithSAML"))
        .and_then(|x| x.param("RoleArn"))
        .unwrap();
    let menu = &args[notification..entry];
    let second = menu
        .lines()
        .find(|l| l.trim_start().starts_with("2) "))
        .unwrap()
        .trim_start()
        .trim_start_matches("2) ");
    assert_eq!(
        chosen, second,
        "the answer picked the second role of the menu"
    );
}
