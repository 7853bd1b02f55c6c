//! Prompt drivers end to end, with no terminal (the runs are under `setsid`): a fake `zenity`
//! on `PATH` answers the MFA question of an IAM user with MFA, against moto.

use crate::support::{Lab, assert_one_line_error, runas};
use aws_runas_tests::{AccessKey, Moto, TestEnv, trust_policy};
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
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
    fs::write(
        &program,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}/{name}.args'\nprintf '%s\\n' '{answer}'\nexit {status}\n",
            dir.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
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
