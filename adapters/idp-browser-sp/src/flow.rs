//! The login: a one-shot assertion consumer service (ACS) on `127.0.0.1:0`, the AuthnRequest
//! opened in the user's browser through the `BrowserOpener` port, and the wait for the IdP's
//! `SAMLResponse` POST, bounded by `mfa_wait_timeout`.

use crate::authn::AuthnRequest;
use crate::settings::BrowserSpSettings;
use async_trait::async_trait;
use aws_runas_domain::Secret;
use aws_runas_domain::ports::idp::{IdentityProvider, IdpDeps, IdpError, SamlAssertion};
use aws_runas_idp_support::display_url;
use base64::Engine;
use percent_encoding::percent_decode_str;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// The path the IdP posts the SAML response to.
pub(crate) const ACS_PATH: &str = "/saml/acs";

/// How long one connection may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// The largest form body read (SAML responses with many roles and a signature stay far below).
const MAX_BODY: usize = 2 * 1024 * 1024;

const STEP: &str = "waiting for the SAML response from the browser";

const DONE_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>aws-runas Authentication Complete</title></head>\n<body><h1>Login complete</h1><p>aws-runas has the SAML response. You can close this tab and return to the terminal.</p></body></html>\n";
const FAILED_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>aws-runas Authentication Failed</title></head>\n<body><h1>Login failed</h1><p>aws-runas refused this answer; the terminal says why. You can close this tab.</p></body></html>\n";
const NOT_FOUND_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>aws-runas</title></head>\n<body><p>Not found.</p></body></html>\n";

/// The `browser-sp` adapter for one login.
pub(crate) struct BrowserSp {
    settings: BrowserSpSettings,
    deps: IdpDeps,
}

impl fmt::Debug for BrowserSp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserSp")
            .field("settings", &self.settings)
            .field("browser", &self.deps.browser.is_some())
            .finish_non_exhaustive()
    }
}

impl BrowserSp {
    pub(crate) fn new(settings: BrowserSpSettings, deps: IdpDeps) -> Self {
        BrowserSp { settings, deps }
    }
}

/// A fresh request id: `_` and 32 hex digits (an xsd:ID cannot start with a digit).
fn request_id() -> Result<String, IdpError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        IdpError::unavailable(format!("no random number for the SAML request id: {e}"))
    })?;
    Ok(std::iter::once("_".to_string())
        .chain(bytes.iter().map(|b| format!("{b:02x}")))
        .collect())
}

/// `1m30s`, `45s`.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

#[async_trait]
impl IdentityProvider for BrowserSp {
    async fn saml_assertion(&self) -> Result<SamlAssertion, IdpError> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| {
                IdpError::unavailable(format!(
                    "cannot listen on 127.0.0.1 for the SAML response: {e}"
                ))
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| IdpError::unavailable(format!("cannot listen on 127.0.0.1: {e}")))?
            .port();
        let request = AuthnRequest {
            id: request_id()?,
            issue_instant: self.deps.clock.now().to_rfc3339(),
            destination: self.settings.sso_url().to_string(),
            issuer: self.settings.entity_id().to_string(),
            acs_url: format!("http://127.0.0.1:{port}{ACS_PATH}"),
        };
        let url = request.redirect_url();
        let wait = self.settings.wait();
        let prompter = &self.deps.prompter;
        let opened = match &self.deps.browser {
            Some(browser) => browser.open(&url),
            None => Err("no browser is available".to_string()),
        };
        match opened {
            Ok(()) => prompter.notice(&format!(
                "Log in at {} in your browser; waiting up to {} for the SAML response",
                display_url(self.settings.sso_url()),
                human(wait)
            )),
            Err(why) => prompter.notice(&format!(
                "Cannot open your browser ({why}). Open this URL to log in; waiting up to {}:\n{url}",
                human(wait)
            )),
        }
        log::debug!(
            "browser-sp: assertion consumer at http://127.0.0.1:{port}{ACS_PATH}, request {}",
            request.id
        );
        let saml = receive(listener, wait).await?;
        check_in_response_to(&saml, &request.id)?;
        Ok(SamlAssertion(Secret::new(saml)))
    }
}

/// Refuses a response that answers another request (an IdP-initiated one has no `InResponseTo`).
fn check_in_response_to(saml: &str, id: &str) -> Result<(), IdpError> {
    let cleaned: String = saml.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let xml = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            IdpError::unexpected_page(
                "the SAMLResponse posted to the local assertion consumer is not base64-encoded XML",
            )
            .at_step(STEP)
        })?;
    if let Some(start) = xml.find("InResponseTo=\"") {
        let rest = &xml[start + "InResponseTo=\"".len()..];
        let value = rest.split('"').next().unwrap_or_default();
        if value != id {
            return Err(IdpError::unexpected_page(
                "the SAMLResponse answers another AuthnRequest than the one aws-runas sent (InResponseTo differs); log in again",
            )
            .at_step(STEP));
        }
    }
    Ok(())
}

/// What one connection brought.
enum Outcome {
    Saml(String),
    Refused(IdpError),
}

/// Waits up to `wait` for the POST to [`ACS_PATH`]; other requests get a 404 and the wait goes on.
async fn receive(listener: TcpListener, wait: Duration) -> Result<String, IdpError> {
    let deadline = tokio::time::Instant::now() + wait;
    let (tx, mut rx) = mpsc::channel::<Outcome>(4);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted.map_err(|e| {
                    IdpError::unavailable(format!("the local assertion consumer failed: {e}")).at_step(STEP)
                })?;
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Ok(Some(outcome)) = tokio::time::timeout(REQUEST_TIMEOUT, serve(stream)).await {
                        let _ = tx.send(outcome).await;
                    }
                });
            }
            Some(outcome) = rx.recv() => {
                return match outcome {
                    Outcome::Saml(saml) => Ok(saml),
                    Outcome::Refused(e) => Err(e),
                };
            }
            () = tokio::time::sleep_until(deadline) => {
                return Err(IdpError::mfa_timeout(format!(
                    "no SAML response reached the local assertion consumer within {} (mfa_wait_timeout); the login in the browser was not finished",
                    human(wait)
                )).at_step(STEP));
            }
        }
    }
}

/// Reads one request and answers it; `Some` for a POST to the ACS.
async fn serve(mut stream: TcpStream) -> Option<Outcome> {
    let (head, mut body) = read_head(&mut stream).await?;
    let mut lines = head.lines();
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let path = target.split('?').next().unwrap_or_default();
    if path != ACS_PATH {
        respond(&mut stream, "404 Not Found", NOT_FOUND_PAGE).await;
        return None;
    }
    if method != "POST" {
        respond(&mut stream, "405 Method Not Allowed", FAILED_PAGE).await;
        return None;
    }
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        respond(&mut stream, "413 Payload Too Large", FAILED_PAGE).await;
        return Some(Outcome::Refused(
            IdpError::unexpected_page("the POST to the local assertion consumer is too large")
                .at_step(STEP),
        ));
    }
    while body.len() < length {
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let form = String::from_utf8_lossy(&body);
    let saml = form_value(&form, "SAMLResponse").filter(|v| !v.trim().is_empty());
    match saml {
        Some(saml) => {
            respond(&mut stream, "200 OK", DONE_PAGE).await;
            Some(Outcome::Saml(saml))
        }
        None => {
            respond(&mut stream, "400 Bad Request", FAILED_PAGE).await;
            Some(Outcome::Refused(
                IdpError::unexpected_page(
                    "the identity provider posted no SAMLResponse to the local assertion consumer",
                )
                .at_step(STEP),
            ))
        }
    }
}

/// The request head (up to the blank line) and the bytes of the body read with it.
async fn read_head(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            return Some((head, buf[end + 4..].to_vec()));
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn respond(stream: &mut TcpStream, status: &str, page: &str) {
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// One value of an `application/x-www-form-urlencoded` body.
fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        (decode(k) == name).then(|| decode(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_decoded() {
        assert_eq!(
            form_value("a=1&SAMLResponse=PD94b%2B%3D+x", "SAMLResponse").as_deref(),
            Some("PD94b+= x")
        );
        assert_eq!(form_value("a=1", "SAMLResponse"), None);
    }

    #[test]
    fn a_response_to_another_request_is_refused() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let other = b64(r#"<samlp:Response InResponseTo="_other"/>"#);
        let err = check_in_response_to(&other, "_mine").unwrap_err();
        assert!(err.to_string().contains("InResponseTo"), "{err}");
        assert!(
            check_in_response_to(&b64(r#"<samlp:Response InResponseTo="_mine"/>"#), "_mine")
                .is_ok()
        );
        assert!(check_in_response_to(&b64("<samlp:Response/>"), "_mine").is_ok());
        assert!(check_in_response_to("!!!", "_mine").is_err());
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_secs(120)), "2m");
        assert_eq!(human(Duration::from_secs(5)), "5s");
    }
}
