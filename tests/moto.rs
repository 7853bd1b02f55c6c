//! The moto AWS emulator: one server per test process, and a small IAM/STS client for setup.
//!
//! moto's server (`scripts/moto-server.py`) runs from the virtualenv that `scripts/test` keeps in
//! `<workspace>/.venv-moto`.
//! It exits when its stdin reaches end-of-file; we hold the write end of that pipe for as long as
//! the test process lives, so a test binary that dies or is killed never leaves a server behind.
//!
//! The setup client speaks the AWS Query protocol (a form-encoded `POST /`), which is all IAM and
//! STS need.
//! moto picks the service from the credential scope of the `Authorization` header
//! (`.../us-east-1/iam/aws4_request`) and does not check signatures, so the client sends a
//! well-formed header with a dummy access key and an all-zero signature.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread;
use std::time::Duration;

use crate::http;

/// The account moto puts every resource in.
pub const ACCOUNT_ID: &str = "123456789012";

/// The environment variable naming the Python interpreter that has moto installed.
const PYTHON_VAR: &str = "AWS_RUNAS_MOTO_PYTHON";

/// How long moto may take to start before we give up.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// How long one setup call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How much of the server's output we keep for error messages.
const LOG_LIMIT: usize = 64 * 1024;

/// A running moto server, stopped when dropped.
///
/// It dereferences to a [`MotoClient`] bound to the server, so setup calls read
/// `Moto::shared().create_user("alice")`.
///
/// # Examples
///
/// ```no_run
/// use aws_runas_tests::{trust_policy, Moto, ACCOUNT_ID};
///
/// let moto = Moto::shared();
/// let alice = moto.create_user("alice");
/// let role_arn = moto.create_role("admin", &trust_policy(&format!("arn:aws:iam::{ACCOUNT_ID}:root")));
/// println!("{} may assume {role_arn} at {}", alice.user_name(), moto.url());
/// ```
pub struct Moto {
    client: MotoClient,
    process: Mutex<Process>,
    output: Arc<Mutex<Vec<u8>>>,
}

struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
}

/// A setup client for IAM and STS at one endpoint: moto itself, or a
/// [`RecordingProxy`](crate::RecordingProxy) in front of it.
///
/// Names given to `create_*` methods are prefixes: a suffix unique to the process and the call is
/// appended, because tests run in parallel against one shared server.
/// The methods that set things up panic on any failure, naming the action and moto's answer,
/// since a test cannot go on without its fixture; [`query`](Self::query) returns errors instead.
#[derive(Debug, Clone)]
pub struct MotoClient {
    endpoint: String,
    authority: String,
}

/// An IAM user's access key pair, as `CreateAccessKey` returned it.
#[derive(Clone)]
pub struct AccessKey {
    user_name: String,
    user_arn: String,
    id: String,
    secret: String,
}

/// The error of a raw [`MotoClient::query`] call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The endpoint could not be reached, or the connection broke.
    #[error("{action} at {endpoint}: connection failed")]
    Io {
        /// The action that was called.
        action: String,
        /// The endpoint that was called.
        endpoint: String,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The endpoint answered with a status other than 200.
    #[error("{action} at {endpoint}: HTTP {status} {code}: {message}")]
    Status {
        /// The action that was called.
        action: String,
        /// The endpoint that was called.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The AWS error code from the body (`NoSuchEntity`), or empty.
        code: String,
        /// The AWS error message from the body, or empty.
        message: String,
    },
}

impl Moto {
    /// The moto server shared by every test of this process, started on first use.
    ///
    /// # Panics
    ///
    /// If moto is not installed (run `scripts/test` once) or does not start.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// Starts a server of its own, for a test that must not share state; prefer
    /// [`shared`](Self::shared).
    ///
    /// The Python interpreter is `$AWS_RUNAS_MOTO_PYTHON`, or else
    /// `<workspace>/.venv-moto/bin/python`.
    ///
    /// # Panics
    ///
    /// If moto is not installed (run `scripts/test` once) or does not start.
    pub fn start() -> Moto {
        let python = python();
        let script = workspace_root().join("scripts").join("moto-server.py");
        let mut command = Command::new(&python);
        command
            .arg(&script)
            .arg("0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Keep our own AWS and moto settings away from the emulator.
        for (name, _) in std::env::vars_os() {
            let upper = name.to_string_lossy().to_ascii_uppercase();
            if upper.starts_with("AWS_") || upper.starts_with("MOTO_") {
                command.env_remove(&name);
            }
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));

        let output = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let output = Arc::clone(&output);
            thread::spawn(move || drain_stdout(stdout, &ready_tx, &output));
        }
        if let Some(stderr) = child.stderr.take() {
            let output = Arc::clone(&output);
            thread::spawn(move || drain(stderr, &output));
        }
        let stdin = child.stdin.take();
        let port = ready_rx.recv_timeout(START_TIMEOUT).ok().flatten();
        let mut process = Process { child, stdin };
        let Some(port) = port else {
            process.stop();
            panic!(
                "moto did not start ({} {}):\n{}",
                python.display(),
                script.display(),
                String::from_utf8_lossy(&lock(&output))
            );
        };
        Moto {
            client: MotoClient::new(&format!("http://127.0.0.1:{port}")),
            process: Mutex::new(process),
            output,
        }
    }

    /// The server's base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        self.client.endpoint()
    }

    /// What the server wrote on stdout and stderr so far (the last 64 KiB), for diagnostics.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&lock(&self.output)).into_owned()
    }
}

impl std::ops::Deref for Moto {
    type Target = MotoClient;

    fn deref(&self) -> &MotoClient {
        &self.client
    }
}

impl fmt::Debug for Moto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Moto")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.process
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .stop();
    }
}

impl Process {
    /// Closes the server's stdin, which makes it exit, and reaps it.
    fn stop(&mut self) {
        drop(self.stdin.take());
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            // The server leaves within milliseconds of EOF; if it is stuck, stop waiting politely.
            for _ in 0..50 {
                thread::sleep(Duration::from_millis(20));
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl MotoClient {
    /// A client for the AWS Query endpoint at `endpoint` (`http://host:port`).
    ///
    /// # Panics
    ///
    /// If `endpoint` is not an `http://host:port` URL.
    pub fn new(endpoint: &str) -> MotoClient {
        let authority = endpoint
            .strip_prefix("http://")
            .map(|rest| rest.split('/').next().unwrap_or(rest))
            .filter(|authority| authority.contains(':'))
            .unwrap_or_else(|| panic!("endpoint {endpoint:?} is not an http://host:port URL"));
        MotoClient {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            authority: authority.to_owned(),
        }
    }

    /// The endpoint this client calls.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Calls `action` of `service` (`"iam"` or `"sts"`, any Query service moto knows) with
    /// `params`, and returns the XML body of a 200 response.
    ///
    /// The API version is filled in for IAM and STS; pass `Version` yourself for other services.
    ///
    /// # Errors
    ///
    /// [`QueryError::Io`] if the endpoint cannot be reached, [`QueryError::Status`] with moto's
    /// error code and message for any status other than 200.
    pub fn query(
        &self,
        service: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<String, QueryError> {
        let mut pairs = vec![("Action", action)];
        match service {
            "iam" => pairs.push(("Version", "2010-05-08")),
            "sts" => pairs.push(("Version", "2011-06-15")),
            _ => {}
        }
        pairs.extend_from_slice(params);
        let body = http::form_encode(&pairs);
        let io_error = |source| QueryError::Io {
            action: action.to_owned(),
            endpoint: self.endpoint.clone(),
            source,
        };
        let (status, response) = self.post(service, &body).map_err(io_error)?;
        if status == 200 {
            return Ok(response);
        }
        Err(QueryError::Status {
            action: action.to_owned(),
            endpoint: self.endpoint.clone(),
            status,
            code: xml_text(&response, "Code").unwrap_or_default(),
            message: xml_text(&response, "Message").unwrap_or_default(),
        })
    }

    /// Creates an IAM user named `name` plus a unique suffix, and an access key for it.
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn create_user(&self, name: &str) -> AccessKey {
        let name = unique_name(name);
        self.must("iam", "CreateUser", &[("UserName", &name)]);
        self.create_access_key(&name)
    }

    /// Creates another access key for the existing user `user_name` (moto allows two per user).
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn create_access_key(&self, user_name: &str) -> AccessKey {
        let response = self.must("iam", "CreateAccessKey", &[("UserName", user_name)]);
        AccessKey {
            user_name: user_name.to_owned(),
            user_arn: format!("arn:aws:iam::{ACCOUNT_ID}:user/{user_name}"),
            id: required(&response, "AccessKeyId", "CreateAccessKey"),
            secret: required(&response, "SecretAccessKey", "CreateAccessKey"),
        }
    }

    /// Creates an IAM role named `name` plus a unique suffix, trusting whom
    /// `trust_policy_json` says (see [`trust_policy`]), and returns its ARN.
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn create_role(&self, name: &str, trust_policy_json: &str) -> String {
        let name = unique_name(name);
        let response = self.must(
            "iam",
            "CreateRole",
            &[
                ("RoleName", &name),
                ("AssumeRolePolicyDocument", trust_policy_json),
            ],
        );
        required(&response, "Arn", "CreateRole")
    }

    /// Creates a managed policy named `name` plus a unique suffix, and returns its ARN.
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn create_policy(&self, name: &str, document_json: &str) -> String {
        let name = unique_name(name);
        let response = self.must(
            "iam",
            "CreatePolicy",
            &[("PolicyName", &name), ("PolicyDocument", document_json)],
        );
        required(&response, "Arn", "CreatePolicy")
    }

    /// Attaches the managed policy `policy_arn` to `role` (a role name or ARN).
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn attach_role_policy(&self, role: &str, policy_arn: &str) {
        self.must(
            "iam",
            "AttachRolePolicy",
            &[("RoleName", name_of(role)), ("PolicyArn", policy_arn)],
        );
    }

    /// Attaches the managed policy `policy_arn` to `user` (a user name or ARN).
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn attach_user_policy(&self, user: &str, policy_arn: &str) {
        self.must(
            "iam",
            "AttachUserPolicy",
            &[("UserName", name_of(user)), ("PolicyArn", policy_arn)],
        );
    }

    /// Puts the inline policy `policy_name` on `role` (a role name or ARN).
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn put_role_policy(&self, role: &str, policy_name: &str, document_json: &str) {
        self.must(
            "iam",
            "PutRolePolicy",
            &[
                ("RoleName", name_of(role)),
                ("PolicyName", policy_name),
                ("PolicyDocument", document_json),
            ],
        );
    }

    /// Puts the inline policy `policy_name` on `user` (a user name or ARN).
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn put_user_policy(&self, user: &str, policy_name: &str, document_json: &str) {
        self.must(
            "iam",
            "PutUserPolicy",
            &[
                ("UserName", name_of(user)),
                ("PolicyName", policy_name),
                ("PolicyDocument", document_json),
            ],
        );
    }

    /// Creates a virtual MFA device for `user` (a user name or ARN), enables it for that user, and
    /// returns its serial number (an ARN such as `arn:aws:iam::123456789012:mfa/alice-1-7`).
    ///
    /// moto does not check MFA codes, neither here nor in STS: any six digits pass.
    ///
    /// # Panics
    ///
    /// If moto refuses.
    pub fn create_virtual_mfa_device(&self, user: &str) -> String {
        let user = name_of(user);
        let device = unique_name(user);
        let response = self.must(
            "iam",
            "CreateVirtualMFADevice",
            &[("VirtualMFADeviceName", &device)],
        );
        let serial = required(&response, "SerialNumber", "CreateVirtualMFADevice");
        self.must(
            "iam",
            "EnableMFADevice",
            &[
                ("UserName", user),
                ("SerialNumber", &serial),
                ("AuthenticationCode1", "123456"),
                ("AuthenticationCode2", "654321"),
            ],
        );
        serial
    }

    fn must(&self, service: &str, action: &str, params: &[(&str, &str)]) -> String {
        self.query(service, action, params)
            .unwrap_or_else(|e| panic!("moto setup failed: {e}"))
    }

    /// Sends one form-encoded `POST /` and returns the status and body of the response.
    fn post(&self, service: &str, body: &str) -> io::Result<(u16, String)> {
        let stream = TcpStream::connect(&self.authority)?;
        stream.set_read_timeout(Some(CALL_TIMEOUT))?;
        stream.set_write_timeout(Some(CALL_TIMEOUT))?;
        let headers = [
            ("Host", self.authority.clone()),
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            ("X-Amz-Date", "20240101T000000Z".to_owned()),
            (
                "Authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/{service}/aws4_request, \
                     SignedHeaders=content-type;host;x-amz-date, Signature={}",
                    "0".repeat(64)
                ),
            ),
            ("Connection", "close".to_owned()),
        ]
        .map(|(name, value)| (name.to_owned(), value));
        let mut writer = stream.try_clone()?;
        http::write_message(
            &mut writer,
            "POST / HTTP/1.1",
            &headers,
            body.as_bytes(),
            Some(body.len()),
        )?;
        let mut reader = BufReader::new(stream);
        let mut wire = Vec::new();
        let head = loop {
            let head =
                http::read_head(&mut reader, &mut wire)?.ok_or(io::ErrorKind::UnexpectedEof)?;
            if head.status()? >= 200 {
                break head;
            }
        };
        let framing = head.response_framing("POST")?;
        let body = http::read_body(&mut reader, framing, &mut wire)?;
        Ok((head.status()?, String::from_utf8_lossy(&body).into_owned()))
    }
}

impl AccessKey {
    /// The name of the user the key belongs to.
    pub fn user_name(&self) -> &str {
        &self.user_name
    }

    /// The ARN of the user the key belongs to.
    pub fn user_arn(&self) -> &str {
        &self.user_arn
    }

    /// The access key id (`AKIA...`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret access key.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

/// Shows the user and key id, never the secret.
impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("user_name", &self.user_name)
            .field("id", &self.id)
            .field("secret", &"** redacted **")
            .finish()
    }
}

/// A role trust policy that lets `principal_arn` (a user, a role, or an account's `:root`) call
/// `sts:AssumeRole`.
pub fn trust_policy(principal_arn: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal_arn}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

/// `prefix` followed by a suffix unique within this test process and across concurrent ones.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// The Python of moto's virtualenv (which also has botocore, for driving an AWS SDK in a test).
///
/// # Panics
/// When moto is not installed.
pub fn moto_python() -> PathBuf {
    python()
}

/// The Python that runs moto: `$AWS_RUNAS_MOTO_PYTHON`, else the workspace's `.venv-moto`.
fn python() -> PathBuf {
    #[allow(clippy::disallowed_methods)] // The harness is a composition root for its own settings.
    let from_env = std::env::var_os(PYTHON_VAR).filter(|v| !v.is_empty());
    let venv = workspace_root()
        .join(".venv-moto")
        .join("bin")
        .join("python");
    match from_env {
        Some(path) if Path::new(&path).exists() => PathBuf::from(path),
        Some(path) => panic!(
            "moto is not installed: run scripts/test ({PYTHON_VAR}={} does not exist)",
            PathBuf::from(path).display()
        ),
        None if venv.exists() => venv,
        None => panic!(
            "moto is not installed: run scripts/test (neither {PYTHON_VAR} is set nor {} exists)",
            venv.display()
        ),
    }
}

/// The workspace root, which holds `scripts/` and `.venv-moto/`.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Reads the server's stdout: reports the port of its `READY <port>` line (or `None` if it
/// ends first), then keeps draining so that the server never blocks on a full pipe.
fn drain_stdout(stdout: impl Read, ready: &mpsc::Sender<Option<u16>>, output: &Mutex<Vec<u8>>) {
    let mut reader = BufReader::new(stdout);
    let mut reported = false;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse::<u16>().ok());
        match port {
            Some(port) if !reported => {
                reported = true;
                let _ = ready.send(Some(port));
            }
            _ => append(output, line.as_bytes()),
        }
    }
    if !reported {
        let _ = ready.send(None);
    }
}

fn drain(mut pipe: impl Read, output: &Mutex<Vec<u8>>) {
    let mut buffer = [0; 8192];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => append(output, &buffer[..n]),
        }
    }
}

fn append(output: &Mutex<Vec<u8>>, bytes: &[u8]) {
    let mut output = lock(output);
    output.extend_from_slice(bytes);
    if output.len() > LOG_LIMIT {
        let excess = output.len() - LOG_LIMIT;
        output.drain(..excess);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The last path segment of an IAM ARN, or the text itself if it is not an ARN.
fn name_of(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
    } else {
        name_or_arn
    }
}

fn required(xml: &str, tag: &str, action: &str) -> String {
    // The body is left out of the message: it may hold a secret access key.
    xml_text(xml, tag).unwrap_or_else(|| panic!("{action} response has no <{tag}> element"))
}

/// The unescaped text of the first `<tag>` element in `xml`.
pub(crate) fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}
