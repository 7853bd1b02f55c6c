//! Just enough HTTP/1.1 over blocking `std::net` for the harness: reading and writing messages,
//! and form encoding.
//!
//! The recording proxy and the moto client only ever see what an AWS SDK or moto's werkzeug
//! server sends: a request line or status line, headers, and a body framed by `Content-Length`,
//! by chunked transfer coding, or (for responses only) by the end of the connection.
//! Bodies are read whole, because every AWS Query message is small.
//! Every byte read is also appended to a caller-given `wire` buffer, so that the proxy can keep
//! the exact bytes that crossed the socket.

use std::io::{self, BufRead, Read, Write};

/// Largest request or status line plus headers we accept.
const MAX_HEAD: usize = 64 * 1024;
/// Largest body we accept; AWS Query messages are a few kilobytes.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Headers that describe one connection or one framing, never forwarded as they are.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "content-length",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// The start line and headers of a request or a response.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) start_line: String,
    pub(crate) headers: Vec<(String, String)>,
}

/// How the body after a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilEof,
}

impl Head {
    /// The value of the first header called `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether any header called `name` lists `token` in its comma-separated value.
    pub(crate) fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// The method of a request head.
    pub(crate) fn method(&self) -> &str {
        self.start_line.split(' ').next().unwrap_or("")
    }

    /// The request target (path and query) of a request head.
    pub(crate) fn target(&self) -> &str {
        self.start_line.split(' ').nth(1).unwrap_or("")
    }

    /// The HTTP version of a request head (`HTTP/1.1`).
    pub(crate) fn request_version(&self) -> &str {
        self.start_line.split(' ').nth(2).unwrap_or("")
    }

    /// The status code of a response head.
    pub(crate) fn status(&self) -> io::Result<u16> {
        self.start_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line {:?}", self.start_line)))
    }

    /// Whether the peer wants the connection closed after this request.
    pub(crate) fn wants_close(&self) -> bool {
        if self.has_token("connection", "close") {
            return true;
        }
        self.request_version() == "HTTP/1.0" && !self.has_token("connection", "keep-alive")
    }

    /// The headers that may be forwarded to the other side of a proxy as they are.
    pub(crate) fn end_to_end_headers(&self) -> Vec<(String, String)> {
        let named_in_connection: Vec<String> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, v)| v.split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .collect();
        self.headers
            .iter()
            .filter(|(n, _)| {
                let lower = n.to_ascii_lowercase();
                !HOP_BY_HOP.contains(&lower.as_str()) && !named_in_connection.contains(&lower)
            })
            .cloned()
            .collect()
    }

    fn content_length(&self) -> io::Result<Option<usize>> {
        match self.header("content-length") {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| invalid(format!("bad content-length {v:?}"))),
        }
    }

    fn is_chunked(&self) -> bool {
        self.has_token("transfer-encoding", "chunked")
    }

    /// How the body of this request is delimited.
    pub(crate) fn request_framing(&self) -> io::Result<Framing> {
        if self.is_chunked() {
            return Ok(Framing::Chunked);
        }
        Ok(match self.content_length()? {
            Some(0) | None => Framing::Empty,
            Some(n) => Framing::Length(n),
        })
    }

    /// How the body of this response to a `method` request is delimited.
    pub(crate) fn response_framing(&self, method: &str) -> io::Result<Framing> {
        let status = self.status()?;
        if method.eq_ignore_ascii_case("HEAD") || status < 200 || status == 204 || status == 304 {
            return Ok(Framing::Empty);
        }
        if self.is_chunked() {
            return Ok(Framing::Chunked);
        }
        Ok(match self.content_length()? {
            Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
            None => Framing::UntilEof,
        })
    }
}

/// Reads one head, or `None` if the connection ends cleanly before its first byte.
pub(crate) fn read_head(reader: &mut impl BufRead, wire: &mut Vec<u8>) -> io::Result<Option<Head>> {
    let mut start_line = None;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut total = 0;
    loop {
        let mut line = Vec::new();
        let n = read_line(reader, &mut line, MAX_HEAD - total)?;
        wire.extend_from_slice(&line);
        total += n;
        if n == 0 && start_line.is_none() && total == 0 {
            return Ok(None);
        }
        if !line.ends_with(b"\n") {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let text = String::from_utf8(trim_eol(&line).to_vec())
            .map_err(|_| invalid("head is not UTF-8".to_owned()))?;
        match &start_line {
            // Tolerate empty lines before the start line, as RFC 9112 asks servers to.
            None if text.is_empty() => {}
            None => start_line = Some(text),
            Some(_) if text.is_empty() => break,
            Some(_) if text.starts_with([' ', '\t']) => match headers.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(text.trim());
                }
                None => return Err(invalid("continuation line before any header".to_owned())),
            },
            Some(_) => {
                let (name, value) = text
                    .split_once(':')
                    .ok_or_else(|| invalid(format!("bad header line {text:?}")))?;
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
    }
    Ok(start_line.map(|start_line| Head {
        start_line,
        headers,
    }))
}

/// Reads a body delimited as `framing` says, and returns it without any chunk framing.
pub(crate) fn read_body(
    reader: &mut impl BufRead,
    framing: Framing,
    wire: &mut Vec<u8>,
) -> io::Result<Vec<u8>> {
    match framing {
        Framing::Empty => Ok(Vec::new()),
        Framing::Length(n) => {
            if n > MAX_BODY {
                return Err(invalid(format!("body of {n} bytes is too large")));
            }
            let mut body = vec![0; n];
            reader.read_exact(&mut body)?;
            wire.extend_from_slice(&body);
            Ok(body)
        }
        Framing::UntilEof => {
            let mut body = Vec::new();
            reader.take(MAX_BODY as u64 + 1).read_to_end(&mut body)?;
            if body.len() > MAX_BODY {
                return Err(invalid("body is too large".to_owned()));
            }
            wire.extend_from_slice(&body);
            Ok(body)
        }
        Framing::Chunked => read_chunked(reader, wire),
    }
}

fn read_chunked(reader: &mut impl BufRead, wire: &mut Vec<u8>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        if read_line(reader, &mut line, 1024)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        wire.extend_from_slice(&line);
        let text = String::from_utf8_lossy(trim_eol(&line)).into_owned();
        let size_text = text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size line {text:?}")))?;
        if size == 0 {
            break;
        }
        if body.len() + size > MAX_BODY {
            return Err(invalid("chunked body is too large".to_owned()));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        wire.extend_from_slice(&body[start..]);
        let mut crlf = Vec::new();
        read_line(reader, &mut crlf, 2)?;
        wire.extend_from_slice(&crlf);
        if !trim_eol(&crlf).is_empty() {
            return Err(invalid("chunk is longer than its size".to_owned()));
        }
    }
    // Trailer fields, up to the empty line that ends the message; we keep none of them.
    let mut total = 0;
    loop {
        let mut line = Vec::new();
        let n = read_line(reader, &mut line, MAX_HEAD - total)?;
        wire.extend_from_slice(&line);
        total += n;
        if n == 0 || trim_eol(&line).is_empty() {
            return Ok(body);
        }
    }
}

/// Serialises a message, with a `Content-Length` header when `content_length` is given.
pub(crate) fn encode_message(
    start_line: &str,
    headers: &[(String, String)],
    body: &[u8],
    content_length: Option<usize>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(start_line.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(length) = content_length {
        out.extend_from_slice(format!("Content-Length: {length}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Serialises a message (see [`encode_message`]) and writes it in one go.
pub(crate) fn write_message(
    writer: &mut impl Write,
    start_line: &str,
    headers: &[(String, String)],
    body: &[u8],
    content_length: Option<usize>,
) -> io::Result<()> {
    writer.write_all(&encode_message(start_line, headers, body, content_length))?;
    writer.flush()
}

/// `application/x-www-form-urlencoded` serialisation of `pairs`.
pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as AWS SDKs do.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Parses an `application/x-www-form-urlencoded` string (or a URL query) into pairs.
pub(crate) fn form_decode(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one line (up to and including `\n`) but no more than `limit` bytes.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let n = reader.take(limit as u64 + 1).read_until(b'\n', line)?;
    if n > limit {
        return Err(invalid("line is too long".to_owned()));
    }
    Ok(n)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> (Head, Vec<u8>) {
        let mut wire = Vec::new();
        let head = read_head(&mut text.as_bytes(), &mut wire).unwrap().unwrap();
        (head, wire)
    }

    #[test]
    fn heads_are_parsed_and_kept_byte_for_byte() {
        let text = "\r\nPOST /a?b=c HTTP/1.1\r\nHost: x\r\nX-Folded: one\r\n  two\r\n\r\nbody";
        let (head, wire) = head(text);
        assert_eq!(
            (head.method(), head.target(), head.request_version()),
            ("POST", "/a?b=c", "HTTP/1.1")
        );
        assert_eq!(head.header("host"), Some("x"));
        assert_eq!(head.header("x-folded"), Some("one two"));
        assert_eq!(wire, text.strip_suffix("body").unwrap().as_bytes());
    }

    #[test]
    fn a_clean_end_before_a_head_is_not_an_error() {
        let mut wire = Vec::new();
        assert!(read_head(&mut &b""[..], &mut wire).unwrap().is_none());
        let error = read_head(&mut &b"GET / HTTP/1.1\r\nHost"[..], &mut wire).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn chunked_bodies_are_decoded_and_kept_on_the_wire() {
        let (head, _) = head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(head.request_framing().unwrap(), Framing::Chunked);
        let encoded = "4;ext=1\r\nActi\r\n5\r\non=Go\r\n0\r\nTrailer: x\r\n\r\nnext";
        let mut reader = encoded.as_bytes();
        let mut wire = Vec::new();
        let body = read_body(&mut reader, Framing::Chunked, &mut wire).unwrap();
        assert_eq!(body, b"Action=Go");
        assert_eq!(wire, encoded.strip_suffix("next").unwrap().as_bytes());
        assert_eq!(reader, b"next");
    }

    #[test]
    fn response_framing_follows_the_status_and_method() {
        let (ok, _) = head("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(ok.response_framing("POST").unwrap(), Framing::UntilEof);
        assert_eq!(ok.response_framing("HEAD").unwrap(), Framing::Empty);
        let (sized, _) = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(sized.response_framing("POST").unwrap(), Framing::Length(12));
        let (empty, _) = head("HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(empty.response_framing("POST").unwrap(), Framing::Empty);
    }

    #[test]
    fn connection_close_and_hop_by_hop_headers() {
        let (old, _) = head("GET / HTTP/1.0\r\n\r\n");
        assert!(old.wants_close());
        let (kept, _) = head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(!kept.wants_close());
        let (head, _) = head(
            "GET / HTTP/1.1\r\nConnection: close, X-Private\r\nX-Private: 1\r\n\
             Content-Length: 0\r\nX-Amz-Date: d\r\n\r\n",
        );
        assert!(head.wants_close());
        assert_eq!(
            head.end_to_end_headers(),
            [("X-Amz-Date".to_owned(), "d".to_owned())]
        );
    }

    #[test]
    fn forms_round_trip_through_percent_encoding() {
        let encoded = form_encode(&[("Action", "AssumeRole"), ("Policy", "{\"a\": \"b/c+d\"}")]);
        assert_eq!(
            encoded,
            "Action=AssumeRole&Policy=%7B%22a%22%3A%20%22b%2Fc%2Bd%22%7D"
        );
        assert_eq!(
            form_decode(&encoded),
            [
                ("Action".to_owned(), "AssumeRole".to_owned()),
                ("Policy".to_owned(), "{\"a\": \"b/c+d\"}".to_owned()),
            ]
        );
        assert_eq!(
            form_decode("a=x+y&b&c=%zz"),
            [
                ("a".to_owned(), "x y".to_owned()),
                ("b".to_owned(), String::new()),
                ("c".to_owned(), "%zz".to_owned()),
            ]
        );
    }
}
