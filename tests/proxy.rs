//! A recording HTTP proxy that sits between the program under test and moto.
//!
//! The program is pointed at the proxy (`AWS_ENDPOINT_URL`), and the proxy forwards every request
//! to moto.
//! On the way it records which AWS action each request asked for, the parsed request, and every
//! byte that crossed the client connection in either direction.
//! Tests use it to count STS calls (is the cache used?), to simulate an outage, and to prove that a
//! secret never leaves the process where it should not.
//!
//! The client side speaks HTTP/1.1 with keep-alive, because the SDK's hyper client keeps
//! connections in a pool and reuses them.
//! Each forwarded request uses a fresh upstream connection closed after the response, which keeps
//! the upstream side trivially correct at a cost of a loopback connect per request.
//! Responses are re-framed with `Content-Length` whatever framing moto used.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::http::{self, Framing, Head};

/// How long a connection may sit idle, or an upstream call may take, before it is dropped.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

/// A forwarding HTTP proxy on `127.0.0.1` that records what passes through it.
///
/// Dropping the proxy stops it and closes every connection it holds.
///
/// # Examples
///
/// ```no_run
/// use aws_runas_tests::{Moto, RecordingProxy};
///
/// let proxy = RecordingProxy::start(Moto::shared().url());
/// // ... run the program under test with AWS_ENDPOINT_URL=proxy.url() ...
/// assert_eq!(proxy.count("AssumeRole"), 1);
/// ```
pub struct RecordingProxy {
    url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

/// One request the proxy read from a client, with the response it sent back.
#[derive(Clone)]
pub struct Exchange {
    connection: u64,
    action: Option<String>,
    head: Head,
    body: Vec<u8>,
    status: u16,
    raw_request: Vec<u8>,
    raw_response: Vec<u8>,
}

struct Shared {
    upstream: String,
    down: AtomicBool,
    unavailable: AtomicBool,
    stopping: AtomicBool,
    next_connection: AtomicU64,
    connections: Mutex<HashMap<u64, TcpStream>>,
    log: Mutex<Log>,
}

#[derive(Default)]
struct Log {
    exchanges: Vec<Exchange>,
    traffic: Vec<u8>,
}

impl RecordingProxy {
    /// Starts a proxy on a free port of `127.0.0.1` that forwards to `upstream`.
    ///
    /// `upstream` is a plain-HTTP base URL such as `http://127.0.0.1:5000` (as given by
    /// [`Moto::url`](crate::Moto::url)); any path in it is ignored.
    ///
    /// # Panics
    ///
    /// If `upstream` is not an `http://host:port` URL or no port can be bound.
    pub fn start(upstream: &str) -> RecordingProxy {
        let authority = upstream
            .strip_prefix("http://")
            .map(|rest| rest.split('/').next().unwrap_or(rest))
            .filter(|authority| authority.contains(':'))
            .unwrap_or_else(|| panic!("upstream {upstream:?} is not an http://host:port URL"));
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot bind the recording proxy on 127.0.0.1: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("cannot read the recording proxy's address: {e}"));
        let shared = Arc::new(Shared {
            upstream: authority.to_owned(),
            down: AtomicBool::new(false),
            unavailable: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            next_connection: AtomicU64::new(1),
            connections: Mutex::new(HashMap::new()),
            log: Mutex::new(Log::default()),
        });
        let accept_thread = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("proxy-{}", addr.port()))
                .spawn(move || accept_loop(&listener, &shared))
                .unwrap_or_else(|e| panic!("cannot start the recording proxy thread: {e}"))
        };
        RecordingProxy {
            url: format!("http://{addr}"),
            addr,
            shared,
            accept_thread: Some(accept_thread),
        }
    }

    /// The proxy's base URL, `http://127.0.0.1:<port>`, to use as `AWS_ENDPOINT_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many recorded requests asked for `action` (`AssumeRole`, `GetSessionToken`, ...).
    ///
    /// Every request the proxy read counts, including those it answered itself with 503 while
    /// [unavailable](Self::set_unavailable); connections refused while
    /// [down](Self::set_down) never deliver a request, so they do not count.
    pub fn count(&self, action: &str) -> usize {
        self.shared
            .log()
            .exchanges
            .iter()
            .filter(|e| e.action.as_deref() == Some(action))
            .count()
    }

    /// The action of every recorded request that named one, in arrival order.
    pub fn actions(&self) -> Vec<String> {
        self.shared
            .log()
            .exchanges
            .iter()
            .filter_map(|e| e.action.clone())
            .collect()
    }

    /// Every recorded request with its response, in arrival order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared.log().exchanges.clone()
    }

    /// Every byte that crossed a client connection, in both directions, in the order seen.
    ///
    /// Requests appear as the client sent them and responses as the proxy sent them back.
    pub fn traffic(&self) -> Vec<u8> {
        self.shared.log().traffic.clone()
    }

    /// Whether `needle` appears anywhere in [`traffic`](Self::traffic), either as it is or
    /// percent-encoded (as a form body or a query string would carry it).
    ///
    /// Use it both ways: to prove the recorder sees a value, and to prove a secret never left.
    pub fn traffic_contains(&self, needle: &str) -> bool {
        let traffic = self.traffic();
        let encoded = http::percent_encode(needle);
        [
            needle.to_owned(),
            encoded.clone(),
            encoded.to_ascii_lowercase(),
        ]
        .iter()
        .any(|n| !n.is_empty() && contains(&traffic, n.as_bytes()))
    }

    /// Forgets every recorded exchange and byte, for a test that checks one phase at a time.
    pub fn clear(&self) {
        let mut log = self.shared.log();
        log.exchanges.clear();
        log.traffic.clear();
    }

    /// Simulates moto being stopped (`true`) or back (`false`).
    ///
    /// While down, the proxy closes every open connection and closes each new connection as soon
    /// as it is accepted, without reading from it, so the client sees a dropped connection.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
        if down {
            self.shared.close_connections();
        }
    }

    /// Simulates an AWS outage (`true`) or its end (`false`).
    ///
    /// While unavailable, the proxy reads and records each request but answers it itself with
    /// `503 Service Unavailable` and an AWS Query error body (code `ServiceUnavailable`), without
    /// forwarding it.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.shared.unavailable.store(unavailable, Ordering::SeqCst);
    }
}

impl fmt::Debug for RecordingProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingProxy")
            .field("url", &self.url)
            .field("upstream", &self.shared.upstream)
            .finish_non_exhaustive()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag; failing to connect means it is gone.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
        self.shared.close_connections();
    }
}

impl Exchange {
    /// The number of the client connection this request came on; equal numbers mean the client
    /// reused a kept-alive connection.
    pub fn connection(&self) -> u64 {
        self.connection
    }

    /// The AWS action requested: the form or query parameter `Action`, or else the operation
    /// named by the `X-Amz-Target` header.
    pub fn action(&self) -> Option<&str> {
        self.action.as_deref()
    }

    /// The request method.
    pub fn method(&self) -> &str {
        self.head.method()
    }

    /// The request target: path and query string.
    pub fn target(&self) -> &str {
        self.head.target()
    }

    /// The first request header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.header(name)
    }

    /// The request body, without any chunk framing.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The decoded value of form parameter `name` in the request body or query string.
    pub fn param(&self, name: &str) -> Option<String> {
        params(&self.head, &self.body)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The status code the proxy answered with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The request exactly as the client sent it.
    pub fn raw_request(&self) -> &[u8] {
        &self.raw_request
    }

    /// The response exactly as the proxy sent it back.
    pub fn raw_response(&self) -> &[u8] {
        &self.raw_response
    }
}

/// Shows what was asked and answered, but no header values or bodies, which may hold secrets.
impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("connection", &self.connection)
            .field("method", &self.method())
            .field("target", &self.target())
            .field("action", &self.action)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn connections(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn record_traffic(&self, bytes: &[u8]) {
        self.log().traffic.extend_from_slice(bytes);
    }

    fn close_connections(&self) {
        for stream in self.connections().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if shared.down.load(Ordering::SeqCst) {
            // Closing at once, unread, is what a client of a stopped server notices.
            drop(stream);
            continue;
        }
        let id = shared.next_connection.fetch_add(1, Ordering::SeqCst);
        let Ok(tracked) = stream.try_clone() else {
            continue;
        };
        shared.connections().insert(id, tracked);
        let for_thread = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name(format!("proxy-conn-{id}"))
            .spawn(move || {
                let _ = serve_connection(&for_thread, id, stream);
                if let Some(stream) = for_thread.connections().remove(&id) {
                    let _ = stream.shutdown(Shutdown::Both);
                }
            });
        if spawned.is_err() {
            // The closure, and the stream in it, is gone; close the tracked clone too.
            if let Some(stream) = shared.connections().remove(&id) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }
}

/// Serves requests on one client connection until either side closes it.
fn serve_connection(shared: &Shared, id: u64, stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut raw_request = Vec::new();
        let head = match http::read_head(&mut reader, &mut raw_request) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) => {
                shared.record_traffic(&raw_request);
                return Err(e);
            }
        };
        if shared.down.load(Ordering::SeqCst) {
            return Ok(());
        }
        shared.record_traffic(&raw_request);
        let framing = head.request_framing()?;
        if framing != Framing::Empty && head.has_token("expect", "100-continue") {
            let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
            writer.write_all(interim)?;
            shared.record_traffic(interim);
        }
        let mut body_wire = Vec::new();
        let body = http::read_body(&mut reader, framing, &mut body_wire);
        shared.record_traffic(&body_wire);
        raw_request.extend_from_slice(&body_wire);
        let body = body?;

        let close = head.wants_close();
        let (status_line, mut headers, response_body) = if shared.unavailable.load(Ordering::SeqCst)
        {
            unavailable_response()
        } else {
            match forward(&shared.upstream, &head, &body) {
                Ok(response) => response,
                Err(e) => bad_gateway(&shared.upstream, &e),
            }
        };
        if close {
            headers.push(("Connection".to_owned(), "close".to_owned()));
        }
        let length = if head.method().eq_ignore_ascii_case("HEAD") {
            None
        } else {
            Some(response_body.len())
        };
        let raw_response = http::encode_message(&status_line, &headers, &response_body, length);
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        // Record before answering: a client that has its answer may look at the record at once.
        {
            let mut log = shared.log();
            log.traffic.extend_from_slice(&raw_response);
            log.exchanges.push(Exchange {
                connection: id,
                action: action(&head, &body),
                head,
                body,
                status,
                raw_request,
                raw_response: raw_response.clone(),
            });
        }
        writer.write_all(&raw_response)?;
        writer.flush()?;
        if close {
            return Ok(());
        }
    }
}

type Response = (String, Vec<(String, String)>, Vec<u8>);

/// Sends one request to `upstream` on a fresh connection and reads the whole response.
fn forward(upstream: &str, head: &Head, body: &[u8]) -> io::Result<Response> {
    let stream = TcpStream::connect(upstream)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut headers = head.end_to_end_headers();
    headers.push(("Connection".to_owned(), "close".to_owned()));
    let sends_length = !body.is_empty() || head.header("content-length").is_some();
    let mut writer = stream.try_clone()?;
    http::write_message(
        &mut writer,
        &head.start_line,
        &headers,
        body,
        sends_length.then_some(body.len()),
    )?;
    let mut reader = BufReader::new(stream);
    let mut scratch = Vec::new();
    let response = loop {
        let response =
            http::read_head(&mut reader, &mut scratch)?.ok_or(io::ErrorKind::UnexpectedEof)?;
        // Skip interim responses such as 100 Continue; the client got its own.
        if response.status()? >= 200 {
            break response;
        }
    };
    let framing = response.response_framing(head.method())?;
    let response_body = http::read_body(&mut reader, framing, &mut scratch)?;
    let mut headers = response.end_to_end_headers();
    if head.method().eq_ignore_ascii_case("HEAD")
        && let Some(length) = response.header("content-length")
    {
        headers.push(("Content-Length".to_owned(), length.to_owned()));
    }
    let rest = response
        .start_line
        .split_once(' ')
        .map_or("", |(_, rest)| rest);
    Ok((format!("HTTP/1.1 {rest}"), headers, response_body))
}

fn unavailable_response() -> Response {
    let body = "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>\
                <Message>service unavailable (simulated by the recording proxy)</Message></Error>\
                <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>";
    (
        "HTTP/1.1 503 Service Unavailable".to_owned(),
        vec![("Content-Type".to_owned(), "text/xml".to_owned())],
        body.as_bytes().to_vec(),
    )
}

fn bad_gateway(upstream: &str, error: &io::Error) -> Response {
    (
        "HTTP/1.1 502 Bad Gateway".to_owned(),
        vec![("Content-Type".to_owned(), "text/plain".to_owned())],
        format!("recording proxy: upstream {upstream} failed: {error}").into_bytes(),
    )
}

/// The AWS action a request asks for.
fn action(head: &Head, body: &[u8]) -> Option<String> {
    if let Some((_, action)) = params(head, body).into_iter().find(|(k, _)| k == "Action") {
        return Some(action);
    }
    head.header("x-amz-target")
        .map(|target| target.rsplit('.').next().unwrap_or(target).to_owned())
}

/// The query-string parameters followed by the form-body parameters of a request.
fn params(head: &Head, body: &[u8]) -> Vec<(String, String)> {
    let mut pairs = head
        .target()
        .split_once('?')
        .map(|(_, query)| http::form_decode(query))
        .unwrap_or_default();
    let is_form = head
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        pairs.extend(http::form_decode(&String::from_utf8_lossy(body)));
    }
    pairs
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        http::read_head(&mut text.as_bytes(), &mut Vec::new())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn the_action_comes_from_the_form_the_query_or_the_target() {
        let form =
            head("POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n");
        assert_eq!(
            action(&form, b"Version=1&Action=AssumeRole").as_deref(),
            Some("AssumeRole")
        );
        let query = head("GET /?Action=GetCallerIdentity&Version=1 HTTP/1.1\r\n\r\n");
        assert_eq!(action(&query, b"").as_deref(), Some("GetCallerIdentity"));
        let target = head("POST / HTTP/1.1\r\nX-Amz-Target: Svc_20110615.GetSessionToken\r\n\r\n");
        assert_eq!(action(&target, b"{}").as_deref(), Some("GetSessionToken"));
        let json = head("POST / HTTP/1.1\r\nContent-Type: application/json\r\n\r\n");
        assert_eq!(action(&json, b"Action=NotAForm"), None);
    }

    #[test]
    fn upstream_must_be_a_plain_http_authority() {
        let proxy = RecordingProxy::start("http://127.0.0.1:9/ignored/path");
        assert_eq!(proxy.shared.upstream, "127.0.0.1:9");
        assert!(proxy.url().starts_with("http://127.0.0.1:"));
        let https = std::panic::catch_unwind(|| RecordingProxy::start("https://127.0.0.1:9"));
        assert!(https.is_err());
    }
}
