//! A mock OpenID Connect provider on a [`MockServer`]: discovery document, authorization
//! endpoint with a login form and a session cookie, token endpoint checking PKCE and issuing
//! RS256-signed ID tokens, JWKS, and the device authorization grant, plus knobs that break each
//! part on purpose.
//!
//! The paths are configurable ([`MockOidcConfig`]), so an adapter's test can lay them out as its
//! provider does (Keycloak's `/realms/<realm>/protocol/openid-connect/…`), and so is the login
//! page, so the adapter sees the markup it knows.

use crate::conformance::{PASSWORD, USERNAME};
use crate::server::{MockRequest, MockResponse, MockServer};
use crate::signing::{TokenSigning, jwks_json, sign_jwt};
use aws_runas_domain::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The client id the mock provider knows by default.
pub const OIDC_CLIENT_ID: &str = "aws-runas-conformance";

/// The user code the mock's device flow hands out.
pub const DEVICE_USER_CODE: &str = "WDJB-MJHT";

/// The session cookie the mock sets after a successful login.
pub const SESSION_COOKIE: &str = "MOCK_OIDC_SESSION";

/// What the login page template gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPage<'a> {
    /// Where the form posts (path and query, the authorization request's parameters kept).
    pub action: &'a str,
    /// The error to show, after a refused password.
    pub error: Option<&'a str>,
    /// The name of the user-name input.
    pub username_field: &'a str,
    /// The name of the password input.
    pub password_field: &'a str,
}

/// Renders the login page.
pub type LoginPageFn = Arc<dyn Fn(&LoginPage<'_>) -> String + Send + Sync>;

/// A plain login form: user name, password, submit.
pub fn default_login_page(page: &LoginPage<'_>) -> String {
    let error = page
        .error
        .map(|e| format!(r#"<p class="error" role="alert">{e}</p>"#))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html><html><head><title>Mock OIDC sign-in</title></head><body>{error}
<form id="login" method="post" action="{action}">
<label for="u">User name</label><input type="text" id="u" name="{user}" autocomplete="username">
<label for="p">Password</label><input type="password" id="p" name="{pass}" autocomplete="current-password">
<input type="submit" value="Sign in">
</form></body></html>"#,
        action = page.action.replace('&', "&amp;"),
        user = page.username_field,
        pass = page.password_field,
    )
}

/// How the mock provider is laid out and whom it accepts.
///
/// Build it with [`MockOidcConfig::new`] and change what the test needs
/// (`MockOidcConfig { token_lifetime_secs: 60, ..MockOidcConfig::new() }`).
#[derive(Clone)]
pub struct MockOidcConfig {
    /// The issuer's path (the issuer is the server's base URL and this path).
    pub issuer_path: String,
    /// The authorization endpoint's path.
    pub authorize_path: String,
    /// The token endpoint's path.
    pub token_path: String,
    /// The JWKS path.
    pub jwks_path: String,
    /// The device authorization endpoint's path.
    pub device_path: String,
    /// Whether `<issuer>/.well-known/openid-configuration` is served (else it is a `404`).
    pub discovery: bool,
    /// Whether the JWKS is published (and named in the discovery document).
    pub publish_jwks: bool,
    /// Whether the device flow is offered.
    pub device_flow: bool,
    /// The one client id accepted.
    pub client_id: String,
    /// The user accepted.
    pub username: String,
    /// The password accepted.
    pub password: String,
    /// The name of the login form's user-name input.
    pub username_field: String,
    /// The name of the login form's password input.
    pub password_field: String,
    /// The login page.
    pub login_page: LoginPageFn,
    /// The `iat` of the tokens issued.
    pub now: Timestamp,
    /// `exp` − `iat` of the tokens issued.
    pub token_lifetime_secs: i64,
    /// The device flow's `interval` (0 keeps tests fast; real providers say 5).
    pub device_interval_secs: u64,
    /// The device flow's `expires_in`.
    pub device_expires_in_secs: u64,
}

impl fmt::Debug for MockOidcConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockOidcConfig")
            .field("issuer_path", &self.issuer_path)
            .field("authorize_path", &self.authorize_path)
            .field("token_path", &self.token_path)
            .field("jwks_path", &self.jwks_path)
            .field("device_path", &self.device_path)
            .field("discovery", &self.discovery)
            .field("publish_jwks", &self.publish_jwks)
            .field("device_flow", &self.device_flow)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl MockOidcConfig {
    /// Everything under `/oidc`; client [`OIDC_CLIENT_ID`]; the conformance user and password;
    /// discovery, JWKS and device flow on; tokens issued at the conformance suite's instant
    /// (2026-01-15T10:00:00Z) for an hour.
    pub fn new() -> Self {
        MockOidcConfig {
            issuer_path: "/oidc".into(),
            authorize_path: "/oidc/authorize".into(),
            token_path: "/oidc/token".into(),
            jwks_path: "/oidc/jwks".into(),
            device_path: "/oidc/device".into(),
            discovery: true,
            publish_jwks: true,
            device_flow: true,
            client_id: OIDC_CLIENT_ID.into(),
            username: USERNAME.into(),
            password: PASSWORD.into(),
            username_field: "username".into(),
            password_field: "password".into(),
            login_page: Arc::new(default_login_page),
            now: Timestamp::from_unix(1_768_471_200),
            token_lifetime_secs: 3600,
            device_interval_secs: 0,
            device_expires_in_secs: 600,
        }
    }
}

impl Default for MockOidcConfig {
    fn default() -> Self {
        MockOidcConfig::new()
    }
}

/// A route of the mock provider, for [`MockOidc::fail_route`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OidcRoute {
    /// The discovery document.
    Discovery,
    /// The authorization endpoint (`GET` and `POST`).
    Authorize,
    /// The token endpoint.
    Token,
    /// The JWKS.
    Jwks,
    /// The device authorization endpoint.
    Device,
}

/// How the mock's device flow ends once the pending and slow-down answers are used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// The user approved: tokens.
    Approve,
    /// The user denied: `access_denied`.
    Deny,
    /// The code expired: `expired_token`.
    Expire,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
}

struct Knobs {
    wrong_state: bool,
    omit_id_token: bool,
    signing: TokenSigning,
    issuer_claim: Option<String>,
    audience_claim: Option<String>,
    nonce_claim: Option<String>,
    failing: BTreeMap<OidcRoute, u16>,
    device_pending: usize,
    device_slow_down: usize,
    device_outcome: DeviceOutcome,
}

struct State {
    knobs: Knobs,
    counter: u64,
    codes: BTreeMap<String, Grant>,
    sessions: Vec<String>,
    devices: BTreeMap<String, usize>,
    issued_codes: Vec<String>,
    redeemed_codes: usize,
    verifiers: Vec<String>,
    issued_tokens: Vec<String>,
    password_attempts: usize,
    device_polls: usize,
}

/// The mock provider installed on a [`MockServer`]: its URLs, knobs and records.
///
/// Clones share the state; the knobs act on the next request.
#[derive(Clone)]
pub struct MockOidc {
    base_url: String,
    config: Arc<MockOidcConfig>,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for MockOidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockOidc")
            .field("issuer", &self.issuer())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn oauth_error(status: u16, error: &str, description: &str) -> MockResponse {
    MockResponse::json(
        serde_json::json!({"error": error, "error_description": description}).to_string(),
    )
    .with_status(status)
}

fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

impl MockOidc {
    /// Registers the provider's routes on `server`.
    ///
    /// # Panics
    /// When the test keys cannot be generated (on first use in the process).
    pub fn install(server: &MockServer, config: MockOidcConfig) -> MockOidc {
        let oidc = MockOidc {
            base_url: server.base_url(),
            config: Arc::new(config),
            state: Arc::new(Mutex::new(State {
                knobs: Knobs {
                    wrong_state: false,
                    omit_id_token: false,
                    signing: TokenSigning::Good,
                    issuer_claim: None,
                    audience_claim: None,
                    nonce_claim: None,
                    failing: BTreeMap::new(),
                    device_pending: 1,
                    device_slow_down: 0,
                    device_outcome: DeviceOutcome::Approve,
                },
                counter: 0,
                codes: BTreeMap::new(),
                sessions: vec![],
                devices: BTreeMap::new(),
                issued_codes: vec![],
                redeemed_codes: 0,
                verifiers: vec![],
                issued_tokens: vec![],
                password_attempts: 0,
                device_polls: 0,
            })),
        };
        // Generate the keys now rather than inside the first token request.
        let _ = jwks_json();
        let c = &oidc.config;
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            c.issuer_path.trim_end_matches('/')
        );
        let me = oidc.clone();
        server.route("GET", &discovery, move |_| me.discovery());
        let me = oidc.clone();
        server.route("GET", &c.authorize_path, move |r| me.authorize(r, false));
        let me = oidc.clone();
        server.route("POST", &c.authorize_path, move |r| me.authorize(r, true));
        let me = oidc.clone();
        server.route("POST", &c.token_path, move |r| me.token(r));
        let me = oidc.clone();
        server.route("GET", &c.jwks_path, move |_| me.jwks());
        let me = oidc.clone();
        server.route("POST", &c.device_path, move |r| me.device(r));
        oidc
    }

    /// [`MockOidc::install`] with [`MockOidcConfig::new`].
    pub fn start(server: &MockServer) -> MockOidc {
        MockOidc::install(server, MockOidcConfig::new())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The configuration.
    pub fn config(&self) -> &MockOidcConfig {
        &self.config
    }

    /// The issuer: base URL and [`MockOidcConfig::issuer_path`].
    pub fn issuer(&self) -> String {
        self.url(self.config.issuer_path.trim_end_matches('/'))
    }

    /// `<issuer>/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// The authorization endpoint.
    pub fn authorize_url(&self) -> String {
        self.url(&self.config.authorize_path)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        self.url(&self.config.token_path)
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        self.url(&self.config.jwks_path)
    }

    /// The device authorization endpoint.
    pub fn device_url(&self) -> String {
        self.url(&self.config.device_path)
    }

    /// The device flow's verification URL.
    pub fn verification_url(&self) -> String {
        format!("{}/device/verify", self.issuer())
    }

    /// The client id accepted.
    pub fn client_id(&self) -> &str {
        &self.config.client_id
    }

    /// Answers the authorization redirect with another `state` than the one received.
    pub fn set_wrong_state(&self, on: bool) {
        self.lock().knobs.wrong_state = on;
    }

    /// Answers the token request without an `id_token`.
    pub fn set_omit_id_token(&self, on: bool) {
        self.lock().knobs.omit_id_token = on;
    }

    /// Signs the next ID tokens as `signing` says.
    pub fn set_signing(&self, signing: TokenSigning) {
        self.lock().knobs.signing = signing;
    }

    /// Puts this `iss` in the next ID tokens (`None`: the issuer).
    pub fn set_token_issuer(&self, issuer: Option<&str>) {
        self.lock().knobs.issuer_claim = issuer.map(str::to_string);
    }

    /// Puts this `aud` in the next ID tokens (`None`: the client id).
    pub fn set_token_audience(&self, audience: Option<&str>) {
        self.lock().knobs.audience_claim = audience.map(str::to_string);
    }

    /// Puts this `nonce` in the next ID tokens (`None`: the one of the authorization request).
    pub fn set_token_nonce(&self, nonce: Option<&str>) {
        self.lock().knobs.nonce_claim = nonce.map(str::to_string);
    }

    /// Makes `route` answer `status` (with a short text body), or work again with `None`.
    pub fn fail_route(&self, route: OidcRoute, status: Option<u16>) {
        let mut state = self.lock();
        match status {
            Some(s) => state.knobs.failing.insert(route, s),
            None => state.knobs.failing.remove(&route),
        };
    }

    /// The device flow's script: `pending` polls answered `authorization_pending`, then
    /// `slow_down` polls answered `slow_down`, then `outcome`. The default is one pending poll,
    /// then approval.
    pub fn set_device_script(&self, pending: usize, slow_down: usize, outcome: DeviceOutcome) {
        let mut state = self.lock();
        state.knobs.device_pending = pending;
        state.knobs.device_slow_down = slow_down;
        state.knobs.device_outcome = outcome;
    }

    /// The ID tokens issued, in order.
    pub fn issued_id_tokens(&self) -> Vec<String> {
        self.lock().issued_tokens.clone()
    }

    /// The authorization codes issued, in order.
    pub fn issued_codes(&self) -> Vec<String> {
        self.lock().issued_codes.clone()
    }

    /// The PKCE verifiers received at the token endpoint, in order.
    pub fn received_verifiers(&self) -> Vec<String> {
        self.lock().verifiers.clone()
    }

    /// How many codes were redeemed successfully.
    pub fn redeemed_codes(&self) -> usize {
        self.lock().redeemed_codes
    }

    /// How many times a password was posted to the login form.
    pub fn password_attempts(&self) -> usize {
        self.lock().password_attempts
    }

    /// How many times the token endpoint was polled with a device code.
    pub fn device_polls(&self) -> usize {
        self.lock().device_polls
    }

    /// The JWKS document served.
    pub fn jwks_json(&self) -> String {
        jwks_json()
    }

    /// An ID token for the configured user, made as the knobs say, with `nonce` (unless the
    /// nonce knob overrides it). It is recorded among the issued tokens.
    pub fn mint_id_token(&self, nonce: Option<&str>) -> String {
        let mut state = self.lock();
        self.mint(&mut state, nonce)
    }

    fn mint(&self, state: &mut State, nonce: Option<&str>) -> String {
        let c = &self.config;
        let k = &state.knobs;
        let mut claims = serde_json::json!({
            "iss": k.issuer_claim.clone().unwrap_or_else(|| self.issuer()),
            "aud": k.audience_claim.clone().unwrap_or_else(|| c.client_id.clone()),
            "sub": format!("sub-{}", c.username),
            "preferred_username": c.username,
            "iat": c.now.unix(),
            "exp": c.now.plus_secs(c.token_lifetime_secs).unix(),
        });
        if let Some(nonce) = k.nonce_claim.as_deref().or(nonce) {
            claims["nonce"] = serde_json::Value::String(nonce.to_string());
        }
        let token = sign_jwt(&claims, k.signing);
        state.issued_tokens.push(token.clone());
        token
    }

    fn fresh(&self, state: &mut State, prefix: &str) -> String {
        state.counter += 1;
        let mut bytes = [0u8; 12];
        let _ = aws_lc_rs::rand::fill(&mut bytes);
        format!(
            "{prefix}-{}-{}",
            state.counter,
            URL_SAFE_NO_PAD.encode(bytes)
        )
    }

    fn failure(&self, route: OidcRoute) -> Option<MockResponse> {
        self.lock().knobs.failing.get(&route).map(|status| {
            MockResponse::text(format!("injected failure {status}\n")).with_status(*status)
        })
    }

    fn discovery(&self) -> MockResponse {
        if let Some(failure) = self.failure(OidcRoute::Discovery) {
            return failure;
        }
        if !self.config.discovery {
            return MockResponse::text("not found\n").with_status(404);
        }
        let mut doc = serde_json::json!({
            "issuer": self.issuer(),
            "authorization_endpoint": self.authorize_url(),
            "token_endpoint": self.token_url(),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        });
        if self.config.publish_jwks {
            doc["jwks_uri"] = self.jwks_url().into();
        }
        if self.config.device_flow {
            doc["device_authorization_endpoint"] = self.device_url().into();
            doc["grant_types_supported"] = serde_json::json!([
                "authorization_code",
                "urn:ietf:params:oauth:grant-type:device_code"
            ]);
        }
        MockResponse::json(doc.to_string())
    }

    fn jwks(&self) -> MockResponse {
        if let Some(failure) = self.failure(OidcRoute::Jwks) {
            return failure;
        }
        if !self.config.publish_jwks {
            return MockResponse::text("not found\n").with_status(404);
        }
        MockResponse::json(jwks_json())
    }

    fn login_page(&self, action: &str, error: Option<&str>) -> MockResponse {
        MockResponse::html((self.config.login_page)(&LoginPage {
            action,
            error,
            username_field: &self.config.username_field,
            password_field: &self.config.password_field,
        }))
    }

    fn authorize(&self, r: &MockRequest, posted: bool) -> MockResponse {
        if let Some(failure) = self.failure(OidcRoute::Authorize) {
            return failure;
        }
        let c = &self.config;
        let param = |name: &str| r.query_param(name).filter(|v| !v.is_empty());
        if param("client_id").as_deref() != Some(c.client_id.as_str()) {
            return MockResponse::html("<p>Unknown client.</p>").with_status(400);
        }
        let Some(redirect_uri) = param("redirect_uri") else {
            return MockResponse::html("<p>Missing redirect_uri.</p>").with_status(400);
        };
        let pkce = param("code_challenge_method").as_deref() == Some("S256");
        let (Some(challenge), true) = (param("code_challenge"), pkce) else {
            return MockResponse::html("<p>PKCE with S256 is required.</p>").with_status(400);
        };
        if param("response_type").as_deref() != Some("code")
            || !param("scope").is_some_and(|s| s.split(' ').any(|s| s == "openid"))
        {
            return MockResponse::html("<p>response_type=code and scope=openid are required.</p>")
                .with_status(400);
        }
        let mut state = self.lock();
        let logged_in = r
            .cookie(SESSION_COOKIE)
            .is_some_and(|s| state.sessions.contains(&s));
        let mut new_session = None;
        if !logged_in {
            let action = format!("{}?{}", c.authorize_path, r.query());
            if !posted {
                drop(state);
                return self.login_page(&action, None);
            }
            state.password_attempts += 1;
            let ok = r.form_value(&c.username_field).as_deref() == Some(c.username.as_str())
                && r.form_value(&c.password_field).as_deref() == Some(c.password.as_str());
            if !ok {
                drop(state);
                return self.login_page(&action, Some("Invalid username or password."));
            }
            let session = self.fresh(&mut state, "session");
            state.sessions.push(session.clone());
            new_session = Some(session);
        }
        let code = self.fresh(&mut state, "code");
        state.issued_codes.push(code.clone());
        state.codes.insert(
            code.clone(),
            Grant {
                client_id: c.client_id.clone(),
                redirect_uri: redirect_uri.clone(),
                challenge,
                nonce: param("nonce"),
            },
        );
        let sent_state = if state.knobs.wrong_state {
            Some("forged-state".to_string())
        } else {
            param("state")
        };
        let mut location = format!(
            "{redirect_uri}{}code={}",
            if redirect_uri.contains('?') { '&' } else { '?' },
            encode(&code)
        );
        if let Some(s) = sent_state {
            location.push_str(&format!("&state={}", encode(&s)));
        }
        let response = MockResponse::redirect(location);
        match new_session {
            Some(session) => {
                response.set_cookie(format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly"))
            }
            None => response,
        }
    }

    fn token(&self, r: &MockRequest) -> MockResponse {
        if let Some(failure) = self.failure(OidcRoute::Token) {
            return failure;
        }
        match r.form_value("grant_type").as_deref() {
            Some("authorization_code") => self.redeem(r),
            Some("urn:ietf:params:oauth:grant-type:device_code") => self.poll(r),
            _ => oauth_error(
                400,
                "unsupported_grant_type",
                "this grant type is not supported",
            ),
        }
    }

    fn tokens(&self, state: &mut State, nonce: Option<&str>) -> MockResponse {
        let mut body = serde_json::json!({
            "access_token": self.fresh(state, "access"),
            "token_type": "Bearer",
            "expires_in": self.config.token_lifetime_secs,
            "scope": "openid profile",
        });
        if !state.knobs.omit_id_token {
            body["id_token"] = self.mint(state, nonce).into();
        }
        MockResponse::json(body.to_string()).header("Cache-Control", "no-store")
    }

    fn redeem(&self, r: &MockRequest) -> MockResponse {
        let mut state = self.lock();
        let code = r.form_value("code").unwrap_or_default();
        let verifier = r.form_value("code_verifier").unwrap_or_default();
        state.verifiers.push(verifier.clone());
        // A code is good once, whatever happens next.
        let Some(grant) = state.codes.remove(&code) else {
            return oauth_error(400, "invalid_grant", "unknown or already used code");
        };
        if r.form_value("client_id").as_deref() != Some(grant.client_id.as_str()) {
            return oauth_error(
                400,
                "invalid_grant",
                "the code was issued to another client",
            );
        }
        if r.form_value("redirect_uri").as_deref() != Some(grant.redirect_uri.as_str()) {
            return oauth_error(
                400,
                "invalid_grant",
                "redirect_uri differs from the authorization request",
            );
        }
        if s256(&verifier) != grant.challenge {
            return oauth_error(400, "invalid_grant", "PKCE verification failed");
        }
        state.redeemed_codes += 1;
        self.tokens(&mut state, grant.nonce.as_deref())
    }

    fn device(&self, r: &MockRequest) -> MockResponse {
        if let Some(failure) = self.failure(OidcRoute::Device) {
            return failure;
        }
        if !self.config.device_flow {
            return MockResponse::text("not found\n").with_status(404);
        }
        if r.form_value("client_id").as_deref() != Some(self.config.client_id.as_str()) {
            return oauth_error(401, "invalid_client", "unknown client");
        }
        let mut state = self.lock();
        let device_code = self.fresh(&mut state, "device");
        state.devices.insert(device_code.clone(), 0);
        let verification = self.verification_url();
        MockResponse::json(
            serde_json::json!({
                "device_code": device_code,
                "user_code": DEVICE_USER_CODE,
                "verification_uri": verification,
                "verification_uri_complete": format!("{verification}?user_code={DEVICE_USER_CODE}"),
                "expires_in": self.config.device_expires_in_secs,
                "interval": self.config.device_interval_secs,
            })
            .to_string(),
        )
    }

    fn poll(&self, r: &MockRequest) -> MockResponse {
        let mut state = self.lock();
        state.device_polls += 1;
        let code = r.form_value("device_code").unwrap_or_default();
        if r.form_value("client_id").as_deref() != Some(self.config.client_id.as_str()) {
            return oauth_error(400, "invalid_client", "unknown client");
        }
        let Some(polls) = state.devices.get_mut(&code) else {
            return oauth_error(400, "invalid_grant", "unknown device code");
        };
        *polls += 1;
        let n = *polls;
        let (pending, slow) = (state.knobs.device_pending, state.knobs.device_slow_down);
        if n <= pending {
            return oauth_error(
                400,
                "authorization_pending",
                "the user has not finished yet",
            );
        }
        if n <= pending + slow {
            return oauth_error(400, "slow_down", "polling too fast");
        }
        state.devices.remove(&code);
        match state.knobs.device_outcome {
            DeviceOutcome::Approve => self.tokens(&mut state, None),
            DeviceOutcome::Deny => oauth_error(400, "access_denied", "the user denied the request"),
            DeviceOutcome::Expire => oauth_error(400, "expired_token", "the device code expired"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_challenges() {
        assert_eq!(encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_default_page_has_the_configured_fields() {
        let page = default_login_page(&LoginPage {
            action: "/oidc/authorize?a=1&b=2",
            error: Some("Invalid username or password."),
            username_field: "user",
            password_field: "pass",
        });
        assert!(
            page.contains(r#"action="/oidc/authorize?a=1&amp;b=2""#),
            "{page}"
        );
        assert!(
            page.contains(r#"name="user""#)
                && page.contains(r#"type="password" id="p" name="pass""#)
        );
        assert!(page.contains("Invalid username"));
    }

    #[test]
    fn config_timestamps_match_the_conformance_instant() {
        assert_eq!(
            MockOidcConfig::new().now,
            Timestamp::parse_rfc3339("2026-01-15T10:00:00Z").unwrap()
        );
    }
}
