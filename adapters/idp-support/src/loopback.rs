//! The browser way to finish an OIDC login (RFC 8252): the user's browser is sent to the
//! authorization URL, and a one-shot listener on the loopback interface receives the provider's
//! redirect.
//!
//! The listener serves `http://127.0.0.1:<port>/path`, `http://[::1]:<port>/path` and
//! `http://localhost:<port>/path` (on both 127.0.0.1 and ::1, since the browser may resolve
//! `localhost` either way).
//! It takes port 0 (any free port, put into the `redirect_uri` sent) only when the configured URI
//! has no port, as RFC 8252 §7.3 allows; a configured port is used as it is.
//! The browser is started through a [`BrowserOpener`] that the app supplies (`xdg-open`, `open`,
//! `rundll32`) and tests replace with a client playing the browser, so no test starts one.

use crate::error::display_url;
use crate::login::quote;
use crate::oidc::{AuthorizationSession, OidcClient, check_request, human_duration};
use aws_runas_domain::ports::idp::{IdToken, IdpError, OidcRequest};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::{Host, Url};

/// How long the browser flow waits for the provider's redirect by default.
pub const DEFAULT_BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

/// How long one connection to the listener may take to send its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest request head read from the browser.
const MAX_HEAD: usize = 16 * 1024;

/// How often binding `localhost` on port 0 is tried when ::1 has the port 127.0.0.1 got taken.
const BIND_ATTEMPTS: usize = 5;

const DONE_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>aws-runas</title></head>\n<body><h1>Login complete</h1><p>You can close this window and return to the terminal.</p></body></html>\n";
const FAILED_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>aws-runas</title></head>\n<body><h1>Login failed</h1><p>aws-runas refused this answer; the terminal says why. You can close this window.</p></body></html>\n";
const NOT_FOUND_PAGE: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>aws-runas</title></head>\n<body><p>Not found.</p></body></html>\n";

/// The browser port lives in the domain; re-exported here for adapters.
pub use aws_runas_domain::ports::browser::BrowserOpener;

/// How the browser flow runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSettings {
    timeout: Duration,
}

impl BrowserSettings {
    /// Waits up to `timeout` for the provider's redirect (zero means
    /// [`DEFAULT_BROWSER_TIMEOUT`]).
    pub fn new(timeout: Duration) -> Self {
        BrowserSettings {
            timeout: if timeout.is_zero() {
                DEFAULT_BROWSER_TIMEOUT
            } else {
                timeout
            },
        }
    }

    /// The longest wait for the redirect.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// The error for a redirect URI the listener cannot serve, explaining the choices.
fn cannot_listen(redirect_uri: &str, why: &str) -> IdpError {
    IdpError::configuration(format!(
        "the browser login cannot receive the answer at the redirect uri {} ({why}): \
         aws-runas listens only on a loopback http uri such as http://127.0.0.1:8400/callback or http://localhost/callback; \
         register one with the identity provider and set web_identity_redirect_uri to it, \
         or use the headless login of an adapter that supports it, or the device flow",
        display_url(redirect_uri)
    ))
}

/// The port written in `raw`, when there is one (`Url::port` hides a written default port).
fn written_port(raw: &str) -> Option<u16> {
    let rest = raw.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let port = if host_port.starts_with('[') {
        host_port.rsplit_once("]:")?.1
    } else {
        host_port.rsplit_once(':')?.1
    };
    port.parse().ok()
}

/// A one-shot listener for the provider's redirect to a loopback `redirect_uri`.
#[derive(Debug)]
pub struct LoopbackListener {
    primary: TcpListener,
    secondary: Option<TcpListener>,
    redirect_uri: String,
    authority: String,
    path: String,
}

impl LoopbackListener {
    /// Listens for `redirect_uri`: `http://127.0.0.1[:port]/path`, `http://[::1][:port]/path` or
    /// `http://localhost[:port]/path` (both families); without a port, on a free one.
    ///
    /// # Errors
    /// [`IdpError::configuration`] for a URI that is not a loopback `http` URI (explaining
    /// the choices) or a port that cannot be bound (naming it).
    pub async fn bind(redirect_uri: &str) -> Result<Self, IdpError> {
        let raw = redirect_uri.trim();
        let url = Url::parse(raw).map_err(|e| {
            IdpError::configuration(format!(
                "invalid web_identity_redirect_uri {}: {e}",
                display_url(raw)
            ))
        })?;
        if url.scheme() != "http" {
            return Err(cannot_listen(
                raw,
                &format!(
                    "the scheme {:?} cannot be served on this machine",
                    url.scheme()
                ),
            ));
        }
        let hosts: Vec<IpAddr> = match url.host() {
            Some(Host::Ipv4(ip)) if ip.is_loopback() => vec![IpAddr::V4(ip)],
            Some(Host::Ipv6(ip)) if ip.is_loopback() => vec![IpAddr::V6(ip)],
            Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            _ => return Err(cannot_listen(raw, "the host is not a loopback address")),
        };
        let configured = written_port(raw);
        let (primary, secondary) = bind_all(&hosts, configured, raw).await?;
        let port = primary
            .local_addr()
            .map_err(|e| cannot_listen(raw, &e.to_string()))?
            .port();
        let redirect_uri = match configured {
            Some(_) => raw.to_string(),
            None => {
                let mut actual = url.clone();
                // Cannot fail: the URL is http with a host.
                let _ = actual.set_port(Some(port));
                actual.to_string()
            }
        };
        let path = if url.path().is_empty() {
            "/"
        } else {
            url.path()
        }
        .to_string();
        let authority = format!("{}:{port}", url.host_str().unwrap_or("127.0.0.1"));
        log::debug!(
            "oidc: listening for the browser on {} ({} socket(s))",
            display_url(&redirect_uri),
            1 + usize::from(secondary.is_some())
        );
        Ok(LoopbackListener {
            primary,
            secondary,
            redirect_uri,
            authority,
            path,
        })
    }

    /// The redirect URI to send: the configured one, or with the port taken when it had none.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The addresses listened on (one, or two for `localhost`).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        std::iter::once(&self.primary)
            .chain(self.secondary.as_ref())
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Waits up to `timeout` for the browser's request to the redirect path and hands its full
    /// URL to `accept` (for example [`AuthorizationSession::accept_redirect`]).
    ///
    /// The browser gets a "you can close this window" page when `accept` returns a value, a
    /// "login failed" page when it returns an error; requests to other paths (a favicon) get a
    /// `404` and the wait goes on, as it does when `accept` returns `None`.
    ///
    /// # Errors
    /// What `accept` returns; [`IdpError::mfa_timeout`] when no answer came within `timeout` (the
    /// user did not finish the login in the browser in time); [`IdpError::unavailable`] when the
    /// listener fails.
    pub async fn receive<T, F>(self, timeout: Duration, mut accept: F) -> Result<T, IdpError>
    where
        F: FnMut(&str) -> Result<Option<T>, IdpError> + Send,
        T: Send,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        // Connections are read concurrently: a browser opens speculative connections that send
        // nothing, and one of them must not hold up the one that brings the answer.
        let (heads, mut ready) = tokio::sync::mpsc::channel::<(TcpStream, String)>(16);
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {
                    return Err(IdpError::mfa_timeout(format!(
                        "no answer from the browser on {} within {}: finish the login in the browser in time (open the login url shown above if no browser started), or use the device flow",
                        display_url(&self.redirect_uri),
                        human_duration(timeout)
                    )));
                }
                accepted = self.accept_one() => {
                    let mut stream = accepted.map_err(|e| {
                        IdpError::unavailable(format!(
                            "the listener on {} failed: {e}",
                            display_url(&self.redirect_uri)
                        ))
                    })?;
                    let heads = heads.clone();
                    tokio::spawn(async move {
                        if let Ok(Some(head)) =
                            tokio::time::timeout(REQUEST_TIMEOUT, read_head(&mut stream)).await
                        {
                            let _ = heads.send((stream, head)).await;
                        }
                    });
                }
                Some((stream, head)) = ready.recv() => {
                    if let Some(done) = self.handle(stream, &head, &mut accept).await {
                        return done;
                    }
                }
            }
        }
    }

    async fn accept_one(&self) -> std::io::Result<TcpStream> {
        match &self.secondary {
            None => self.primary.accept().await.map(|(s, _)| s),
            Some(secondary) => tokio::select! {
                r = self.primary.accept() => r.map(|(s, _)| s),
                r = secondary.accept() => r.map(|(s, _)| s),
            },
        }
    }

    /// Answers one request; `Some` when it ended the wait.
    async fn handle<T, F>(
        &self,
        mut stream: TcpStream,
        head: &str,
        accept: &mut F,
    ) -> Option<Result<T, IdpError>>
    where
        F: FnMut(&str) -> Result<Option<T>, IdpError> + Send,
    {
        let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        if method != "GET" {
            respond(&mut stream, 405, NOT_FOUND_PAGE).await;
            return None;
        }
        let path = target.split(['?', '#']).next().unwrap_or_default();
        if path != self.path {
            respond(&mut stream, 404, NOT_FOUND_PAGE).await;
            return None;
        }
        let url = format!("http://{}{target}", self.authority);
        match accept(&url) {
            Ok(Some(value)) => {
                respond(&mut stream, 200, DONE_PAGE).await;
                Some(Ok(value))
            }
            Ok(None) => {
                respond(&mut stream, 404, NOT_FOUND_PAGE).await;
                None
            }
            Err(e) => {
                respond(&mut stream, 400, FAILED_PAGE).await;
                Some(Err(e))
            }
        }
    }
}

async fn bind_all(
    hosts: &[IpAddr],
    configured: Option<u16>,
    raw: &str,
) -> Result<(TcpListener, Option<TcpListener>), IdpError> {
    let port = configured.unwrap_or(0);
    let in_use = |addr: SocketAddr, e: std::io::Error| {
        IdpError::configuration(format!(
            "cannot listen on {addr} for the browser's answer to {}: {e}",
            display_url(raw)
        ))
    };
    let mut last = None;
    for _ in 0..BIND_ATTEMPTS {
        let first = SocketAddr::new(hosts[0], port);
        let primary = TcpListener::bind(first)
            .await
            .map_err(|e| in_use(first, e))?;
        let Some(&other) = hosts.get(1) else {
            return Ok((primary, None));
        };
        let actual = primary.local_addr().map_err(|e| in_use(first, e))?.port();
        let second = SocketAddr::new(other, actual);
        match TcpListener::bind(second).await {
            Ok(secondary) => return Ok((primary, Some(secondary))),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                if configured.is_some() {
                    return Err(in_use(second, e));
                }
                // Port 0 gave a port that is taken on the other family: try another.
                last = Some(in_use(second, e));
            }
            Err(e) => {
                // No IPv6 (or IPv4) loopback on this machine: one family will do.
                log::debug!("oidc: not listening on {second}: {e}");
                return Ok((primary, None));
            }
        }
    }
    Err(last.unwrap_or_else(|| cannot_listen(raw, "no free port")))
}

/// Reads a request head (up to the blank line); `None` for a connection that sends nothing
/// usable.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n") {
            break;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    (!text.trim().is_empty()).then_some(text)
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let text = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

impl OidcClient {
    /// Logs in through the user's browser: listens on the loopback `req.redirect_uri`, tells the
    /// user which URL to open (through the prompter) and asks `opener` to open it, waits for the
    /// provider's redirect (checking its `state`), then exchanges the code.
    ///
    /// # Errors
    /// [`IdpError::configuration`] for a missing client id or a redirect URI that cannot be
    /// listened on (explaining the choices); [`IdpError::mfa_timeout`] when no answer comes
    /// within the settings' timeout; as [`AuthorizationSession::accept_redirect`] and
    /// [`OidcClient::exchange`].
    pub async fn login_in_browser(
        &self,
        req: &OidcRequest,
        opener: &dyn BrowserOpener,
        settings: &BrowserSettings,
    ) -> Result<IdToken, IdpError> {
        check_request(req)?;
        let listener = LoopbackListener::bind(&req.redirect_uri).await?;
        let session = AuthorizationSession::new(&self.endpoints, req, listener.redirect_uri())?;
        let url = session.url();
        self.prompter.notice(&format!(
            "Opening your browser to log in. If it does not open, visit this URL:\n{url}"
        ));
        if let Err(why) = opener.open(&url) {
            self.prompter.notice(&format!(
                "Could not start a browser{}. Open this URL to log in:\n{url}",
                quote(&why, [])
            ));
        }
        let code = listener
            .receive(settings.timeout(), |u| session.accept_redirect(u))
            .await?;
        self.exchange(&session, code).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_runas_domain::ports::idp::IdpErrorKind;

    #[test]
    fn written_ports_are_found() {
        assert_eq!(written_port("http://127.0.0.1:8400/cb"), Some(8400));
        assert_eq!(written_port("http://127.0.0.1:80/cb"), Some(80));
        assert_eq!(written_port("http://127.0.0.1/cb"), None);
        assert_eq!(written_port("http://[::1]:9000/cb?x=1:2"), Some(9000));
        assert_eq!(written_port("http://[::1]/cb"), None);
        assert_eq!(written_port("http://localhost"), None);
        assert_eq!(written_port("http://u:p@localhost:7/"), Some(7));
    }

    #[tokio::test]
    async fn unusable_redirect_uris_explain_the_choices() {
        for uri in [
            "app:/callback",
            "https://127.0.0.1:8400/callback",
            "http://example.com/callback",
            "http://10.0.0.1:8400/callback",
        ] {
            let e = LoopbackListener::bind(uri).await.unwrap_err();
            let m = e.to_string();
            assert_eq!(e.kind(), IdpErrorKind::Configuration, "{uri}: {m}");
            assert!(
                m.contains("loopback http uri")
                    && m.contains("headless")
                    && m.contains("device flow"),
                "{uri}: {m}"
            );
        }
        let e = LoopbackListener::bind("::nonsense").await.unwrap_err();
        assert!(
            e.to_string().contains("invalid web_identity_redirect_uri"),
            "{e}"
        );
    }

    #[test]
    fn settings_default_a_zero_timeout() {
        assert_eq!(
            BrowserSettings::new(Duration::ZERO).timeout(),
            DEFAULT_BROWSER_TIMEOUT
        );
        assert_eq!(
            BrowserSettings::new(Duration::from_millis(300)).timeout(),
            Duration::from_millis(300)
        );
    }
}
