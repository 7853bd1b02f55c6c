//! One end-to-end run per vendor adapter: one of the adapter's own recorded conversations
//! (`fixtures/idp/<adapter>/<case>/`) replayed on 127.0.0.1 by the testkit's `Replay`, with a real
//! SAML response swapped in, then AssumeRoleWithSAML on moto, credentials printed.

use crate::support::{Lab, exports, runas};
use aws_runas_idp_testkit::{Replay, SamlResponseBuilder, SamlRole, Served};
use aws_runas_tests::{Moto, TestEnv, unique_name};
use std::path::PathBuf;

/// The replay of an adapter's cases, with the hosts its pages are written for pointing at the
/// mock server (as the adapter's own fixture test has them).
fn replay(adapter: &str) -> Replay {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("fixtures/idp")
        .join(adapter);
    let hosts: &[&str] = match adapter {
        "adfs" => &["https://adfs.example.test"],
        "azuread" => &[
            "https://myapps.microsoft.com",
            "https://login.microsoftonline.com",
            "https://account.activedirectory.windowsazure.com",
            "https://adfs.example.test",
            "https://sso.example.test",
        ],
        // Azure AD federating to AD FS: the azuread hosts (the federation server among them).
        "azuread-adfs" => &[
            "https://myapps.microsoft.com",
            "https://login.microsoftonline.com",
            "https://account.activedirectory.windowsazure.com",
            "https://adfs.example.test",
        ],
        "okta" => &[
            "https://example.okta.com",
            "https://api-fake0001.duosecurity.com",
        ],
        "onelogin" => &["https://example.onelogin.com"],
        "forgerock" => &["https://am.example.test"],
        other => panic!("no replay for {other}"),
    };
    hosts
        .iter()
        .fold(Replay::new(dir), |replay, host| replay.host(host))
}

/// A SAML provider and a role trusting it, in moto; the assertion granting that role.
fn saml_role() -> (Lab, String, String) {
    let moto = Moto::shared();
    let metadata = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test"><!-- {} --></md:EntityDescriptor>"#,
        "padding ".repeat(130)
    );
    let out = moto
        .query(
            "iam",
            "CreateSAMLProvider",
            &[
                ("Name", &unique_name("vendor")),
                ("SAMLMetadataDocument", &metadata),
            ],
        )
        .unwrap();
    let provider = out
        .split("<SAMLProviderArn>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithSAML"}}]}}"#
    );
    let role = moto.create_role("vendor", &trust);
    let saml = SamlResponseBuilder::new(crate::support::now())
        .roles([SamlRole::new(role.clone(), provider)])
        .session_name(Some("jane.doe@example.test"))
        .base64();
    (Lab::new(), role, saml)
}

/// The profile `corp`: the served case's URL, user name and settings, `provider`, `role`.
fn config(served: &Served, provider: &str, role: &str) -> String {
    let mut config = format!(
        "[profile corp]\nsaml_auth_url = {}\nsaml_provider = {provider}\nrole_arn = {role}\n",
        served.url()
    );
    if let Some(user) = served.username() {
        config.push_str(&format!("saml_username = {user}\n"));
    }
    config
}

/// Replays `case` of `adapter` to `aws-runas -vv corp` and checks that credentials came back,
/// that the conversation went exactly as recorded, and that the password never reached a log.
fn assert_case_logs_in(adapter: &str, case: &str) {
    let (lab, role, saml) = saml_role();
    let served = replay(adapter).serve(case, Some(&saml));
    let password = served.password().expect("the case has a password");
    let env = TestEnv::new(&config(&served, adapter, &role), "");
    let run = runas(
        &env,
        lab.url(),
        &["-vv", "corp"],
        &[("SAML_PASSWORD", password)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        exports(&run.stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"),
        "{}",
        run.stdout
    );
    assert_eq!(lab.proxy.count("AssumeRoleWithSAML"), 1);
    assert!(
        !run.stderr.contains(password),
        "the password never reaches a log"
    );
    let out = exports(&run.stdout);
    crate::support::assert_no_secret_leaks(
        &run,
        &[
            password,
            &out["AWS_SECRET_ACCESS_KEY"],
            &out["AWS_SESSION_TOKEN"],
        ],
    );
    // The cookie file, the credential cache and their locks are the owner's alone.
    use std::os::unix::fs::PermissionsExt as _;
    let dir = env.config_file().parent().unwrap().to_path_buf();
    let mut private = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".aws_") && entry.file_type().unwrap().is_file() {
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name} is {mode:o}");
            private += 1;
        }
    }
    assert!(private > 0, "no cache or cookie file in {}", dir.display());
    served.assert_finished();
}

#[test]
fn adfs_forms_login_to_credentials() {
    assert_case_logs_in("adfs", "forms-login");
}

#[test]
fn azuread_managed_user_to_credentials() {
    assert_case_logs_in("azuread", "managed-kmsi");
}

/// A federated Azure AD user: the app's federation hands the sign-in to the real `adfs` adapter,
/// whose session reaches Azure AD in memory — the cookie file cannot be read or written (a
/// directory stands in its place), and the password given up front is handed on.
#[test]
fn azuread_federated_user_signs_in_at_adfs_with_no_cookie_file() {
    let (lab, role, saml) = saml_role();
    let served = replay("azuread-adfs").serve("federated-user", Some(&saml));
    let password = served.password().expect("the case has a password");
    let mut config = config(&served, "azuread", &role);
    for key in ["azuread_federated_username", "azuread_federation_provider"] {
        config.push_str(&format!("{key} = {}\n", served.setting(key).unwrap()));
    }
    let env = TestEnv::new(&config, "");
    // The cookie file goes beside the config file: a directory there makes it unusable.
    let jar = env
        .config_file()
        .parent()
        .unwrap()
        .join(".aws_runas.cookies");
    std::fs::create_dir_all(&jar).unwrap();
    let run = runas(
        &env,
        lab.url(),
        &["-vv", "corp"],
        &[("SAML_PASSWORD", password)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        exports(&run.stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIA"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("through adfs"),
        "the app's federation chose the adfs adapter: {}",
        run.stderr
    );
    assert_eq!(lab.proxy.count("AssumeRoleWithSAML"), 1);
    assert!(
        !run.stderr.contains(password),
        "the password never reaches a log"
    );
    served.assert_finished();
    assert!(jar.is_dir(), "no cookie file took the directory's place");
}

#[test]
fn okta_classic_user_to_credentials() {
    assert_case_logs_in("okta", "classic-success");
}

#[test]
fn onelogin_api_login_to_credentials() {
    assert_case_logs_in("onelogin", "saml-success");
}

#[test]
fn forgerock_rest_login_to_credentials() {
    assert_case_logs_in("forgerock", "saml-password");
}

#[test]
fn a_push_wait_tells_the_user_and_gives_up_at_the_bound() {
    let (lab, role, _) = saml_role();
    let served = replay("adfs").serve("push-timed-out", None);
    let password = served.password().unwrap();
    let env = TestEnv::new(&config(&served, "adfs", &role), "");
    let run = runas(
        &env,
        lab.url(),
        &["corp"],
        &[
            ("SAML_PASSWORD", password),
            ("RUNAS_MFA_WAIT_TIMEOUT", "1s"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("Waiting for you to"),
        "the user is told what the wait is for: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .contains("gave up after 1s"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "nothing but credentials on stdout");
    served.assert_finished();
    // The same bound from the profile key.
    let served = replay("adfs").serve("push-timed-out", None);
    env.write_config(&format!(
        "{}mfa_wait_timeout = 1s\n",
        config(&served, "adfs", &role)
    ));
    let run = runas(&env, lab.url(), &["corp"], &[("SAML_PASSWORD", password)]);
    assert!(run.stderr.contains("gave up after 1s"), "{}", run.stderr);
    served.assert_finished();
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_push_wait_ends_the_run_and_caches_nothing() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    let (lab, role, _) = saml_role();
    let served = replay("adfs").serve("push-timed-out", None);
    let env = TestEnv::new(&config(&served, "adfs", &role), "");
    // `setsid` (without --wait) detaches from any terminal and then becomes aws-runas itself
    // (it execs when it is not a process-group leader), so the signal reaches aws-runas.
    let mut child = std::process::Command::new("setsid")
        .args([crate::support::BIN, "corp"])
        .env_clear()
        .env("HOME", env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_CONFIG_FILE", env.config_file())
        .env("AWS_SHARED_CREDENTIALS_FILE", env.credentials_file())
        .env("AWS_ENDPOINT_URL", lab.url())
        .env("SAML_PASSWORD", served.password().unwrap())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 && !line.contains("Waiting for you to") {
        line.clear();
    }
    assert!(line.contains("Waiting for you to"), "the wait started");
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(2),
        "ended by the interrupt (a shell reports 130): {status:?}"
    );
    let cached: Vec<_> = std::fs::read_dir(env.home().join(".aws"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".aws_saml_role") && !n.ends_with(".lock"))
        .collect();
    assert!(cached.is_empty(), "no credentials cached: {cached:?}");
    assert_eq!(lab.proxy.count("AssumeRoleWithSAML"), 0);
}
