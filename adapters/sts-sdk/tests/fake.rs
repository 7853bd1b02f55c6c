//! A tiny fake AWS endpoint on 127.0.0.1: HTTP/1.1 with keep-alive and `Content-Length`, that
//! records every request and answers with whatever the test's handler says.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a connection may sit idle before the fake drops it, so no thread outlives a test
/// run by much.
const IDLE_LIMIT: Duration = Duration::from_secs(10);

/// One recorded request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The request line, e.g. `POST / HTTP/1.1`.
    pub(crate) line: String,
    /// Header names (lowercased) and values, in order.
    pub(crate) headers: Vec<(String, String)>,
    /// The body as text.
    pub(crate) body: String,
}

impl Request {
    /// The first header called `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's form parameters, decoded.
    pub(crate) fn form(&self) -> BTreeMap<String, String> {
        self.body
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode(k), form_decode(v))
            })
            .collect()
    }

    /// One form parameter.
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        self.form().remove(name)
    }

    /// The `Action` form parameter.
    pub(crate) fn action(&self) -> String {
        self.param("Action").unwrap_or_default()
    }

    /// The SigV4 credential scope of the `Authorization` header: key id, region and service.
    pub(crate) fn credential_scope(&self) -> Option<(String, String, String)> {
        let auth = self.header("authorization")?;
        let credential = auth.split("Credential=").nth(1)?.split(',').next()?;
        let parts: Vec<&str> = credential.split('/').collect();
        (parts.len() == 5).then(|| {
            (
                parts[0].to_string(),
                parts[2].to_string(),
                parts[3].to_string(),
            )
        })
    }
}

fn form_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// What the fake answers.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// An HTTP status and an XML body.
    Xml(u16, String),
    /// Nothing at all: the connection stays open until the client gives up.
    Silent,
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running fake.
#[derive(Debug)]
pub(crate) struct Fake {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    log: Arc<Mutex<Vec<Request>>>,
}

impl Fake {
    /// Starts a fake answering with `handler`.
    pub(crate) fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept_log = Arc::clone(&log);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let log = Arc::clone(&accept_log);
                let handler = Arc::clone(&handler);
                thread::spawn(move || serve(stream, &log, &*handler));
            }
        });
        Fake { url, log }
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// The one request received; fails the test if there were more or none.
    pub(crate) fn only_request(&self) -> Request {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests.into_iter().next().unwrap()
    }
}

/// Serves one connection: requests in a row (keep-alive) until the client closes it.
fn serve(stream: TcpStream, log: &Mutex<Vec<Request>>, handler: &Handler) {
    stream.set_read_timeout(Some(IDLE_LIMIT)).ok();
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        log.lock().unwrap().push(request.clone());
        if request.line.starts_with("CONNECT ") {
            // A proxy tunnel request: refuse it, which the client sees as a failed connect.
            let _ = writer.write_all(
                b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
        match handler(&request) {
            Reply::Xml(status, body) => {
                let head = format!(
                    "HTTP/1.1 {status} {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nx-amzn-RequestId: fake-request\r\n\r\n",
                    if status < 400 { "OK" } else { "Error" },
                    body.len()
                );
                if writer
                    .write_all(head.as_bytes())
                    .and_then(|()| writer.write_all(body.as_bytes()))
                    .is_err()
                {
                    return;
                }
            }
            Reply::Silent => {
                // Wait for the client to hang up (or the idle limit), then close.
                let mut sink = [0_u8; 1024];
                while matches!(reader.get_mut().read(&mut sink), Ok(n) if n > 0) {}
                return;
            }
        }
    }
}

/// Reads one request, or `None` at end of stream.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0_u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        line: line.trim_end().to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A TCP port on 127.0.0.1 with nothing listening on it.
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().unwrap().port()
}

/// An AWS query-protocol error answer.
pub(crate) fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>fake-request</RequestId></ErrorResponse>"
    )
}

/// A successful STS answer for the request's action.
pub(crate) fn sts_answer(request: &Request) -> Reply {
    let action = request.action();
    let result = match action.as_str() {
        "GetCallerIdentity" => "<Arn>arn:aws:iam::123456789012:user/alice</Arn>\
             <UserId>AIDAFAKEUSERID</UserId><Account>123456789012</Account>"
            .to_string(),
        _ => "<Credentials><AccessKeyId>ASIAFAKEANSWER</AccessKeyId>\
             <SecretAccessKey>fake-answer-secret</SecretAccessKey>\
             <SessionToken>fake-answer-token</SessionToken>\
             <Expiration>2030-01-02T03:04:05Z</Expiration></Credentials>\
             <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn>\
             <AssumedRoleId>AROAFAKE:s</AssumedRoleId></AssumedRoleUser>"
            .to_string(),
    };
    Reply::Xml(
        200,
        format!(
            "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <{action}Result>{result}</{action}Result>\
             <ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata>\
             </{action}Response>"
        ),
    )
}

/// An IAM answer for `action` wrapping `result`.
pub(crate) fn iam_answer(action: &str, result: &str) -> Reply {
    Reply::Xml(
        200,
        format!(
            "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <{action}Result>{result}</{action}Result>\
             <ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata>\
             </{action}Response>"
        ),
    )
}
