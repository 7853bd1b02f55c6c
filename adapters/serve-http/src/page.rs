//! The web page (`GET /`) and the requests it makes: list and pick a profile, refresh now,
//! answer an MFA question or an
//! identity-provider login. The page comes from the binary; nothing is loaded from another host.
//!
//! The page authenticates with a cookie: `GET /?token=<page token>` sets it (HttpOnly,
//! SameSite=Strict) and redirects to `/`. Every other page request needs the cookie, or the token
//! in `Authorization`. Requests that change state are refused unless `Host` is the address
//! listened on and any `Origin` is that same address.

use crate::routes::{Answer, error, json, quoted, respond};
use aws_runas_domain::Secret;
use aws_runas_domain::ports::credential_source::CredentialSource;
use bytes::Bytes;
use hyper::header::{self, HeaderValue};
use hyper::{HeaderMap, Method, StatusCode};
use std::net::SocketAddr;
use subtle::ConstantTimeEq as _;

/// The page: HTML with its CSS and script inline.
pub(crate) const INDEX_HTML: &str = include_str!("page/index.html");
const COOKIE: &str = "aws_runas_page";
/// The longest MFA code accepted.
const MAX_CODE_LEN: usize = 16;
/// The longest password accepted.
const MAX_PASSWORD_LEN: usize = 4096;

/// The paths the page uses.
pub(crate) fn is_page_path(path: &str) -> bool {
    matches!(
        path,
        "/" | "/index.html" | "/profiles" | "/status" | "/profile" | "/refresh" | "/mfa" | "/auth"
    )
}

/// Answers a request to one of [`is_page_path`]'s paths.
pub(crate) async fn answer(
    source: &dyn CredentialSource,
    addr: SocketAddr,
    token: &Secret,
    parts: &hyper::http::request::Parts,
    body: &Bytes,
) -> Answer {
    let (method, path, query, headers) = (
        &parts.method,
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
    );
    if matches!(path, "/" | "/index.html") {
        if method != Method::GET {
            return error(StatusCode::METHOD_NOT_ALLOWED, "only GET is served");
        }
        return index(token, query);
    }
    let changes_state = matches!(path, "/profile" | "/refresh" | "/mfa" | "/auth");
    let wanted = if changes_state {
        Method::POST
    } else {
        Method::GET
    };
    if *method != wanted {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("only {wanted} is served"),
        );
    }
    if changes_state && let Err(why) = same_origin(addr, headers) {
        return error(StatusCode::FORBIDDEN, why);
    }
    if !authorised(token, headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "open the page at the address with ?token= that aws-runas serve printed",
        );
    }
    match path {
        "/profiles" => {
            let mut names = source.profiles();
            names.sort();
            let list: Vec<String> = names.iter().map(|n| quoted(n)).collect();
            let active = source
                .active_profile()
                .map_or("null".into(), |p| quoted(&p));
            json(
                StatusCode::OK,
                format!("{{\"profiles\":[{}],\"active\":{active}}}", list.join(",")),
            )
        }
        "/status" => status(source).await,
        "/profile" => {
            let Ok(name) = std::str::from_utf8(body) else {
                return error(StatusCode::BAD_REQUEST, "the profile name is not UTF-8");
            };
            let name = name.trim();
            if name.is_empty() || name.len() > 256 {
                return error(StatusCode::BAD_REQUEST, "the body must be a profile name");
            }
            if let Err(e) = source.set_active(name) {
                return crate::routes::source_error(&e);
            }
            status(source).await
        }
        "/refresh" => {
            source.forget(None);
            status(source).await
        }
        "/mfa" => {
            let Some(code) = mfa_code(body) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "the body must be mfa=<code> (letters and digits, at most 16)",
                );
            };
            if !source.give_mfa_code(code) {
                return error(StatusCode::CONFLICT, "this server takes no MFA codes");
            }
            status(source).await
        }
        "/auth" => {
            let Some((username, password)) = login(body) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "the body must be JSON {\"username\": \"…\", \"password\": \"…\"} with a password",
                );
            };
            if !source.give_login(username, password) {
                return error(StatusCode::CONFLICT, "this server takes no logins");
            }
            status(source).await
        }
        _ => error(StatusCode::NOT_FOUND, "no such path"),
    }
}

/// The page, or with `?token=` the cookie that lets it in.
fn index(token: &Secret, query: Option<&str>) -> Answer {
    let given = query
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="));
    let Some(given) = given else {
        let mut r = respond(
            StatusCode::OK,
            "text/html; charset=utf-8",
            INDEX_HTML.to_string(),
        );
        r.headers_mut().insert(
            "content-security-policy",
            HeaderValue::from_static(
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
            ),
        );
        return r;
    };
    if !equal(given.as_bytes(), token) {
        return error(StatusCode::UNAUTHORIZED, "wrong token");
    }
    let mut r = respond(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        String::new(),
    );
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
        token.expose()
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/"));
    r
}

/// What is served for the active profile now (refreshing it when due).
async fn status(source: &dyn CredentialSource) -> Answer {
    let Some(profile) = source.active_profile() else {
        return json(StatusCode::OK, "{\"profile\":null}".to_string());
    };
    match source.credentials(None).await {
        Ok(c) => json(
            StatusCode::OK,
            format!(
                "{{\"profile\":{},\"role_arn\":{},\"access_key_id\":{},\"expiration\":{}}}",
                quoted(&profile),
                source
                    .role_arn(&profile)
                    .map_or("null".into(), |r| quoted(&r)),
                quoted(c.access_key_id()),
                c.expiration()
                    .map_or("null".into(), |t| quoted(&t.to_rfc3339()))
            ),
        ),
        Err(e) => crate::routes::source_error(&e),
    }
}

fn equal(given: &[u8], token: &Secret) -> bool {
    let expected = token.expose().as_bytes();
    !expected.is_empty() && bool::from(given.ct_eq(expected))
}

/// The page token from the cookie, or from `Authorization` (for scripts).
fn authorised(token: &Secret, headers: &HeaderMap) -> bool {
    if headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| equal(v.as_bytes(), token))
    {
        return true;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .any(|v| equal(v.as_bytes(), token))
}

/// `Host` must be the address listened on (or `localhost` with its port), and `Origin`, when
/// sent, `http://` and that same host.
fn same_origin(addr: SocketAddr, headers: &HeaderMap) -> Result<(), &'static str> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or("a request that changes state must name this server in Host")?;
    let ours = host == addr.to_string() || host == format!("localhost:{}", addr.port());
    if !ours {
        return Err("the Host header names another server; use the address this server listens on");
    }
    if let Some(origin) = headers.get(header::ORIGIN)
        && origin.as_bytes() != format!("http://{host}").as_bytes()
    {
        return Err("requests from another site are refused (Origin is not this server)");
    }
    Ok(())
}

/// The user name (`None` when empty: the configured one is used) and password of a JSON login
/// body `{"username": …, "password": …}`.
fn login(body: &[u8]) -> Option<(Option<String>, Secret)> {
    #[derive(serde::Deserialize)]
    struct Login {
        #[serde(default)]
        username: String,
        password: String,
    }
    let Login { username, password } = serde_json::from_slice(body).ok()?;
    let username = username.trim();
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN || username.len() > 256 {
        return None;
    }
    let username = (!username.is_empty()).then(|| username.to_string());
    Some((username, Secret::new(password)))
}

/// The code from `mfa=<code>` (or a bare code).
fn mfa_code(body: &[u8]) -> Option<Secret> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let code = text.strip_prefix("mfa=").unwrap_or(text);
    let ok = !code.is_empty()
        && code.len() <= MAX_CODE_LEN
        && code.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| Secret::new(code.to_string()))
}
