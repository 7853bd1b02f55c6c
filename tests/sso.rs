//! An emulator of IAM Identity Center for tests: the SSO OIDC API (RegisterClient,
//! StartDeviceAuthorization, CreateToken for the device-code, authorization-code and refresh-token
//! grants, and the browser's `/authorize` page of the PKCE flow) and the portal API
//! (GetRoleCredentials, Logout), on one `127.0.0.1` port.
//!
//! Written from AWS's public API references: the "IAM Identity Center OIDC API Reference"
//! (`POST /client/register`, `POST /device_authorization`, `POST /token`, restJson1 errors named by
//! the `x-amzn-ErrorType` header with `error` / `error_description` bodies) and the "IAM Identity
//! Center Portal API Reference" (`GET /federation/credentials?account_id=&role_name=` and
//! `POST /logout`, both with the `x-amz-sso_bearer_token` header; credentials with `expiration` in
//! milliseconds). PKCE follows RFC 7636 (S256), the device flow RFC 8628.

use crate::http::{Framing, read_body, read_head, write_message};
use std::collections::BTreeMap;
use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How the emulated user answers a device authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceUser {
    /// Approves after this many `authorization_pending` polls.
    ApproveAfter(usize),
    /// Answers `slow_down` once, then approves.
    SlowDownThenApprove,
    /// Denies the request (`access_denied`).
    Deny,
    /// Never approves; the device code expires (`expired_token`) after this many polls.
    ExpireAfter(usize),
}

/// Counters of what the emulator was asked.
#[derive(Debug, Default)]
pub struct SsoCalls {
    /// RegisterClient calls.
    pub register: AtomicUsize,
    /// StartDeviceAuthorization calls.
    pub device_authorization: AtomicUsize,
    /// CreateToken calls with the device-code grant.
    pub device_token: AtomicUsize,
    /// CreateToken calls with the authorization-code grant.
    pub code_token: AtomicUsize,
    /// CreateToken calls with the refresh-token grant.
    pub refresh_token: AtomicUsize,
    /// GetRoleCredentials calls.
    pub role_credentials: AtomicUsize,
    /// Logout calls.
    pub logout: AtomicUsize,
}

impl SsoCalls {
    /// A counter's value.
    pub fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Default)]
struct State {
    /// clientId → (clientSecret, redirect URIs).
    clients: BTreeMap<String, (String, Vec<String>)>,
    /// deviceCode → polls so far.
    devices: BTreeMap<String, usize>,
    /// authorization code → (clientId, redirect URI, S256 challenge).
    codes: BTreeMap<String, (String, String, String)>,
    /// Valid access tokens.
    access: Vec<String>,
    /// Valid refresh tokens.
    refresh: Vec<String>,
    /// (account, role, access token) of each GetRoleCredentials.
    role_requests: Vec<(String, String, String)>,
    serial: usize,
}

struct Shared {
    state: Mutex<State>,
    calls: SsoCalls,
    device_user: Mutex<DeviceUser>,
    token_lifetime: Mutex<i64>,
    refuse_refresh: AtomicBool,
    stop: AtomicBool,
    /// moto's endpoint: GetRoleCredentials answers with AssumeRole credentials from it.
    moto: Option<String>,
}

/// The running emulator; stops when dropped.
pub struct SsoEmulator {
    url: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SsoEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoEmulator")
            .field("url", &self.url)
            .finish()
    }
}

impl SsoEmulator {
    /// Starts the emulator on a free `127.0.0.1` port.
    ///
    /// # Panics
    /// When no port can be bound.
    pub fn start() -> SsoEmulator {
        Self::start_with(None)
    }

    /// Starts the emulator with GetRoleCredentials backed by moto at `moto_url`: it answers with
    /// the credentials of an AssumeRole of `arn:aws:iam::<account>:role/<role name>`, which moto's
    /// STS and IAM accept.
    ///
    /// # Panics
    /// When no port can be bound.
    pub fn start_with_moto(moto_url: &str) -> SsoEmulator {
        Self::start_with(Some(moto_url.to_string()))
    }

    fn start_with(moto: Option<String>) -> SsoEmulator {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SSO emulator");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            calls: SsoCalls::default(),
            device_user: Mutex::new(DeviceUser::ApproveAfter(1)),
            token_lifetime: Mutex::new(8 * 3600),
            refuse_refresh: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            moto,
        });
        let s = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(&s, stream));
            }
        });
        SsoEmulator { url, shared }
    }

    /// The base URL (for `AWS_ENDPOINT_URL_SSO` and `AWS_ENDPOINT_URL_SSO_OIDC`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What the emulator was asked.
    pub fn calls(&self) -> &SsoCalls {
        &self.shared.calls
    }

    /// How the user answers the next device authorizations.
    pub fn set_device_user(&self, user: DeviceUser) {
        *self.shared.device_user.lock().unwrap() = user;
    }

    /// The lifetime (`expiresIn`) of the access tokens it issues.
    pub fn set_token_lifetime(&self, secs: i64) {
        *self.shared.token_lifetime.lock().unwrap() = secs;
    }

    /// Refuses every refresh token (`invalid_grant`).
    pub fn refuse_refresh(&self, refuse: bool) {
        self.shared.refuse_refresh.store(refuse, Ordering::SeqCst);
    }

    /// Makes `access` (and `refresh`) tokens valid, as if the AWS CLI had logged in; with a
    /// registered client of `client_id` / `client_secret`.
    pub fn accept_tokens(
        &self,
        access: &str,
        refresh: Option<&str>,
        client_id: &str,
        client_secret: &str,
    ) {
        let mut st = self.shared.state.lock().unwrap();
        st.access.push(access.to_string());
        st.refresh.extend(refresh.map(str::to_string));
        st.clients
            .insert(client_id.to_string(), (client_secret.to_string(), vec![]));
    }

    /// The (account, role, token) of every GetRoleCredentials so far.
    pub fn role_requests(&self) -> Vec<(String, String, String)> {
        self.shared.state.lock().unwrap().role_requests.clone()
    }

    /// Whether `token` is a valid access token (false after Logout).
    pub fn is_valid(&self, token: &str) -> bool {
        self.shared
            .state
            .lock()
            .unwrap()
            .access
            .iter()
            .any(|t| t == token)
    }
}

impl Drop for SsoEmulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

struct Reply {
    status: &'static str,
    headers: Vec<(String, String)>,
    body: String,
}

fn json(status: &'static str, body: serde_json::Value) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string(),
    }
}

/// A restJson1 error: the type in `x-amzn-ErrorType`, the OAuth error in the body.
fn error(status: &'static str, kind: &str, oauth: &str) -> Reply {
    let mut r = json(
        status,
        serde_json::json!({"error": oauth, "error_description": format!("{kind} (emulated)")}),
    );
    r.headers.push(("x-amzn-ErrorType".into(), kind.into()));
    r
}

fn serve(s: &Shared, stream: TcpStream) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut writer = stream;
    loop {
        let mut wire = Vec::new();
        let Ok(Some(head)) = read_head(&mut reader, &mut wire) else {
            return;
        };
        let framing = head.request_framing().unwrap_or(Framing::Empty);
        let framing = if framing == Framing::UntilEof {
            Framing::Empty
        } else {
            framing
        };
        let Ok(body) = read_body(&mut reader, framing, &mut wire) else {
            return;
        };
        let reply = route(s, &head, &body);
        let close = head.wants_close();
        let mut headers = reply.headers;
        if close {
            headers.push(("Connection".into(), "close".into()));
        }
        let status_line = format!("HTTP/1.1 {}", reply.status);
        let body = reply.body.into_bytes();
        if write_message(&mut writer, &status_line, &headers, &body, Some(body.len())).is_err()
            || close
        {
            return;
        }
    }
}

fn query(target: &str) -> BTreeMap<String, String> {
    let Some((_, q)) = target.split_once('?') else {
        return BTreeMap::new();
    };
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn encode(text: &str) -> String {
    crate::http::percent_encode(text)
}

fn route(s: &Shared, head: &crate::http::Head, body: &[u8]) -> Reply {
    let target = head.target().to_string();
    let path = target.split('?').next().unwrap_or("").to_string();
    let input: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let text = |k: &str| input[k].as_str().unwrap_or("").to_string();
    let bearer = head
        .header("x-amz-sso_bearer_token")
        .unwrap_or("")
        .to_string();
    match (head.method(), path.as_str()) {
        ("POST", "/client/register") => register(s, &input),
        ("POST", "/device_authorization") => {
            s.calls.device_authorization.fetch_add(1, Ordering::SeqCst);
            if !client_ok(s, &text("clientId"), &text("clientSecret")) {
                return error(
                    "400 Bad Request",
                    "InvalidClientException",
                    "invalid_client",
                );
            }
            let mut st = s.state.lock().unwrap();
            st.serial += 1;
            let code = format!("device-code-{}", st.serial);
            st.devices.insert(code.clone(), 0);
            json(
                "200 OK",
                serde_json::json!({
                    "deviceCode": code,
                    "userCode": "WXYZ-1234",
                    "verificationUri": "https://device.sso.example.test/",
                    "verificationUriComplete": "https://device.sso.example.test/?user_code=WXYZ-1234",
                    "expiresIn": 600,
                    "interval": 1,
                }),
            )
        }
        ("POST", "/token") => token(s, &input),
        ("GET", "/authorize") => authorize(s, &query(&target)),
        ("GET", "/federation/credentials") => {
            s.calls.role_credentials.fetch_add(1, Ordering::SeqCst);
            let q = query(&target);
            let mut st = s.state.lock().unwrap();
            if !st.access.contains(&bearer) {
                return error("401 Unauthorized", "UnauthorizedException", "unauthorized");
            }
            let (account, role) = (
                q.get("account_id").cloned().unwrap_or_default(),
                q.get("role_name").cloned().unwrap_or_default(),
            );
            st.role_requests
                .push((account.clone(), role.clone(), bearer));
            st.serial += 1;
            let n = st.serial;
            drop(st);
            let expiration_ms = (now_secs() + 3600) * 1000;
            let creds = match &s.moto {
                Some(url) => match moto_credentials(url, &account, &role) {
                    Some(c) => c,
                    None => return error("500 Internal Server Error", "InternalError", "moto"),
                },
                None => (
                    format!("ASIASSO{n:013}"),
                    format!("sso-secret-{account}-{role}-{n}"),
                    format!("sso-session-token-{n}"),
                ),
            };
            json(
                "200 OK",
                serde_json::json!({"roleCredentials": {
                    "accessKeyId": creds.0,
                    "secretAccessKey": creds.1,
                    "sessionToken": creds.2,
                    "expiration": expiration_ms,
                }}),
            )
        }
        // ListAccounts and ListAccountRoles, two items a page so that clients must paginate.
        ("GET", "/assignment/accounts") => {
            if !s.state.lock().unwrap().access.contains(&bearer) {
                return error("401 Unauthorized", "UnauthorizedException", "unauthorized");
            }
            let items: Vec<serde_json::Value> = ACCOUNTS
                .iter()
                .map(|(id, name, _)| {
                    serde_json::json!({"accountId": id, "accountName": name, "emailAddress": format!("{name}@example.test")})
                })
                .collect();
            page(&query(&target), "accountList", &items)
        }
        ("GET", "/assignment/roles") => {
            if !s.state.lock().unwrap().access.contains(&bearer) {
                return error("401 Unauthorized", "UnauthorizedException", "unauthorized");
            }
            let q = query(&target);
            let account = q.get("account_id").cloned().unwrap_or_default();
            let items: Vec<serde_json::Value> = ACCOUNTS
                .iter()
                .filter(|(id, _, _)| *id == account)
                .flat_map(|(id, _, roles)| {
                    roles
                        .iter()
                        .map(move |r| serde_json::json!({"roleName": r, "accountId": id}))
                })
                .collect();
            page(&q, "roleList", &items)
        }
        ("POST", "/logout") => {
            s.calls.logout.fetch_add(1, Ordering::SeqCst);
            s.state.lock().unwrap().access.retain(|t| *t != bearer);
            Reply {
                status: "200 OK",
                headers: vec![],
                body: String::new(),
            }
        }
        _ => error("404 Not Found", "ResourceNotFoundException", "not_found"),
    }
}

/// The accounts and roles the emulated user may use.
pub const ACCOUNTS: &[(&str, &str, &[&str])] = &[
    ("111122223333", "Dev", &["Developer", "ReadOnly"]),
    ("444455556666", "Prod", &["ReadOnly"]),
    (
        "777788889999",
        "Sandbox",
        &["Admin", "Developer", "ReadOnly"],
    ),
];

/// One page of `items` (two a page; `next_token` is the index to start at).
fn page(q: &BTreeMap<String, String>, key: &str, items: &[serde_json::Value]) -> Reply {
    let start: usize = q
        .get("next_token")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let end = (start + 2).min(items.len());
    let mut body = serde_json::json!({ key: items[start.min(end)..end] });
    if end < items.len() {
        body["nextToken"] = serde_json::json!(end.to_string());
    }
    json("200 OK", body)
}

/// Credentials of the SSO role from moto (AssumeRole of the role the permission set stands for).
fn moto_credentials(url: &str, account: &str, role: &str) -> Option<(String, String, String)> {
    let arn = format!("arn:aws:iam::{account}:role/{role}");
    let xml = crate::MotoClient::new(url)
        .query(
            "sts",
            "AssumeRole",
            &[("RoleArn", &arn), ("RoleSessionName", "sso-user")],
        )
        .ok()?;
    let get = |tag| crate::moto::xml_text(&xml, tag);
    Some((
        get("AccessKeyId")?,
        get("SecretAccessKey")?,
        get("SessionToken")?,
    ))
}

fn now_secs() -> i64 {
    #[allow(clippy::disallowed_methods)] // the emulator stands in for a real service's clock
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_secs()).unwrap_or(0)
}

fn client_ok(s: &Shared, id: &str, secret: &str) -> bool {
    s.state
        .lock()
        .unwrap()
        .clients
        .get(id)
        .is_some_and(|(sec, _)| sec == secret)
}

fn register(s: &Shared, input: &serde_json::Value) -> Reply {
    s.calls.register.fetch_add(1, Ordering::SeqCst);
    if input["clientName"].as_str().unwrap_or("").is_empty()
        || input["clientType"].as_str() != Some("public")
    {
        return error(
            "400 Bad Request",
            "InvalidRequestException",
            "invalid_request",
        );
    }
    let redirects: Vec<String> = input["redirectUris"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut st = s.state.lock().unwrap();
    st.serial += 1;
    let (id, secret) = (
        format!("client-{}", st.serial),
        format!("client-secret-{}", st.serial),
    );
    st.clients.insert(id.clone(), (secret.clone(), redirects));
    let now = now_secs();
    json(
        "200 OK",
        serde_json::json!({
            "clientId": id,
            "clientSecret": secret,
            "clientIdIssuedAt": now,
            "clientSecretExpiresAt": now + 90 * 86_400,
        }),
    )
}

fn issue(s: &Shared, st: &mut State) -> Reply {
    st.serial += 1;
    let (access, refresh) = (
        format!("access-token-{}", st.serial),
        format!("refresh-token-{}", st.serial),
    );
    st.access.push(access.clone());
    st.refresh.push(refresh.clone());
    json(
        "200 OK",
        serde_json::json!({
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": *s.token_lifetime.lock().unwrap(),
            "refreshToken": refresh,
        }),
    )
}

fn token(s: &Shared, input: &serde_json::Value) -> Reply {
    let text = |k: &str| input[k].as_str().unwrap_or("").to_string();
    if !client_ok(s, &text("clientId"), &text("clientSecret")) {
        return error(
            "400 Bad Request",
            "InvalidClientException",
            "invalid_client",
        );
    }
    match text("grantType").as_str() {
        "urn:ietf:params:oauth:grant-type:device_code" => {
            s.calls.device_token.fetch_add(1, Ordering::SeqCst);
            let user = *s.device_user.lock().unwrap();
            let mut st = s.state.lock().unwrap();
            let Some(polls) = st.devices.get_mut(&text("deviceCode")) else {
                return error("400 Bad Request", "InvalidGrantException", "invalid_grant");
            };
            *polls += 1;
            let n = *polls;
            match user {
                DeviceUser::ApproveAfter(k) if n > k => issue(s, &mut st),
                DeviceUser::SlowDownThenApprove if n > 1 => issue(s, &mut st),
                DeviceUser::SlowDownThenApprove => {
                    error("400 Bad Request", "SlowDownException", "slow_down")
                }
                DeviceUser::Deny => {
                    error("400 Bad Request", "AccessDeniedException", "access_denied")
                }
                DeviceUser::ExpireAfter(k) if n > k => {
                    error("400 Bad Request", "ExpiredTokenException", "expired_token")
                }
                _ => error(
                    "400 Bad Request",
                    "AuthorizationPendingException",
                    "authorization_pending",
                ),
            }
        }
        "authorization_code" => {
            s.calls.code_token.fetch_add(1, Ordering::SeqCst);
            let mut st = s.state.lock().unwrap();
            let Some((client, redirect, challenge)) = st.codes.remove(&text("code")) else {
                return error("400 Bad Request", "InvalidGrantException", "invalid_grant");
            };
            let verifier = text("codeVerifier");
            if client != text("clientId")
                || redirect != text("redirectUri")
                || s256(&verifier) != challenge
            {
                return error("400 Bad Request", "InvalidGrantException", "invalid_grant");
            }
            issue(s, &mut st)
        }
        "refresh_token" => {
            s.calls.refresh_token.fetch_add(1, Ordering::SeqCst);
            let mut st = s.state.lock().unwrap();
            let rt = text("refreshToken");
            if s.refuse_refresh.load(Ordering::SeqCst) || !st.refresh.contains(&rt) {
                return error("400 Bad Request", "InvalidGrantException", "invalid_grant");
            }
            st.refresh.retain(|t| *t != rt);
            issue(s, &mut st)
        }
        _ => error(
            "400 Bad Request",
            "UnsupportedGrantTypeException",
            "unsupported_grant_type",
        ),
    }
}

/// The `/authorize` page: the user is signed in and approves at once, so it redirects to the
/// client's registered redirect URI with a code and the request's `state`.
fn authorize(s: &Shared, q: &BTreeMap<String, String>) -> Reply {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut st = s.state.lock().unwrap();
    let registered = st
        .clients
        .get(&get("client_id"))
        .is_some_and(|(_, uris)| uris.contains(&get("redirect_uri")));
    if get("response_type") != "code"
        || get("code_challenge_method") != "S256"
        || get("code_challenge").is_empty()
        || !registered
    {
        return Reply {
            status: "400 Bad Request",
            headers: vec![],
            body: "bad authorization request\n".into(),
        };
    }
    st.serial += 1;
    let code = format!("auth-code-{}", st.serial);
    st.codes.insert(
        code.clone(),
        (get("client_id"), get("redirect_uri"), get("code_challenge")),
    );
    let location = format!(
        "{}?code={}&state={}",
        get("redirect_uri"),
        encode(&code),
        encode(&get("state"))
    );
    Reply {
        status: "302 Found",
        headers: vec![("Location".into(), location)],
        body: String::new(),
    }
}

/// RFC 7636's S256: base64url (no padding) of SHA-256.
fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            super::s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
