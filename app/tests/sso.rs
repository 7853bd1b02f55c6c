//! IAM Identity Center end to end: the binary against the SSO emulator of the test harness
//! (`aws_runas_tests::SsoEmulator`) and moto's STS, with the AWS CLI's token cache in a temporary
//! home.

use crate::support::{Lab, Run, assert_no_secret_leaks, assert_one_line_error, exports, runas};
use aws_runas_tests::{DeviceUser, Moto, SsoCalls, SsoEmulator, TestEnv, trust_policy};
use std::path::PathBuf;

const START_URL: &str = "https://corp.awsapps.com/start";

fn config(extra: &str) -> String {
    format!(
        "[default]\nregion = eu-west-1\n\
         [sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-2\nsso_registration_scopes = sso:account:access\n\
         [profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Developer\n\
         {extra}"
    )
}

fn sha1_hex(text: &str) -> String {
    // The AWS CLI's file name: SHA-1 of the session name. Computed here by `sha1sum`, which
    // every CI machine has (coreutils), so the test does not share the adapter's code.
    use std::io::Write as _;
    let mut child = std::process::Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha1sum");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn token_file(env: &TestEnv, key: &str) -> PathBuf {
    env.home()
        .join(".aws/sso/cache")
        .join(format!("{}.json", sha1_hex(key)))
}

fn sso_env(sso: &SsoEmulator) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_SSO", sso.url().to_string()),
        ("AWS_ENDPOINT_URL_SSO_OIDC", sso.url().to_string()),
    ]
}

fn run(env: &TestEnv, lab: &Lab, sso: &SsoEmulator, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let owned = sso_env(sso);
    let mut vars: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.extend_from_slice(extra);
    runas(env, lab.url(), args, &vars)
}

/// A token file as the AWS CLI writes it (with a field of its own that must survive rewrites).
fn aws_cli_token(
    expires_at: &str,
    access: &str,
    refresh: Option<&str>,
    registration: &str,
) -> String {
    let mut v = serde_json::json!({
        "startUrl": START_URL,
        "region": "us-east-2",
        "accessToken": access,
        "expiresAt": expires_at,
        "clientId": "cli-client",
        "clientSecret": "cli-client-secret",
        "registrationExpiresAt": registration,
        "awsCliExtra": "kept",
    });
    if let Some(r) = refresh {
        v["refreshToken"] = serde_json::json!(r);
    }
    v.to_string()
}

fn write_token(env: &TestEnv, key: &str, text: &str) -> PathBuf {
    let path = token_file(env, key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn iso(offset_secs: i64) -> String {
    crate::support::now().plus_secs(offset_secs).to_rfc3339()
}

#[test]
fn device_login_then_credentials_then_a_cache_hit() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    sso.set_device_user(DeviceUser::SlowDownThenApprove);
    let env = TestEnv::new(&config(""), "");
    let login = run(
        &env,
        &lab,
        &sso,
        &[
            "-vv",
            "sso",
            "login",
            "--use-device-code",
            "--no-browser",
            "dev",
        ],
        &[],
    );
    assert_eq!(login.code, 0, "{}", login.stderr);
    // No terminal: the URL and code go to stderr.
    assert!(
        login.stderr.contains("https://device.sso.example.test/")
            && login.stderr.contains("WXYZ-1234"),
        "{}",
        login.stderr
    );
    assert_eq!(
        SsoCalls::get(&sso.calls().device_token),
        2,
        "one slow_down, then the token"
    );
    let path = token_file(&env, "corp");
    let text = std::fs::read_to_string(&path).expect("the AWS CLI's token file");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(v[key].is_string(), "{key} in {text}");
    }
    assert_eq!(v["startUrl"], START_URL);
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'), "{text}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let access = v["accessToken"].as_str().unwrap().to_string();

    let creds = run(&env, &lab, &sso, &["-vv", "-O", "json", "dev"], &[]);
    assert_eq!(creds.code, 0, "{}", creds.stderr);
    let out: serde_json::Value = serde_json::from_str(creds.stdout.trim()).unwrap();
    assert!(
        out["AccessKeyId"].as_str().unwrap().starts_with("ASIASSO"),
        "{}",
        creds.stdout
    );
    assert_eq!(
        sso.role_requests(),
        [(
            "111122223333".to_string(),
            "Developer".to_string(),
            access.clone()
        )]
    );
    let tokens = [
        access.as_str(),
        v["refreshToken"].as_str().unwrap(),
        v["clientSecret"].as_str().unwrap(),
    ];
    assert_no_secret_leaks(&login, &tokens);
    assert_no_secret_leaks(
        &creds,
        &[
            tokens[0],
            tokens[1],
            tokens[2],
            out["SecretAccessKey"].as_str().unwrap(),
            out["SessionToken"].as_str().unwrap(),
        ],
    );
    // Cached like every other base credential: no second GetRoleCredentials, no SDK client.
    let again = run(&env, &lab, &sso, &["-vv", "-O", "json", "dev"], &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, creds.stdout);
    assert_eq!(SsoCalls::get(&sso.calls().role_credentials), 1);
    assert!(!again.stderr.contains("cache miss"), "{}", again.stderr);
    let cached = env.home().join(".aws/.aws_sso_role_dev");
    assert_eq!(
        std::fs::metadata(&cached).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn a_token_the_aws_cli_wrote_is_used_as_it_is() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    sso.accept_tokens("cli-access-token", None, "cli-client", "cli-client-secret");
    let env = TestEnv::new(&config(""), "");
    // Older AWS CLI versions wrote `…UTC` timestamps.
    let expires = iso(3 * 3600).replace('Z', "UTC");
    write_token(
        &env,
        "corp",
        &aws_cli_token(&expires, "cli-access-token", None, &iso(86_400)),
    );
    let r = run(&env, &lab, &sso, &["dev"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(exports(&r.stdout)["AWS_ACCESS_KEY_ID"].starts_with("ASIASSO"));
    assert_eq!(sso.role_requests()[0].2, "cli-access-token");
    assert_eq!(SsoCalls::get(&sso.calls().refresh_token), 0);
}

#[test]
fn sixteen_processes_on_an_expired_token_refresh_it_once() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    sso.accept_tokens(
        "old-access",
        Some("cli-refresh"),
        "cli-client",
        "cli-client-secret",
    );
    let env = TestEnv::new(&config(""), "");
    let path = write_token(
        &env,
        "corp",
        &aws_cli_token(&iso(-60), "old-access", Some("cli-refresh"), &iso(86_400)),
    );
    let owned = sso_env(&sso);
    let children: Vec<_> = (0..16)
        .map(|_| {
            let mut cmd = env.command(crate::support::BIN, lab.url());
            cmd.args(["-O", "json", "dev"]);
            for (k, v) in &owned {
                cmd.env(k, v);
            }
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
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    assert_eq!(
        SsoCalls::get(&sso.calls().refresh_token),
        1,
        "one refresh for 16 processes"
    );
    assert_eq!(SsoCalls::get(&sso.calls().role_credentials), 1);
    assert!(outputs.iter().all(|o| o.stdout == outputs[0].stdout));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_ne!(v["accessToken"], "old-access", "rewritten in place");
    assert_ne!(v["refreshToken"], "cli-refresh");
    assert_eq!(v["clientId"], "cli-client");
    assert_eq!(v["awsCliExtra"], "kept", "fields of other tools survive");
    assert!(sso.role_requests()[0].2.starts_with("access-token-"));
}

#[test]
fn an_sso_profile_is_the_base_of_a_role_chain() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    let role = Moto::shared().create_role(
        "sso-chained",
        &trust_policy("arn:aws:iam::123456789012:root"),
    );
    sso.accept_tokens("cli-access-token", None, "cli-client", "cli-client-secret");
    let env = TestEnv::new(
        &config(&format!(
            "[profile deploy]\nsource_profile = dev\nrole_arn = {role}\nrole_session_name = deployer\n"
        )),
        "",
    );
    write_token(
        &env,
        "corp",
        &aws_cli_token(&iso(3600 * 3), "cli-access-token", None, &iso(86_400)),
    );
    let r = run(&env, &lab, &sso, &["-O", "json", "deploy"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(SsoCalls::get(&sso.calls().role_credentials), 1);
    assert_eq!(lab.proxy.count("AssumeRole"), 1);
    assert_eq!(
        lab.proxy.count("GetSessionToken"),
        0,
        "SSO credentials are temporary"
    );
    let ar = lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("AssumeRole"))
        .unwrap();
    assert_eq!(ar.param("RoleArn").as_deref(), Some(role.as_str()));
    assert!(
        ar.header("authorization").unwrap_or("").contains("ASIASSO"),
        "signed with the SSO role credentials"
    );
    let out: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert!(!out["AccessKeyId"].as_str().unwrap().starts_with("ASIASSO"));
}

#[test]
fn pkce_login_through_a_browser_that_follows_the_redirect() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    let env = TestEnv::new(&config(""), "");
    let browser = browser_script(&env, false);
    let r = run(
        &env,
        &lab,
        &sso,
        &["sso", "login", "dev"],
        &[("BROWSER", &format!("{} %s", browser.display()))],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(SsoCalls::get(&sso.calls().code_token), 1);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(token_file(&env, "corp")).unwrap()).unwrap();
    assert!(
        v["accessToken"]
            .as_str()
            .unwrap()
            .starts_with("access-token-")
    );
    let creds = run(&env, &lab, &sso, &["dev"], &[]);
    assert_eq!(creds.code, 0, "{}", creds.stderr);
}

#[test]
fn a_pkce_redirect_with_the_wrong_state_is_refused() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    let env = TestEnv::new(&config(""), "");
    let browser = browser_script(&env, true);
    let r = run(
        &env,
        &lab,
        &sso,
        &["sso", "login", "dev"],
        &[("BROWSER", &format!("{} %s", browser.display()))],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("state"), "{}", r.stderr);
    assert_eq!(SsoCalls::get(&sso.calls().code_token), 0);
    assert!(!token_file(&env, "corp").exists());
}

/// A stand-in browser: Python follows the authorize page's redirect to the loopback listener
/// (with `tamper`, after changing the `state` it carries).
fn browser_script(env: &TestEnv, tamper: bool) -> PathBuf {
    let path = env.home().join("browser.py");
    let script = format!(
        "#!/usr/bin/env python3\n\
         import sys, urllib.request, urllib.parse, urllib.error\n\
         class NoRedirect(urllib.request.HTTPRedirectHandler):\n\
         \x20   def redirect_request(self, *a, **k):\n\
         \x20       return None\n\
         opener = urllib.request.build_opener(NoRedirect)\n\
         try:\n\
         \x20   opener.open(sys.argv[1])\n\
         \x20   sys.exit('no redirect')\n\
         except urllib.error.HTTPError as e:\n\
         \x20   location = e.headers['Location']\n\
         if {tamper}:\n\
         \x20   u = urllib.parse.urlsplit(location)\n\
         \x20   q = dict(urllib.parse.parse_qsl(u.query))\n\
         \x20   q['state'] = 'forged'\n\
         \x20   location = urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q)))\n\
         try:\n\
         \x20   urllib.request.urlopen(location).read()\n\
         except urllib.error.HTTPError:\n\
         \x20   pass\n",
        tamper = if tamper { "True" } else { "False" }
    );
    aws_runas_tests::write_program(&path, &script);
    path
}

#[test]
fn logout_ends_the_session_and_removes_the_token_and_cached_credentials() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    sso.accept_tokens("cli-access-token", None, "cli-client", "cli-client-secret");
    let env = TestEnv::new(&config(""), "");
    let path = write_token(
        &env,
        "corp",
        &aws_cli_token(&iso(3 * 3600), "cli-access-token", None, &iso(86_400)),
    );
    assert_eq!(run(&env, &lab, &sso, &["dev"], &[]).code, 0);
    let cached = env.home().join(".aws/.aws_sso_role_dev");
    assert!(cached.exists());
    let out = run(&env, &lab, &sso, &["sso", "logout", "dev"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(SsoCalls::get(&sso.calls().logout), 1);
    assert!(!sso.is_valid("cli-access-token"));
    assert!(!path.exists() && !cached.exists());
    let after = run(&env, &lab, &sso, &["dev"], &[]);
    assert_one_line_error(&after, &["profile `dev`", "aws-runas sso login dev"]);
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    let env = TestEnv::new(
        &config(
            "[profile norole]\nsso_session = corp\nsso_account_id = 111122223333\n\
             [profile lost]\nsso_session = nowhere\nsso_account_id = 1\nsso_role_name = r\n",
        ),
        "",
    );
    let r = run(&env, &lab, &sso, &["norole"], &[]);
    assert_one_line_error(&r, &["`norole`", "sso_role_name"]);
    let r = run(&env, &lab, &sso, &["lost"], &[]);
    assert_one_line_error(&r, &["`nowhere`", "`lost`"]);
    let r = run(
        &env,
        &lab,
        &sso,
        &["sso", "login", "--sso-session", "nowhere"],
        &[],
    );
    assert_one_line_error(&r, &["`nowhere`"]);

    // No token at all: no terminal, so an immediate error naming the login command.
    let r = run(&env, &lab, &sso, &["-O", "json", "dev"], &[]);
    assert_one_line_error(&r, &["profile `dev`", "aws-runas sso login dev"]);
    // A corrupt, truncated token file is absent, never a panic.
    write_token(&env, "corp", "{\"startUrl\": \"https://corp.aw");
    let r = run(&env, &lab, &sso, &["dev"], &[]);
    assert_one_line_error(&r, &["aws-runas sso login dev"]);
    // A token for another start URL is not used.
    let other = aws_cli_token(&iso(3600 * 3), "cli-access-token", None, &iso(86_400))
        .replace(START_URL, "https://other.awsapps.com/start");
    sso.accept_tokens("cli-access-token", None, "cli-client", "cli-client-secret");
    write_token(&env, "corp", &other);
    let r = run(&env, &lab, &sso, &["dev"], &[]);
    assert_one_line_error(
        &r,
        &["https://other.awsapps.com/start", "aws-runas sso login dev"],
    );
    // Expired token and expired client registration: a login is needed.
    write_token(
        &env,
        "corp",
        &aws_cli_token(&iso(-60), "cli-access-token", Some("cli-refresh"), &iso(-1)),
    );
    let r = run(&env, &lab, &sso, &["dev"], &[]);
    assert_one_line_error(&r, &["registration expired", "aws-runas sso login dev"]);
    // invalid_grant on refresh.
    sso.refuse_refresh(true);
    write_token(
        &env,
        "corp",
        &aws_cli_token(
            &iso(-60),
            "cli-access-token",
            Some("cli-refresh"),
            &iso(86_400),
        ),
    );
    let r = run(&env, &lab, &sso, &["dev"], &[]);
    assert_one_line_error(&r, &["invalid_grant", "aws-runas sso login dev"]);
    assert_eq!(SsoCalls::get(&sso.calls().role_credentials), 0);
}

#[test]
fn device_login_denied_or_expired() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    let env = TestEnv::new(&config(""), "");
    sso.set_device_user(DeviceUser::Deny);
    let args = ["sso", "login", "--use-device-code", "--no-browser", "dev"];
    let r = run(&env, &lab, &sso, &args, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.lines().last().unwrap().contains("denied"),
        "{}",
        r.stderr
    );
    sso.set_device_user(DeviceUser::ExpireAfter(1));
    let r = run(&env, &lab, &sso, &args, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.lines().last().unwrap().contains("expired"),
        "{}",
        r.stderr
    );
    assert!(!token_file(&env, "corp").exists());
}

/// Runs Python (the moto virtualenv's, which has botocore) with `HOME` set to the test's home.
fn botocore(env: &TestEnv, script: &str) -> String {
    let out = std::process::Command::new(aws_runas_tests::moto_python())
        .arg("-c")
        .arg(script)
        .env_clear()
        .env("HOME", env.home())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "botocore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn botocore_reads_our_token_and_we_read_botocores() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    let env = TestEnv::new(&config(""), "");
    let login = run(
        &env,
        &lab,
        &sso,
        &[
            "sso",
            "login",
            "--use-device-code",
            "--no-browser",
            "--sso-session",
            "corp",
        ],
        &[],
    );
    assert_eq!(login.code, 0, "{}", login.stderr);
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(token_file(&env, "corp")).unwrap()).unwrap();
    // botocore's own loader (the AWS CLI's and boto3's) finds and parses the file.
    let seen = botocore(
        &env,
        &format!(
            "import os\n\
             from botocore.utils import SSOTokenLoader, JSONFileCache, parse_timestamp\n\
             cache = JSONFileCache(os.path.expanduser(os.path.join('~', '.aws', 'sso', 'cache')))\n\
             t = SSOTokenLoader(cache=cache)('{START_URL}', session_name='corp')\n\
             parse_timestamp(t['expiresAt']); parse_timestamp(t['registrationExpiresAt'])\n\
             print(t['accessToken'], t['refreshToken'], t['clientId'], t['clientSecret'], t['region'])\n"
        ),
    );
    let want = [
        "accessToken",
        "refreshToken",
        "clientId",
        "clientSecret",
        "region",
    ]
    .map(|k| ours[k].as_str().unwrap().to_string())
    .join(" ");
    assert_eq!(seen.trim(), want);

    // A token botocore saved (its own timestamp format) is used as it is.
    sso.accept_tokens("boto-access", None, "boto-client", "boto-secret");
    botocore(
        &env,
        &format!(
            "import os, datetime\n\
             from botocore.utils import SSOTokenLoader, JSONFileCache\n\
             from dateutil.tz import tzutc\n\
             cache = JSONFileCache(os.path.expanduser(os.path.join('~', '.aws', 'sso', 'cache')))\n\
             now = datetime.datetime.now(tzutc())\n\
             SSOTokenLoader(cache=cache).save_token('{START_URL}', {{\n\
             \x20 'startUrl': '{START_URL}', 'region': 'us-east-2', 'accessToken': 'boto-access',\n\
             \x20 'expiresAt': now + datetime.timedelta(hours=2), 'clientId': 'boto-client',\n\
             \x20 'clientSecret': 'boto-secret', 'registrationExpiresAt': now + datetime.timedelta(days=30),\n\
             }}, session_name='corp')\n"
        ),
    );
    let r = run(&env, &lab, &sso, &["-O", "json", "dev"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(sso.role_requests().last().unwrap().2, "boto-access");
}

#[test]
fn list_roles_pages_through_every_account_and_role() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    sso.accept_tokens("cli-access-token", None, "cli-client", "cli-client-secret");
    let env = TestEnv::new(&config("[profile login]\nsso_session = corp\n"), "");
    write_token(
        &env,
        "corp",
        &aws_cli_token(&iso(3 * 3600), "cli-access-token", None, &iso(86_400)),
    );
    // A profile with only sso_session is enough to list what it may use.
    let r = run(&env, &lab, &sso, &["list", "roles", "login"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (id, name, roles) in aws_runas_tests::SSO_ACCOUNTS {
        assert!(
            r.stdout.contains(&format!("  {id} ({name})\n")),
            "{}",
            r.stdout
        );
        for role in *roles {
            assert!(
                r.stdout
                    .contains(&format!("sso_account_id = {id}\nsso_role_name = {role}\n")),
                "{}",
                r.stdout
            );
        }
    }
    let snippets = r.stdout.matches("[profile ").count();
    assert_eq!(snippets, 6, "every role of every page: {}", r.stdout);
    assert!(
        r.stdout
            .contains("[profile Sandbox-Admin]\nsso_session = corp\n")
    );
}

#[test]
fn sso_role_credentials_from_moto_work_for_whoami() {
    let lab = Lab::new();
    let sso = SsoEmulator::start_with_moto(Moto::shared().url());
    sso.accept_tokens("cli-access-token", None, "cli-client", "cli-client-secret");
    let env = TestEnv::new(&config(""), "");
    write_token(
        &env,
        "corp",
        &aws_cli_token(&iso(3 * 3600), "cli-access-token", None, &iso(86_400)),
    );
    let r = run(&env, &lab, &sso, &["-w", "dev"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(lab.proxy.count("GetCallerIdentity"), 1);
    assert!(
        r.stderr.contains("Account:111122223333") && r.stderr.contains("Developer"),
        "the caller is the SSO role: {}",
        r.stderr
    );
}

#[test]
fn the_general_endpoint_url_reaches_the_portal_and_logout_without_arguments_clears_every_session() {
    let (lab, sso) = (Lab::new(), SsoEmulator::start());
    sso.accept_tokens("cli-access-token", None, "cli-client", "cli-client-secret");
    let env = TestEnv::new(&config(""), "");
    let path = write_token(
        &env,
        "corp",
        &aws_cli_token(&iso(3 * 3600), "cli-access-token", None, &iso(86_400)),
    );
    // No service-specific variable: AWS_ENDPOINT_URL (here the emulator) is used for the portal.
    let r = runas(
        &env,
        sso.url(),
        &["-O", "json", "dev"],
        &[("AWS_ENDPOINT_URL_STS", lab.url())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(SsoCalls::get(&sso.calls().role_credentials), 1);
    let out = runas(
        &env,
        sso.url(),
        &["sso", "logout"],
        &[("AWS_ENDPOINT_URL_STS", lab.url())],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(SsoCalls::get(&sso.calls().logout), 1);
    assert!(!path.exists());
    assert!(!env.home().join(".aws/.aws_sso_role_dev").exists());
}
