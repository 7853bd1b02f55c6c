//! Secrets at `-vv` in the servers: the log of `serve` and its answers to requests that are not
//! allowed carry no secret key, session token or authorization token.

use crate::support::{BIN, Lab};
use aws_runas_tests::{Moto, TestEnv, trust_policy};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

/// One raw HTTP/1.1 GET with `headers` (each `\r\n`-prefixed); the status and body.
fn get(uri: &str, host: Option<&str>, headers: &str) -> (u16, String) {
    let rest = uri.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let host = host.unwrap_or(addr);
    write!(
        c,
        "GET /{path} HTTP/1.1\r\nHost: {host}{headers}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    let _ = c.read_to_string(&mut text);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

#[test]
fn serve_at_dash_vv_logs_and_refusals_carry_no_secret() {
    let lab = Lab::new();
    let moto = Moto::shared();
    let user = moto.create_user("secrets-serve");
    let role = moto.create_role("secrets-serve", &trust_policy(user.user_arn()));
    let config = format!(
        "[default]\nregion = eu-central-1\n[profile user]\n[profile admin]\nsource_profile = user\nrole_arn = {role}\n"
    );
    let credentials = format!(
        "[user]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        user.id(),
        user.secret()
    );
    let env = TestEnv::new(&config, &credentials);
    let mut cmd = env.command(BIN, lab.url());
    cmd.args(["-vv", "serve", "ecs", "-p", "0", "admin"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    for _ in 0..2 {
        out.read_line(&mut text).unwrap();
    }
    let exports = crate::support::exports(&text);
    let uri = exports["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    let token = exports["AWS_CONTAINER_AUTHORIZATION_TOKEN"].clone();
    let auth = format!("\r\nAuthorization: {token}");

    let (status, body) = get(&uri, None, &auth);
    assert_eq!(status, 200, "{body}");
    let served: serde_json::Value = serde_json::from_str(&body).unwrap();
    let secret = served["SecretAccessKey"].as_str().unwrap().to_owned();
    let session = served["Token"].as_str().unwrap().to_owned();
    assert!(!secret.is_empty() && !session.is_empty(), "{served}");
    // Served twice: the second answer comes from memory, and is logged too.
    assert_eq!(get(&uri, None, &auth).0, 200);

    let secrets = [
        secret.as_str(),
        session.as_str(),
        token.as_str(),
        user.secret(),
    ];
    // Refusals: no token, a wrong token, a foreign Host with the right token.
    let refusals = [
        get(&uri, None, ""),
        get(&uri, None, "\r\nAuthorization: wrong"),
        get(&uri, Some("attacker.example"), &auth),
        get(&format!("{uri}/no-such-profile"), None, ""),
    ];
    for (status, body) in &refusals {
        assert!(matches!(status, 401 | 403), "{status} {body}");
        for s in secrets {
            assert!(!body.contains(s), "a secret in a {status} answer: {body}");
        }
    }

    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stderr.lines().count() > 2,
        "-vv logs the requests: {stderr}"
    );
    for s in secrets {
        assert!(!stderr.contains(s), "a secret in the -vv log: {stderr}");
    }
}
