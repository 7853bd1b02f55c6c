//! Requests to answers: the checks every request passes (Host, body size), then the ECS or IMDS
//! routes.

use crate::imds::{IssueError, Tokens};
use crate::{MAX_BODY_BYTES, Mode, ServeSettings};
use aws_runas_domain::Credentials;
use aws_runas_domain::ports::credential_source::{CredentialSource, CredentialSourceError};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use subtle::ConstantTimeEq as _;

const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const AUTH_TYPE_HEADER: &str = "x-awsrunas-authentication-type";
const CREDENTIALS_PREFIX: &str = "/latest/meta-data/iam/security-credentials/";
/// The expiry shown for long-term keys, which have none: SDKs then ask again within the hour.
const LONG_TERM_SHOWN_SECS: i64 = 3600;

pub(crate) type Answer = Response<Full<Bytes>>;

/// What every request handler shares.
pub(crate) struct State {
    settings: ServeSettings,
    source: Arc<dyn CredentialSource>,
    addr: SocketAddr,
    tokens: Tokens,
}

impl State {
    pub(crate) fn new(
        settings: ServeSettings,
        source: Arc<dyn CredentialSource>,
        addr: SocketAddr,
    ) -> State {
        State {
            settings,
            source,
            addr,
            tokens: Tokens::default(),
        }
    }

    /// Answers one request, and logs it.
    pub(crate) async fn handle(&self, req: Request<Incoming>) -> Answer {
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let answer = self.answer(req).await;
        if self.settings.log_requests {
            log::info!("{method} {path} {}", answer.status().as_u16());
        } else {
            log::debug!("{method} {path} {}", answer.status().as_u16());
        }
        answer
    }

    async fn answer(&self, req: Request<Incoming>) -> Answer {
        if let Some(host) = req.headers().get(header::HOST)
            && !self.host_is_ours(host)
        {
            return error(
                StatusCode::FORBIDDEN,
                "the Host header names another server; use the address this server listens on",
            );
        }
        let (parts, body) = req.into_parts();
        if let Some(token) = &self.settings.page_token
            && crate::page::is_page_path(parts.uri.path())
        {
            let limit = usize::try_from(MAX_BODY_BYTES).unwrap_or(usize::MAX);
            let body = match Limited::new(body, limit).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "request bodies are limited to 64 KiB",
                    );
                }
            };
            return crate::page::answer(self.source.as_ref(), self.addr, token, &parts, &body)
                .await;
        }
        if let Some(refused) = refuse_large_body(&parts.headers, body).await {
            return refused;
        }
        match &self.settings.mode {
            Mode::Ecs { path, token } => {
                self.ecs(&parts.method, parts.uri.path(), &parts.headers, path, token)
                    .await
            }
            Mode::Ec2 { imdsv1 } => {
                self.imds(&parts.method, parts.uri.path(), &parts.headers, *imdsv1)
                    .await
            }
        }
    }

    /// A loopback name, or the address listened on (port ignored): a page whose name was
    /// rebound to this address sends its own name and is refused.
    fn host_is_ours(&self, host: &HeaderValue) -> bool {
        let Ok(host) = host.to_str() else {
            return false;
        };
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host.split(':').next().unwrap_or_default(),
        };
        if name.eq_ignore_ascii_case("localhost") {
            return true;
        }
        match name.parse::<std::net::IpAddr>() {
            Ok(ip) => ip.is_loopback() || ip == self.addr.ip(),
            Err(_) => false,
        }
    }

    async fn ecs(
        &self,
        method: &Method,
        path: &str,
        headers: &hyper::HeaderMap,
        base: &str,
        token: &aws_runas_domain::Secret,
    ) -> Answer {
        let profile = if path == base {
            None
        } else {
            match path.strip_prefix(base).and_then(|r| r.strip_prefix('/')) {
                Some(name) if !name.is_empty() && !name.contains('/') => Some(name),
                _ => return error(StatusCode::NOT_FOUND, "no such path"),
            }
        };
        if method != Method::GET {
            return error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served");
        }
        let given = headers
            .get(header::AUTHORIZATION)
            .map_or(&b""[..], HeaderValue::as_bytes);
        let expected = token.expose().as_bytes();
        if expected.is_empty() || !bool::from(given.ct_eq(expected)) {
            return error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN)",
            );
        }
        match self.source.credentials(profile).await {
            Ok(c) => json(StatusCode::OK, self.ecs_json(&c)),
            Err(e) => source_error(&e),
        }
    }

    async fn imds(
        &self,
        method: &Method,
        path: &str,
        headers: &hyper::HeaderMap,
        imdsv1: bool,
    ) -> Answer {
        let now = Instant::now();
        if path == "/latest/api/token" {
            if method != Method::PUT {
                return error(StatusCode::METHOD_NOT_ALLOWED, "tokens are made with PUT");
            }
            // Like EC2's: a request that went through a proxy is not from this machine's client.
            if headers.contains_key("x-forwarded-for") {
                return error(StatusCode::FORBIDDEN, "forwarded requests get no token");
            }
            let ttl = headers.get(TTL_HEADER).and_then(|v| v.to_str().ok());
            return match Tokens::parse_ttl(ttl).and_then(|t| Ok((t, self.tokens.issue(t, now)?))) {
                Ok((ttl, token)) => {
                    let mut r = text(StatusCode::OK, token.expose().to_string());
                    r.headers_mut().insert(TTL_HEADER, HeaderValue::from(ttl));
                    r
                }
                Err(IssueError::BadTtl) => error(
                    StatusCode::BAD_REQUEST,
                    "X-aws-ec2-metadata-token-ttl-seconds must be a number of seconds from 1 to 21600",
                ),
                Err(IssueError::Full) => error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many live tokens; try again later",
                ),
            };
        }
        let Some(rest) = path.strip_prefix(CREDENTIALS_PREFIX) else {
            return error(StatusCode::NOT_FOUND, "no such path");
        };
        if method != Method::GET {
            return error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served");
        }
        let authorised = match headers.get(TOKEN_HEADER).map(HeaderValue::to_str) {
            Some(Ok(t)) => self.tokens.is_live(t, now),
            Some(Err(_)) => false,
            None => imdsv1,
        };
        if !authorised {
            return error(
                StatusCode::UNAUTHORIZED,
                "a live token from PUT /latest/api/token is required in X-aws-ec2-metadata-token",
            );
        }
        if rest.is_empty() {
            return match self.source.active_profile() {
                Some(p) => text(StatusCode::OK, p),
                None => source_error(&CredentialSourceError::NotFound(None)),
            };
        }
        if rest.contains('/') {
            return error(StatusCode::NOT_FOUND, "no such path");
        }
        match self.source.credentials(Some(rest)).await {
            Ok(c) => json(StatusCode::OK, self.ec2_json(&c)),
            Err(e) => source_error(&e),
        }
    }

    fn expiration(&self, c: &Credentials) -> String {
        c.expiration()
            .unwrap_or_else(|| self.settings.clock.now().plus_secs(LONG_TERM_SHOWN_SECS))
            .to_rfc3339()
    }

    fn ecs_json(&self, c: &Credentials) -> String {
        let mut out = format!(
            "{{\"AccessKeyId\":{},\"SecretAccessKey\":{}",
            quoted(c.access_key_id()),
            quoted(c.secret_access_key().expose())
        );
        if let Some(t) = c.session_token() {
            out.push_str(&format!(",\"Token\":{}", quoted(t.expose())));
        }
        out.push_str(&format!(",\"Expiration\":\"{}\"}}", self.expiration(c)));
        out
    }

    fn ec2_json(&self, c: &Credentials) -> String {
        format!(
            "{{\"Code\":\"Success\",\"LastUpdated\":\"{}\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":{},\"SecretAccessKey\":{},\"Token\":{},\"Expiration\":\"{}\"}}",
            self.settings.clock.now().to_rfc3339(),
            quoted(c.access_key_id()),
            quoted(c.secret_access_key().expose()),
            quoted(c.session_token().map_or("", |t| t.expose())),
            self.expiration(c)
        )
    }
}

/// Refuses a body over [`MAX_BODY_BYTES`], by its declared length or by reading at most that
/// much of a chunked one. No route reads a body, so nothing else is kept.
async fn refuse_large_body(headers: &hyper::HeaderMap, body: Incoming) -> Option<Answer> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request bodies are limited to 64 KiB",
        )
    };
    if let Some(len) = headers.get(header::CONTENT_LENGTH) {
        return match len.to_str().ok().and_then(|l| l.trim().parse::<u64>().ok()) {
            Some(n) if n <= MAX_BODY_BYTES => None,
            Some(_) => Some(too_large()),
            None => Some(error(StatusCode::BAD_REQUEST, "bad Content-Length")),
        };
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        let limit = usize::try_from(MAX_BODY_BYTES).unwrap_or(usize::MAX);
        if Limited::new(body, limit).collect().await.is_err() {
            return Some(too_large());
        }
    }
    None
}

pub(crate) fn source_error(e: &CredentialSourceError) -> Answer {
    match e {
        CredentialSourceError::NotFound(_) => error(StatusCode::NOT_FOUND, &e.to_string()),
        CredentialSourceError::NeedsMfa { .. } => {
            let mut r = error(StatusCode::UNAUTHORIZED, &e.to_string());
            r.headers_mut()
                .insert(AUTH_TYPE_HEADER, HeaderValue::from_static("MFA"));
            r
        }
        CredentialSourceError::NeedsLogin { username, .. } => {
            // §7.4: the body names the configured user name, for the page's login dialog.
            let mut r = json(
                StatusCode::UNAUTHORIZED,
                format!(
                    "{{\"error\":{},\"username\":{}}}",
                    quoted(&e.to_string()),
                    username.as_deref().map_or("null".into(), quoted)
                ),
            );
            r.headers_mut()
                .insert(AUTH_TYPE_HEADER, HeaderValue::from_static("AUTH"));
            r
        }
        _ => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

pub(crate) fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

pub(crate) fn error(status: StatusCode, message: &str) -> Answer {
    json(status, format!("{{\"error\":{}}}", quoted(message)))
}

pub(crate) fn json(status: StatusCode, body: String) -> Answer {
    respond(status, "application/json", body)
}

fn text(status: StatusCode, body: String) -> Answer {
    respond(status, "text/plain; charset=utf-8", body)
}

pub(crate) fn respond(status: StatusCode, content_type: &'static str, body: String) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
