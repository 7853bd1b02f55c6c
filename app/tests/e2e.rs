//! End to end against moto's STS and IAM, through a proxy that counts STS actions.
//! Every run is at `-vv` and is checked for leaked secrets.

use crate::support::{Lab, Run, assert_no_secret_leaks, exports, runas};
use aws_runas_tests::{AccessKey, Moto, TestEnv, trust_policy};

/// moto returns these fixed GetSessionToken credentials; they are secrets all the same.
const MOTO_SESSION_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

struct Account {
    user: AccessKey,
    mfa: String,
    roles: Vec<String>,
}

fn account(role_count: usize) -> Account {
    let moto = Moto::shared();
    let user = moto.create_user("e2e");
    let mfa = moto.create_virtual_mfa_device(user.user_name());
    let roles = (0..role_count)
        .map(|i| moto.create_role(&format!("e2e-role{i}"), &trust_policy(user.user_arn())))
        .collect();
    Account { user, mfa, roles }
}

fn credentials_file(acct: &Account) -> String {
    format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        acct.user.id(),
        acct.user.secret()
    )
}

/// Runs at `-vv` and checks that no secret reaches a log or a non-payload line.
fn run_vv(env: &TestEnv, lab: &Lab, acct: &Account, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut all = vec!["-vv"];
    all.extend_from_slice(args);
    let run = runas(env, lab.url(), &all, extra);
    let payload = exports(&run.stdout);
    let mut secrets = vec![acct.user.secret(), MOTO_SESSION_SECRET, "123456"];
    let tokens: Vec<String> = lab
        .proxy
        .exchanges()
        .iter()
        .flat_map(|x| {
            let body = String::from_utf8_lossy(x.raw_response()).into_owned();
            ["SecretAccessKey", "SessionToken"]
                .into_iter()
                .filter_map(move |tag| {
                    Some(
                        body.split(&format!("<{tag}>"))
                            .nth(1)?
                            .split('<')
                            .next()?
                            .to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    secrets.extend(tokens.iter().map(String::as_str));
    if run.code == 0 {
        secrets.extend(payload.get("AWS_SECRET_ACCESS_KEY").map(String::as_str));
    }
    assert_no_secret_leaks(&run, &secrets);
    run
}

#[test]
fn iam_user_with_mfa_then_role_as_env_and_json() {
    let (lab, acct) = (Lab::new(), account(1));
    let config = format!(
        "[default]\nregion = eu-west-1\n[profile user]\nmfa_serial = {}\n[profile admin]\nsource_profile = user\nrole_arn = {}\n",
        acct.mfa, acct.roles[0]
    );
    let env = TestEnv::new(&config, &credentials_file(&acct));
    let run = run_vv(&env, &lab, &acct, &["-o", "123456", "admin"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let vars = exports(&run.stdout);
    assert!(
        vars["AWS_ACCESS_KEY_ID"].starts_with("ASIA"),
        "{}",
        run.stdout
    );
    assert_eq!(vars["AWS_REGION"], "eu-west-1");
    assert_eq!(vars["AWS_SESSION_TOKEN"], vars["AWS_SECURITY_TOKEN"]);
    assert_eq!(vars["AWSRUNAS_PROFILE"], "admin");
    assert!(
        run.stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("export AWSRUNAS_PROFILE=")
    );
    assert_eq!(
        (
            lab.proxy.count("GetSessionToken"),
            lab.proxy.count("AssumeRole")
        ),
        (1, 1)
    );
    let gst = lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("GetSessionToken"))
        .unwrap();
    assert_eq!(
        gst.param("SerialNumber").as_deref(),
        Some(acct.mfa.as_str())
    );
    assert_eq!(gst.param("TokenCode").as_deref(), Some("123456"));
    assert_eq!(gst.param("DurationSeconds").as_deref(), Some("43200"));
    let ar = lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRole"))
        .unwrap();
    assert_eq!(
        ar.param("SerialNumber"),
        None,
        "MFA was done once, in GetSessionToken"
    );
    assert_eq!(ar.param("RoleArn").as_deref(), Some(acct.roles[0].as_str()));
    // No role_session_name: it is derived from GetCallerIdentity on the session credentials
    // (moto answers that call with a fixed identity, whose last ARN segment we must send).
    let gci = lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("GetCallerIdentity"))
        .unwrap();
    let body = String::from_utf8_lossy(gci.raw_response()).into_owned();
    let arn = body
        .split("<Arn>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert_eq!(
        ar.param("RoleSessionName").as_deref(),
        arn.rsplit('/').next(),
        "derived from the caller identity"
    );
    assert!(
        run.stderr
            .contains("Detected expired or unset assume role credentials"),
        "{}",
        run.stderr
    );

    // JSON from the cache: same credentials, no STS call, no SDK client built.
    let json = run_vv(&env, &lab, &acct, &["-O", "json", "admin"], &[]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(
        (
            lab.proxy.count("GetSessionToken"),
            lab.proxy.count("AssumeRole")
        ),
        (1, 1)
    );
    assert!(
        !json.stderr.contains("cache miss"),
        "a cache hit builds no client: {}",
        json.stderr
    );
    let v: serde_json::Value = serde_json::from_str(json.stdout.trim()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(
        json.stdout.starts_with("{\"AccessKeyId\":\"ASIA"),
        "{}",
        json.stdout
    );
    assert_eq!(keys.len(), 5);
    assert_eq!(v["AccessKeyId"], vars["AWS_ACCESS_KEY_ID"].as_str());
    assert_eq!(v["SecretAccessKey"], vars["AWS_SECRET_ACCESS_KEY"].as_str());
    assert_eq!(v["Version"], 1);
    let exp = v["Expiration"].as_str().unwrap();
    assert!(exp.ends_with('Z') && exp.len() == 20, "{exp}");
    let order: Vec<usize> = [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Version",
        "Expiration",
    ]
    .iter()
    .map(|k| json.stdout.find(&format!("\"{k}\"")).unwrap())
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "AWS's key order: {}",
        json.stdout
    );

    // Cache files: mode 0600, the original names.
    use std::os::unix::fs::PermissionsExt;
    for name in [".aws_session_token_user", ".aws_assume_role_admin"] {
        let meta = std::fs::metadata(env.home().join(".aws").join(name)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
}

#[test]
fn a_chain_of_depth_three() {
    let (lab, acct) = (Lab::new(), account(3));
    let moto = Moto::shared();
    let _ = moto;
    let config = format!(
        "[profile user]\n\
         [profile one]\nsource_profile = user\nrole_arn = {}\n\
         [profile two]\nsource_profile = one\nrole_arn = {}\nexternal_id = second-hop\n\
         [profile three]\nsource_profile = two\nrole_arn = {}\nrole_session_name = third hop\n",
        acct.roles[0], acct.roles[1], acct.roles[2]
    );
    let env = TestEnv::new(&config, &credentials_file(&acct));
    let run = run_vv(&env, &lab, &acct, &["-O", "json", "three"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let assumed: Vec<(String, Option<String>, Option<String>)> = lab
        .proxy
        .exchanges()
        .into_iter()
        .filter(|x| x.action() == Some("AssumeRole"))
        .map(|x| {
            (
                x.param("RoleArn").unwrap(),
                x.param("ExternalId"),
                x.param("RoleSessionName"),
            )
        })
        .collect();
    assert_eq!(assumed.len(), 3, "{assumed:?}");
    assert_eq!(
        assumed.iter().map(|a| a.0.as_str()).collect::<Vec<_>>(),
        acct.roles.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(assumed[1].1.as_deref(), Some("second-hop"));
    assert_eq!(assumed[0].1, None);
    assert_eq!(
        assumed[2].2.as_deref(),
        Some("third-hop"),
        "sanitised session name"
    );
    assert_eq!(lab.proxy.count("GetSessionToken"), 1);
    let durations: Vec<String> = lab
        .proxy
        .exchanges()
        .into_iter()
        .filter(|x| x.action() == Some("AssumeRole"))
        .map(|x| x.param("DurationSeconds").unwrap())
        .collect();
    assert_eq!(durations, ["3600", "3600", "3600"]);
}

#[test]
fn served_from_cache_when_sts_is_gone_and_refresh_keeps_the_mfa_session() {
    let (lab, acct) = (Lab::new(), account(1));
    let config = format!(
        "[profile user]\nmfa_serial = {}\n[profile admin]\nsource_profile = user\nrole_arn = {}\n",
        acct.mfa, acct.roles[0]
    );
    let env = TestEnv::new(&config, &credentials_file(&acct));
    let first = run_vv(&env, &lab, &acct, &["admin"], &[("MFA_CODE", "123456")]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let seen = lab.proxy.exchanges().len();

    lab.proxy.set_down(true);
    let second = run_vv(&env, &lab, &acct, &["admin"], &[]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        second.stdout, first.stdout,
        "the same credentials, from the cache"
    );
    assert_eq!(lab.proxy.exchanges().len(), seen, "no request reached STS");
    lab.proxy.set_down(false);

    // -r: a new role key, no new GetSessionToken (and so no MFA code needed).
    let refreshed = run_vv(&env, &lab, &acct, &["-r", "admin"], &[]);
    assert_eq!(refreshed.code, 0, "{}", refreshed.stderr);
    assert_ne!(
        exports(&refreshed.stdout)["AWS_ACCESS_KEY_ID"],
        exports(&first.stdout)["AWS_ACCESS_KEY_ID"]
    );
    assert_eq!(
        (
            lab.proxy.count("GetSessionToken"),
            lab.proxy.count("AssumeRole")
        ),
        (1, 2)
    );
}

#[test]
fn a_corrupt_cache_file_is_a_miss_and_is_rewritten() {
    let (lab, acct) = (Lab::new(), account(1));
    let config = format!(
        "[profile user]\n[profile admin]\nsource_profile = user\nrole_arn = {}\n",
        acct.roles[0]
    );
    let env = TestEnv::new(&config, &credentials_file(&acct));
    let cache = env.home().join(".aws").join(".aws_assume_role_admin");
    std::fs::write(&cache, "{\"AccessKeyId\": \"ASIATRUNC").unwrap();
    let run = run_vv(&env, &lab, &acct, &["admin"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&cache).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).expect("rewritten as valid JSON");
    assert_eq!(
        v["AccessKeyId"].as_str(),
        Some(exports(&run.stdout)["AWS_ACCESS_KEY_ID"].as_str())
    );
}

#[test]
fn an_edited_profile_is_a_cache_miss() {
    let (lab, acct) = (Lab::new(), account(2));
    let config = |role: &str| {
        format!("[profile user]\n[profile admin]\nsource_profile = user\nrole_arn = {role}\n")
    };
    let env = TestEnv::new(&config(&acct.roles[0]), &credentials_file(&acct));
    assert_eq!(run_vv(&env, &lab, &acct, &["admin"], &[]).code, 0);
    env.write_config(&config(&acct.roles[1]));
    assert_eq!(run_vv(&env, &lab, &acct, &["admin"], &[]).code, 0);
    let roles: Vec<String> = lab
        .proxy
        .exchanges()
        .into_iter()
        .filter(|x| x.action() == Some("AssumeRole"))
        .map(|x| x.param("RoleArn").unwrap())
        .collect();
    assert_eq!(
        roles, acct.roles,
        "the second run assumed the new role instead of serving the old one"
    );
    assert_eq!(
        lab.proxy.count("GetSessionToken"),
        1,
        "the MFA session was unaffected"
    );
}

#[test]
fn a_role_arn_in_place_of_a_profile_uses_environment_keys() {
    let (lab, acct) = (Lab::new(), account(1));
    let env = TestEnv::new("", "");
    let run = run_vv(
        &env,
        &lab,
        &acct,
        &["-X", "ext-1", &acct.roles[0]],
        &[
            ("AWS_ACCESS_KEY_ID", acct.user.id()),
            ("AWS_SECRET_ACCESS_KEY", acct.user.secret()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("AWSRUNAS_PROFILE"), "{}", run.stdout);
    let ar = lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRole"))
        .unwrap();
    assert_eq!(ar.param("ExternalId").as_deref(), Some("ext-1"));
    let role_name = acct.roles[0].rsplit('/').next().unwrap();
    assert!(
        env.home()
            .join(".aws")
            .join(format!(".aws_assume_role_123456789012-{role_name}"))
            .exists()
    );
}

#[test]
fn a_command_runs_with_static_credentials_with_dash_e() {
    let (lab, acct) = (Lab::new(), account(1));
    let config = format!(
        "[default]\nregion = us-west-2\n[profile user]\n[profile admin]\nsource_profile = user\nrole_arn = {}\n",
        acct.roles[0]
    );
    let env = TestEnv::new(&config, &credentials_file(&acct));
    let run = run_vv(
        &env,
        &lab,
        &acct,
        &[
            "-E",
            "admin",
            "sh",
            "-c",
            "echo \"$AWS_ACCESS_KEY_ID $AWS_REGION $AWSRUNAS_PROFILE ${AWS_PROFILE:-unset}\"; exit 7",
        ],
        &[("AWS_PROFILE", "admin")],
    );
    assert_eq!(run.code, 7, "the child's exit code: {}", run.stderr);
    let words: Vec<&str> = run.stdout.split_whitespace().collect();
    assert!(words[0].starts_with("ASIA"), "{}", run.stdout);
    assert_eq!(&words[1..], ["us-west-2", "admin", "unset"]);
}

#[test]
fn thirty_two_processes_on_a_cold_cache_make_one_refresh() {
    let (lab, acct) = (Lab::new(), account(1));
    let config = format!(
        "[profile user]\nmfa_serial = {}\n[profile admin]\nsource_profile = user\nrole_arn = {}\n",
        acct.mfa, acct.roles[0]
    );
    let env = TestEnv::new(&config, &credentials_file(&acct));
    let dir = env.home().join(".aws");
    for round in 0..20 {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(".aws_") && !name.ends_with(".lock") {
                std::fs::remove_file(path).unwrap();
            }
        }
        lab.proxy.clear();
        let children: Vec<_> = (0..32)
            .map(|_| {
                let mut cmd = env.command(crate::support::BIN, lab.url());
                cmd.args(["-O", "json", "admin"]).env("MFA_CODE", "123456");
                cmd.stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<Run> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap().into())
            .collect();
        for o in &outputs {
            assert_eq!(o.code, 0, "round {round}: {}", o.stderr);
        }
        assert!(
            outputs.iter().all(|o| o.stdout == outputs[0].stdout),
            "round {round}: 32 byte-identical outputs"
        );
        assert_eq!(
            (
                lab.proxy.count("GetSessionToken"),
                lab.proxy.count("AssumeRole")
            ),
            (1, 1),
            "round {round}: one refresh for 32 processes"
        );
    }
}
