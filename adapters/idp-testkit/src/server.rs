//! A mock identity-provider server on 127.0.0.1: a small HTTP/1.1 server on std threads whose
//! routes are closures registered by the test.
//!
//! Every request is recorded before it is answered.
//! A route (or every route) can be made to fail with a status, to stall (accept the request and
//! never answer), or to answer something else, without touching its handler.
//! One request per connection (`Connection: close`) keeps the server simple; clients reconnect.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

type Handler = Arc<dyn Fn(&MockRequest) -> MockResponse + Send + Sync>;

/// One request as the mock server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockRequest {
    method: String,
    target: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl MockRequest {
    /// The method, upper-case.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target as sent (absolute when the request came through as a proxy request).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string (empty when none).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The query parameters, decoded.
    pub fn query_params(&self) -> Vec<(String, String)> {
        parse_urlencoded(&self.query)
    }

    /// The first query parameter of that name, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        first(self.query_params(), name)
    }

    /// The headers, names lower-case, in the order received.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The cookies sent, from every `Cookie` header.
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "cookie")
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.split_once('='))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect()
    }

    /// The value of the cookie of that name.
    pub fn cookie(&self, name: &str) -> Option<String> {
        first(self.cookies(), name)
    }

    /// The body as text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body decoded as `application/x-www-form-urlencoded` (empty for other content types).
    pub fn form(&self) -> Vec<(String, String)> {
        let is_form = self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            parse_urlencoded(&self.body)
        } else {
            vec![]
        }
    }

    /// The first form field of that name, decoded.
    pub fn form_value(&self, name: &str) -> Option<String> {
        first(self.form(), name)
    }

    /// Whether `text` appears anywhere in the request: target, header values or body (raw or
    /// form-decoded).
    pub fn contains(&self, text: &str) -> bool {
        self.target.contains(text)
            || self.headers.iter().any(|(_, v)| v.contains(text))
            || self.body.contains(text)
            || self.form().iter().any(|(_, v)| v.contains(text))
    }
}

fn first(pairs: Vec<(String, String)>, name: &str) -> Option<String> {
    pairs.into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// Decodes `a=b&c=d` with `+` as space and `%XX` escapes.
fn parse_urlencoded(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response for the mock server to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl MockResponse {
    /// An empty response with this status.
    pub fn new(status: u16) -> Self {
        MockResponse {
            status,
            headers: vec![],
            body: String::new(),
        }
    }

    /// `200` with an HTML body.
    pub fn html(body: impl Into<String>) -> Self {
        MockResponse::new(200)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(body)
    }

    /// `200` with a plain-text body.
    pub fn text(body: impl Into<String>) -> Self {
        MockResponse::new(200)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body)
    }

    /// `200` with a JSON body.
    pub fn json(body: impl Into<String>) -> Self {
        MockResponse::new(200)
            .header("Content-Type", "application/json")
            .body(body)
    }

    /// `302 Found` to `location`.
    pub fn redirect(location: impl Into<String>) -> Self {
        MockResponse::new(302).header("Location", location)
    }

    /// The same response with another status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a cookie for the whole site (`Set-Cookie: name=value; Path=/`).
    pub fn cookie(self, name: &str, value: &str) -> Self {
        self.set_cookie(format!("{name}={value}; Path=/"))
    }

    /// Adds a raw `Set-Cookie` header.
    pub fn set_cookie(self, raw: impl Into<String>) -> Self {
        self.header("Set-Cookie", raw)
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body.
    pub fn body_text(&self) -> &str {
        &self.body
    }
}

/// A failure injected on a route, or on every route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (a 5xx, typically) and a short text body.
    Status(u16),
    /// Read the request and never answer, until the client gives up or the server stops.
    Stall,
    /// Answer this instead of what the handler would.
    Respond(MockResponse),
}

struct Route {
    method: String,
    path: String,
    handler: Handler,
}

#[derive(Default)]
struct State {
    routes: Vec<Route>,
    faults: BTreeMap<(String, String), Fault>,
    fault_all: Option<Fault>,
    requests: Vec<MockRequest>,
    panics: Vec<String>,
}

struct Shared {
    state: Mutex<State>,
    shutdown: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A mock IdP on `127.0.0.1` and a free port, stopped when dropped.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server with no routes (every request gets a 404 until routes are added).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            shutdown: AtomicBool::new(false),
        });
        let accept_shared = shared.clone();
        let accept = std::thread::Builder::new()
            .name(format!("mock-idp-{}", addr.port()))
            .spawn(move || {
                for stream in listener.incoming() {
                    if accept_shared.shutdown.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let conn_shared = accept_shared.clone();
                    let _ = std::thread::Builder::new()
                        .name("mock-idp-conn".into())
                        .spawn(move || serve(stream, &conn_shared));
                }
            })
            .expect("spawn the accept thread");
        MockServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:<port><path>` (`path` starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// Registers `handler` for `method` and `path` (the path without query; a trailing `*`
    /// matches any path with that prefix). A later registration for the same method and path
    /// replaces the earlier one.
    pub fn route<F>(&self, method: &str, path: &str, handler: F)
    where
        F: Fn(&MockRequest) -> MockResponse + Send + Sync + 'static,
    {
        let method = method.to_ascii_uppercase();
        let mut state = self.shared.lock();
        state
            .routes
            .retain(|r| !(r.method == method && r.path == path));
        state.routes.push(Route {
            method,
            path: path.to_string(),
            handler: Arc::new(handler),
        });
    }

    /// Makes one route fail (the route need not exist yet).
    pub fn fault(&self, method: &str, path: &str, fault: Fault) {
        self.shared
            .lock()
            .faults
            .insert((method.to_ascii_uppercase(), path.to_string()), fault);
    }

    /// Makes every request fail.
    pub fn fault_all(&self, fault: Fault) {
        self.shared.lock().fault_all = Some(fault);
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        let mut state = self.shared.lock();
        state.faults.clear();
        state.fault_all = None;
    }

    /// Whether any fault is injected.
    pub fn has_faults(&self) -> bool {
        let state = self.shared.lock();
        !state.faults.is_empty() || state.fault_all.is_some()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<MockRequest> {
        self.shared.lock().requests.clone()
    }

    /// The requests received for `method` and `path`.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<MockRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .collect()
    }

    /// The messages of handlers that panicked (the client got a 500 for each).
    pub fn handler_panics(&self) -> Vec<String> {
        self.shared.lock().panics.clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(mut reader) = stream.try_clone().map(BufReader::new) else {
        return;
    };
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let (fault, handler) = {
        let mut state = shared.lock();
        state.requests.push(request.clone());
        let fault = state
            .faults
            .get(&(request.method.clone(), request.path.clone()))
            .or_else(|| {
                state.faults.iter().find_map(|((m, p), f)| {
                    (m == &request.method && prefix_match(p, &request.path)).then_some(f)
                })
            })
            .or(state.fault_all.as_ref())
            .cloned();
        let handler = state
            .routes
            .iter()
            .find(|r| r.method == request.method && r.path == request.path)
            .or_else(|| {
                state
                    .routes
                    .iter()
                    .find(|r| r.method == request.method && prefix_match(&r.path, &request.path))
            })
            .map(|r| r.handler.clone());
        (fault, handler)
    };
    let response = match fault {
        Some(Fault::Stall) => {
            stall(stream, shared);
            return;
        }
        Some(Fault::Status(status)) => {
            MockResponse::text(format!("injected failure {status}\n")).with_status(status)
        }
        Some(Fault::Respond(response)) => response,
        None => match handler {
            Some(handler) => {
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&request))) {
                    Ok(response) => response,
                    Err(panic) => {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "handler panicked".to_string());
                        shared
                            .lock()
                            .panics
                            .push(format!("{} {}: {message}", request.method, request.path));
                        MockResponse::text("handler panicked\n").with_status(500)
                    }
                }
            }
            None => MockResponse::text(format!(
                "no route for {} {}\n",
                request.method, request.path
            ))
            .with_status(404),
        },
    };
    let _ = write_response(stream, &request.method, &response);
}

fn prefix_match(pattern: &str, path: &str) -> bool {
    pattern
        .strip_suffix('*')
        .is_some_and(|prefix| path.starts_with(prefix))
}

/// Keeps the connection open without answering until the client closes it or the server stops.
fn stall(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = [0u8; 1024];
    while !shared.shutdown.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<MockRequest> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_ascii_uppercase();
    let target = parts.next()?.to_string();
    let mut headers = vec![];
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        if headers.len() > 200 {
            return None;
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = vec![];
    if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(len.min(16 * 1024 * 1024), 0);
        reader.read_exact(&mut body).ok()?;
    } else if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    // A proxy request carries an absolute URL; the route is its path.
    let origin_form = match target.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => rest[i..].to_string(),
            None => "/".to_string(),
        },
        None => target.clone(),
    };
    let (path, query) = match origin_form.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (origin_form.clone(), String::new()),
    };
    let path = path.split('#').next().unwrap_or_default().to_string();
    Some(MockRequest {
        method,
        target,
        path,
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn write_response(
    mut stream: TcpStream,
    method: &str,
    response: &MockResponse,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(response.body.as_bytes())?;
    }
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_decoding() {
        assert_eq!(
            parse_urlencoded("a=b+c&d=%C3%BC%26&e&bad=%zz%4"),
            vec![
                ("a".to_string(), "b c".to_string()),
                ("d".to_string(), "ü&".to_string()),
                ("e".to_string(), String::new()),
                ("bad".to_string(), "%zz%4".to_string()),
            ]
        );
    }

    #[test]
    fn prefix_routes() {
        assert!(prefix_match("/realms/*", "/realms/x/login"));
        assert!(!prefix_match("/realms/", "/realms/x"));
        assert!(!prefix_match("/realms/*", "/other"));
    }
}
