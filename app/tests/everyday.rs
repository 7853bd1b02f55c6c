//! The everyday CLI, end to end: the argument grammar, running commands, `-s`, `-w`, `-c`,
//! `list mfa` and `list roles`, against moto.

use crate::support::{Lab, exports, runas};
use aws_runas_tests::{AccessKey, Moto, TestEnv, trust_policy, unique_name};

struct Setup {
    lab: Lab,
    user: AccessKey,
    mfa: String,
    role: String,
    env: TestEnv,
}

fn setup(extra_config: &str, extra_credentials: &str) -> Setup {
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("everyday");
    let mfa = moto.create_virtual_mfa_device(user.user_name());
    let role = moto.create_role("everyday", &trust_policy(user.user_arn()));
    let config = format!(
        "[default]\nregion = us-east-2\n[profile user]\nmfa_serial = {mfa}\n[profile admin]\nsource_profile = user\nrole_arn = {role}\n{extra_config}"
    );
    let credentials = format!(
        "{extra_credentials}[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret()
    );
    let env = TestEnv::new(&config, &credentials);
    Setup {
        lab,
        user,
        mfa,
        role,
        env,
    }
}

const CODE: (&str, &str) = ("MFA_CODE", "123456");

#[test]
fn words_after_the_profile_belong_to_the_command() {
    let s = setup("", "");
    let script = "printf '%s|' \"$@\"";
    let run = runas(
        &s.env,
        s.lab.url(),
        &[
            "admin",
            "sh",
            "-c",
            script,
            "x",
            "-r",
            "--region",
            "eu-west-1",
            "--",
        ],
        &[CODE],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "-r|--region|eu-west-1|--|");
    // A leading `--` before the command is dropped.
    let run = runas(
        &s.env,
        s.lab.url(),
        &["admin", "--", "sh", "-c", "echo ran"],
        &[],
    );
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "ran\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_command_inherits_the_whole_environment() {
    // aws-runas reads only the variables it knows; the command still gets every one of them.
    let s = setup("", "");
    let run = runas(
        &s.env,
        s.lab.url(),
        &[
            "admin",
            "sh",
            "-c",
            "echo \"$AWS_RUNAS_TEST_UNREAD|$MFA_CODE\"",
        ],
        &[CODE, ("AWS_RUNAS_TEST_UNREAD", "kept")],
    );
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "kept|123456\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_profile_comes_from_aws_profile_when_the_first_word_is_not_one() {
    let s = setup(
        "[profile other]\nsource_profile = user\nrole_arn = arn:aws:iam::123456789012:role/other\n",
        "",
    );
    let run = runas(
        &s.env,
        s.lab.url(),
        &["sh", "-c", "echo $AWSRUNAS_PROFILE"],
        &[CODE, ("AWS_PROFILE", "admin")],
    );
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "admin\n"),
        "{}",
        run.stderr
    );
    // A word naming a profile is the profile, even with AWS_PROFILE set (the original ran a command `other`).
    let run = runas(
        &s.env,
        s.lab.url(),
        &["other", "sh", "-c", "echo $AWSRUNAS_PROFILE"],
        &[CODE, ("AWS_PROFILE", "admin")],
    );
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "other\n"),
        "{}",
        run.stderr
    );
    // Printing with the profile from the environment.
    let run = runas(
        &s.env,
        s.lab.url(),
        &[],
        &[("AWS_DEFAULT_PROFILE", "admin")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(exports(&run.stdout)["AWSRUNAS_PROFILE"], "admin");
}

#[cfg(unix)]
#[test]
fn a_command_killed_by_a_signal_is_reported_as_128_plus_n() {
    use std::os::unix::process::ExitStatusExt;
    let s = setup("", "");
    let mut cmd = s.env.command(crate::support::BIN, s.lab.url());
    cmd.args(["-v", "admin", "sh", "-c", "kill -TERM $$"])
        .env(CODE.0, CODE.1);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // aws-runas saw the signal and exits 128 + n (rather than being killed itself).
    assert_eq!(
        out.status.code(),
        Some(128 + 15),
        "{:?}: {stderr}",
        out.status
    );
    assert_eq!(out.status.signal(), None);
    assert!(stderr.contains("killed by signal 15"), "{stderr}");
}

#[test]
fn an_alias_known_only_to_the_users_shell_runs_through_it() {
    let s = setup("", "");
    std::fs::write(
        s.env.home().join(".bashrc"),
        "alias hello-alias='echo hello from the alias'\n",
    )
    .unwrap();
    let run = runas(
        &s.env,
        s.lab.url(),
        &["admin", "hello-alias", "and args"],
        &[CODE, ("SHELL", "/bin/bash")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim_end(), "hello from the alias and args");
}

#[test]
fn session_flag_gives_the_mfa_session_and_no_role() {
    let s = setup("", "");
    let run = runas(&s.env, s.lab.url(), &["-s", "admin"], &[CODE]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        (
            s.lab.proxy.count("GetSessionToken"),
            s.lab.proxy.count("AssumeRole")
        ),
        (1, 0)
    );
    let session_key = exports(&run.stdout)["AWS_ACCESS_KEY_ID"].clone();
    // The role path then reuses that MFA session: no second GetSessionToken, no code needed.
    let role = runas(&s.env, s.lab.url(), &["admin"], &[]);
    assert_eq!(role.code, 0, "{}", role.stderr);
    assert_eq!(
        (
            s.lab.proxy.count("GetSessionToken"),
            s.lab.proxy.count("AssumeRole")
        ),
        (1, 1)
    );
    assert_ne!(exports(&role.stdout)["AWS_ACCESS_KEY_ID"], session_key);
    let env_var = runas(
        &s.env,
        s.lab.url(),
        &["admin"],
        &[("RUNAS_SESSION_CREDENTIALS", "T")],
    );
    assert_eq!(exports(&env_var.stdout)["AWS_ACCESS_KEY_ID"], session_key);
}

#[test]
fn whoami_prints_the_caller_identity_on_stderr() {
    let s = setup("", "");
    let run = runas(&s.env, s.lab.url(), &["-w", "admin"], &[CODE]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("Account:123456789012")
            && run
                .stderr
                .contains("Arn:arn:aws:sts::123456789012:assumed-role/"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("UserId"), "identity goes to stderr");
}

#[test]
fn write_credentials_replaces_only_its_own_section() {
    use std::os::unix::fs::PermissionsExt;
    let before = "# my keys, do not touch\n[pre-existing]\naws_access_key_id = AKIAKEEPME\n\n; trailing comment\n";
    let s = setup("", before);
    // Through a symlink: the real file is updated and the link kept.
    let real = s.env.home().join("real-credentials");
    std::fs::rename(s.env.credentials_file(), &real).unwrap();
    std::os::unix::fs::symlink(&real, s.env.credentials_file()).unwrap();
    for _ in 0..2 {
        let run = runas(&s.env, s.lab.url(), &["-c", "-O", "json", "admin"], &[CODE]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stderr.contains("admin-awsrunas"), "{}", run.stderr);
    }
    let run = runas(
        &s.env,
        s.lab.url(),
        &["admin"],
        &[("RUNAS_WRITE_CREDENTIALS", "true")],
    );
    let key = exports(&run.stdout)["AWS_ACCESS_KEY_ID"].clone();
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(
        text.starts_with(before),
        "the other sections, comments and order are kept byte for byte:\n{text}"
    );
    assert_eq!(text.matches("[admin-awsrunas]").count(), 1, "{text}");
    assert!(
        text.contains(&format!("aws_access_key_id = {key}")),
        "{text}"
    );
    assert!(text.contains("aws_session_token = "), "{text}");
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        std::fs::symlink_metadata(s.env.credentials_file())
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn list_mfa_and_roles_use_the_keys_without_an_mfa_prompt() {
    let s = setup("", "");
    let moto = Moto::shared();
    let allowed = [
        "arn:aws:iam::123456789012:role/zeta",
        "arn:aws:iam::123456789012:role/alpha",
    ];
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":["{}","arn:aws:iam::123456789012:role/wild*"]}}]}}"#,
        allowed[0]
    );
    moto.put_user_policy(s.user.user_name(), "assume-inline", &doc);
    let managed = moto.create_policy(
        "assume-managed",
        &format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":["sts:AssumeRole"],"Resource":"{}"}}}}"#, allowed[1]),
    );
    let group = unique_name("everyday-group");
    moto.query("iam", "CreateGroup", &[("GroupName", &group)])
        .unwrap();
    moto.query(
        "iam",
        "AddUserToGroup",
        &[("GroupName", &group), ("UserName", s.user.user_name())],
    )
    .unwrap();
    moto.query(
        "iam",
        "AttachGroupPolicy",
        &[("GroupName", &group), ("PolicyArn", &managed)],
    )
    .unwrap();

    for args in [
        &["list", "roles", "admin"][..],
        &["-l", "admin"][..],
        &["ls", "roles"][..],
    ] {
        let run = runas(&s.env, s.lab.url(), args, &[("AWS_PROFILE", "admin")]);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stdout,
            format!(
                "Available role ARNs for {}\n  {}\n  {}\n",
                s.user.user_name(),
                allowed[1],
                allowed[0]
            ),
            "{args:?}: sorted, wildcards left out"
        );
    }
    for args in [&["list", "mfa", "user"][..], &["-m", "admin"][..]] {
        let run = runas(&s.env, s.lab.url(), args, &[]);
        assert_eq!(
            (run.code, run.stdout.clone()),
            (0, format!("{}\n", s.mfa)),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        s.lab.proxy.count("GetSessionToken"),
        0,
        "no MFA session was needed"
    );
    assert!(
        s.lab
            .proxy
            .exchanges()
            .iter()
            .filter(|x| x.action() == Some("ListMFADevices"))
            .all(|x| x.param("UserName").as_deref() == Some(s.user.user_name()))
    );
    let _ = &s.role;
}
