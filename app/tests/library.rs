//! aws-runas as a library, against moto: the same cache and locks as the command line (one
//! refresh between them), the SDK's `ProvideCredentials` and its error taxonomy, a callback
//! prompter answering MFA, and the `whoami` example.

use crate::support::{Lab, runas};
use aws_credential_types::provider::ProvideCredentials as _;
use aws_credential_types::provider::error::CredentialsError;
use aws_runas::{CallbackPrompter, CredentialProvider, ErrorKind, Question, Secret};
use aws_runas_tests::{AccessKey, Moto, TestEnv, trust_policy};
use std::sync::{Arc, Mutex};

#[allow(dead_code, unreachable_pub)] // its `main` is for `cargo run --example whoami`
#[path = "../examples/whoami.rs"]
mod whoami_example;

struct Setup {
    lab: Lab,
    user: AccessKey,
    mfa: String,
    role: String,
    env: TestEnv,
}

fn setup(mfa: bool) -> Setup {
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("library");
    let serial = moto.create_virtual_mfa_device(user.user_name());
    let role = moto.create_role("library", &trust_policy(user.user_arn()));
    let mfa_line = if mfa {
        format!("mfa_serial = {serial}\n")
    } else {
        String::new()
    };
    let config = format!(
        "[default]\nregion = eu-west-1\n[profile user]\n{mfa_line}[profile admin]\nsource_profile = user\nrole_arn = {role}\n"
    );
    let credentials = format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret()
    );
    let env = TestEnv::new(&config, &credentials);
    Setup {
        lab,
        user,
        mfa: serial,
        role,
        env,
    }
}

/// A provider for `profile` in the setup's files, with only `HOME` from the environment.
fn builder(s: &Setup, profile: &str) -> aws_runas::Builder {
    CredentialProvider::builder(profile)
        .environment([("HOME", s.env.home().to_str().unwrap())])
        .config_file(s.env.config_file())
        .credentials_file(s.env.credentials_file())
        .endpoint_url(s.lab.url())
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn counts(lab: &Lab) -> (usize, usize) {
    (
        lab.proxy.count("GetSessionToken"),
        lab.proxy.count("AssumeRole"),
    )
}

#[test]
fn the_library_and_the_cli_share_the_cache_and_one_refresh() {
    let s = setup(false);
    let provider = builder(&s, "admin").build().unwrap();
    let ours = block_on(provider.credentials()).unwrap();
    assert!(ours.access_key_id().starts_with("ASIA"));
    assert_eq!(counts(&s.lab), (1, 1));

    // The CLI finds what the library cached: no STS call.
    let run = runas(&s.env, s.lab.url(), &["-O", "json", "admin"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(v["AccessKeyId"], ours.access_key_id());
    assert_eq!(counts(&s.lab), (1, 1));

    // The SDK's trait gives the same credentials, named after us.
    let sdk = block_on(provider.provide_credentials()).unwrap();
    assert_eq!(sdk.access_key_id(), ours.access_key_id());
    assert_eq!(sdk.secret_access_key(), ours.secret_access_key().expose());
    assert!(format!("{sdk:?}").contains("aws-runas"), "{sdk:?}");
    assert!(sdk.expiry().is_some());

    // Cold cache, CLI processes and library threads at once: still one refresh.
    provider.forget().unwrap();
    for entry in std::fs::read_dir(s.env.home().join(".aws")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".aws_session_token") {
            std::fs::remove_file(path).unwrap();
        }
    }
    s.lab.proxy.clear();
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = s.env.command(crate::support::BIN, s.lab.url());
            cmd.args(["-O", "json", "admin"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let p = provider.clone();
            std::thread::spawn(move || block_on(p.credentials()).unwrap())
        })
        .collect();
    let keys: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().access_key_id().to_string())
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["AccessKeyId"], keys[0].as_str());
    }
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(counts(&s.lab), (1, 1), "one refresh for seven callers");
}

#[test]
fn a_callback_prompter_answers_the_mfa_question() {
    let s = setup(true);
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&asked);
    let prompter = CallbackPrompter::new(move |q| match q {
        Question::MfaCode { serial, .. } => {
            log.lock().unwrap().push(serial.to_string());
            Some(Secret::new("246810"))
        }
        _ => None,
    });
    let provider = builder(&s, "admin")
        .prompter(Arc::new(prompter))
        .duration(std::time::Duration::from_secs(1800))
        .build()
        .unwrap();
    let creds = block_on(provider.credentials()).unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(*asked.lock().unwrap(), std::slice::from_ref(&s.mfa));
    let gst = s
        .lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("GetSessionToken"))
        .unwrap();
    assert_eq!(gst.param("TokenCode").as_deref(), Some("246810"));
    let ar = s
        .lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRole"))
        .unwrap();
    assert_eq!(ar.param("RoleArn").as_deref(), Some(s.role.as_str()));
    assert_eq!(ar.param("DurationSeconds").as_deref(), Some("1800"));
}

#[test]
fn errors_map_onto_the_sdk_taxonomy() {
    let s = setup(true);
    // A profile that does not exist is not ours to serve.
    let provider = builder(&s, "ghost").build().unwrap();
    let e = block_on(provider.credentials()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotLoaded);
    assert!(e.to_string().contains("`ghost`"), "{e}");
    let sdk = block_on(provider.provide_credentials()).unwrap_err();
    assert!(
        matches!(sdk, CredentialsError::CredentialsNotLoaded(_)),
        "{sdk:?}"
    );
    let source = std::error::Error::source(&sdk).unwrap().to_string();
    assert!(source.contains("profile `ghost` not found"), "{source}");

    // A profile that cannot be planned is invalid configuration.
    s.env.write_config(&format!(
        "[profile user]\n[profile admin]\nsource_profile = user\nrole_arn = not-an-arn\n[profile loop]\nsource_profile = loop2\nrole_arn = {}\n[profile loop2]\nsource_profile = loop\nrole_arn = {}\n",
        s.role, s.role
    ));
    let provider = builder(&s, "loop").build().unwrap();
    let sdk = block_on(provider.provide_credentials()).unwrap_err();
    assert!(
        matches!(sdk, CredentialsError::InvalidConfiguration(_)),
        "{sdk:?}"
    );

    // A cancelled MFA question is a provider error, and nothing is cached.
    s.env.write_config(&format!(
        "[profile user]\nmfa_serial = {}\n[profile admin]\nsource_profile = user\nrole_arn = {}\n",
        s.mfa, s.role
    ));
    let provider = builder(&s, "admin")
        .prompter(Arc::new(CallbackPrompter::new(|_| None)))
        .build()
        .unwrap();
    let e = block_on(provider.credentials()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Provider);
    assert!(e.to_string().contains("cancelled"), "{e}");
    let cached: Vec<String> = std::fs::read_dir(s.env.home().join(".aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".aws_") && !n.ends_with(".lock"))
        .collect();
    assert!(cached.is_empty(), "{cached:?}");

    // STS unreachable is a provider error naming the step.
    s.lab.proxy.set_down(true);
    let provider = builder(&s, "admin")
        .mfa_code(Secret::new("123456"))
        .build()
        .unwrap();
    let sdk = block_on(provider.provide_credentials()).unwrap_err();
    s.lab.proxy.set_down(false);
    assert!(
        matches!(
            sdk,
            CredentialsError::ProviderError(_) | CredentialsError::ProviderTimedOut(_)
        ),
        "{sdk:?}"
    );
    let _ = &s.user;
}

#[test]
fn the_whoami_example_lists_the_caller_identity() {
    let s = setup(false);
    let provider = builder(&s, "admin").build().unwrap();
    let line = block_on(whoami_example::whoami(
        provider,
        "eu-west-1",
        Some(Moto::shared().url()),
    ))
    .unwrap();
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields.len(), 3, "{line}");
    assert_eq!(fields[0], "123456789012");
    let role_name = s.role.rsplit('/').next().unwrap();
    assert!(
        fields[1].contains(&format!(":assumed-role/{role_name}/")),
        "{line}"
    );
}
