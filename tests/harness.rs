//! Proves the test harness: moto starts and answers, the recording proxy forwards, counts and
//! records, outages can be simulated, and CLI commands run in a clean environment.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;

use aws_runas_tests::{
    ACCOUNT_ID, Moto, MotoClient, QueryError, RecordingProxy, TestEnv, trust_policy,
};
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};

#[test]
fn moto_answers_sts_and_iam() {
    let moto = Moto::shared();
    let identity = moto.query("sts", "GetCallerIdentity", &[]).unwrap();
    assert!(
        identity.contains(&format!("<Account>{ACCOUNT_ID}</Account>")),
        "{identity}"
    );
    let users = moto.query("iam", "ListUsers", &[]).unwrap();
    assert!(users.contains("<ListUsersResult>"), "{users}");
}

#[test]
fn moto_reports_errors_with_their_code() {
    let error = Moto::shared()
        .query("iam", "GetUser", &[("UserName", "nobody-by-this-name")])
        .unwrap_err();
    match error {
        QueryError::Status { status, code, .. } => {
            assert_eq!((status, code.as_str()), (404, "NoSuchEntity"));
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[test]
fn created_users_get_unique_names_and_working_keys() {
    let moto = Moto::shared();
    let first = moto.create_user("alice");
    let second = moto.create_user("alice");
    assert_ne!(first.user_name(), second.user_name());
    assert!(first.user_name().starts_with("alice-"));
    assert_eq!(
        first.user_arn(),
        format!("arn:aws:iam::{ACCOUNT_ID}:user/{}", first.user_name())
    );
    assert!(first.id().starts_with("AKIA"), "{first:?}");
    assert_eq!(first.secret().len(), 40);
    assert!(!format!("{first:?}").contains(first.secret()));
    let user = moto
        .query("iam", "GetUser", &[("UserName", first.user_name())])
        .unwrap();
    assert!(user.contains(first.user_name()), "{user}");
}

#[test]
fn virtual_mfa_devices_are_enabled_for_their_user() {
    let moto = Moto::shared();
    let user = moto.create_user("mfa-owner");
    let serial = moto.create_virtual_mfa_device(user.user_name());
    assert!(
        serial.starts_with(&format!("arn:aws:iam::{ACCOUNT_ID}:mfa/")),
        "{serial}"
    );
    let devices = moto
        .query("iam", "ListMFADevices", &[("UserName", user.user_name())])
        .unwrap();
    assert!(devices.contains(&serial), "{devices}");
}

#[tokio::test]
async fn sdk_sts_calls_through_the_proxy_succeed_and_are_counted() {
    let moto = Moto::shared();
    let user = moto.create_user("sdk-caller");
    let serial = moto.create_virtual_mfa_device(user.user_name());
    let role_arn = moto.create_role("sdk-target", &trust_policy(user.user_arn()));
    let proxy = RecordingProxy::start(moto.url());

    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(proxy.url())
        .credentials_provider(Credentials::new(
            user.id(),
            user.secret(),
            None,
            None,
            "test",
        ))
        .build();
    let sts = aws_sdk_sts::Client::from_conf(config);

    let session = sts
        .get_session_token()
        .serial_number(&serial)
        .token_code("123456")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    // moto answers GetSessionToken with fixed example credentials, so check their presence only.
    let session = session.credentials().unwrap().clone();
    assert!(!session.secret_access_key().is_empty());

    let assumed = sts
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("harness")
        .send()
        .await
        .unwrap();
    let assumed_arn = assumed.assumed_role_user().unwrap().arn();
    assert!(assumed_arn.ends_with("/harness"), "{assumed_arn}");
    let role_credentials = assumed.credentials().unwrap();
    assert!(
        role_credentials.access_key_id().starts_with("ASIA"),
        "{role_credentials:?}"
    );

    assert_eq!(proxy.count("GetSessionToken"), 1);
    assert_eq!(proxy.count("AssumeRole"), 1);
    assert_eq!(proxy.actions(), ["GetSessionToken", "AssumeRole"]);
    let exchanges = proxy.exchanges();
    assert!(exchanges.iter().all(|e| e.status() == 200), "{exchanges:?}");
    assert_eq!(
        exchanges[0].param("SerialNumber").as_deref(),
        Some(serial.as_str())
    );
    assert_eq!(
        exchanges[1].param("RoleArn").as_deref(),
        Some(role_arn.as_str())
    );
    // The SDK signs with the user's secret but never sends it; STS sends the new ones back.
    assert!(!proxy.traffic_contains(user.secret()));
    assert!(proxy.traffic_contains(user.id()));
    assert!(proxy.traffic_contains(session.secret_access_key()));
    assert!(proxy.traffic_contains(role_credentials.secret_access_key()));
}

#[tokio::test]
async fn sdk_calls_fail_while_the_proxy_is_down() {
    let moto = Moto::shared();
    let user = moto.create_user("sdk-outage");
    let proxy = RecordingProxy::start(moto.url());
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(proxy.url())
        .credentials_provider(Credentials::new(
            user.id(),
            user.secret(),
            None,
            None,
            "test",
        ))
        .retry_config(RetryConfig::disabled())
        .build();
    let sts = aws_sdk_sts::Client::from_conf(config);
    sts.get_caller_identity().send().await.unwrap();

    // The pooled connection is closed under the client, and new ones are refused.
    proxy.set_down(true);
    let error = sts.get_caller_identity().send().await.unwrap_err();
    assert!(error.as_service_error().is_none(), "{error:?}");
    assert_eq!(proxy.count("GetCallerIdentity"), 1);

    proxy.set_down(false);
    proxy.set_unavailable(true);
    let error = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(503));
    assert_eq!(proxy.count("GetCallerIdentity"), 2);

    proxy.set_unavailable(false);
    sts.get_caller_identity().send().await.unwrap();
    assert_eq!(proxy.count("GetCallerIdentity"), 3);
}

#[test]
fn the_recorder_sees_bodies_in_both_directions() {
    let proxy = RecordingProxy::start(Moto::shared().url());
    let through_proxy = MotoClient::new(proxy.url());
    let key = through_proxy.create_user("leaky");
    // The secret only ever travels in the CreateAccessKey response body.
    assert!(proxy.traffic_contains(key.secret()));
    assert!(!proxy.traffic_contains("a string that never crossed the proxy"));
    assert_eq!(proxy.actions(), ["CreateUser", "CreateAccessKey"]);
    let create = &proxy.exchanges()[1];
    assert_eq!(create.param("UserName").as_deref(), Some(key.user_name()));
    assert!(contains(create.raw_response(), key.secret().as_bytes()));
    assert!(!format!("{create:?}").contains(key.secret()));

    proxy.clear();
    assert!(proxy.actions().is_empty());
    assert!(!proxy.traffic_contains(key.secret()));
}

#[test]
fn a_down_proxy_fails_requests_until_it_is_up_again() {
    let proxy = RecordingProxy::start(Moto::shared().url());
    let client = MotoClient::new(proxy.url());
    client.query("sts", "GetCallerIdentity", &[]).unwrap();

    proxy.set_down(true);
    let error = client.query("sts", "GetCallerIdentity", &[]).unwrap_err();
    assert!(matches!(error, QueryError::Io { .. }), "{error:?}");
    assert_eq!(proxy.count("GetCallerIdentity"), 1);

    proxy.set_down(false);
    client.query("sts", "GetCallerIdentity", &[]).unwrap();
    assert_eq!(proxy.count("GetCallerIdentity"), 2);
}

#[test]
fn an_unavailable_proxy_answers_503_without_forwarding() {
    let proxy = RecordingProxy::start(Moto::shared().url());
    let client = MotoClient::new(proxy.url());
    proxy.set_unavailable(true);
    let name = aws_runas_tests::unique_name("never-created");
    let error = client
        .query("iam", "CreateUser", &[("UserName", &name)])
        .unwrap_err();
    match error {
        QueryError::Status { status, code, .. } => {
            assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"));
        }
        other => panic!("expected a 503, got {other:?}"),
    }
    assert_eq!(proxy.count("CreateUser"), 1);
    proxy.set_unavailable(false);
    let lookup = Moto::shared().query("iam", "GetUser", &[("UserName", &name)]);
    assert!(
        matches!(lookup, Err(QueryError::Status { status: 404, .. })),
        "{lookup:?}"
    );
}

#[test]
fn the_proxy_keeps_connections_alive_and_reads_chunked_bodies() {
    let proxy = RecordingProxy::start(Moto::shared().url());
    let authority = proxy.url().trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&authority).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let auth = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/sts/aws4_request, \
                SignedHeaders=host, Signature=0";
    let body = "Action=GetCallerIdentity&Version=2011-06-15";

    write!(
        writer,
        "POST / HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    assert!(read_response(&mut reader).contains("<Account>123456789012</Account>"));

    let (first, rest) = body.split_at(10);
    write!(
        writer,
        "POST / HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{first}\r\n{:x}\r\n{rest}\r\n0\r\n\r\n",
        first.len(),
        rest.len()
    )
    .unwrap();
    assert!(read_response(&mut reader).contains("<Account>123456789012</Account>"));

    let exchanges = proxy.exchanges();
    assert_eq!(proxy.actions(), ["GetCallerIdentity", "GetCallerIdentity"]);
    assert_eq!(exchanges[0].connection(), exchanges[1].connection());
    assert_eq!(exchanges[1].body(), body.as_bytes());
}

#[test]
fn the_proxy_takes_the_action_from_x_amz_target() {
    let proxy = RecordingProxy::start(Moto::shared().url());
    let authority = proxy.url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&authority).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {authority}\r\nX-Amz-Target: AWSSecurityTokenServiceV20110615.GetCallerIdentity\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 "), "{response}");
    assert_eq!(proxy.actions(), ["GetCallerIdentity"]);
}

#[test]
fn an_own_moto_server_stops_when_dropped() {
    let moto = Moto::start();
    let url = moto.url().to_owned();
    moto.query("sts", "GetCallerIdentity", &[]).unwrap();
    drop(moto);
    let error = MotoClient::new(&url)
        .query("sts", "GetCallerIdentity", &[])
        .unwrap_err();
    assert!(matches!(error, QueryError::Io { .. }), "{error:?}");
}

#[test]
fn test_env_writes_private_aws_files() {
    let env = TestEnv::new(
        "[profile a]\nregion = eu-west-1\n",
        "[a]\naws_access_key_id = AKIAFAKE\n",
    );
    assert_eq!(env.config_file(), env.home().join(".aws/config"));
    assert_eq!(
        std::fs::read_to_string(env.config_file()).unwrap(),
        "[profile a]\nregion = eu-west-1\n"
    );
    assert_eq!(
        std::fs::read_to_string(env.credentials_file()).unwrap(),
        "[a]\naws_access_key_id = AKIAFAKE\n"
    );
    let mode = std::fs::metadata(env.credentials_file())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    env.write_config("");
    assert_eq!(std::fs::read_to_string(env.config_file()).unwrap(), "");
    let home = env.home().to_owned();
    drop(env);
    assert!(!home.exists());
}

#[test]
fn test_env_commands_see_only_the_expected_environment() {
    let env = TestEnv::new("", "");
    let output = env
        .command("env", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let vars: BTreeMap<String, String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let names: Vec<&str> = vars.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "AWS_CONFIG_FILE",
            "AWS_EC2_METADATA_DISABLED",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_SHARED_CREDENTIALS_FILE",
            "HOME",
            "PATH",
        ]
    );
    assert_eq!(vars["HOME"], env.home().to_str().unwrap());
    assert_eq!(vars["AWS_CONFIG_FILE"], env.config_file().to_str().unwrap());
    assert_eq!(vars["AWS_ENDPOINT_URL"], "http://127.0.0.1:9");
    assert_eq!(vars["AWS_EC2_METADATA_DISABLED"], "true");
}

#[test]
fn test_env_commands_lead_their_own_session_without_a_terminal() {
    let env = TestEnv::new("", "");
    // Fields 1, 6 and 7 of /proc/<pid>/stat are the pid, the session id and the controlling tty.
    let script = "read -r stat < /proc/$$/stat; set -- ${stat##*) }; \
                  echo \"session=$4 tty=$5 pid=$$\"; \
                  if (exec 3</dev/tty) 2>/dev/null; then echo tty-open; fi; \
                  cat; pwd";
    let output = env
        .command("sh", "http://127.0.0.1:9")
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines = stdout.lines();
    let first = lines.next().unwrap();
    let fields: BTreeMap<&str, &str> = first
        .split(' ')
        .filter_map(|field| field.split_once('='))
        .collect();
    assert_eq!(fields["session"], fields["pid"], "{stdout}");
    assert_eq!(fields["tty"], "0", "{stdout}");
    // Nothing on stdin, no terminal to open, and the home as working directory.
    assert_eq!(lines.next(), Some(env.home().to_str().unwrap()), "{stdout}");
}

#[test]
fn test_env_commands_report_the_program_exit_status() {
    let env = TestEnv::new("", "");
    let status = env
        .command("sh", "http://127.0.0.1:9")
        .args(["-c", "exit 3"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

/// Reads one `Content-Length` response from `reader` and returns its body.
fn read_response(reader: &mut impl BufRead) -> String {
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
