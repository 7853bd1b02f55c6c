//! Credential endpoints end to end against moto: `serve ecs`, `serve ec2` and the endpoint of a
//! wrapped command, each read by botocore (from moto's virtualenv) as an AWS SDK would, plus the
//! bad inputs of the servers and of a wrapped command.

use crate::support::{BIN, Lab, assert_one_line_error, runas};
use aws_runas_tests::{AccessKey, Moto, TestEnv, moto_python, trust_policy};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Setup {
    lab: Lab,
    role: String,
    env: TestEnv,
    _user: AccessKey,
}

fn setup() -> Setup {
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("serve");
    let role = moto.create_role("serve", &trust_policy(user.user_arn()));
    let config = format!(
        "[default]\nregion = eu-central-1\n[profile user]\n[profile admin]\nsource_profile = user\nrole_arn = {role}\n"
    );
    let credentials = format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret()
    );
    let env = TestEnv::new(&config, &credentials);
    Setup {
        lab,
        role,
        env,
        _user: user,
    }
}

/// A running `aws-runas serve …`, stopped (SIGTERM) when dropped.
struct Served {
    child: Child,
    exports: std::collections::BTreeMap<String, String>,
}

impl Served {
    /// Starts `aws-runas args…` and reads the `export` lines it prints first (`lines` of them).
    fn start(s: &Setup, args: &[&str], lines: usize) -> Served {
        let mut cmd = s.env.command(BIN, s.lab.url());
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut text = String::new();
        for _ in 0..lines {
            out.read_line(&mut text).unwrap();
        }
        Served {
            child,
            exports: crate::support::exports(&text),
        }
    }

    fn stop(&mut self) -> (Option<i32>, String) {
        self.stop_with("TERM")
    }

    fn stop_with(&mut self, sig: &str) -> (Option<i32>, String) {
        signal(self.child.id(), sig);
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (status.code(), err)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            signal(self.child.id(), "KILL");
            let _ = self.child.wait();
        }
    }
}

fn signal(pid: u32, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} {pid}");
}

/// Runs Python from moto's virtualenv with `vars` only (plus HOME, PATH): botocore's default
/// credential chain, then GetCallerIdentity at `AWS_ENDPOINT_URL` (moto).
fn botocore(s: &Setup, vars: &[(&str, &str)]) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, os, botocore.session
s = botocore.session.get_session()
c = s.get_credentials()
f = c.get_frozen_credentials()
sts = s.create_client("sts", region_name="eu-central-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
print(json.dumps({"method": c.method, "key": f.access_key, "arn": sts.get_caller_identity()["Arn"],
                  "static": os.environ.get("AWS_ACCESS_KEY_ID"), "region": os.environ.get("AWS_REGION")}))
"#;
    let mut cmd = Command::new(moto_python());
    cmd.env_clear()
        .env("HOME", s.env.home())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_ENDPOINT_URL", s.lab.url())
        .args(["-c", SCRIPT]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "botocore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn role_name(role: &str) -> &str {
    role.rsplit('/').next().unwrap()
}

/// One raw HTTP/1.1 GET; the status and body.
fn get(uri: &str, headers: &str) -> (u16, String) {
    let (status, _, body) = request(uri, "GET", headers, b"");
    (status, body)
}

/// One raw HTTP/1.1 request (`Host` is the URI's unless `headers` names one); the status, the
/// response head and the body.
fn request(uri: &str, method: &str, headers: &str, body: &[u8]) -> (u16, String, String) {
    let rest = uri.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut c = TcpStream::connect(host).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let host_line = if headers.to_ascii_lowercase().contains("\r\nhost:") {
        String::new()
    } else {
        format!("\r\nHost: {host}")
    };
    write!(
        c,
        "{method} /{path} HTTP/1.1{host_line}{headers}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // The server may refuse and close before reading a body.
    let _ = c.write_all(body);
    let mut text = String::new();
    let _ = c.read_to_string(&mut text);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

#[test]
fn serve_ecs_gives_an_sdk_credentials_only_with_the_token() {
    let s = setup();
    let mut served = Served::start(&s, &["serve", "ecs", "-p", "0", "admin"], 2);
    let uri = served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let token = served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone();
    assert!(
        uri.starts_with("http://127.0.0.1:") && uri.ends_with("/credentials"),
        "{uri}"
    );
    assert_eq!(token.len(), 64, "32 random bytes in hex");

    let sdk = botocore(
        &s,
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", &token),
        ],
    );
    assert_eq!(sdk["method"], "container-role");
    assert!(sdk["key"].as_str().unwrap().starts_with("ASIA"), "{sdk}");
    assert!(
        sdk["arn"]
            .as_str()
            .unwrap()
            .contains(&format!("assumed-role/{}/", role_name(&s.role))),
        "{sdk}"
    );

    // Bad input: no token, a wrong one, an unknown profile.
    let (status, body) = get(&uri, "");
    assert_eq!(status, 401);
    assert!(!body.contains("SecretAccessKey"), "{body}");
    let (status, body) = get(&uri, "\r\nAuthorization: not-the-token");
    assert_eq!(status, 401);
    assert!(!body.contains("SecretAccessKey"), "{body}");
    let auth = format!("\r\nAuthorization: {token}");
    let (status, body) = get(&format!("{uri}/no-such-profile"), &auth);
    assert_eq!(status, 404);
    assert!(body.contains("`no-such-profile`"), "{body}");

    // Another profile by name, without changing the active one.
    let (status, body) = get(&format!("{uri}/user"), &auth);
    assert_eq!(status, 200, "{body}");
    let other: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (status, body) = get(&uri, &auth);
    assert_eq!(status, 200);
    let active: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        active["AccessKeyId"], sdk["key"],
        "still the active profile"
    );
    assert_ne!(other["AccessKeyId"], active["AccessKeyId"]);
    assert!(active["Expiration"].as_str().unwrap().ends_with('Z'));

    // SIGTERM: a clean stop.
    let (code, stderr) = served.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains(&token), "the token is not logged");
    assert!(TcpStream::connect(uri[7..].split('/').next().unwrap()).is_err());
}

#[test]
fn serve_ecs_takes_the_token_from_the_environment() {
    let s = setup();
    let mut cmd = s.env.command(BIN, s.lab.url());
    cmd.args(["serve", "ecs", "-p", "0", "admin"])
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "given-token-1234")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let mut served = Served {
        child,
        exports: Default::default(),
    };
    let mut line = String::new();
    BufReader::new(served.child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let vars = crate::support::exports(&line);
    let uri = &vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
    assert_eq!(get(uri, "\r\nAuthorization: given-token-1234").0, 200);
    assert_eq!(get(uri, "\r\nAuthorization: given-token-123").0, 401);
    assert_eq!(
        served.stop_with("INT").0,
        Some(0),
        "Ctrl-C is a clean stop too"
    );
}

#[test]
fn serve_ec2_gives_an_sdk_credentials_through_imdsv2() {
    let s = setup();
    let mut served = Served::start(&s, &["serve", "ec2", "-p", "0", "admin"], 1);
    let endpoint = served.exports["AWS_EC2_METADATA_SERVICE_ENDPOINT"].clone();
    let sdk = botocore(
        &s,
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint),
            ("AWS_METADATA_SERVICE_TIMEOUT", "10"),
            ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "3"),
        ],
    );
    assert_eq!(sdk["method"], "iam-role");
    assert!(
        sdk["arn"]
            .as_str()
            .unwrap()
            .contains(&format!("assumed-role/{}/", role_name(&s.role))),
        "{sdk}"
    );
    // IMDSv1 is off: no token, no credentials.
    let (status, body) = get(
        &format!("{endpoint}latest/meta-data/iam/security-credentials/admin"),
        "",
    );
    assert_eq!(status, 401);
    assert!(!body.contains("SecretAccessKey"));
    assert_eq!(served.stop().0, Some(0));
}

#[test]
fn a_port_in_use_is_one_line_naming_the_address() {
    let s = setup();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    for kind in ["ecs", "ec2"] {
        let run = runas(
            &s.env,
            s.lab.url(),
            &["serve", kind, "-p", &port.to_string(), "admin"],
            &[],
        );
        assert_one_line_error(&run, &[&format!("127.0.0.1:{port}")]);
    }
    let run = runas(
        &s.env,
        s.lab.url(),
        &["serve", "ecs", "-p", "0", "nope"],
        &[],
    );
    assert_one_line_error(&run, &["`nope`"]);
}

#[test]
fn a_command_gets_its_credentials_from_a_private_endpoint() {
    let s = setup();
    let script = r#"
import json, os, urllib.request, botocore.session
s = botocore.session.get_session()
c = s.get_credentials()
f = c.get_frozen_credentials()
sts = s.create_client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
req = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
try:
    urllib.request.urlopen(req)
    unauthorised = 200
except urllib.error.HTTPError as e:
    unauthorised = e.code
print(json.dumps({"method": c.method, "key": f.access_key, "arn": sts.get_caller_identity()["Arn"],
                  "static": os.environ.get("AWS_ACCESS_KEY_ID"), "region": os.environ.get("AWS_REGION"),
                  "uri": os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], "unauthorised": unauthorised}))
"#;
    let python = moto_python();
    let run = runas(
        &s.env,
        s.lab.url(),
        &["admin", python.to_str().unwrap(), "-c", script],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value =
        serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(v["method"], "container-role", "{v}");
    assert_eq!(v["static"], serde_json::Value::Null, "no static keys: {v}");
    assert_eq!(v["region"], "eu-central-1");
    assert!(v["uri"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    assert_eq!(v["unauthorised"], 401, "the endpoint wants the token");
    assert!(
        v["arn"]
            .as_str()
            .unwrap()
            .contains(&format!("assumed-role/{}/", role_name(&s.role))),
        "{v}"
    );
}

#[test]
fn a_command_that_does_not_exist_exits_127() {
    let s = setup();
    for args in [
        &["admin", "no-such-command-here"][..],
        &["admin", "./no-such-command-here"][..],
        &["-E", "admin", "./no-such-command-here"][..],
    ] {
        let run = runas(&s.env, s.lab.url(), args, &[]);
        assert_eq!(run.code, 127, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("no-such-command-here"),
            "{}",
            run.stderr
        );
    }
}

#[cfg(unix)]
#[test]
fn signals_sent_to_aws_runas_reach_the_command() {
    let s = setup();
    for (sig, code) in [("TERM", 3), ("HUP", 4), ("INT", 5), ("WINCH", 6)] {
        let script = format!(
            "trap 'echo got {sig}; exit {code}' {sig}; echo ready; while :; do sleep 0.05; done"
        );
        let mut cmd = s.env.command(BIN, s.lab.url());
        cmd.args(["admin", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n");
        signal(child.id(), sig);
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(rest, format!("got {sig}\n"));
        assert_eq!(status.code(), Some(code), "{sig}");
    }
}

#[test]
fn a_served_answer_comes_from_memory_and_bad_requests_are_refused() {
    let s = setup();
    let mut served = Served::start(&s, &["serve", "ecs", "-p", "0", "admin"], 2);
    let uri = served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let auth = format!(
        "\r\nAuthorization: {}",
        served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    );
    let (status, first) = get(&uri, &auth);
    assert_eq!(status, 200, "{first}");
    let seen = s.lab.proxy.exchanges().len();
    // No cache file and no STS any more: only memory can answer.
    for entry in std::fs::read_dir(s.env.home().join(".aws")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".aws_")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    s.lab.proxy.set_down(true);
    let (status, again) = get(&uri, &auth);
    assert_eq!((status, &again), (200, &first));
    assert_eq!(s.lab.proxy.exchanges().len(), seen, "STS was not asked");

    // A foreign Host (DNS rebinding) and a 1 MiB body.
    let (status, _, body) = request(
        &uri,
        "GET",
        &format!("{auth}\r\nHost: attacker.example"),
        b"",
    );
    assert_eq!(status, 403);
    assert!(!body.contains("SecretAccessKey"));
    let mib = vec![b'x'; 1024 * 1024];
    let (status, _, _) = request(
        &uri,
        "POST",
        &format!("{auth}\r\nContent-Length: {}", mib.len()),
        &mib,
    );
    assert_eq!(status, 413);
    assert_eq!(served.stop().0, Some(0));
}

#[test]
fn an_mfa_code_nobody_can_give_is_a_401_saying_so() {
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("serve-mfa");
    let mfa = moto.create_virtual_mfa_device(user.user_name());
    let role = moto.create_role("serve-mfa", &trust_policy(user.user_arn()));
    let env = TestEnv::new(
        &format!(
            "[profile user]\nmfa_serial = {mfa}\n[profile admin]\nsource_profile = user\nrole_arn = {role}\n"
        ),
        &format!(
            "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            user.id(),
            user.secret()
        ),
    );
    let s = Setup {
        lab,
        role,
        env,
        _user: user,
    };
    let mut served = Served::start(&s, &["serve", "ecs", "-p", "0", "admin"], 2);
    let uri = served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let auth = format!(
        "\r\nAuthorization: {}",
        served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    );
    let (status, head, body) = request(&uri, "GET", &auth, b"");
    assert_eq!(status, 401, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-awsrunas-authentication-type: mfa"),
        "{head}"
    );
    assert!(body.contains("MFA code"), "{body}");
    assert!(!body.contains("SecretAccessKey"));
    assert_eq!(s.lab.proxy.count("GetSessionToken"), 0);
    assert_eq!(served.stop().0, Some(0));
}

#[test]
fn many_requests_on_a_cold_profile_make_one_refresh() {
    let s = setup();
    let mut served = Served::start(&s, &["serve", "ecs", "-p", "0"], 2);
    let uri = format!(
        "{}/admin",
        served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    );
    let auth = format!(
        "\r\nAuthorization: {}",
        served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    );
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16).map(|_| scope.spawn(|| get(&uri, &auth))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body, &answers[0].1, "one set of credentials for all");
    }
    assert_eq!(
        (
            s.lab.proxy.count("GetSessionToken"),
            s.lab.proxy.count("AssumeRole")
        ),
        (1, 1),
        "one refresh for sixteen requests"
    );
    // No active profile: a request must name one.
    let (status, body) = get(
        served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].as_str(),
        &auth,
    );
    assert_eq!(status, 404);
    assert!(body.contains("no profile"), "{body}");
    assert_eq!(served.stop().0, Some(0));
}

#[test]
fn static_keys_only_with_dash_e_or_its_variable() {
    let s = setup();
    let script = "echo ${AWS_ACCESS_KEY_ID:-none} ${AWS_CONTAINER_CREDENTIALS_FULL_URI:-none} ${AWS_SHARED_CREDENTIALS_FILE:-none}";
    let endpoint = runas(&s.env, s.lab.url(), &["admin", "sh", "-c", script], &[]);
    assert_eq!(endpoint.code, 0, "{}", endpoint.stderr);
    let words: Vec<&str> = endpoint.stdout.split_whitespace().collect();
    assert_eq!(words[0], "none", "{}", endpoint.stdout);
    assert!(
        words[1].starts_with("http://127.0.0.1:"),
        "{}",
        endpoint.stdout
    );
    assert_eq!(words[2], "/dev/null");
    for (args, extra) in [
        (&["-E", "admin", "sh", "-c", script][..], &[][..]),
        (
            &["admin", "sh", "-c", script][..],
            &[("RUNAS_ENV_CREDENTIALS", "true")][..],
        ),
    ] {
        let run = runas(&s.env, s.lab.url(), args, extra);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let words: Vec<&str> = run.stdout.split_whitespace().collect();
        assert!(words[0].starts_with("ASIA"), "{}", run.stdout);
        assert_eq!(words[1], "none", "{}", run.stdout);
    }
}

/// The web page's requests as the page makes them: the cookie from `GET /?token=…`, our own
/// `Origin`. Picking a profile that needs MFA gets a 401 saying so; the code typed in the page
/// reaches the refresh, and the credentials served change.
#[test]
fn the_page_picks_a_profile_that_needs_mfa_and_the_served_credentials_change() {
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("page-mfa");
    let mfa = moto.create_virtual_mfa_device(user.user_name());
    let plain = moto.create_role("page-plain", &trust_policy(user.user_arn()));
    let secure = moto.create_role("page-secure", &trust_policy(user.user_arn()));
    let env = TestEnv::new(
        &format!(
            "[default]\nregion = eu-central-1\n[profile user]\n[profile plain]\nsource_profile = user\nrole_arn = {plain}\n[profile secure]\nsource_profile = user\nrole_arn = {secure}\nmfa_serial = {mfa}\n"
        ),
        &format!(
            "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            user.id(),
            user.secret()
        ),
    );
    let s = Setup {
        lab,
        role: plain.clone(),
        env,
        _user: user,
    };
    let mut served = Served::start(&s, &["serve", "ecs", "-p", "0", "plain"], 3);
    let uri = served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let token = served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone();
    let base = uri.strip_suffix("/credentials").unwrap().to_string();
    let host = base.strip_prefix("http://").unwrap().to_string();
    let ecs_auth = format!("\r\nAuthorization: {token}");

    // The page itself, then the cookie its address with the token sets.
    let (status, body) = get(&format!("{base}/"), "");
    assert_eq!(status, 200);
    assert!(body.contains(">Profile<") && body.contains(">MFA code<"));
    let page_url = served.exports["AWS_RUNAS_PAGE_URL"].clone();
    assert_eq!(page_url, format!("{base}/?token={token}"));
    let (status, head, _) = request(&page_url, "GET", "", b"");
    assert_eq!(status, 303, "{head}");
    let cookie_value = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| l[11..].trim().to_string())
        })
        .unwrap();
    let cookie = format!("\r\nCookie: {}", cookie_value.split(';').next().unwrap());
    let page = format!("{cookie}\r\nOrigin: http://{host}");

    let (status, body) = get(&format!("{base}/profiles"), &cookie);
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = list["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        names.contains(&"plain") && names.contains(&"secure"),
        "{body}"
    );
    assert_eq!(list["active"], "plain");

    let (status, body) = get(&uri, &ecs_auth);
    assert_eq!(status, 200, "{body}");
    let before: serde_json::Value = serde_json::from_str(&body).unwrap();

    // A foreign site, or a rebound name, changes nothing.
    let calls = s.lab.proxy.count("AssumeRole");
    let (status, _, body) = request(
        &format!("{base}/profile"),
        "POST",
        &format!("{cookie}\r\nOrigin: http://evil.example\r\nContent-Length: 6"),
        b"secure",
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = request(
        &format!("{base}/profile"),
        "POST",
        &format!("{cookie}\r\nHost: evil.example\r\nContent-Length: 6"),
        b"secure",
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(s.lab.proxy.count("AssumeRole"), calls);
    let (status, body) = get(&format!("{base}/status"), &cookie);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"profile\":\"plain\""), "{body}");

    // Picking `secure`: the server says an MFA code is needed.
    let (status, head, body) = request(
        &format!("{base}/profile"),
        "POST",
        &format!("{page}\r\nContent-Length: 6"),
        b"secure",
    );
    assert_eq!(status, 401, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-awsrunas-authentication-type: mfa"),
        "{head}"
    );
    // The code typed in the page reaches the refresh.
    let (status, _, body) = request(
        &format!("{base}/mfa"),
        "POST",
        &format!("{page}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10"),
        b"mfa=123456",
    );
    assert_eq!(status, 200, "{body}");
    let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(shown["profile"], "secure");
    assert_eq!(shown["role_arn"], secure.as_str());
    assert!(!body.contains("SecretAccessKey"), "{body}");

    // What SDKs are served changed to the role picked in the page.
    let (status, body) = get(&uri, &ecs_auth);
    assert_eq!(status, 200, "{body}");
    let after: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(after["AccessKeyId"], before["AccessKeyId"]);
    assert_eq!(after["AccessKeyId"], shown["access_key_id"]);
    let who = botocore(
        &s,
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.as_str()),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.as_str()),
        ],
    );
    assert!(
        who["arn"].as_str().unwrap().contains(role_name(&secure)),
        "{who}"
    );

    // Refresh now drops the role credentials served and fetches new ones (the MFA session
    // of `secure` is kept, as `-r` keeps it, so no new code is asked).
    let (status, _, body) = request(
        &format!("{base}/refresh"),
        "POST",
        &format!("{page}\r\nContent-Length: 0"),
        b"",
    );
    assert_eq!(status, 200, "{body}");
    let refreshed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(refreshed["profile"], "secure");
    assert_ne!(refreshed["access_key_id"], after["AccessKeyId"]);
    let (status, body) = get(&uri, &ecs_auth);
    assert_eq!(status, 200, "{body}");
    let now: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(now["AccessKeyId"], refreshed["access_key_id"]);
    assert_eq!(served.stop().0, Some(0));
}

/// The page in headless Chromium, as a person uses it: choose a profile that needs MFA under
/// "Profile", type the code under "MFA code", see the profile served change; the credentials SDKs
/// get change with it, and the browser requested nothing from another host.
/// `scripts/test` installs Debian's chromium and playwright-core (`install_browser`).
#[test]
fn a_person_picks_an_mfa_profile_in_chromium_and_the_served_credentials_change() {
    // The test harness's own setting, like AWS_RUNAS_MOTO_PYTHON.
    #[allow(clippy::disallowed_methods)]
    let dir = std::env::var_os("AWS_RUNAS_BROWSER_DIR");
    let Some(dir) = dir else {
        eprintln!(
            "SKIPPED: AWS_RUNAS_BROWSER_DIR is not set (scripts/test sets it once chromium and playwright-core are installed)"
        );
        return;
    };
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("browser-mfa");
    let mfa = moto.create_virtual_mfa_device(user.user_name());
    let plain = moto.create_role("browser-plain", &trust_policy(user.user_arn()));
    let secure = moto.create_role("browser-secure", &trust_policy(user.user_arn()));
    let env = TestEnv::new(
        &format!(
            "[default]\nregion = eu-central-1\n[profile user]\n[profile plain]\nsource_profile = user\nrole_arn = {plain}\n[profile secure]\nsource_profile = user\nrole_arn = {secure}\nmfa_serial = {mfa}\n"
        ),
        &format!(
            "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            user.id(),
            user.secret()
        ),
    );
    let s = Setup {
        lab,
        role: plain.clone(),
        env,
        _user: user,
    };
    let mut served = Served::start(&s, &["serve", "ecs", "-p", "0", "plain"], 3);
    let uri = served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let token = served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone();
    let page_url = served.exports["AWS_RUNAS_PAGE_URL"].clone();
    let ecs_auth = format!("\r\nAuthorization: {token}");
    let (status, body) = get(&uri, &ecs_auth);
    assert_eq!(status, 200, "{body}");
    let before: serde_json::Value = serde_json::from_str(&body).unwrap();

    let dir = std::path::PathBuf::from(dir);
    let out = Command::new("node")
        .arg(dir.join("page.mjs"))
        .current_dir(&dir)
        .env("PAGE_URL", &page_url)
        .env("PROFILE", "secure")
        .env("MFA_CODE", "123456")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser run failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(shown["profile"], "secure", "{shown}");
    assert_eq!(shown["role_arn"], secure.as_str(), "{shown}");

    let (status, body) = get(&uri, &ecs_auth);
    assert_eq!(status, 200, "{body}");
    let after: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_ne!(after["AccessKeyId"], before["AccessKeyId"]);
    assert_eq!(after["AccessKeyId"], shown["access_key_id"]);

    // Everything the browser asked for was on this server.
    let origin = page_url.split("/?").next().unwrap().to_string();
    let requested = shown["requested"].as_array().unwrap();
    assert!(requested.len() >= 4, "{shown}");
    for url in requested {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&format!("{origin}/")), "requested {url}");
    }
    assert_eq!(served.stop().0, Some(0));
}

const IDP_PASSWORD: &str = "correct horse battery staple";

/// A profile whose credentials need a form login (user name and password asked) at a mock IdP
/// on 127.0.0.1, then AssumeRoleWithSAML on moto; `plain` needs nothing.
struct IdpSetup {
    s: Setup,
    idp: aws_runas_idp_testkit::MockServer,
    saml_role: String,
}

fn idp_setup(name: &str) -> IdpSetup {
    use aws_runas_idp_testkit::{
        MockResponse, MockServer, SamlResponseBuilder, SamlRole, auto_post_page,
    };
    const LOGIN_PAGE: &str = r#"<html><body><form method="post" action="/login">
<input type="text" name="username"><input type="password" name="password">
<button type="submit">Sign in</button></form></body></html>"#;
    let lab = Lab::new();
    let moto = Moto::shared();
    let metadata = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.org"/>"#;
    let out = moto
        .query(
            "iam",
            "CreateSAMLProvider",
            &[
                ("Name", &aws_runas_tests::unique_name(name)),
                ("SAMLMetadataDocument", metadata),
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
    let saml_role = moto.create_role(name, &trust);
    let assertion = SamlResponseBuilder::new(crate::support::now())
        .roles([SamlRole::new(&saml_role, &provider)])
        .session_name(Some("alice@example.com"))
        .base64();
    let idp = MockServer::start();
    idp.route("GET", "/login", |_| MockResponse::html(LOGIN_PAGE));
    idp.route("POST", "/login", move |req| {
        if req.form_value("username").as_deref() == Some("alice")
            && req.form_value("password").as_deref() == Some(IDP_PASSWORD)
        {
            MockResponse::html(auto_post_page(&assertion))
        } else {
            MockResponse::html(LOGIN_PAGE)
        }
    });
    let user = moto.create_user(name);
    let plain = moto.create_role(&format!("{name}-plain"), &trust_policy(user.user_arn()));
    let env = TestEnv::new(
        &format!(
            "[default]\nregion = eu-central-1\n[profile user]\n[profile plain]\nsource_profile = user\nrole_arn = {plain}\n[profile corp]\nsaml_auth_url = {}\nsaml_provider = forms\nrole_arn = {saml_role}\n",
            idp.url("/login")
        ),
        &format!(
            "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            user.id(),
            user.secret()
        ),
    );
    IdpSetup {
        s: Setup {
            lab,
            role: plain,
            env,
            _user: user,
        },
        idp,
        saml_role,
    }
}

/// The page's cookie, from the address with the token `serve` printed.
fn page_cookie(served: &Served) -> String {
    let (status, head, _) = request(&served.exports["AWS_RUNAS_PAGE_URL"], "GET", "", b"");
    assert_eq!(status, 303, "{head}");
    let value = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| l[11..].trim().to_string())
        })
        .unwrap();
    format!("\r\nCookie: {}", value.split(';').next().unwrap())
}

/// A profile that needs an IdP login: a script's request gets 401 with
/// `X-AwsRunas-Authentication-Type: AUTH`; the user name and password sent as the page sends
/// them (`POST /auth`, JSON) reach the login, and SDKs get the role's credentials.
#[test]
fn an_idp_login_typed_in_the_page_reaches_the_login() {
    let t = idp_setup("serve-auth");
    let s = &t.s;
    let mut served = Served::start(s, &["serve", "ecs", "-p", "0", "corp"], 3);
    let uri = served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let token = served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone();
    let base = uri.strip_suffix("/credentials").unwrap().to_string();
    let host = base.strip_prefix("http://").unwrap().to_string();
    let ecs_auth = format!("\r\nAuthorization: {token}");

    // A script is told a login is needed, and gets no credentials.
    let (status, head, body) = request(&uri, "GET", &ecs_auth, b"");
    assert_eq!(status, 401, "{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-awsrunas-authentication-type: auth"),
        "{head}"
    );
    let said: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(said["error"].as_str().unwrap().contains("corp"), "{body}");
    assert!(
        said["username"].is_null(),
        "no user name configured: {body}"
    );
    assert!(!body.contains("SecretAccessKey"));
    assert_eq!(s.lab.proxy.count("AssumeRoleWithSAML"), 0);

    // The page's dialog, and what is refused: another site, no password, a 1 MiB body.
    let (status, body) = get(&format!("{base}/"), "");
    assert_eq!(status, 200);
    assert!(body.contains(">User name<") && body.contains(">Password<"));
    let cookie = page_cookie(&served);
    let page = format!("{cookie}\r\nOrigin: http://{host}\r\nContent-Type: application/json");
    let login = format!(r#"{{"username":"alice","password":"{IDP_PASSWORD}"}}"#);
    let (status, _, body) = request(
        &format!("{base}/auth"),
        "POST",
        &format!(
            "{cookie}\r\nOrigin: http://evil.example\r\nContent-Length: {}",
            login.len()
        ),
        login.as_bytes(),
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = request(
        &format!("{base}/auth"),
        "POST",
        &format!(
            "{cookie}\r\nHost: evil.example\r\nContent-Length: {}",
            login.len()
        ),
        login.as_bytes(),
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = request(
        &format!("{base}/auth"),
        "POST",
        &format!("{page}\r\nContent-Length: 20"),
        br#"{"username":"alice"}"#,
    );
    assert_eq!(status, 400, "{body}");
    let mib = vec![b' '; 1024 * 1024];
    let (status, _, _) = request(
        &format!("{base}/auth"),
        "POST",
        &format!("{page}\r\nContent-Length: {}", mib.len()),
        &mib,
    );
    assert_eq!(status, 413);
    assert!(
        t.idp.requests_to("POST", "/login").is_empty(),
        "no login yet"
    );

    // The login as the page sends it.
    let (status, _, body) = request(
        &format!("{base}/auth"),
        "POST",
        &format!("{page}\r\nContent-Length: {}", login.len()),
        login.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let shown: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(shown["profile"], "corp");
    assert_eq!(shown["role_arn"], t.saml_role.as_str());
    assert!(!body.contains(IDP_PASSWORD));
    let posts = t.idp.requests_to("POST", "/login");
    assert_eq!(posts.len(), 1, "one login");
    assert_eq!(posts[0].form_value("username").as_deref(), Some("alice"));
    assert_eq!(s.lab.proxy.count("AssumeRoleWithSAML"), 1);

    let (status, body) = get(&uri, &ecs_auth);
    assert_eq!(status, 200, "{body}");
    let served_now: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(served_now["AccessKeyId"], shown["access_key_id"]);
    let who = botocore(
        s,
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri.as_str()),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.as_str()),
        ],
    );
    assert!(
        who["arn"]
            .as_str()
            .unwrap()
            .contains(role_name(&t.saml_role)),
        "{who}"
    );
    let (code, stderr) = served.stop();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains(IDP_PASSWORD), "{stderr}");
}

/// The login dialog in headless Chromium: a person picks a profile that needs an IdP login,
/// types user name and password, and the page shows the role served.
#[test]
fn a_person_signs_in_to_the_idp_in_chromium_and_the_role_is_served() {
    // The test harness's own setting, like AWS_RUNAS_MOTO_PYTHON.
    #[allow(clippy::disallowed_methods)]
    let dir = std::env::var_os("AWS_RUNAS_BROWSER_DIR");
    let Some(dir) = dir else {
        eprintln!(
            "SKIPPED: AWS_RUNAS_BROWSER_DIR is not set (scripts/test sets it once chromium and playwright-core are installed)"
        );
        return;
    };
    let t = idp_setup("browser-auth");
    let mut served = Served::start(&t.s, &["serve", "ecs", "-p", "0", "plain"], 3);
    let uri = served.exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let ecs_auth = format!(
        "\r\nAuthorization: {}",
        served.exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    );
    let dir = std::path::PathBuf::from(dir);
    let out = Command::new("node")
        .arg(dir.join("page.mjs"))
        .current_dir(&dir)
        .env("PAGE_URL", &served.exports["AWS_RUNAS_PAGE_URL"])
        .env("PROFILE", "corp")
        .env("IDP_USERNAME", "alice")
        .env("IDP_PASSWORD", IDP_PASSWORD)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the browser run failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(shown["profile"], "corp", "{shown}");
    assert_eq!(shown["role_arn"], t.saml_role.as_str(), "{shown}");
    let posts = t.idp.requests_to("POST", "/login");
    assert_eq!(posts.len(), 1, "one login");
    assert_eq!(posts[0].form_value("username").as_deref(), Some("alice"));
    let (status, body) = get(&uri, &ecs_auth);
    assert_eq!(status, 200, "{body}");
    let now: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(now["AccessKeyId"], shown["access_key_id"]);
    assert_eq!(served.stop().0, Some(0));
}

/// `serve ec2`'s bad inputs: a forged token, a token used after its TTL, a foreign `Host`, and
/// the page's requests from another site; its own `Host` and `Origin` are accepted.
#[test]
fn serve_ec2_refuses_forged_and_expired_tokens_and_foreign_hosts_and_origins() {
    let s = setup();
    let mut served = Served::start(&s, &["serve", "ec2", "-p", "0", "admin"], 2);
    let endpoint = served.exports["AWS_EC2_METADATA_SERVICE_ENDPOINT"].clone();
    let host = endpoint
        .strip_prefix("http://")
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let creds = format!("{endpoint}latest/meta-data/iam/security-credentials/admin");
    let token_for = |ttl: u32| {
        let (status, _, token) = request(
            &format!("{endpoint}latest/api/token"),
            "PUT",
            &format!("\r\nX-aws-ec2-metadata-token-ttl-seconds: {ttl}\r\nContent-Length: 0"),
            b"",
        );
        assert_eq!(status, 200, "{token}");
        token
    };
    let token = token_for(600);
    let (status, body) = get(&creds, &format!("\r\nX-aws-ec2-metadata-token: {token}"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("SecretAccessKey"));

    let forged = "f".repeat(token.len());
    let (status, body) = get(&creds, &format!("\r\nX-aws-ec2-metadata-token: {forged}"));
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("SecretAccessKey"));

    let short = token_for(1);
    std::thread::sleep(Duration::from_millis(2100));
    let (status, body) = get(&creds, &format!("\r\nX-aws-ec2-metadata-token: {short}"));
    assert_eq!(status, 401, "a token past its TTL: {body}");
    assert!(!body.contains("SecretAccessKey"));

    let (status, _, body) = request(
        &creds,
        "GET",
        &format!("\r\nX-aws-ec2-metadata-token: {token}\r\nHost: attacker.example"),
        b"",
    );
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("SecretAccessKey"));

    // The page: another site's Origin or a rebound name changes nothing; our own does.
    let cookie = page_cookie(&served);
    for headers in [
        format!("{cookie}\r\nOrigin: http://evil.example\r\nContent-Length: 4"),
        format!("{cookie}\r\nHost: evil.example\r\nContent-Length: 4"),
    ] {
        let (status, _, body) =
            request(&format!("http://{host}/profile"), "POST", &headers, b"user");
        assert_eq!(status, 403, "{body}");
    }
    let (status, body) = get(&format!("http://{host}/status"), &cookie);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"profile\":\"admin\""), "{body}");
    let (status, _, body) = request(
        &format!("http://{host}/profile"),
        "POST",
        &format!("{cookie}\r\nOrigin: http://{host}\r\nContent-Length: 4"),
        b"user",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"profile\":\"user\""), "{body}");
    assert_eq!(served.stop().0, Some(0));
}
