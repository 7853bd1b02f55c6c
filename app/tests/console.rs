//! `aws-runas console`, end to end: credentials from moto (through the recording proxy), the
//! sign-in token from the federation-endpoint emulator of the test harness, and a fake
//! `$BROWSER` that records the URL it is given.

use crate::support::{Lab, Run, assert_no_secret_leaks, assert_one_line_error, runas};
use aws_runas_tests::{AccessKey, Moto, SigninEmulator, TestEnv, trust_policy};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

struct Setup {
    lab: Lab,
    signin: SigninEmulator,
    user: AccessKey,
    env: TestEnv,
}

fn setup() -> Setup {
    let moto = Moto::shared();
    let user = moto.create_user("console");
    let role = moto.create_role("console", &trust_policy(user.user_arn()));
    let second = moto.create_role("console2", &trust_policy(user.user_arn()));
    let config = format!(
        "[default]\nregion = eu-west-1\n[profile user]\n\
         [profile admin]\nsource_profile = user\nrole_arn = {role}\n\
         [profile direct]\nsource_profile = user\nrole_arn = {role}\nduration_seconds = 7200\n\
         [profile chained]\nsource_profile = admin\nrole_arn = {second}\n\
         [profile iso]\nsource_profile = user\nrole_arn = arn:aws-iso-b:iam::123456789012:role/x\n\
         [profile mars]\nsource_profile = user\nrole_arn = arn:aws-mars:iam::123456789012:role/x\n"
    );
    let credentials = format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret()
    );
    Setup {
        lab: Lab::new(),
        signin: SigninEmulator::start(),
        user,
        env: TestEnv::new(&config, &credentials),
    }
}

impl Setup {
    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut all = vec!["-vv", "console"];
        all.extend_from_slice(args);
        let mut vars = vec![("AWS_ENDPOINT_URL_SIGNIN", self.signin.url())];
        vars.extend_from_slice(extra);
        let run = runas(&self.env, self.lab.url(), &all, &vars);
        let mut secrets: Vec<String> = vec![self.user.secret().to_string()];
        secrets.extend(self.signin.issued_tokens());
        secrets.extend(self.signin.requests().iter().filter_map(|r| {
            let session = r.param("Session")?;
            Some(session.to_string())
        }));
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        // The URL on stdout is the payload; nothing else may show a secret.
        assert_no_secret_leaks(
            &Run {
                code: run.code,
                stdout: String::new(),
                stderr: run.stderr.clone(),
            },
            &secrets,
        );
        run
    }

    /// The access key id the emulator was sent in the `Session` of its last getSigninToken.
    fn last_session_key_id(&self) -> String {
        let req = self
            .signin
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.param("Action") == Some("getSigninToken"))
            .expect("a getSigninToken request");
        let v: serde_json::Value = serde_json::from_str(req.param("Session").unwrap()).unwrap();
        v["sessionId"].as_str().unwrap().to_string()
    }

    fn last_token_request(&self) -> aws_runas_tests::SigninRequest {
        self.signin
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.param("Action") == Some("getSigninToken"))
            .expect("a getSigninToken request")
    }
}

/// The `<tag>` value in the body of the proxy's last `action` response.
fn response_value(lab: &Lab, action: &str, tag: &str) -> String {
    let x = lab
        .proxy
        .exchanges()
        .into_iter()
        .rev()
        .find(|x| x.action() == Some(action))
        .unwrap_or_else(|| panic!("no {action} call"));
    let body = String::from_utf8_lossy(x.raw_response()).into_owned();
    body.split(&format!("<{tag}>"))
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string()
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').unwrap().1;
    url_pairs(query)
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn a_role_profile_prints_a_login_url_for_the_role_credentials() {
    let s = setup();
    // Over an hour, the role is assumed directly with the user's keys: not a chained role.
    let run = s.run(&["--print", "direct"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let url = run.stdout.trim();
    assert!(
        url.starts_with(&format!("{}/federation?Action=login&", s.signin.url())),
        "{url}"
    );
    let q = query_of(url);
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("Issuer"), Some("aws-runas"));
    assert_eq!(
        get("Destination"),
        Some("https://console.aws.amazon.com/console/home?region=eu-west-1")
    );
    assert_eq!(
        get("SigninToken").map(str::to_string),
        s.signin.issued_tokens().last().cloned()
    );
    // The role's credentials went to the endpoint, with no SessionDuration asked for.
    assert_eq!(s.lab.proxy.count("AssumeRole"), 1);
    assert_eq!(s.lab.proxy.count("GetFederationToken"), 0);
    assert_eq!(
        s.lab.proxy.count("GetSessionToken"),
        0,
        "assumed with the keys"
    );
    assert_eq!(
        s.last_session_key_id(),
        response_value(&s.lab, "AssumeRole", "AccessKeyId")
    );
    assert_eq!(s.last_token_request().param("SessionDuration"), None);

    // A console session length is allowed for a role assumed with long-term keys; the role's
    // credentials now come from the cache.
    let run = s.run(
        &[
            "--print",
            "--duration",
            "2h",
            "--destination",
            "/s3/home",
            "direct",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.lab.proxy.count("AssumeRole"), 1, "served from the cache");
    assert_eq!(
        s.last_token_request().param("SessionDuration"),
        Some("7200")
    );
    let q = query_of(run.stdout.trim());
    assert!(q.contains(&(
        "Destination".to_string(),
        "https://console.aws.amazon.com/s3/home?region=eu-west-1".to_string()
    )));

    // -r (before the subcommand, like every global flag): fresh role credentials.
    let mut cmd = s.env.command(crate::support::BIN, s.lab.url());
    cmd.args(["-r", "console", "--print", "direct"])
        .env("AWS_ENDPOINT_URL_SIGNIN", s.signin.url());
    let run: Run = cmd.output().unwrap().into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.lab.proxy.count("AssumeRole"), 2, "refreshed");

    // Out of AWS's range: refused before any request.
    let before = s.signin.requests().len();
    let run = s.run(&["--print", "--duration", "13h", "direct"], &[]);
    assert_one_line_error(&run, &["13h0m0s", "15m to 12h"]);
    assert_eq!(s.signin.requests().len(), before);
}

#[test]
fn a_chained_role_gets_no_session_duration() {
    let s = setup();
    // A role assumed with a GetSessionToken session, and a role assumed with a role's
    // credentials: both chained, so AWS would refuse SessionDuration.
    for (profile, roles) in [("admin", 1), ("chained", 2)] {
        s.lab.proxy.clear();
        let run = s.run(&["--print", "--duration", "2h", profile], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(s.lab.proxy.count("AssumeRole"), roles, "{profile}");
        assert_eq!(s.last_token_request().param("SessionDuration"), None);
        assert!(
            run.stderr
                .contains(&format!("--duration is not used for profile `{profile}`")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn long_term_keys_go_through_get_federation_token() {
    let s = setup();
    let run = s.run(&["--print", "--duration", "3h", "user"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.lab.proxy.count("GetFederationToken"), 1);
    let x = s
        .lab
        .proxy
        .exchanges()
        .into_iter()
        .find(|x| x.action() == Some("GetFederationToken"))
        .unwrap();
    assert_eq!(x.param("Name").as_deref(), Some("user"));
    assert_eq!(x.param("DurationSeconds").as_deref(), Some("10800"));
    let policy: serde_json::Value =
        serde_json::from_str(&x.param("Policy").expect("a session policy")).unwrap();
    assert_eq!(policy["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        s.last_session_key_id(),
        response_value(&s.lab, "GetFederationToken", "AccessKeyId")
    );
    assert_eq!(
        s.last_token_request().param("SessionDuration"),
        None,
        "the federation token's own duration is the console session's"
    );
}

#[test]
fn the_browser_variable_opens_the_url() {
    let s = setup();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("opened");
    let script = dir.path().join("fake-browser");
    aws_runas_tests::write_program(
        &script,
        &format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{}.tmp' && mv '{0}.tmp' '{0}'\n",
            record.display()
        ),
    );
    let browser = script.display().to_string();
    let run = s.run(&["admin"], &[("BROWSER", &browser)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let mut opened = String::new();
    for _ in 0..500 {
        if let Ok(text) = std::fs::read_to_string(&record) {
            opened = text;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        opened.starts_with(&format!("{}/federation?Action=login&", s.signin.url())),
        "{opened:?}"
    );
    let token = s.signin.issued_tokens().last().cloned().unwrap();
    assert!(query_of(&opened).contains(&("SigninToken".to_string(), token)));
}

#[test]
fn partitions_without_a_known_endpoint_are_refused_before_any_call() {
    let s = setup();
    let signin = s.signin.url().to_string();
    for (profile, needle) in [
        ("iso", "aws-iso-b"),
        ("mars", "unknown partition \"aws-mars\""),
    ] {
        let mut cmd = s.env.command(crate::support::BIN, s.lab.url());
        cmd.args(["console", "--print", profile]);
        let run: Run = cmd.output().unwrap().into();
        assert_one_line_error(&run, &[needle, &format!("profile `{profile}`")]);
        let _ = &signin;
    }
    assert_eq!(s.lab.proxy.count("AssumeRole"), 0);
}

/// An STS stand-in that refuses GetFederationToken the way AWS does (the Query API's error
/// document, from the STS API reference), once.
fn refusing_sts() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            let doc = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/console is not authorized to perform: sts:GetFederationToken</Message></Error><RequestId>1</RequestId></ErrorResponse>";
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{doc}",
                doc.len()
            );
        }
    });
    url
}

#[test]
fn a_refused_get_federation_token_quotes_aws() {
    let s = setup();
    let sts = refusing_sts();
    let run = runas(
        &s.env,
        s.lab.url(),
        &["console", "--print", "user"],
        &[
            ("AWS_ENDPOINT_URL_SIGNIN", s.signin.url()),
            ("AWS_ENDPOINT_URL_STS", &sts),
        ],
    );
    assert_one_line_error(
        &run,
        &[
            "profile `user` has long-term keys",
            "AccessDenied",
            "is not authorized to perform: sts:GetFederationToken",
        ],
    );
    assert!(s.signin.requests().is_empty());
}
