//! `aws-runas diagnose`, end to end: one line per finding, exit 1 on any error, each error naming
//! the profile, key or file at fault. STS (for the clock check) is moto behind the recording
//! proxy, or a stand-in that answers with a fixed `Date`.

use crate::support::{Lab, Run, runas};
use aws_runas_tests::{Moto, TestEnv, trust_policy};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;

fn setup(extra_config: &str) -> (Lab, TestEnv, String) {
    let moto = Moto::shared();
    let user = moto.create_user("diag");
    let role = moto.create_role("diag", &trust_policy(user.user_arn()));
    let config = format!(
        "[default]\nregion = eu-west-1\n[profile user]\n[profile admin]\nsource_profile = user\nrole_arn = {role}\n{extra_config}"
    );
    let credentials = format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret()
    );
    (
        Lab::new(),
        TestEnv::new(&config, &credentials),
        user.secret().to_string(),
    )
}

fn diagnose(lab: &Lab, env: &TestEnv, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut all = vec!["diagnose"];
    all.extend_from_slice(args);
    runas(env, lab.url(), &all, extra)
}

/// The finding lines of one check, e.g. `ERROR region: …`.
fn lines<'a>(run: &'a Run, check: &str) -> Vec<&'a str> {
    run.stdout
        .lines()
        .filter(|l| {
            l.split_whitespace().nth(1) == Some(&format!("{check}:"))
                || l.contains(&format!(" {check}: "))
        })
        .collect()
}

fn has(run: &Run, level: &str, check: &str, needle: &str) -> bool {
    lines(run, check)
        .iter()
        .any(|l| l.starts_with(level) && l.contains(needle))
}

#[test]
fn a_healthy_profile_passes_every_check() {
    let (lab, env, secret) = setup("");
    let run = diagnose(&lab, &env, &["admin"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("ERROR"), "{}", run.stdout);
    assert!(
        has(&run, "OK", "profile", "keys of profile `user`")
            && has(&run, "OK", "profile", "then role"),
        "{}",
        run.stdout
    );
    assert!(has(&run, "OK", "region", "eu-west-1"), "{}", run.stdout);
    assert!(has(&run, "OK", "files", "private"), "{}", run.stdout);
    assert!(has(&run, "OK", "clock", lab.url()), "{}", run.stdout);
    assert!(
        has(&run, "INFO", "endpoints", &format!("sts {}", lab.url())),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nPROFILE: admin\n"), "{}", run.stdout);
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret));
    assert_eq!(
        lab.proxy.count("AssumeRole"),
        0,
        "diagnose fetches no credentials"
    );
}

#[test]
fn broken_chains_name_the_profile_and_key() {
    let (lab, env, _) = setup(
        "[profile orphan]\nsource_profile = nosuch\nrole_arn = arn:aws:iam::123456789012:role/x\n\
         [profile a]\nsource_profile = b\nrole_arn = arn:aws:iam::123456789012:role/a\n\
         [profile b]\nsource_profile = a\nrole_arn = arn:aws:iam::123456789012:role/b\n",
    );
    let run = diagnose(&lab, &env, &["orphan"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(has(&run, "ERROR", "profile", "nosuch"), "{}", run.stdout);
    assert!(has(&run, "ERROR", "profile", "orphan"), "{}", run.stdout);
    let run = diagnose(&lab, &env, &["a"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = lines(&run, "profile").join("\n");
    assert!(line.starts_with("ERROR") && line.contains("`a`"), "{line}");
    assert!(line.to_lowercase().contains("loop"), "{line}");
    let run = diagnose(&lab, &env, &["missing"], &[]);
    assert!(has(&run, "ERROR", "profile", "`missing`"), "{}", run.stdout);
}

#[test]
fn a_profile_without_region_and_a_readable_credentials_file() {
    let (lab, env, _) = setup("");
    env.write_config(
        "[profile user]\n[profile both]\nsaml_auth_url = https://idp.example/saml\nweb_identity_auth_url = https://idp.example/oidc\nrole_arn = arn:aws:iam::123456789012:role/x\n",
    );
    std::fs::set_permissions(
        env.credentials_file(),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let run = diagnose(&lab, &env, &["user"], &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        has(&run, "ERROR", "region", "profile `user` has no region"),
        "{}",
        run.stdout
    );
    let file = env.credentials_file().display().to_string();
    assert!(has(&run, "ERROR", "files", &file), "{}", run.stdout);
    assert!(has(&run, "ERROR", "files", "mode 0644"), "{}", run.stdout);
    let run = diagnose(&lab, &env, &["both"], &[]);
    assert!(
        has(
            &run,
            "ERROR",
            "identity provider",
            "both saml_auth_url and web_identity_auth_url"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn no_profile_checks_default_with_a_warning() {
    let (lab, env, _) = setup("");
    let run = diagnose(&lab, &env, &[], &[]);
    assert!(
        has(&run, "WARN", "profile", "no profile given"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("PROFILE: default"), "{}", run.stdout);
}

/// An STS stand-in whose answers carry a `Date` from 1994.
fn stale_clock_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    url
}

#[test]
fn a_skewed_clock_is_an_error() {
    let (lab, env, _) = setup("");
    let sts = stale_clock_server();
    let run = diagnose(&lab, &env, &["admin"], &[("AWS_ENDPOINT_URL_STS", &sts)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(has(&run, "ERROR", "clock", "ahead of"), "{}", run.stdout);
    assert!(has(&run, "ERROR", "clock", "5 minutes"), "{}", run.stdout);
}
